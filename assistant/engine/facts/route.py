"""Route facts: each route to a target some rule judges, with the target's state."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import ROUTE_RULE_KINDS, TARGET_FLAGS, Fact, producer
from assistant.engine.facts._common import YOUR_PUBLIC_SUBNET, _dest_flag
from assistant.topology import (
    DEFAULT_V4,
    ISOLATED,
    PRIVATE,
    Topology,
    target_kind,
)


def _target_state(topo: Topology, target: str, kind: str, vpc_id: str) -> str:
    """available/pending/failed/deleting, attached/detached, running/stopped, gone, or unknown.

    Missing is unknown, never gone: a target absent from the input (not read, or filtered out
    of the describe output) is ``unknown``; only a target present in a deleted or terminated
    state is ``gone`` (AWS's own ``State: blackhole`` is the route's ``state``).
    """
    if kind == "nat":
        nat = topo.nats.get(target)
        if nat is None:
            return "unknown"
        return "gone" if nat.State == "deleted" else nat.State
    if kind == "igw":
        attached = topo.igw_attached(target, vpc_id)
        if attached is None:
            return "unknown"
        return "attached" if attached else "detached"
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None:
            return "unknown"
        return "gone" if inst.State.Name == "terminated" else inst.State.Name
    return "unknown"


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


@producer("route")
def route_facts(topo: Topology) -> Iterator[Fact]:
    nonpublic_vpcs = {v.subnet.VpcId for v in topo.views.values() if v.role in (PRIVATE, ISOLATED)}
    for rt in topo.snapshot.RouteTables:
        users = topo.subnets_using(rt.RouteTableId)
        for r in rt.Routes:
            target = r.target
            if not target or target == "local":
                continue
            kind = target_kind(target)
            if r.State != "blackhole" and kind not in ROUTE_RULE_KINDS:
                continue  # e.g. an active route to an endpoint or peering: no rule to apply
            dest = r.destination
            first = topo.subnets.get(users[0]) if users else None
            implicit = [u for u in users if not topo.views[u].explicit] if rt.is_main else []
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
                "source_dest_check": _source_dest_check(topo, target, kind),
                "nat_instance": _eni_instance(topo, target, kind),
                "implicit_subnets": implicit,
                "implicit_count": len(implicit),
                "vpc_has_nonpublic": rt.VpcId in nonpublic_vpcs,
                "public_subnet_ref": topo.public_subnet_in(
                    rt.VpcId, first.AvailabilityZone if first else None
                )
                or YOUR_PUBLIC_SUBNET,
            }
