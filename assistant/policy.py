"""How network ACLs and security groups decide, shared by the rules' facts and the trace.

Network ACLs are stateless: entries are evaluated in rule-number order and the first entry
that matches the protocol, port and address decides, down to the final ``*`` deny (entry
32767). Security groups are stateful and only allow: traffic passes when any rule of any of
the interface's groups matches.

One protocol-aware matcher decides whether a rule (a security group permission or an ACL
entry) applies to some traffic, for both: :func:`rule_covers` (with :func:`permission_covers`
and :func:`entry_covers` for the two rule shapes). Ports apply to TCP (6) and UDP (17) only;
ICMP (1) and ICMPv6 (58) rules carry a type and code (in a security group: FromPort = type,
ToPort = code; in an ACL: IcmpTypeCode), never ports; ``-1`` is every protocol, port, type.
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


PORT_PROTOCOLS = ("6", "17")
ICMP_PROTOCOLS = ("1", "58")


def proto_number(protocol: str | int) -> str:
    """'tcp' / 'TCP' / 6 / '6' -> '6'; 'all' / -1 -> '-1'."""
    p = str(protocol).lower()
    return PROTO_NUMBERS.get(p, p)


def _any(v: int | None) -> bool:
    return v is None or v == -1


def ports_of(protocol: str | int, from_port: int | None, to_port: int | None):
    """The TCP/UDP destination ports a rule applies to, as ``(lo, hi)``.

    ``(0, 65535)`` for protocol ``-1`` or missing/-1 ports; ``None`` when ports do not apply
    to the protocol (ICMP type/code, GRE, ...): such a rule opens no port at all.
    """
    proto = proto_number(protocol)
    if proto == ALL:
        return (0, 65535)
    if proto not in PORT_PROTOCOLS:
        return None
    lo = 0 if _any(from_port) else int(from_port)  # type: ignore[arg-type]
    hi = 65535 if _any(to_port) else int(to_port)  # type: ignore[arg-type]
    return (lo, hi)


def rule_covers(
    rule_protocol: str | int,
    rule_from: int | None,
    rule_to: int | None,
    protocol: str | int,
    port: int | None = None,
    icmp: tuple[int, int] | None = None,
) -> bool:
    """Whether a rule applies to traffic: the one protocol-aware match for SGs and ACLs.

    The rule is ``rule_protocol`` with ``rule_from``/``rule_to``: the TCP/UDP port range, or
    for ICMP/ICMPv6 the type and code (-1 or None: any). The traffic is ``protocol`` with a
    destination ``port`` (TCP/UDP; None: some port) or ``icmp`` = (type, code) (None: some
    ICMP). ``-1`` as the rule's protocol covers everything; a rule of one protocol never
    covers another (UDP 22 is not SSH, ICMP echo opens no port). Protocols without ports or
    types (e.g. GRE) match on the protocol alone.
    """
    rp, tp = proto_number(rule_protocol), proto_number(protocol)
    if rp == ALL:
        return True
    if rp != tp:
        return False
    if rp in PORT_PROTOCOLS:
        if port is None:
            return True
        lo, hi = ports_of(rp, rule_from, rule_to)  # type: ignore[misc]
        return lo <= port <= hi
    if rp in ICMP_PROTOCOLS:
        if icmp is None or _any(rule_from):
            return True
        return rule_from == icmp[0] and (_any(rule_to) or rule_to == icmp[1])
    return True


def permission_covers(
    p: IpPermission,
    protocol: str | int,
    port: int | None = None,
    icmp: tuple[int, int] | None = None,
) -> bool:
    """:func:`rule_covers` for a security group permission (FromPort/ToPort)."""
    return rule_covers(p.IpProtocol, p.FromPort, p.ToPort, protocol, port, icmp)


def entry_covers(
    e: NetworkAclEntry,
    protocol: str | int,
    port: int | None = None,
    icmp: tuple[int, int] | None = None,
) -> bool:
    """:func:`rule_covers` for a network ACL entry (PortRange, or IcmpTypeCode for ICMP)."""
    if proto_number(e.Protocol) in ICMP_PROTOCOLS:
        tc = e.IcmpTypeCode
        lo, hi = (tc.Type, tc.Code) if tc is not None else (None, None)
    else:
        lo = e.PortRange.From if e.PortRange else None
        hi = e.PortRange.To if e.PortRange else None
    return rule_covers(e.Protocol, lo, hi, protocol, port, icmp)


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
    acl: NetworkAcl,
    egress: bool,
    protocol: str,
    lo: int,
    hi: int,
    peer: str = INTERNET_V4,
    icmp: tuple[int, int] | None = None,
) -> list[AclSegment]:
    """How the ACL decides each part of a port range for traffic to/from ``peer``.

    For ICMP traffic the range is ignored and ``icmp`` = (type, code) selects the entries.
    """
    proto = proto_number(protocol)
    undecided = [(lo, hi)]
    out: list[AclSegment] = []
    for e in sorted((e for e in acl.Entries if e.Egress == egress), key=lambda e: e.RuleNumber):
        if not entry_covers(e, proto, None, icmp):
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
    acl: NetworkAcl,
    egress: bool,
    protocol: str,
    port: int,
    peer: str = INTERNET_V4,
    icmp: tuple[int, int] | None = None,
) -> AclSegment:
    """The segment (entry) that decides one port (or, for ICMP, one type and code)."""
    return acl_segments(acl, egress, protocol, port, port, peer, icmp)[0]


def acl_blocked(
    acl: NetworkAcl,
    egress: bool,
    protocol: str,
    lo: int,
    hi: int,
    peer: str = INTERNET_V4,
    icmp: tuple[int, int] | None = None,
) -> list[AclSegment]:
    """The parts of a port range the ACL does not allow (empty: all allowed)."""
    return [s for s in acl_segments(acl, egress, protocol, lo, hi, peer, icmp) if not s.allowed]


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
    icmp: tuple[int, int] | None = None,
) -> SgMatch | None:
    """The first rule of any group that allows the traffic, or None (denied).

    ``port`` is the TCP/UDP destination port (ignored for other protocols); ``icmp`` is the
    (type, code) of ICMP traffic (None: any).
    """
    proto = proto_number(protocol)
    for g in groups:
        for p in g.IpPermissions if inbound else g.IpPermissionsEgress:
            if not permission_covers(p, proto, port, icmp):
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
