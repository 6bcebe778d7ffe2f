"""Route facts: each route to a target some rule judges, with the target's state."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import (
    LS,
    ROUTE_RULE_KINDS,
    TARGET_FLAGS,
    B,
    Fact,
    N,
    S,
    Sieve,
    declare,
    producer,
)
from assistant.engine.facts._common import (
    YOUR_PUBLIC_SUBNET,
    _dest_flag,
    _target_state,
)
from assistant.topology import (
    DEFAULT_V4,
    ISOLATED,
    PRIVATE,
    Topology,
    target_kind,
)


def _source_dest_check(topo: Topology, target: str, kind: str) -> str:
    """on / off / unknown for an instance or interface route target ('' for other targets)."""
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None or inst.SourceDestCheck is None:
            if inst is not None and inst.NetworkInterfaces:
                sdc = inst.NetworkInterfaces[0].SourceDestCheck
                if sdc is not None:
                    return "on" if sdc else "off"
            return "unknown"
        return "on" if inst.SourceDestCheck else "off"
    if kind == "eni":
        eni = topo.enis.get(target)
        if eni is None or eni.SourceDestCheck is None:
            return "unknown"
        return "on" if eni.SourceDestCheck else "off"
    return ""


def _eni_instance(topo: Topology, target: str, kind: str) -> str:
    if kind == "instance":
        return target
    if kind == "eni":
        eni = topo.enis.get(target)
        if eni is not None and eni.Attachment is not None:
            return eni.Attachment.InstanceId or ""
    return ""


@producer("route", sieved=True)
def route_facts(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """Routes to targets some rule judges. With a ``sieve``, a route's state and its target's
    are decided first, and the rest (subnets, candidates for the fixes) only if some rule
    could still match."""
    nonpublic_vpcs = {v.subnet.VpcId for v in topo.views.values() if v.role in (PRIVATE, ISOLATED)}
    for rt in topo.snapshot.RouteTables:
        is_main = rt.is_main
        nonpublic = rt.VpcId in nonpublic_vpcs
        for r in rt.Routes:
            target = r.target
            if not target or target == "local":
                continue
            kind = target_kind(target)
            if r.State != "blackhole" and kind not in ROUTE_RULE_KINDS:
                continue  # e.g. an active route to an endpoint or peering: no rule to apply
            dest = r.destination
            is_default = dest in (DEFAULT_V4, "::/0")
            target_state = _target_state(topo, target, kind, rt.VpcId)
            sdc = _source_dest_check(topo, target, kind)
            if sieve is not None and not sieve.could(
                "route",
                rid=f"{rt.RouteTableId}:{dest}",
                route_table_id=rt.RouteTableId,
                is_main=is_main,
                vpc_id=rt.VpcId,
                destination=dest,
                is_default=is_default,
                target=target,
                target_kind=kind,
                state=r.State,
                target_state=target_state,
                source_dest_check=sdc,
                vpc_has_nonpublic=nonpublic,
            ):
                continue  # no rule can match this route, whatever its other fields hold
            users = topo.subnets_using(rt.RouteTableId)
            first = topo.subnets.get(users[0]) if users else None
            implicit = [u for u in users if not topo.views[u].explicit] if is_main else []
            yield {
                "rid": f"{rt.RouteTableId}:{dest}",
                "route_table_id": rt.RouteTableId,
                "route_table_name": rt.name,
                "is_main": rt.is_main,
                "vpc_id": rt.VpcId,
                "destination": dest,
                "dest_flag": _dest_flag(dest),
                "is_default": is_default,
                "target": target,
                "target_kind": kind,
                "target_flag": TARGET_FLAGS.get(kind, "--gateway-id"),
                "state": r.State,
                "target_state": target_state,
                "subnets": users,
                "subnet_count": len(users),
                "nat_candidate": topo.nat_in(rt.VpcId, first.AvailabilityZone if first else None)
                or "",
                "igw_id": topo.attached_igw(rt.VpcId) or "",
                "source_dest_check": sdc,
                "nat_instance": _eni_instance(topo, target, kind),
                "implicit_subnets": implicit,
                "implicit_count": len(implicit),
                "vpc_has_nonpublic": rt.VpcId in nonpublic_vpcs,
                "public_subnet_ref": topo.public_subnet_in(
                    rt.VpcId, first.AvailabilityZone if first else None
                )
                or YOUR_PUBLIC_SUBNET,
            }


declare(
    "route",
    "One per route to a target some rule judges (igw, nat, instance, eni), or any blackhole.",
    {
        "route_table_id": (S, "the route table"),
        "route_table_name": (S, "its Name tag"),
        "is_main": (B, "it is its VPC's main route table"),
        "vpc_id": (S, "its VPC"),
        "destination": (S, "the route's destination (CIDR or prefix list)"),
        "dest_flag": (S, "the CLI flag for that destination"),
        "is_default": (B, "the destination is 0.0.0.0/0 or ::/0"),
        "target": (S, "the target id"),
        "target_kind": (S, "igw/nat/instance/eni/tgw/pcx/... (see subnet.default_target_kind)"),
        "target_flag": (S, "the CLI flag for that target"),
        "state": (S, "the route's own state from AWS: active / blackhole"),
        "target_state": (
            S,
            "the target's state: available/pending/failed/deleting, attached/detached, "
            "running/stopped, gone (present and deleted), unknown (absent from the input)",
        ),
        "subnets": (LS, "subnets whose effective table this is"),
        "subnet_count": (N, "how many"),
        "nat_candidate": (S, "an available public NAT gateway of the VPC"),
        "igw_id": (S, "the internet gateway attached to the VPC"),
        "source_dest_check": (S, "on/off/unknown for an instance or ENI target, else ''"),
        "nat_instance": (S, "the instance behind an instance or ENI target"),
        "implicit_subnets": (LS, "subnets using this main table implicitly"),
        "implicit_count": (N, "how many"),
        "vpc_has_nonpublic": (B, "the VPC has private or isolated subnets"),
        "public_subnet_ref": (S, "a public subnet of the VPC, or a '<your ...>' placeholder"),
    },
)
