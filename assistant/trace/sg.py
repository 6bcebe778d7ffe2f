"""Security group hops: stateful, checked on the request only."""

from __future__ import annotations

from assistant.models.snapshot import (
    SecurityGroup,
)
from assistant.policy import (
    ALL,
    SgMatch,
    proto_number,
    sg_match,
)
from assistant.topology import (
    PRIVATE,
    PUBLIC,
)
from assistant.trace.base import (
    ADMIN_PORTS,
    OPEN_SOURCES,
    WEB_PORTS,
    HopBase,
    catalogue_rule,
    flow_text,
    perm_text,
)
from assistant.trace.endpoints import (
    INSTANCE,
    Endpoint,
)
from assistant.trace.model import (
    FAIL,
    PASS,
    UNKNOWN,
    Hop,
)


class SecurityGroupHops(HopBase):
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
        m = sg_match(groups, inbound, self.proto, port, peer, peer_groups or (), self.icmp)
        if m is not None:
            hop = Hop(
                step=step,
                status=PASS,
                where=m.group.GroupId,
                detail=m.describe(inbound)
                if self.proto in ("6", "17")
                else _match_text(m, inbound),
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
                f"no rule of {', '.join(ids)} allows {flow_text(self.proto, port, self.icmp)} "
                f"{'from' if inbound else 'to'} {peer_label}"
            )
            present = [
                perm_text(p, inbound)
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
        if proto not in ("6", "17") or self.proto not in ("6", "17"):
            return None
        if port in ADMIN_PORTS:
            return catalogue_rule("exposure.sg-open-admin-port")
        if proto == "6" and port in DB_PORTS:
            return catalogue_rule("exposure.sg-open-database-port")
        return None

    def _open_webports_text(self, group_ids: list[str]) -> set[int]:
        """The web ports (80, 443) these groups accept from anywhere on the internet."""
        groups = [self.topo.sgs[g] for g in group_ids if g in self.topo.sgs]
        return {
            p for p in WEB_PORTS if any(sg_match(groups, True, "6", p, src) for src in OPEN_SOURCES)
        }

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


def _match_text(m: SgMatch, inbound: bool) -> str:
    """The group rule that lets ICMP or another portless protocol through, with its peer."""
    what = perm_text(m.permission, inbound).rsplit(" from " if inbound else " to ", 1)[0]
    return (
        f"{m.group.GroupId} ({m.group.GroupName}) {'inbound' if inbound else 'outbound'}: "
        f"allow {what} {'from' if inbound else 'to'} {m.source}"
    )
