"""Open security group rules: each inbound rule open to the whole internet."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import (
    DB_PORTS,
    LN,
    LS,
    OPEN_CIDRS,
    PROTOCOLS,
    B,
    Fact,
    N,
    S,
    declare,
    producer,
)
from assistant.models.snapshot import IpPermission
from assistant.policy import (
    PROTO_NAMES,
    permission_covers,
    ports_of,
    proto_number,
)
from assistant.topology import (
    PUBLIC,
    Topology,
)


def _perm_json(p: IpPermission, cidr: str) -> str:
    """The --ip-permissions JSON that revokes exactly one open range."""
    rng = (
        f'"Ipv6Ranges":[{{"CidrIpv6":"{cidr}"}}]'
        if ":" in cidr
        else (f'"IpRanges":[{{"CidrIp":"{cidr}"}}]')
    )
    ports = ""
    if p.IpProtocol not in ("-1", "all") and p.FromPort is not None:
        ports = f',"FromPort":{p.FromPort},"ToPort":{p.ToPort}'
    return f'\'[{{"IpProtocol":"{p.IpProtocol}"{ports},{rng}}}]\''


def _rule_text(p: IpPermission, rng: tuple[int, int] | None) -> str:
    """'all ports', 'port 22', 'ports 80-90', 'ICMP type 8 code 0', 'all ICMP types'."""
    if rng is not None:
        lo, hi = rng
        if (lo, hi) == (0, 65535):
            return "all ports"
        return f"port {lo}" if lo == hi else f"ports {lo}-{hi}"
    if proto_number(p.IpProtocol) in ("1", "58"):
        if p.FromPort in (None, -1):
            return "all ICMP types"
        code = "" if p.ToPort in (None, -1) else f" code {p.ToPort}"
        return f"ICMP type {p.FromPort}{code}"
    return f"protocol {p.IpProtocol}"


@producer("sg_open")
def sg_open_facts(topo: Topology) -> Iterator[Fact]:
    for sg in topo.snapshot.SecurityGroups:
        attached = topo.instances_by_group.get(sg.GroupId, [])
        for p in sg.IpPermissions:
            cidrs = [r.CidrIp for r in p.IpRanges if r.CidrIp in OPEN_CIDRS]
            cidrs += [r.CidrIpv6 for r in p.Ipv6Ranges if r.CidrIpv6 in OPEN_CIDRS]
            for cidr in cidrs:
                rng = ports_of(p.IpProtocol, p.FromPort, p.ToPort)
                lo, hi = rng if rng is not None else (-1, -1)
                exposed = [
                    i.InstanceId
                    for i in attached
                    if i.public_ips and topo.role(i.SubnetId or "") == PUBLIC
                ]
                number = proto_number(p.IpProtocol)
                proto = PROTOCOLS.get(number, p.IpProtocol)
                all_ports = rng == (0, 65535)
                db = (
                    []
                    if all_ports
                    else [q for q in sorted(DB_PORTS) if permission_covers(p, "tcp", q)]
                )
                yield {
                    "rid": f"{sg.GroupId}:{p.IpProtocol}:{p.FromPort}-{p.ToPort}:{cidr}",
                    "group_id": sg.GroupId,
                    "group_name": sg.GroupName,
                    "vpc_id": sg.VpcId or "",
                    "protocol": p.IpProtocol,
                    "proto_name": proto,
                    "transport": PROTO_NAMES.get(number, "other"),
                    "opens_ports": rng is not None,
                    "from_port": lo,
                    "to_port": hi,
                    "port_text": _rule_text(p, rng),
                    "cidr": cidr,
                    "attached_count": len(attached),
                    "attached": [i.InstanceId for i in attached],
                    "exposed_instances": exposed,
                    "reachable": bool(exposed),
                    "permission_json": _perm_json(p, cidr),
                    "all_ports": all_ports,
                    "db_ports": db,
                    "db_port_count": len(db),
                    "db_services": [f"{q} ({DB_PORTS[q]})" for q in db],
                    "first_db_port": db[0] if db else "",
                }


declare(
    "sg_open",
    "One per inbound security group rule open to 0.0.0.0/0 or ::/0.",
    {
        "group_id": (S, "the security group"),
        "group_name": (S, "its name"),
        "vpc_id": (S, "its VPC"),
        "protocol": (S, "the rule's IpProtocol as written"),
        "proto_name": (S, "that protocol in words"),
        "transport": (S, "tcp / udp / icmp / icmpv6 / all / other"),
        "opens_ports": (B, "ports apply (TCP, UDP or all): an ICMP rule opens no port"),
        "from_port": (N, "first TCP/UDP port it opens (0 for all; -1 when no ports apply)"),
        "to_port": (N, "last TCP/UDP port it opens (65535 for all; -1 when no ports apply)"),
        "port_text": (S, "'port 22', 'all ports', 'ICMP type 8' for texts"),
        "cidr": (S, "the open range (0.0.0.0/0 or ::/0)"),
        "attached_count": (N, "instances using the group"),
        "attached": (LS, "those instances"),
        "exposed_instances": (LS, "of them, those with a public IP in a public subnet"),
        "reachable": (B, "some instance using it is reachable from the internet"),
        "permission_json": (S, "the --ip-permissions JSON that revokes exactly this range"),
        "all_ports": (B, "every port of TCP/UDP, or all traffic"),
        "db_ports": (LN, "database/cache TCP ports it opens (not when all ports)"),
        "db_port_count": (N, "how many"),
        "db_services": (LS, "those ports with their service names"),
        "first_db_port": (int | str, "the first of them ('' when none)"),
    },
)
