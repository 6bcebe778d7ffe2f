"""Network ACL hops: stateless, so the reply is checked on the ephemeral ports."""

from __future__ import annotations

from assistant.models.snapshot import (
    NetworkAcl,
    NetworkAclEntry,
)
from assistant.policy import (
    EPHEMERAL,
    INTERNET_V4,
    PROTO_NAMES,
    acl_blocked,
    acl_decision,
    acl_segments,
    proto_number,
)
from assistant.topology import (
    PRIVATE,
    PUBLIC,
    subnet_label,
)
from assistant.trace.base import (
    ADMIN_PORTS,
    ICMP_REPLIES,
    WEB_PORTS,
    HopBase,
    catalogue_rule,
    flow_text,
    ports_text,
)
from assistant.trace.model import (
    FAIL,
    FORWARD,
    INFO,
    PASS,
    RETURN,
    UNKNOWN,
    Hop,
)


class NaclHops(HopBase):
    def _acl_rule(
        self, acl: NetworkAcl, subnet_id: str, egress: bool, lo: int, hi: int, peer: str
    ) -> str | None:
        """The network ACL rule that describes a blocked hop: only for traffic to or from the
        internet, on the ports the rule checks, when the ACL blocks the whole internet there
        (the question the rule asks), in the kind of subnet the rule covers."""
        if self.proto != "6" or not self._is_internet(peer):
            return None
        if not acl_blocked(acl, egress, "6", lo, hi, INTERNET_V4):
            return None
        ephemeral = (lo, hi) == EPHEMERAL
        if self._egress_path(subnet_id):
            if egress and not ephemeral and lo in WEB_PORTS:
                return catalogue_rule("nacl.blocks-egress-web")
            if not egress and ephemeral:
                return catalogue_rule("nacl.blocks-return-traffic")
        if self.topo.role(subnet_id) == PUBLIC and self.port in self._webports_text(subnet_id):
            if (not egress and not ephemeral and lo == self.port) or (egress and ephemeral):
                return catalogue_rule("ingress.nacl-blocks-web")
        return None

    def _acl(
        self,
        subnet_id: str,
        egress: bool,
        peer: str,
        peer_label: str,
        lo: int | None = None,
        hi: int | None = None,
        direction: str = FORWARD,
    ) -> Hop:
        lo = self.port if lo is None else lo
        hi = lo if hi is None else hi
        step = f"network ACL {'outbound' if egress else 'inbound'}"
        if direction == RETURN:
            step += " (reply)"
        acl = self.topo.nacl_for(subnet_id)
        if acl is None:
            why = (
                "no describe-network-acls output in the snapshot"
                if not self.snapshot.has("NetworkAcls")
                else f"no network ACL of the snapshot is associated with {subnet_id}"
            )
            return Hop(step=step, status=UNKNOWN, where=subnet_id, detail=why, direction=direction)
        where = f"{acl.NetworkAclId} ({subnet_label(self.topo, subnet_id)})"
        if self.proto not in ("6", "17"):
            return self._acl_portless(
                acl, subnet_id, where, egress, peer, peer_label, step, direction
            )
        if lo == hi:
            seg = acl_decision(acl, egress, self.proto, lo, peer)
            rule = None
            if not seg.allowed:
                rule = self._acl_rule(acl, subnet_id, egress, lo, hi, peer)
            elif self._admin_open(acl, egress, lo, peer):
                rule = catalogue_rule("exposure.nacl-open-admin-port")
            return Hop(
                step=step,
                status=PASS if seg.allowed else FAIL,
                where=where,
                detail=seg.describe(acl.NetworkAclId) + f" [{peer_label}]",
                direction=direction,
                rule=rule,
                resources=[acl.NetworkAclId, subnet_id],
            )
        blocked = acl_blocked(acl, egress, self.proto, lo, hi, peer)
        if not blocked:
            segs = acl_segments(acl, egress, self.proto, lo, hi, peer)
            detail = "; ".join(s.describe(acl.NetworkAclId) for s in segs)
            return Hop(
                step=step,
                status=PASS,
                where=where,
                detail=f"{detail} [{peer_label}]",
                direction=direction,
                resources=[acl.NetworkAclId, subnet_id],
            )
        detail = "; ".join(s.describe(acl.NetworkAclId) for s in blocked)
        return Hop(
            step=step,
            status=FAIL,
            where=where,
            detail=f"{detail} [{peer_label}; replies use ephemeral {ports_text(lo, hi)}]",
            direction=direction,
            rule=self._acl_rule(acl, subnet_id, egress, lo, hi, peer),
            resources=[acl.NetworkAclId, subnet_id],
        )

    def _acl_portless(
        self,
        acl: NetworkAcl,
        subnet_id: str,
        where: str,
        egress: bool,
        peer: str,
        peer_label: str,
        step: str,
        direction: str,
    ) -> Hop:
        """An ACL hop for ICMP or a protocol without ports: the reply to an ICMP query is its
        reply type (echo 8 -> echo reply 0), not ephemeral ports; other protocols come back
        as the same protocol."""
        icmp = self.icmp
        if direction == RETURN and icmp is not None:
            reply = ICMP_REPLIES.get(icmp[0])
            if reply is None:
                return Hop(
                    step=step,
                    status=INFO,
                    where=where,
                    detail=f"{flow_text('1', icmp[0])} has no reply: nothing to check",
                    direction=direction,
                )
            icmp = (reply, 0)
        traffic = flow_text(self.proto, icmp[0] if icmp else 0, icmp)
        seg = acl_decision(acl, egress, self.proto, 0, peer, icmp)
        e = seg.entry
        if e is None:
            detail = f"{acl.NetworkAclId}: no entry matches {traffic}, so it is denied"
        else:
            num = "*" if e.RuleNumber == 32767 else str(e.RuleNumber)
            detail = (
                f"{acl.NetworkAclId} {'outbound' if egress else 'inbound'} rule {num}: "
                f"{e.RuleAction} {_entry_text(e)} {'to' if egress else 'from'} "
                f"{e.CidrBlock or e.Ipv6CidrBlock} (decides {traffic})"
            )
        return Hop(
            step=step,
            status=PASS if seg.allowed else FAIL,
            where=where,
            detail=f"{detail} [{peer_label}]",
            direction=direction,
            resources=[acl.NetworkAclId, subnet_id],
        )

    def _admin_open(self, acl: NetworkAcl, egress: bool, port: int, peer: str) -> bool:
        """A custom ACL letting SSH/RDP in from the whole internet (what the scan's exposure
        rule for ACLs looks at)."""
        return (
            not egress
            and port in ADMIN_PORTS
            and self.proto == "6"
            and not acl.IsDefault
            and self._is_internet(peer)
            and acl_decision(acl, False, "6", port, INTERNET_V4).allowed
        )

    def _acl_reply(self, subnet_id: str, egress: bool, peer: str, peer_label: str) -> Hop:
        return self._acl(subnet_id, egress, peer, peer_label, EPHEMERAL[0], EPHEMERAL[1], RETURN)

    def _egress_path(self, subnet_id: str) -> bool:
        """A private subnet, or a public one holding a public NAT gateway: the subnets whose
        network ACLs the egress rules check."""
        role = self.topo.role(subnet_id)
        nats = self.topo.nats_by_subnet.get(subnet_id, [])
        return role == PRIVATE or (
            role == PUBLIC and any(n.ConnectivityType == "public" for n in nats)
        )

    def _webports_text(self, subnet_id: str) -> set[int]:
        """The ports a public subnet serves to the internet, as the scan counts them: listener
        ports of internet-facing load balancers there, and the web ports that running
        instances with a public IP there accept from anywhere."""
        cached = self._served.get(subnet_id)
        if cached is not None:
            return cached
        out: set[int] = set()
        for lb in self.snapshot.LoadBalancers:
            if lb.Scheme == "internet-facing" and subnet_id in lb.subnet_ids:
                ports = {
                    x.Port
                    for x in self.snapshot.Listeners
                    if x.LoadBalancerArn == lb.LoadBalancerArn
                }
                out |= ports or set(WEB_PORTS)
        if self.topo.role(subnet_id) == PUBLIC:
            for inst in self.topo.instances_by_subnet.get(subnet_id, []):
                if inst.State.Name != "running" or not inst.public_ips:
                    continue
                out |= self._open_webports_text(self.topo.groups_of[inst.InstanceId])
        self._served[subnet_id] = out
        return out


def _entry_text(e: NetworkAclEntry) -> str:
    """An ACL entry's traffic: 'all traffic', 'tcp ports 80-80', 'icmp type 8', 'protocol 47'."""
    proto = proto_number(e.Protocol)
    if proto == "-1":
        return "all traffic"
    if proto in ("1", "58"):
        t = e.IcmpTypeCode.Type if e.IcmpTypeCode else None
        return f"{PROTO_NAMES[proto]} " + ("all types" if t in (None, -1) else f"type {t}")
    if proto in ("6", "17"):
        lo = e.PortRange.From if e.PortRange and e.PortRange.From is not None else 0
        hi = e.PortRange.To if e.PortRange and e.PortRange.To is not None else 65535
        return f"{PROTO_NAMES[proto]} ports {lo}-{hi}"
    return f"protocol {proto}"
