"""How network ACLs and security groups decide, shared by the rules' facts and the trace.

Network ACLs are stateless: entries are evaluated in rule-number order and the first entry
that matches the protocol, port and address decides, down to the final ``*`` deny (entry
32767). Security groups are stateful and only allow: traffic passes when any rule of any of
the interface's groups matches.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from assistant.models.snapshot import IpPermission, NetworkAcl, NetworkAclEntry, SecurityGroup

ALL = "-1"
PROTO_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": ALL, "-1": ALL}
PROTO_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", ALL: "all"}
EPHEMERAL = (1024, 65535)
INTERNET_V4, INTERNET_V6 = "0.0.0.0/0", "::/0"


def proto_number(protocol: str | int) -> str:
    """'tcp' / 'TCP' / 6 / '6' -> '6'; 'all' / -1 -> '-1'."""
    p = str(protocol).lower()
    return PROTO_NUMBERS.get(p, p)


def _net(cidr: str):
    return ipaddress.ip_network(cidr, strict=False)


def covers(rule_cidr: str | None, peer: str) -> bool:
    """Whether a rule's CIDR contains every address of ``peer`` (an address or a CIDR)."""
    if not rule_cidr:
        return False
    try:
        a, b = _net(rule_cidr), _net(peer)
    except ValueError:
        return False
    return a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


def _entry_ports(e: NetworkAclEntry) -> tuple[int, int]:
    if proto_number(e.Protocol) in (ALL,) or e.PortRange is None:
        return (0, 65535)
    lo = e.PortRange.From if e.PortRange.From is not None else 0
    hi = e.PortRange.To if e.PortRange.To is not None else 65535
    return (lo, hi)


@dataclass(frozen=True)
class AclSegment:
    """A port range and the entry that decides it (None: no entry matched, so denied)."""

    lo: int
    hi: int
    entry: NetworkAclEntry | None

    @property
    def allowed(self) -> bool:
        return self.entry is not None and self.entry.RuleAction == "allow"

    def describe(self, acl_id: str) -> str:
        ports = f"{self.lo}" if self.lo == self.hi else f"{self.lo}-{self.hi}"
        if self.entry is None:
            return f"{acl_id}: no entry matches ports {ports}, so they are denied"
        e = self.entry
        num = "*" if e.RuleNumber == 32767 else str(e.RuleNumber)
        direction = "outbound" if e.Egress else "inbound"
        return (
            f"{acl_id} {direction} rule {num}: {e.RuleAction} "
            f"{_traffic_text(e.Protocol, *_entry_ports(e))} {'to' if e.Egress else 'from'} "
            f"{e.CidrBlock or e.Ipv6CidrBlock} (decides ports {ports})"
        )


def _traffic_text(protocol: str, lo: int, hi: int) -> str:
    """'all traffic', 'tcp port 443', 'udp ports 1024-65535'."""
    proto = PROTO_NAMES.get(proto_number(protocol), protocol)
    return "all traffic" if proto == "all" else f"{proto} {_ports_text(lo, hi)}"


def _ports_text(lo: int, hi: int) -> str:
    if (lo, hi) == (0, 65535):
        return "all ports"
    return f"port {lo}" if lo == hi else f"ports {lo}-{hi}"


def acl_segments(
    acl: NetworkAcl, egress: bool, protocol: str, lo: int, hi: int, peer: str = INTERNET_V4
) -> list[AclSegment]:
    """How the ACL decides each part of a port range for traffic to/from ``peer``."""
    proto = proto_number(protocol)
    undecided = [(lo, hi)]
    out: list[AclSegment] = []
    for e in sorted((e for e in acl.Entries if e.Egress == egress), key=lambda e: e.RuleNumber):
        ep = proto_number(e.Protocol)
        if ep != ALL and ep != proto:
            continue
        if not covers(e.CidrBlock or e.Ipv6CidrBlock, peer):
            continue
        elo, ehi = _entry_ports(e) if proto in ("6", "17") else (0, 65535)
        rest = []
        for a, b in undecided:
            s, t = max(a, elo), min(b, ehi)
            if s > t:
                rest.append((a, b))
                continue
            out.append(AclSegment(s, t, e))
            if a < s:
                rest.append((a, s - 1))
            if t < b:
                rest.append((t + 1, b))
        undecided = rest
        if not undecided:
            break
    out += [AclSegment(a, b, None) for a, b in undecided]
    return sorted(out, key=lambda s: s.lo)


def acl_decision(
    acl: NetworkAcl, egress: bool, protocol: str, port: int, peer: str = INTERNET_V4
) -> AclSegment:
    """The segment (entry) that decides one port."""
    return acl_segments(acl, egress, protocol, port, port, peer)[0]


def acl_blocked(
    acl: NetworkAcl, egress: bool, protocol: str, lo: int, hi: int, peer: str = INTERNET_V4
) -> list[AclSegment]:
    """The parts of a port range the ACL does not allow (empty: all allowed)."""
    return [s for s in acl_segments(acl, egress, protocol, lo, hi, peer) if not s.allowed]


@dataclass(frozen=True)
class SgMatch:
    group: SecurityGroup
    permission: IpPermission
    source: str

    def describe(self, inbound: bool = True) -> str:
        p = self.permission
        direction = "inbound" if inbound else "outbound"
        return (
            f"{self.group.GroupId} ({self.group.GroupName}) {direction}: allow "
            f"{_traffic_text(p.IpProtocol, *p.port_range())} {'from' if inbound else 'to'} "
            f"{self.source}"
        )


def sg_match(
    groups: list[SecurityGroup],
    inbound: bool,
    protocol: str,
    port: int,
    peer: str | None = None,
    peer_groups: list[str] | tuple[str, ...] = (),
) -> SgMatch | None:
    """The first rule of any group that allows the traffic, or None (denied)."""
    proto = proto_number(protocol)
    for g in groups:
        for p in g.IpPermissions if inbound else g.IpPermissionsEgress:
            pp = proto_number(p.IpProtocol)
            if pp != ALL and pp != proto:
                continue
            lo, hi = p.port_range()
            if pp in ("6", "17") and not lo <= port <= hi:
                continue
            if peer:
                for r in p.IpRanges:
                    if covers(r.CidrIp, peer):
                        return SgMatch(g, p, r.CidrIp)
                for r6 in p.Ipv6Ranges:
                    if covers(r6.CidrIpv6, peer):
                        return SgMatch(g, p, r6.CidrIpv6)
            for pair in p.UserIdGroupPairs:
                if pair.GroupId and pair.GroupId in peer_groups:
                    return SgMatch(g, p, pair.GroupId)
    return None
