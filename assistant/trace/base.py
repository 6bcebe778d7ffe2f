"""What the hop modules share: the catalogue rules a hop may name, constants, helpers."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from assistant.models.snapshot import (
    IpPermission,
    Route,
    Snapshot,
)
from assistant.policy import (
    INTERNET_V4,
    INTERNET_V6,
    PROTO_NAMES,
    proto_number,
)
from assistant.topology import (
    Topology,
)
from assistant.trace.endpoints import (
    Resolver,
)

ADMIN_PORTS = (22, 3389)
NOT_FOLLOWED = {
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
        "peering.missing-return-route",
        "peering.not-active",
        "sg.no-egress",
        "tgw.attachment-not-associated",
        "tgw.blackhole-route",
        "tgw.no-attachment-in-az",
        "tgw.no-default-route",
        "tgw.no-return-route",
        "tgw.no-route-to-destination",
        "vpn.all-tunnels-down",
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


def perm_text(p: IpPermission, inbound: bool) -> str:
    """One security group rule as ``tcp 8080 from sg-0abc``."""
    proto = PROTO_NAMES.get(proto_number(p.IpProtocol), p.IpProtocol)
    lo, hi = p.port_range()
    ports = "all ports" if (lo, hi) == (0, 65535) else str(lo) if lo == hi else f"{lo}-{hi}"
    if proto_number(p.IpProtocol) in ("1", "58"):
        ports = "all types" if p.FromPort in (None, -1) else f"type {p.FromPort}"
    elif proto_number(p.IpProtocol) == "-1":
        proto, ports = "all traffic", ""
    elif proto_number(p.IpProtocol) not in ("6", "17"):
        ports = ""
    peers = [r.CidrIp for r in p.IpRanges] + [r.CidrIpv6 for r in p.Ipv6Ranges]
    peers += [u.GroupId or "" for u in p.UserIdGroupPairs]
    peers += [x.PrefixListId for x in p.PrefixListIds]
    what = f"{proto} {ports}" if ports else proto
    return f"{what} {'from' if inbound else 'to'} {', '.join(peers) or 'nothing'}"


def ports_text(lo: int, hi: int) -> str:
    return f"port {lo}" if lo == hi else f"ports {lo}-{hi}"


class HopBase:
    """What every hop module reads: the snapshot, its indexes and the flow being traced."""

    snapshot: Snapshot
    topo: Topology
    resolver: Resolver
    proto: str
    proto_name: str
    port: int
    icmp: tuple[int, int] | None = None  # (type, code) of ICMP traffic
    _rt_nets: dict[str, list[tuple[ipaddress.IPv4Network, Route]]]
    _served: dict[str, set[int]]


# ICMP queries and their replies (RFC 792): echo, timestamp, information, address mask.
ICMP_REPLIES = {8: 0, 13: 14, 15: 16, 17: 18}
ICMP_NAMES = {0: "echo reply", 8: "echo", 13: "timestamp", 14: "timestamp reply"}
NAT_PROTOCOLS = ("6", "17", "1")  # what a NAT gateway translates: TCP, UDP, ICMP


def flow_text(proto: str, port: int, icmp: tuple[int, int] | None = None) -> str:
    """'tcp 443', 'icmp echo (type 8)', 'protocol 47 (gre)', 'all traffic'."""
    if proto in ("6", "17"):
        return f"{PROTO_NAMES[proto]} {port}"
    if proto == "1":
        t = icmp[0] if icmp else port
        name = ICMP_NAMES.get(t)
        return f"icmp {name} (type {t})" if name else f"icmp type {t}"
    if proto == "-1":
        return "all traffic"
    name = OTHER_PROTOCOLS.get(proto)
    return f"protocol {proto}" + (f" ({name})" if name else "")


OTHER_PROTOCOLS = {"47": "gre", "50": "esp", "51": "ah", "132": "sctp", "4": "ipip"}
