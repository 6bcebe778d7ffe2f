"""Instance facts: instances some instance rule could apply to."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import Fact, producer
from assistant.engine.facts._common import _public_lb_refs, _WebOpen
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    Topology,
    looks_backend,
    subnet_label,
)


@producer("instance")
def instance_facts(topo: Topology) -> Iterator[Fact]:
    eips = {a.InstanceId: a for a in topo.snapshot.Addresses if a.InstanceId}
    web = _WebOpen(topo)
    snap = topo.snapshot
    # Registered targets are known when every target group's health was read.
    targets_known = snap.has("TargetGroups") and all(
        tg.TargetGroupArn in snap.TargetHealth for tg in snap.TargetGroups
    )
    lb_subnets_by_vpc: dict[str, list[str]] = {}
    for lb in topo.snapshot.LoadBalancers:
        if lb.Scheme == "internet-facing":
            lb_subnets_by_vpc.setdefault(lb.VpcId or "", []).extend(lb.subnet_ids)
    for inst in topo.snapshot.Instances:
        if inst.State.Name == "terminated" or not inst.SubnetId:
            continue
        role = topo.role(inst.SubnetId)
        ips = inst.public_ips
        web_ports: list[int] = []
        if not ips and role != PUBLIC:
            # Only instances open to the web matter in a private subnet (nobody reaches them).
            if inst.State.Name != "running" or role not in (PRIVATE, ISOLATED):
                continue
            web_ports = web.ports(topo.groups_of[inst.InstanceId])
            if not web_ports:
                continue
        else:
            web_ports = web.ports(topo.groups_of[inst.InstanceId])
        eip = eips.get(inst.InstanceId)
        tgs = topo.lb_targets.get(inst.InstanceId, [])
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
            "groups": topo.groups_of[inst.InstanceId],
            "state": inst.State.Name,
            "running": inst.State.Name == "running",
            "az": topo.az_of(inst.SubnetId),
            "lb_target": bool(tgs),
            "targets_known": targets_known,
            "has_ipv6": bool(inst.ipv6_addresses),
            "target_groups": tgs,
            "exposed_backend": bool(ips) and (looks_backend(inst) or bool(tgs)),
            "web_open": bool(web_ports),
            "web_ports": web_ports,
            "public_subnet_candidate": topo.public_subnet_in(
                inst.VpcId or "", topo.az_of(inst.SubnetId)
            )
            or "",
            "public_lb_subnets": sorted(set(lb_subnets_by_vpc.get(inst.VpcId or "", []))),
            **_public_lb_refs(topo, inst.VpcId or ""),
            "first_group": (topo.groups_of[inst.InstanceId] or [""])[0],
            "private_subnet_ref": next(
                (
                    v.subnet_id
                    for v in topo.views_by_vpc.get(inst.VpcId or "", [])
                    if v.role == PRIVATE and v.subnet.AvailabilityZone == topo.az_of(inst.SubnetId)
                ),
                f"<your private subnet id in {topo.az_of(inst.SubnetId) or 'its AZ'}>",
            ),
        }
