"""Follow one flow through the snapshot, hop by hop, forward and back.

Security groups are stateful (the reply is allowed when the request was); network ACLs are
not, so the reply is checked on the ephemeral ports 1024-65535. Traffic between two addresses
of the same subnet does not cross its network ACL. Everything the snapshot cannot tell is an
``unknown`` hop that says why; peering, transit gateways, VPNs and appliances are named but not
followed.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from assistant.errors import UserError
from assistant.models.snapshot import (
    IpPermission,
    Listener,
    LoadBalancer,
    NetworkAcl,
    Route,
    RouteTable,
    SecurityGroup,
    Snapshot,
    TargetGroup,
    TargetHealthDescription,
)
from assistant.policy import (
    ALL,
    EPHEMERAL,
    INTERNET_V4,
    INTERNET_V6,
    PROTO_NAMES,
    SgMatch,
    acl_blocked,
    acl_decision,
    acl_segments,
    proto_number,
    sg_match,
)
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    Topology,
    looks_backend,
    subnet_label,
    target_kind,
)
from assistant.trace.endpoints import (
    INSTANCE,
    LB,
    Endpoint,
    Resolver,
)
from assistant.trace.model import (
    FAIL,
    FORWARD,
    INFO,
    PASS,
    RETURN,
    UNKNOWN,
    Hop,
    Trace,
    verdict_of,
)

ADMIN_PORTS = (22, 3389)
_NOT_FOLLOWED = {
    "pcx": "VPC peering connection",
    "tgw": "transit gateway",
    "vgw": "virtual private gateway (VPN / Direct Connect)",
    "vpce": "VPC endpoint",
    "eni": "network interface (an appliance or firewall)",
    "instance": "instance (a NAT instance or appliance)",
    "eigw": "egress-only internet gateway (IPv6 only)",
    "lgw": "local gateway",
    "cagw": "carrier gateway",
}


# Every catalogue rule a hop can name. A hop names a rule only where the rule's own match
# describes that hop (same resource, same direction, ports the rule checks), so that the scan of
# the same snapshot has the finding whose fix steps apply.
TRACE_RULES = frozenset(
    {
        "egress.igw-route-without-public-ip",
        "egress.no-default-route",
        "egress.route-blackhole",
        "exposure.backend-in-public-subnet",
        "exposure.nacl-open-admin-port",
        "exposure.sg-open-admin-port",
        "exposure.sg-open-all-ports",
        "exposure.sg-open-database-port",
        "igw.not-attached",
        "ingress.app-unreachable-in-private-subnet",
        "ingress.lb-in-private-subnets",
        "ingress.lb-sg-blocks-listener",
        "ingress.nacl-blocks-web",
        "ingress.no-https-listener",
        "ingress.public-instance-without-public-ip",
        "ingress.target-sg-blocks-lb",
        "ingress.targets-unhealthy",
        "nacl.blocks-egress-web",
        "nacl.blocks-return-traffic",
        "nat.in-private-subnet",
        "nat.instance-source-dest-check",
        "nat.no-elastic-ip",
        "nat.not-available",
        "sg.no-egress",
    }
)
WEB_PORTS = (80, 443)  # the ports the web rules (egress, ingress, security group) check
OPEN_SOURCES = (INTERNET_V4, INTERNET_V6)


@lru_cache(maxsize=64)
def catalogue_rule(rule_id: str) -> str | None:
    """``rule_id`` when it is a rule of the installed catalogue, else None."""
    from assistant.engine.rules import RuleError, get_rule

    if rule_id not in TRACE_RULES:
        raise ValueError(f"{rule_id} is not in TRACE_RULES")
    try:
        return rule_id if get_rule(rule_id) is not None else None
    except RuleError:
        return None


def _perm_text(p: IpPermission, inbound: bool) -> str:
    """One security group rule as ``tcp 8080 from sg-0abc``."""
    proto = PROTO_NAMES.get(proto_number(p.IpProtocol), p.IpProtocol)
    lo, hi = p.port_range()
    ports = "all ports" if (lo, hi) == (0, 65535) else str(lo) if lo == hi else f"{lo}-{hi}"
    peers = [r.CidrIp for r in p.IpRanges] + [r.CidrIpv6 for r in p.Ipv6Ranges]
    peers += [u.GroupId or "" for u in p.UserIdGroupPairs]
    peers += [x.PrefixListId for x in p.PrefixListIds]
    return f"{proto} {ports} {'from' if inbound else 'to'} {', '.join(peers) or 'nothing'}"


def _ports(lo: int, hi: int) -> str:
    return f"port {lo}" if lo == hi else f"ports {lo}-{hi}"


class Tracer:
    """Traces over one snapshot; build once, then call :meth:`trace` as often as needed."""

    def __init__(self, snapshot: Snapshot, topology: Topology | None = None):
        self.snapshot = snapshot
        self.topo = topology or Topology(snapshot)
        self.resolver = Resolver(snapshot)
        self._rt_nets: dict[str, list[tuple[ipaddress.IPv4Network, Route]]] = {}
        self._served: dict[str, set[int]] = {}

    # -- entry point ----------------------------------------------------------------------
    def trace(self, source: str, destination: str, port: int, protocol: str = "tcp") -> Trace:
        """Can ``source`` reach ``destination`` on ``protocol``/``port``? Hop by hop."""
        proto = proto_number(protocol)
        if proto not in ("6", "17"):
            raise UserError(f"protocol {protocol!r}: only tcp and udp can be traced")
        if not 1 <= port <= 65535:
            raise UserError(f"port {port}: must be between 1 and 65535")
        src = self.resolver.resolve(source)
        dst = self.resolver.resolve(destination)
        return self.trace_endpoints(src, dst, port, proto)

    def trace_endpoints(self, src: Endpoint, dst: Endpoint, port: int, proto: str = "6") -> Trace:
        if src.kind == LB:
            raise UserError("a load balancer can only be the destination of a trace (--to)")
        if src.outside and dst.outside:
            raise UserError("both ends are outside the VPCs: one end must be in the snapshot")
        self.proto = proto
        self.proto_name = PROTO_NAMES.get(proto, proto)
        self.port = port
        t = Trace(
            source=src.info(),
            destination=dst.info(),
            protocol=self.proto_name,
            port=port,
        )
        if src.outside:
            hops = self._internet_to_lb(src, dst) if dst.kind == LB else self._inbound(src, dst)
        elif dst.kind == LB:
            hops = self._vpc_to_lb(src, dst)
        else:
            hops = self._outbound(src, dst)
        t.hops = hops
        t.verdict = verdict_of(hops)
        t.notes = self._notes(src, dst)
        return t

    def _notes(self, src: Endpoint, dst: Endpoint) -> list[str]:
        notes = []
        if src.outside or dst.outside:
            other = src if src.outside else dst
            if other.ip is None:
                notes.append(
                    "'internet' stands for any address outside the VPC: only routes, ACL "
                    "entries and group rules for 0.0.0.0/0 decide; routes for parts of the "
                    "internet are listed (trace a specific address to follow them)"
                )
        notes.append("IPv4 only; security groups are stateful, network ACLs are checked both ways")
        return notes

    # -- single checks --------------------------------------------------------------------
    def _state(self, ep: Endpoint) -> list[Hop]:
        if ep.kind != INSTANCE:
            return []
        ok = ep.state == "running"
        return [
            Hop(
                step="instance state",
                status=PASS if ok else FAIL,
                where=ep.id,
                detail=f"{ep.label} is {ep.state}",
                resources=[ep.id],
            )
        ]

    def _groups(self, ep: Endpoint) -> tuple[list[SecurityGroup] | None, str]:
        if ep.group_ids is None:
            return None, (
                f"no network interface in the snapshot has {ep.ip}, so its security groups "
                "are unknown"
            )
        if not self.snapshot.has("SecurityGroups") and not self.topo.sgs:
            return None, "no describe-security-groups output in the snapshot"
        missing = [g for g in ep.group_ids if g not in self.topo.sgs]
        if missing:
            return None, f"security group {', '.join(missing)} is not in the snapshot"
        return [self.topo.sgs[g] for g in ep.group_ids], ""

    def _sg(
        self,
        ep: Endpoint,
        inbound: bool,
        peer: str,
        peer_label: str,
        peer_groups: list[str] | None = None,
        port: int | None = None,
        rule: str | None = None,
        ties: list[str] | None = None,
        from_internet: bool = False,
    ) -> Hop:
        """A security group hop. ``rule`` and ``ties`` name the catalogue rule (and the ids
        its finding carries) when the hop fails; ``from_internet`` looks for the exposure
        rules when the hop passes."""
        port = self.port if port is None else port
        step = "security group ingress" if inbound else "security group egress"
        groups, why = self._groups(ep)
        if groups is None:
            return Hop(step=step, status=UNKNOWN, where=ep.id, detail=why)
        ids = [g.GroupId for g in groups]
        m = sg_match(groups, inbound, self.proto, port, peer, peer_groups or ())
        if m is not None:
            hop = Hop(
                step=step,
                status=PASS,
                where=m.group.GroupId,
                detail=m.describe(inbound),
                resources=[m.group.GroupId],
            )
            if inbound and from_internet and m.source in OPEN_SOURCES:
                hop.rule = self._exposure_rule(m, port)
                if hop.rule and ep.kind == INSTANCE:
                    hop.resources = [m.group.GroupId, ep.id]
            return hop
        if not groups:
            detail = f"{ep.label} has no security group, so nothing is allowed"
        else:
            detail = (
                f"no rule of {', '.join(ids)} allows {self.proto_name} {port} "
                f"{'from' if inbound else 'to'} {peer_label}"
            )
            present = [
                _perm_text(p, inbound)
                for g in groups
                for p in (g.IpPermissions if inbound else g.IpPermissionsEgress)
            ]
            detail += (
                f" ({'inbound' if inbound else 'outbound'} rules: {'; '.join(present[:6])}"
                + ("; ..." if len(present) > 6 else "")
                + ")"
                if present
                else f" (no {'inbound' if inbound else 'outbound'} rules at all)"
            )
        named = catalogue_rule(rule) if rule else None
        return Hop(
            step=step,
            status=FAIL,
            where=", ".join(ids),
            detail=detail,
            rule=named,
            resources=(ties if named and ties is not None else ids),
        )

    def _exposure_rule(self, m: SgMatch, port: int) -> str | None:
        """The exposure rule for a group rule open to the whole internet that lets the flow in:
        all ports, an admin port, or a database port (as the scan's open-group facts count)."""
        from assistant.engine.facts import DB_PORTS

        p = m.permission
        proto = proto_number(p.IpProtocol)
        if proto == ALL or (proto in ("6", "17") and p.port_range() == (0, 65535)):
            return catalogue_rule("exposure.sg-open-all-ports")
        if port in ADMIN_PORTS:
            return catalogue_rule("exposure.sg-open-admin-port")
        if proto == "6" and port in DB_PORTS:
            return catalogue_rule("exposure.sg-open-database-port")
        return None

    def _is_internet(self, peer: str) -> bool:
        """Whether a peer address (or CIDR) lies outside every VPC of the snapshot."""
        if peer in OPEN_SOURCES:
            return True
        try:
            net = ipaddress.ip_network(peer, strict=False)
        except ValueError:
            return False
        return not any(
            net.version == vnet.version and net.overlaps(vnet)  # type: ignore[arg-type]
            for vnet, _ in self.resolver.vpc_nets
        )

    def _egress_path(self, subnet_id: str) -> bool:
        """A private subnet, or a public one holding a public NAT gateway: the subnets whose
        network ACLs the egress rules check."""
        role = self.topo.role(subnet_id)
        nats = self.topo.nats_by_subnet.get(subnet_id, [])
        return role == PRIVATE or (
            role == PUBLIC and any(n.ConnectivityType == "public" for n in nats)
        )

    def _web_ports(self, subnet_id: str) -> set[int]:
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
                out |= self._open_web_ports(self.topo.groups_of[inst.InstanceId])
        self._served[subnet_id] = out
        return out

    def _open_web_ports(self, group_ids: list[str]) -> set[int]:
        """The web ports (80, 443) these groups accept from anywhere on the internet."""
        groups = [self.topo.sgs[g] for g in group_ids if g in self.topo.sgs]
        return {
            p for p in WEB_PORTS if any(sg_match(groups, True, "6", p, src) for src in OPEN_SOURCES)
        }

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
        if self.topo.role(subnet_id) == PUBLIC and self.port in self._web_ports(subnet_id):
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
            detail=f"{detail} [{peer_label}; replies use ephemeral {_ports(lo, hi)}]",
            direction=direction,
            rule=self._acl_rule(acl, subnet_id, egress, lo, hi, peer),
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

    # -- routing --------------------------------------------------------------------------
    def _nets(self, rt: RouteTable) -> list[tuple[ipaddress.IPv4Network, Route]]:
        nets = self._rt_nets.get(rt.RouteTableId)
        if nets is None:
            nets = []
            for r in rt.Routes:
                if r.DestinationCidrBlock:
                    try:
                        nets.append((ipaddress.IPv4Network(r.DestinationCidrBlock), r))
                    except ValueError:
                        continue
            nets.sort(key=lambda x: -x[0].prefixlen)
            self._rt_nets[rt.RouteTableId] = nets
        return nets

    def _route(
        self, subnet_id: str, dest: str | None, dest_label: str, direction: str = FORWARD
    ) -> tuple[Hop, Route | None, RouteTable | None]:
        """Longest prefix match in the subnet's route table for ``dest`` (None: any internet
        address, which only a 0.0.0.0/0 route covers)."""
        step = "route table" if direction == FORWARD else "route table (reply)"
        view = self.topo.view(subnet_id)
        if view is None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=subnet_id,
                    detail=f"subnet {subnet_id} is not in the snapshot",
                    direction=direction,
                ),
                None,
                None,
            )
        rt = view.route_table
        if rt is None:
            why = (
                "no describe-route-tables output in the snapshot"
                if not self.snapshot.has("RouteTables")
                else f"no route table is associated with {subnet_id} and {view.subnet.VpcId} "
                "has no main route table in the snapshot"
            )
            return (
                Hop(step=step, status=UNKNOWN, where=subnet_id, detail=why, direction=direction),
                None,
                None,
            )
        nets = self._nets(rt)
        if dest is None:
            target_net = ipaddress.IPv4Network(INTERNET_V4)
        else:
            target_net = ipaddress.ip_network(dest, strict=False)
        best = None
        for net, r in nets:
            if target_net.version == net.version and target_net.subnet_of(net):
                best = (net, r)
                break
        how = "explicitly associated" if view.explicit else "main route table"
        where = f"{rt.RouteTableId} ({how}, {subnet_label(self.topo, subnet_id)})"
        res = [rt.RouteTableId, subnet_id]
        pls = [r for r in rt.Routes if r.DestinationPrefixListId]
        caveat = ""
        if pls and (best is None or target_kind(best[1].target) != "local"):
            pl_text = ", ".join(
                f"{r.DestinationPrefixListId} -> {r.target} (prefix list, contents unknown)"
                for r in pls
            )
            caveat = f"; also {pl_text}"
        if best is None and caveat and dest is not None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=where,
                    detail=f"{rt.RouteTableId} has no CIDR route that covers {dest_label}"
                    f"{caveat}: whether {dest} is in a prefix list is unknown",
                    direction=direction,
                    resources=res,
                ),
                None,
                rt,
            )
        if best is None:
            internet = dest is None or not self._in_any_vpc(dest)
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=where,
                    detail=f"{rt.RouteTableId} has no route that covers {dest_label}" + caveat,
                    direction=direction,
                    rule=catalogue_rule("egress.no-default-route")
                    if internet and direction == FORWARD and view.role == ISOLATED
                    else None,
                    resources=res,
                ),
                None,
                rt,
            )
        net, r = best
        line = f"{rt.RouteTableId}: {r.destination} -> {r.target} ({r.State})"
        if r.State == "blackhole":
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=where,
                    detail=f"{line}: the target no longer exists, traffic to {dest_label} is "
                    "dropped",
                    direction=direction,
                    rule=catalogue_rule("egress.route-blackhole"),
                    resources=[rt.RouteTableId, r.target, subnet_id],
                ),
                r,
                rt,
            )
        if caveat and dest is not None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=where,
                    detail=f"{line}, longest prefix match for {dest_label}{caveat}: if {dest} "
                    "is in a prefix list, its route applies instead",
                    direction=direction,
                    resources=res,
                ),
                r,
                rt,
            )
        more = ""
        if dest is None:
            specific = [
                f"{n} -> {x.target}"
                for n, x in nets
                if n.prefixlen > 0 and target_kind(x.target) != "local"
            ]
            if specific:
                more = "; parts of the internet go elsewhere: " + ", ".join(specific)
        return (
            Hop(
                step=step,
                status=PASS,
                where=where,
                detail=f"{line}, longest prefix match for {dest_label}{more}{caveat}",
                direction=direction,
                resources=res,
            ),
            r,
            rt,
        )

    def _in_any_vpc(self, ip: str) -> bool:
        a = ipaddress.ip_address(ip)
        return any(a in net for net, _ in self.resolver.vpc_nets)

    def _igw(self, igw_id: str, vpc_id: str, rt_id: str | None, subnets: list[str]) -> Hop:
        attached = self.topo.igw_attached(igw_id, vpc_id)
        if attached is None:
            return Hop(
                step="internet gateway",
                status=UNKNOWN,
                where=igw_id,
                detail=f"{igw_id} is not in the snapshot (no describe-internet-gateways "
                "output), so its attachment is unknown",
            )
        if not attached:
            gone = igw_id not in self.topo.igws
            return Hop(
                step="internet gateway",
                status=FAIL,
                where=igw_id,
                detail=f"{igw_id} no longer exists"
                if gone
                else f"{igw_id} is not attached to {vpc_id}",
                rule=catalogue_rule("egress.route-blackhole" if gone else "igw.not-attached"),
                resources=[igw_id] + ([rt_id] if rt_id else []) + subnets,
            )
        return Hop(
            step="internet gateway",
            status=PASS,
            where=igw_id,
            detail=f"{igw_id} is attached to {vpc_id}",
            resources=[igw_id],
        )

    # -- from inside a VPC ----------------------------------------------------------------
    def _outbound(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        hops = self._state(src)
        if not src.subnet_id or not src.ip:
            hops.append(
                Hop(
                    step="source",
                    status=UNKNOWN,
                    where=src.id,
                    detail=f"{src.label} has no subnet or address in the snapshot",
                )
            )
            return hops
        dst_label = dst.label if dst.ip or not dst.outside else "the internet"
        no_egress = "sg.no-egress" if dst.outside and self._web_egress_rule_applies(src) else None
        hops.append(
            self._sg(
                src,
                False,
                dst.peer,
                dst_label,
                dst.group_ids or [],
                rule=no_egress,
                ties=src.group_ids,
            )
        )
        if not dst.outside and dst.subnet_id == src.subnet_id:
            hops.append(
                Hop(
                    step="same subnet",
                    status=INFO,
                    where=src.subnet_id,
                    detail="both ends are in one subnet: no route table or network ACL is crossed",
                )
            )
            return hops + self._state(dst) + [self._sg(dst, True, src.ip, src.label, src.group_ids)]
        hops.append(self._acl(src.subnet_id, True, dst.peer, dst_label))
        route_hop, route, rt = self._route(src.subnet_id, dst.ip, dst_label)
        hops.append(route_hop)
        if route is None or route.State == "blackhole":
            return hops
        kind = target_kind(route.target)
        rt_id = rt.RouteTableId if rt else None
        if kind == "local":
            return hops + self._arrive(src, dst)
        if kind in ("instance", "eni") and self._source_dest_check(route.target, kind) is True:
            return hops + [self._source_dest_hop(route, rt_id, src.subnet_id, dst_label)]
        if not dst.outside:
            hops.append(
                Hop(
                    step="next hop",
                    status=UNKNOWN,
                    where=route.target,
                    detail=f"traffic to {dst_label} is sent to {route.target}, not delivered "
                    "inside the VPC: not analysed",
                )
            )
            return hops
        if kind == "igw":
            return hops + self._via_igw(src, dst, route.target, rt_id)
        if kind == "nat":
            return hops + self._via_nat(src, dst, route.target, rt_id, route)
        what = _NOT_FOLLOWED.get(kind, "target")
        hops.append(
            Hop(
                step="next hop",
                status=UNKNOWN,
                where=route.target,
                detail=f"traffic goes to {what} {route.target}: not analysed "
                "(what lies beyond it is not in this snapshot's path model)",
            )
        )
        return hops

    def _web_egress_rule_applies(self, src: Endpoint) -> bool:
        """Whether the security group rule for web egress covers this flow: TCP 80/443 from a
        running instance that needs the internet (private subnet, or public with a public IP),
        whose groups allow the port neither to 0.0.0.0/0 nor to ::/0."""
        if src.kind != INSTANCE or src.state != "running" or self.proto != "6":
            return False
        if self.port not in WEB_PORTS or not src.subnet_id or src.group_ids is None:
            return False
        role = self.topo.role(src.subnet_id)
        if not (role == PRIVATE or (role == PUBLIC and src.public_ips)):
            return False
        groups = [self.topo.sgs[g] for g in src.group_ids if g in self.topo.sgs]
        if len(groups) != len(src.group_ids) or not groups:
            return False
        return not any(sg_match(groups, False, "6", self.port, dst) for dst in OPEN_SOURCES)

    def _source_dest_check(self, target: str, kind: str) -> bool | None:
        """The source/destination check of an instance or interface route target."""
        if kind == "instance":
            inst = self.topo.instances.get(target)
            if inst is None:
                return None
            if inst.SourceDestCheck is not None:
                return inst.SourceDestCheck
            return inst.NetworkInterfaces[0].SourceDestCheck if inst.NetworkInterfaces else None
        eni = self.topo.enis.get(target)
        return eni.SourceDestCheck if eni is not None else None

    def _source_dest_hop(
        self, route: Route, rt_id: str | None, subnet_id: str, dst_label: str
    ) -> Hop:
        """A route to an instance or interface (a NAT instance, an appliance) whose
        source/destination check is on: it drops traffic not addressed to itself."""
        default = route.destination in (INTERNET_V4, INTERNET_V6)
        return Hop(
            step="next hop",
            status=FAIL,
            where=route.target,
            detail=f"traffic to {dst_label} is sent to {route.target}, whose source/destination "
            "check is on: it drops traffic that is not addressed to itself",
            rule=catalogue_rule("nat.instance-source-dest-check") if default else None,
            resources=[route.target, subnet_id] + ([rt_id] if rt_id else []),
        )

    def _arrive(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        """Delivery by the local route to a destination in the same VPC, and the reply."""
        assert src.ip and src.subnet_id
        if dst.vpc_id != src.vpc_id:
            return [
                Hop(
                    step="next hop",
                    status=FAIL,
                    where=src.vpc_id or "",
                    detail=f"{dst.ip} falls in the local range of {src.vpc_id}, but "
                    f"{dst.label} is in {dst.vpc_id} (overlapping CIDRs): the traffic "
                    "never leaves the VPC",
                )
            ]
        if not dst.subnet_id:
            return [
                Hop(
                    step="delivery",
                    status=FAIL,
                    where=dst.vpc_id or "",
                    detail=f"no subnet of {dst.vpc_id} holds {dst.ip}",
                )
            ]
        hops = self._state(dst)
        hops.append(self._acl(dst.subnet_id, False, src.ip, src.label))
        hops.append(self._sg(dst, True, src.ip, src.label, src.group_ids))
        hops.append(self._acl_reply(dst.subnet_id, True, src.ip, src.label))
        hops.append(self._local_reply(dst.subnet_id, src))
        hops.append(self._acl_reply(src.subnet_id, False, dst.ip or "", dst.label))
        return hops

    def _via_igw(self, src: Endpoint, dst: Endpoint, igw_id: str, rt_id: str | None) -> list[Hop]:
        assert src.subnet_id
        hops = [self._igw(igw_id, src.vpc_id or "", rt_id, [src.subnet_id])]
        if src.public_ips:
            hops.append(
                Hop(
                    step="public IP",
                    status=PASS,
                    where=src.id,
                    detail=f"{src.label} has public IP {', '.join(src.public_ips)}: "
                    f"{igw_id} translates its address",
                )
            )
        else:
            hops.append(
                Hop(
                    step="public IP",
                    status=FAIL,
                    where=src.id,
                    detail=f"{src.label} has no public IP or Elastic IP: {igw_id} drops its "
                    "traffic (only addresses with a public IP pass an internet gateway)",
                    rule=catalogue_rule("egress.igw-route-without-public-ip")
                    if src.kind == INSTANCE
                    and src.state == "running"
                    and self.topo.role(src.subnet_id) == PUBLIC
                    else None,
                    resources=[src.subnet_id, src.id] + ([rt_id] if rt_id else []),
                )
            )
        dst_label = dst.label if dst.ip else "the internet"
        hops.append(
            Hop(
                step="internet",
                status=INFO,
                where="internet",
                detail=f"reaches {dst_label} through {igw_id}",
            )
        )
        hops.append(self._acl_reply(src.subnet_id, False, dst.peer, dst_label))
        return hops

    def _via_nat(
        self, src: Endpoint, dst: Endpoint, nat_id: str, rt_id: str | None, via: Route
    ) -> list[Hop]:
        assert src.subnet_id and src.ip
        nat = self.topo.nats.get(nat_id)
        dst_label = dst.label if dst.ip else "the internet"
        if nat is None:
            why = (
                "no describe-nat-gateways output in the snapshot"
                if not self.snapshot.has("NatGateways")
                else f"{nat_id} is not in the snapshot (deleted?)"
            )
            return [Hop(step="NAT gateway", status=UNKNOWN, where=nat_id, detail=why)]
        res = [nat_id] + ([rt_id] if rt_id else []) + [src.subnet_id]
        if nat.State != "available":
            extra = f" ({nat.FailureCode}: {nat.FailureMessage})" if nat.FailureCode else ""
            gone = nat.State == "deleted"  # the scan counts a deleted target as a blackhole
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} is {nat.State}{extra}: it forwards nothing",
                    rule=catalogue_rule("egress.route-blackhole" if gone else "nat.not-available")
                    if via.State == "active"
                    else None,
                    resources=res,
                )
            ]
        if nat.ConnectivityType != "public":
            # The rule covers a private NAT gateway used as the way to the internet: some
            # route table sends 0.0.0.0/0 to it and its own subnet cannot forward further.
            nat_view = self.topo.view(nat.SubnetId or "")
            onward = target_kind(nat_view.default_target) if nat_view else "none"
            default_to_it = any(
                r.destination in (INTERNET_V4, INTERNET_V6)
                for _, r in self.topo.routes_to.get(nat_id, [])
            )
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} is a private NAT gateway: it has no public IP and "
                    "cannot reach the internet",
                    rule=catalogue_rule("nat.no-elastic-ip")
                    if default_to_it and onward in ("igw", "none")
                    else None,
                    resources=[nat_id, src.subnet_id],
                )
            ]
        if not nat.public_ips:
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} has no public IP (Elastic IP): it cannot translate "
                    "addresses for the internet",
                    rule=catalogue_rule("nat.no-elastic-ip"),
                    resources=[nat_id, src.subnet_id],
                )
            ]
        nat_sub = nat.SubnetId or ""
        hops = [
            Hop(
                step="NAT gateway",
                status=PASS,
                where=nat_id,
                detail=f"{nat_id} is available, public IP {', '.join(nat.public_ips)}, "
                f"in {subnet_label(self.topo, nat_sub)}",
                resources=[nat_id],
            )
        ]
        same = nat_sub == src.subnet_id
        if not same:
            hops.append(self._acl(nat_sub, False, src.ip, src.label))
        route_hop, route, rt = self._route(nat_sub, dst.ip, dst_label)
        route_hop.step = "NAT gateway's route table"
        hops.append(route_hop)
        if route is None or route.State == "blackhole":
            if route is None and route_hop.status == FAIL:
                route_hop.rule = self._nat_placement_rule(nat_sub)
                route_hop.resources = [nat_id, nat_sub]
                route_hop.detail += f": {nat_id} has no way out"
            return hops
        kind = target_kind(route.target)
        if kind != "igw":
            route_hop.status = FAIL
            route_hop.detail += (
                f": {subnet_label(self.topo, nat_sub)} is not public (its route for "
                f"{dst_label} goes to {route.target}, not to an internet gateway), so "
                f"{nat_id} cannot reach the internet"
            )
            route_hop.rule = self._nat_placement_rule(nat_sub)
            route_hop.resources = [nat_id, nat_sub]
            return hops
        hops.append(
            self._igw(
                route.target,
                nat.VpcId or src.vpc_id or "",
                rt.RouteTableId if rt else None,
                [nat_sub],
            )
        )
        hops.append(self._acl(nat_sub, True, dst.peer, dst_label))
        hops.append(
            Hop(
                step="internet",
                status=INFO,
                where="internet",
                detail=f"reaches {dst_label} from {nat_id}'s public IP",
            )
        )
        hops.append(self._acl_reply(nat_sub, False, dst.peer, dst_label))
        if not same:
            hops.append(self._acl_reply(nat_sub, True, src.ip, src.label))
            hops.append(self._local_reply(nat_sub, src))
            hops.append(self._acl_reply(src.subnet_id, False, dst.peer, dst_label))
        return hops

    def _nat_placement_rule(self, nat_subnet: str) -> str | None:
        """nat.in-private-subnet, when the NAT gateway's subnet is not public."""
        if self.topo.role(nat_subnet) in (PRIVATE, ISOLATED):
            return catalogue_rule("nat.in-private-subnet")
        return None

    def _local_reply(self, subnet_id: str, to: Endpoint) -> Hop:
        """The reply's route back to an address of the VPC: the local route, unless a more
        specific route sends it elsewhere (not analysed)."""
        back, route, _rt = self._route(subnet_id, to.ip, to.label, RETURN)
        if route is not None and target_kind(route.target) != "local" and back.status != FAIL:
            back.status = UNKNOWN
            back.detail += (
                f": the reply is sent to {route.target}, not delivered locally: not analysed"
            )
        return back

    # -- from the internet ----------------------------------------------------------------
    def _inbound(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        hops = self._state(dst)
        src_label = src.label if src.ip else "the internet"
        if not dst.vpc_id:
            return hops + [
                Hop(
                    step="destination",
                    status=UNKNOWN,
                    where=dst.id,
                    detail=f"{dst.label} has no VPC in the snapshot",
                )
            ]
        igw = self.topo.attached_igw(dst.vpc_id)
        if igw is None:
            if not self.snapshot.has("InternetGateways"):
                hops.append(
                    Hop(
                        step="internet gateway",
                        status=UNKNOWN,
                        where=dst.vpc_id,
                        detail="no describe-internet-gateways output in the snapshot",
                    )
                )
            else:
                hops.append(
                    Hop(
                        step="internet gateway",
                        status=FAIL,
                        where=dst.vpc_id,
                        detail=f"no internet gateway is attached to {dst.vpc_id}",
                    )
                )
                return hops
        else:
            hops.append(
                Hop(
                    step="internet gateway",
                    status=PASS,
                    where=igw,
                    detail=f"{igw} is attached to {dst.vpc_id}",
                    resources=[igw],
                )
            )
        if dst.public_ips:
            hops.append(
                Hop(
                    step="public IP",
                    status=PASS,
                    where=dst.id,
                    detail=f"{', '.join(dst.public_ips)} maps to {dst.label}",
                    rule=self._backend_exposed(dst),
                    resources=[dst.id, dst.subnet_id or ""],
                )
            )
        else:
            hops.append(
                Hop(
                    step="public IP",
                    status=FAIL,
                    where=dst.id,
                    detail=f"{dst.label} has no public IP or Elastic IP: nothing on "
                    "the internet can address it",
                    rule=self._no_public_ip_rule(dst),
                    resources=[dst.id],
                )
            )
        if not dst.subnet_id or not dst.ip:
            hops.append(
                Hop(
                    step="destination",
                    status=UNKNOWN,
                    where=dst.id,
                    detail=f"{dst.label} has no subnet in the snapshot",
                )
            )
            return hops
        hops.append(self._acl(dst.subnet_id, False, src.peer, src_label))
        hops.append(self._sg(dst, True, src.peer, src_label, from_internet=True))
        hops.append(self._acl_reply(dst.subnet_id, True, src.peer, src_label))
        hops += self._reply_to_internet(dst.subnet_id, dst.vpc_id, src)
        return hops

    def _backend_exposed(self, dst: Endpoint) -> str | None:
        """exposure.backend-in-public-subnet for a load-balancer target, or an instance whose
        tags say app/db/backend, that the internet addresses directly in a public subnet."""
        inst = self.topo.instances.get(dst.id) if dst.kind == INSTANCE else None
        if inst is None or self.topo.role(dst.subnet_id or "") != PUBLIC:
            return None
        if looks_backend(inst) or inst.InstanceId in self.topo.lb_targets:
            return catalogue_rule("exposure.backend-in-public-subnet")
        return None

    def _no_public_ip_rule(self, dst: Endpoint) -> str | None:
        """For a running instance that accepts this web port from the internet and is no
        load-balancer target: the rule for its subnet (public: it lacks a public IP; private:
        it needs a load balancer in front)."""
        inst = self.topo.instances.get(dst.id) if dst.kind == INSTANCE else None
        if inst is None or inst.State.Name != "running" or self.proto != "6":
            return None
        if inst.InstanceId in self.topo.lb_targets or dst.group_ids is None:
            return None
        if self.port not in self._open_web_ports(dst.group_ids):
            return None
        role = self.topo.role(dst.subnet_id or "")
        if role == PUBLIC and not inst.ipv6_addresses:
            return catalogue_rule("ingress.public-instance-without-public-ip")
        if role in (PRIVATE, ISOLATED):
            return catalogue_rule("ingress.app-unreachable-in-private-subnet")
        return None

    def _reply_to_internet(self, subnet_id: str, vpc_id: str, peer: Endpoint) -> list[Hop]:
        """The reply's route from a subnet back to the internet: must be an attached IGW."""
        label = peer.label if peer.ip else "the internet"
        hop, route, rt = self._route(subnet_id, peer.ip, label, RETURN)
        if route is None or route.State == "blackhole":
            return [hop]
        kind = target_kind(route.target)
        if kind == "igw":
            attached = self._igw(route.target, vpc_id, rt.RouteTableId if rt else None, [subnet_id])
            attached.direction = RETURN
            return [hop, attached]
        hop.status = FAIL
        hop.detail += (
            f": replies leave through {route.target}, not the internet gateway that "
            "received the request, so the connection never completes"
        )
        return [hop]

    # -- load balancers -------------------------------------------------------------------
    def _lb_front(self, lb: LoadBalancer) -> list[Hop]:
        hops = []
        state = lb.State.Code
        hops.append(
            Hop(
                step="load balancer",
                status=PASS if state == "active" else FAIL,
                where=lb.LoadBalancerName,
                detail=f"{lb.LoadBalancerName} ({lb.Type}) is {state}, scheme {lb.Scheme}",
                resources=[lb.LoadBalancerArn],
            )
        )
        return hops

    def _listener(self, lb: LoadBalancer) -> tuple[Hop, list[Listener]]:
        mine = [x for x in self.snapshot.Listeners if x.LoadBalancerArn == lb.LoadBalancerArn]
        if not mine and not self.snapshot.has("Listeners"):
            return Hop(
                step="listener",
                status=UNKNOWN,
                where=lb.LoadBalancerName,
                detail="no describe-listeners output in the snapshot",
            ), []
        on_port = [x for x in mine if x.Port == self.port]
        if not on_port:
            ports = ", ".join(str(x.Port) for x in sorted(mine, key=lambda x: x.Port)) or "none"
            return Hop(
                step="listener",
                status=FAIL,
                where=lb.LoadBalancerName,
                detail=f"{lb.LoadBalancerName} has no listener on port {self.port} "
                f"(listeners: {ports})",
                rule=catalogue_rule("ingress.no-https-listener")
                if self.port == 443
                and lb.Scheme == "internet-facing"
                and lb.Type == "application"
                and mine
                and not any(x.Protocol == "HTTPS" for x in mine)
                else None,
                resources=[lb.LoadBalancerArn],
            ), []
        lis = on_port[0]
        acts = ", ".join(a.Type for a in lis.DefaultActions) or "no action"
        return Hop(
            step="listener",
            status=PASS,
            where=f"{lb.LoadBalancerName}:{lis.Port}",
            detail=f"{lis.Protocol} listener on port {lis.Port}: {acts} ({lis.ListenerArn})",
            resources=[lis.ListenerArn, lb.LoadBalancerArn],
        ), on_port

    def _lb_sg(
        self,
        lb: LoadBalancer,
        dst: Endpoint,
        peer: str,
        label: str,
        groups: list[str] | None = None,
    ) -> Hop | None:
        if not lb.SecurityGroups:
            if lb.Type == "application":
                return Hop(
                    step="security group ingress",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="the load balancer's security groups are not in the snapshot",
                )
            return Hop(
                step="security group ingress",
                status=INFO,
                where=lb.LoadBalancerName,
                detail=f"{lb.Type} load balancer without security groups: nothing to check",
            )
        named = None
        if lb.Scheme == "internet-facing" and self.proto == "6" and self._is_internet(peer):
            has_listener = any(
                x.LoadBalancerArn == lb.LoadBalancerArn and x.Port == self.port
                for x in self.snapshot.Listeners
            )
            lb_groups = [self.topo.sgs[g] for g in lb.SecurityGroups if g in self.topo.sgs]
            open_port = any(sg_match(lb_groups, True, "6", self.port, src) for src in OPEN_SOURCES)
            if has_listener and lb_groups and not open_port:
                named = "ingress.lb-sg-blocks-listener"
        return self._sg(
            dst,
            True,
            peer,
            label,
            groups,
            rule=named,
            ties=[lb.LoadBalancerArn, *lb.SecurityGroups],
        )

    def _internet_to_lb(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        lb = dst.lb
        assert lb is not None
        label = src.label if src.ip else "the internet"
        hops = self._lb_front(lb)
        if lb.Scheme != "internet-facing":
            hops.append(
                Hop(
                    step="scheme",
                    status=FAIL,
                    where=lb.LoadBalancerName,
                    detail=f"{lb.LoadBalancerName} is {lb.Scheme}: it has no public address",
                    resources=[lb.LoadBalancerArn],
                )
            )
            return hops
        lis_hop, listeners = self._listener(lb)
        hops.append(lis_hop)
        sg = self._lb_sg(lb, dst, src.peer, label)
        if sg:
            hops.append(sg)
        # The load balancer's subnets: at least one must be public with ACLs that let the
        # request in and the reply out.
        tries = []
        for sid in lb.subnet_ids:
            sub_hops = []
            role = self.topo.role(sid)
            sub_hops.append(self._acl(sid, False, src.peer, label))
            sub_hops.append(self._acl_reply(sid, True, src.peer, label))
            sub_hops += self._reply_to_internet(sid, lb.VpcId or "", src)
            tries.append((sid, role, sub_hops))
        if not tries:
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="the load balancer lists no subnets in the snapshot",
                )
            )
            return hops
        good = [t for t in tries if verdict_of(t[2]) == "reachable"]
        roles = ", ".join(f"{subnet_label(self.topo, s)}: {r}" for s, r, _ in tries)
        if good:
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=PASS,
                    where=lb.LoadBalancerName,
                    detail=f"{len(good)} of {len(tries)} subnets take the request "
                    f"({roles}); following {good[0][0]}",
                )
            )
            chosen = good
        else:
            public = [t for t in tries if t[1] == "public"]
            rule = None if public else catalogue_rule("ingress.lb-in-private-subnets")
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=FAIL if not public else INFO,
                    where=lb.LoadBalancerName,
                    detail=f"no subnet of the load balancer takes the request ({roles})",
                    rule=rule,
                    resources=[lb.LoadBalancerArn],
                )
            )
            shown = public[0] if public else tries[0]
            hops += shown[2]
            return hops
        targets = self._lb_targets(lb, listeners[0], [t[0] for t in chosen]) if listeners else []
        return hops + _in_order(chosen[0][2], targets)

    def _vpc_to_lb(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        lb = dst.lb
        assert lb is not None
        hops = self._state(src) + self._lb_front(lb)
        if lb.Scheme == "internet-facing":
            hops.append(
                Hop(
                    step="scheme",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="from inside the VPC an internet-facing load balancer is "
                    "reached through its public addresses (out through NAT or the "
                    "internet gateway and back in): not analysed",
                )
            )
            return hops
        if not src.subnet_id or not src.ip:
            return hops + [
                Hop(
                    step="source",
                    status=UNKNOWN,
                    where=src.id,
                    detail=f"{src.label} has no subnet or address in the snapshot",
                )
            ]
        lis_hop, listeners = self._listener(lb)
        hops.append(lis_hop)
        tries = []
        for sid in lb.subnet_ids:
            sub = self.topo.subnets.get(sid)
            if sub is None:
                continue
            node = Endpoint(
                LB,
                lb.LoadBalancerArn,
                f"{lb.LoadBalancerName} in {sid}",
                vpc_id=lb.VpcId,
                subnet_id=sid,
                ip=sub.CidrBlock,
                group_ids=list(lb.SecurityGroups),
            )
            sub_hops = [self._sg(src, False, sub.CidrBlock, node.label, node.group_ids)]
            if sid != src.subnet_id:
                sub_hops.append(self._acl(src.subnet_id, True, sub.CidrBlock, node.label))
                r_hop, route, _ = self._route(src.subnet_id, sub.CidrBlock, node.label)
                sub_hops.append(r_hop)
                if route is not None and target_kind(route.target) != "local":
                    r_hop.status = UNKNOWN
                    r_hop.detail += ": not delivered locally, not analysed"
                sub_hops.append(self._acl(sid, False, src.ip, src.label))
            sg = self._lb_sg(lb, node, src.ip, src.label, src.group_ids)
            if sg:
                sub_hops.append(sg)
            if sid != src.subnet_id:
                sub_hops.append(self._acl_reply(sid, True, src.ip, src.label))
                sub_hops.append(self._acl_reply(src.subnet_id, False, sub.CidrBlock, node.label))
            tries.append((sid, sub_hops))
        if not tries:
            return hops + [
                Hop(
                    step="load balancer subnets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="none of the load balancer's subnets is in the snapshot",
                )
            ]
        good = [t for t in tries if verdict_of(t[1]) == "reachable"]
        if not good:
            return hops + tries[0][1]
        targets = self._lb_targets(lb, listeners[0], [t[0] for t in good]) if listeners else []
        return hops + _in_order(good[0][1], targets)

    def _lb_targets(self, lb: LoadBalancer, listener: Listener, lb_subnets: list[str]) -> list[Hop]:
        actions = listener.DefaultActions
        fwd = [a for a in actions if a.Type == "forward"]
        if not fwd:
            kinds = ", ".join(a.Type for a in actions) or "none"
            return [
                Hop(
                    step="listener action",
                    status=INFO,
                    where=listener.ListenerArn,
                    detail=f"the listener answers itself ({kinds}); no target is involved",
                )
            ]
        arns = [arn for a in fwd for arn in a.target_group_arns()]
        tgs = {t.TargetGroupArn: t for t in self.snapshot.TargetGroups}
        attempts: list[tuple[str, list[Hop]]] = []
        summary: list[str] = []
        for arn in arns:
            tg = tgs.get(arn)
            if tg is None:
                return [
                    Hop(
                        step="target group",
                        status=UNKNOWN,
                        where=arn,
                        detail=f"target group {arn} is not in the snapshot",
                    )
                ]
            if arn not in self.snapshot.TargetHealth:
                return [
                    Hop(
                        step="target group",
                        status=UNKNOWN,
                        where=tg.TargetGroupName,
                        detail=f"no describe-target-health output for {tg.TargetGroupName}: "
                        "its targets are unknown",
                    )
                ]
            descs = self.snapshot.TargetHealth[arn]
            if not descs:
                return [
                    Hop(
                        step="target group",
                        status=FAIL,
                        where=tg.TargetGroupName,
                        detail=f"{tg.TargetGroupName} has no registered targets",
                        resources=[arn],
                    )
                ]
            for d in descs:
                tport = d.Target.Port or tg.Port or self.port
                tid = d.Target.Id
                try:
                    target = self.resolver.resolve(tid)
                except UserError:
                    summary.append(f"{tid}: not in the snapshot")
                    continue
                for sid in lb_subnets:
                    attempts.append((tid, self._lb_to_target(lb, tg, sid, target, tport, d)))
                ok = any(verdict_of(h) == "reachable" for t, h in attempts if t == tid)
                summary.append(
                    f"{tid}: {'reachable' if ok else 'not reachable'}, {d.TargetHealth.State}"
                )
        if not attempts:
            return [
                Hop(
                    step="targets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="; ".join(summary) or "no target could be resolved",
                )
            ]
        good = [a for a in attempts if verdict_of(a[1]) == "reachable"]
        best = good[0] if good else attempts[0]
        head = Hop(
            step="targets",
            status=PASS if good else INFO,
            where=lb.LoadBalancerName,
            detail="; ".join(summary) + f" (following {best[0]})",
        )
        return [head] + best[1]

    def _lb_to_target(
        self,
        lb: LoadBalancer,
        tg: TargetGroup,
        lb_subnet: str,
        target: Endpoint,
        tport: int,
        desc: TargetHealthDescription,
    ) -> list[Hop]:
        sub = self.topo.subnets.get(lb_subnet)
        lb_cidr = sub.CidrBlock if sub else INTERNET_V4
        lb_label = f"{lb.LoadBalancerName} nodes in {lb_subnet} ({lb_cidr})"
        hops = self._state(target)
        st = desc.TargetHealth.State
        reason = (
            f" ({desc.TargetHealth.Reason}: {desc.TargetHealth.Description})"
            if desc.TargetHealth.Reason
            else ""
        )
        status = PASS if st == "healthy" else UNKNOWN if st in ("initial", "unavailable") else FAIL
        hops.append(
            Hop(
                step="target health",
                status=status,
                where=tg.TargetGroupName,
                detail=f"{target.id} in {tg.TargetGroupName} is {st}{reason}",
                rule=catalogue_rule("ingress.targets-unhealthy")
                if st in ("unhealthy", "unused")
                else None,
                resources=[tg.TargetGroupArn],
            )
        )
        if not target.subnet_id or not target.ip:
            hops.append(
                Hop(
                    step="target",
                    status=UNKNOWN,
                    where=target.id,
                    detail=f"{target.label} has no subnet or address in the snapshot",
                )
            )
            return hops
        t_label = f"{target.label} port {tport}"
        if target.subnet_id != lb_subnet:
            hops.append(self._acl(lb_subnet, True, target.ip, t_label, tport))
            r_hop, route, _ = self._route(lb_subnet, target.ip, target.label)
            if route is not None and target_kind(route.target) != "local":
                r_hop.status = UNKNOWN
                r_hop.detail += ": not delivered locally, not analysed"
            hops.append(r_hop)
            hops.append(self._acl(target.subnet_id, False, lb_cidr, lb_label, tport))
        sg = self._sg(
            target,
            True,
            lb_cidr,
            lb_label,
            list(lb.SecurityGroups),
            tport,
            rule="ingress.target-sg-blocks-lb"
            if target.kind == INSTANCE and tg.TargetType == "instance" and target.state == "running"
            else None,
            ties=[tg.TargetGroupArn, target.id],
        )
        hops.append(sg)
        if target.subnet_id != lb_subnet:
            hops.append(self._acl_reply(target.subnet_id, True, lb_cidr, lb_label))
            hops.append(self._acl_reply(lb_subnet, False, target.ip, target.label))
        return hops


def _in_order(front: list[Hop], back: list[Hop]) -> list[Hop]:
    """Hops to the load balancer, then to the target, then the target's reply, then the load
    balancer's reply."""
    fwd = [h for h in front if h.direction == FORWARD]
    ret = [h for h in front if h.direction == RETURN]
    return (
        fwd
        + [h for h in back if h.direction == FORWARD]
        + [h for h in back if h.direction == RETURN]
        + ret
    )


def trace(
    snapshot: Snapshot, source: str, destination: str, port: int, protocol: str = "tcp"
) -> Trace:
    """One trace over a snapshot (builds the indexes; use :class:`Tracer` for many)."""
    return Tracer(snapshot).trace(source, destination, port, protocol)
