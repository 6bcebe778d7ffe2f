"""Facts: what the rules match on, derived from a snapshot through its topology.

Each producer turns part of the topology into flat facts with a ``kind``. Facts carry what the
rules test (roles, states, counts) and what the texts need (ids, names, candidate fixes).
Only what some rule needs is asserted: an instance becomes a fact only where an instance
rule could apply (it has a public IP, or sits in a public subnet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from assistant.models.snapshot import IpPermission
from assistant.topology import (
    DEFAULT_V4,
    PUBLIC,
    Topology,
    looks_backend,
    subnet_label,
    target_kind,
)

Fact = dict[str, Any]
Producer = Callable[[Topology], Iterable[Fact]]
PRODUCERS: dict[str, Producer] = {}

TARGET_FLAGS = {
    "igw": "--gateway-id",
    "vgw": "--gateway-id",
    "vpce": "--vpc-endpoint-id",
    "eigw": "--egress-only-internet-gateway-id",
    "nat": "--nat-gateway-id",
    "tgw": "--transit-gateway-id",
    "pcx": "--vpc-peering-connection-id",
    "instance": "--instance-id",
    "eni": "--network-interface-id",
    "lgw": "--local-gateway-id",
    "cagw": "--carrier-gateway-id",
}
PROTOCOLS = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def producer(kind: str) -> Callable[[Producer], Producer]:
    """Register a fact producer for ``kind``."""

    def deco(fn: Producer) -> Producer:
        PRODUCERS[kind] = fn
        return fn

    return deco


def facts_for(topo: Topology, kinds: Iterable[str] | None = None) -> Iterator[Fact]:
    """All facts of the given kinds (default: every registered kind)."""
    for kind in kinds or PRODUCERS:
        for fact in PRODUCERS[kind](topo):
            fact["kind"] = kind
            yield fact


def _dest_flag(dest: str) -> str:
    if dest.startswith("pl-"):
        return "--destination-prefix-list-id"
    return "--destination-ipv6-cidr-block" if ":" in dest else "--destination-cidr-block"


def _name(resource) -> str:
    return resource.name if resource is not None else ""


@producer("subnet")
def subnet_facts(topo: Topology) -> Iterator[Fact]:
    vpcs_with_nat = {n.VpcId for n in topo.snapshot.NatGateways if n.State == "available"}
    for sid, v in topo.views.items():
        s = v.subnet
        insts = [i for i in topo.instances_by_subnet.get(sid, []) if i.State.Name == "running"]
        no_pub = [i.InstanceId for i in insts if not i.public_ips]
        has_nat = s.VpcId in vpcs_with_nat
        intent = v.intent
        needs_internet = intent == "private" or (
            has_nat and intent not in ("isolated", "public") and bool(insts)
        )
        target = v.default_target
        yield {
            "rid": sid,
            "subnet_id": sid,
            "vpc_id": s.VpcId,
            "name": s.name,
            "label": subnet_label(topo, sid),
            "az": s.AvailabilityZone,
            "cidr": s.CidrBlock,
            "role": v.role,
            "intent": intent,
            "route_table_id": v.route_table.RouteTableId if v.route_table else "",
            "rt_explicit": v.explicit,
            "default_target": target,
            "default_target_kind": target_kind(target),
            "default_route_state": v.default_route.State if v.default_route else "",
            "vpc_has_nat": has_nat,
            "needs_internet": needs_internet,
            "instance_count": len(insts),
            "no_public_ip_count": len(no_pub),
            "no_public_ip_instances": no_pub,
            "map_public_ip": s.MapPublicIpOnLaunch,
            "nat_candidate": topo.nat_in(s.VpcId, s.AvailabilityZone) or "",
            "public_subnet_candidate": topo.public_subnet_in(s.VpcId, s.AvailabilityZone) or "",
            "igw_id": topo.attached_igw(s.VpcId) or "",
        }


def _target_state(topo: Topology, target: str, kind: str, vpc_id: str) -> str:
    """available/pending/failed/deleting/deleted, attached/detached, gone, or unknown."""
    if kind == "nat":
        nat = topo.nats.get(target)
        if nat is None:
            return "gone" if topo.snapshot.has("NatGateways") else "unknown"
        return "gone" if nat.State == "deleted" else nat.State
    if kind == "igw":
        attached = topo.igw_attached(target, vpc_id)
        if attached is None:
            return "unknown"
        if target not in topo.igws:
            return "gone"
        return "attached" if attached else "detached"
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None:
            return "gone" if topo.snapshot.has("Instances") else "unknown"
        return "gone" if inst.State.Name == "terminated" else inst.State.Name
    return "unknown"


@producer("route")
def route_facts(topo: Topology) -> Iterator[Fact]:
    for rt in topo.snapshot.RouteTables:
        users = topo.subnets_using(rt.RouteTableId)
        for r in rt.Routes:
            target = r.target
            if not target or target == "local":
                continue
            kind = target_kind(target)
            dest = r.destination
            first = topo.subnets.get(users[0]) if users else None
            yield {
                "rid": f"{rt.RouteTableId}:{dest}",
                "route_table_id": rt.RouteTableId,
                "route_table_name": rt.name,
                "is_main": rt.is_main,
                "vpc_id": rt.VpcId,
                "destination": dest,
                "dest_flag": _dest_flag(dest),
                "is_default": dest in (DEFAULT_V4, "::/0"),
                "target": target,
                "target_kind": kind,
                "target_flag": TARGET_FLAGS.get(kind, "--gateway-id"),
                "state": r.State,
                "target_state": _target_state(topo, target, kind, rt.VpcId),
                "subnets": users,
                "subnet_count": len(users),
                "nat_candidate": topo.nat_in(rt.VpcId, first.AvailabilityZone if first else None)
                or "",
                "igw_id": topo.attached_igw(rt.VpcId) or "",
            }


@producer("nat")
def nat_facts(topo: Topology) -> Iterator[Fact]:
    for n in topo.snapshot.NatGateways:
        if n.State == "deleted":
            continue
        served_rts = sorted({rt.RouteTableId for rt, _ in topo.routes_to.get(n.NatGatewayId, [])})
        served = sorted({s for rt in served_rts for s in topo.subnets_using(rt)})
        sub = topo.subnets.get(n.SubnetId or "")
        az = sub.AvailabilityZone if sub else ""
        addr = n.NatGatewayAddresses[0] if n.NatGatewayAddresses else None
        yield {
            "rid": n.NatGatewayId,
            "nat_id": n.NatGatewayId,
            "name": n.name,
            "vpc_id": n.VpcId or (sub.VpcId if sub else ""),
            "subnet_id": n.SubnetId or "",
            "subnet_label": subnet_label(topo, n.SubnetId or ""),
            "subnet_role": topo.role(n.SubnetId or ""),
            "subnet_route_table": (
                v.route_table.RouteTableId
                if (v := topo.view(n.SubnetId or "")) and v.route_table
                else ""
            ),
            "subnet_default_target": v.default_target if v else "",
            "az": az,
            "state": n.State,
            "connectivity": n.ConnectivityType,
            "public_ip": ", ".join(n.public_ips),
            "has_public_ip": bool(n.public_ips),
            "allocation_id": (addr.AllocationId or "") if addr else "",
            "served_route_tables": served_rts,
            "served_subnets": served,
            "served_count": len(served),
            "public_subnet_candidate": topo.public_subnet_in(n.VpcId or "", az) or "",
            "failure": n.FailureMessage or n.FailureCode or "",
        }


@producer("instance")
def instance_facts(topo: Topology) -> Iterator[Fact]:
    eips = {a.InstanceId: a for a in topo.snapshot.Addresses if a.InstanceId}
    for inst in topo.snapshot.Instances:
        if inst.State.Name == "terminated" or not inst.SubnetId:
            continue
        role = topo.role(inst.SubnetId)
        ips = inst.public_ips
        if not ips and role != PUBLIC:
            continue
        eip = eips.get(inst.InstanceId)
        yield {
            "rid": inst.InstanceId,
            "instance_id": inst.InstanceId,
            "name": inst.name,
            "vpc_id": inst.VpcId or "",
            "subnet_id": inst.SubnetId,
            "subnet_label": subnet_label(topo, inst.SubnetId),
            "subnet_role": role,
            "public_ip": ", ".join(ips),
            "has_public_ip": bool(ips),
            "elastic_ip": bool(eip),
            "allocation_id": (eip.AllocationId or "") if eip else "",
            "association_id": (eip.AssociationId or "") if eip else "",
            "eni_id": inst.NetworkInterfaces[0].NetworkInterfaceId
            if inst.NetworkInterfaces
            else "",
            "backend": looks_backend(inst),
            "groups": inst.group_ids,
            "state": inst.State.Name,
        }


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


@producer("sg_open")
def sg_open_facts(topo: Topology) -> Iterator[Fact]:
    for sg in topo.snapshot.SecurityGroups:
        attached = topo.instances_by_group.get(sg.GroupId, [])
        for p in sg.IpPermissions:
            cidrs = [r.CidrIp for r in p.IpRanges if r.CidrIp in OPEN_CIDRS]
            cidrs += [r.CidrIpv6 for r in p.Ipv6Ranges if r.CidrIpv6 in OPEN_CIDRS]
            for cidr in cidrs:
                lo, hi = p.port_range()
                exposed = [
                    i.InstanceId
                    for i in attached
                    if i.public_ips and topo.role(i.SubnetId or "") == PUBLIC
                ]
                proto = PROTOCOLS.get(p.IpProtocol, p.IpProtocol)
                yield {
                    "rid": f"{sg.GroupId}:{p.IpProtocol}:{lo}-{hi}:{cidr}",
                    "group_id": sg.GroupId,
                    "group_name": sg.GroupName,
                    "vpc_id": sg.VpcId or "",
                    "protocol": p.IpProtocol,
                    "proto_name": proto,
                    "from_port": lo,
                    "to_port": hi,
                    "port_text": "all ports"
                    if (lo, hi) == (0, 65535)
                    else (f"port {lo}" if lo == hi else f"ports {lo}-{hi}"),
                    "cidr": cidr,
                    "attached_count": len(attached),
                    "attached": [i.InstanceId for i in attached],
                    "exposed_instances": exposed,
                    "reachable": bool(exposed),
                    "permission_json": _perm_json(p, cidr),
                }


@producer("lb")
def lb_facts(topo: Topology) -> Iterator[Fact]:
    for lb in topo.snapshot.LoadBalancers:
        subnets = lb.subnet_ids
        non_public = [s for s in subnets if topo.role(s) != PUBLIC]
        azs = [z.ZoneName for z in lb.AvailabilityZones]
        candidates = []
        for az in azs:
            c = topo.public_subnet_in(lb.VpcId or "", az)
            if c and c not in candidates:
                candidates.append(c)
        yield {
            "rid": lb.LoadBalancerArn,
            "lb_arn": lb.LoadBalancerArn,
            "lb_name": lb.LoadBalancerName,
            "vpc_id": lb.VpcId or "",
            "scheme": lb.Scheme,
            "lb_type": lb.Type,
            "subnets": subnets,
            "subnet_count": len(subnets),
            "non_public_subnets": non_public,
            "non_public_labels": [subnet_label(topo, s) for s in non_public],
            "non_public_count": len(non_public),
            "public_subnet_candidates": candidates,
            "groups": lb.SecurityGroups,
            "dns_name": lb.DNSName or "",
        }
