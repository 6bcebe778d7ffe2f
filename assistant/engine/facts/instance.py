"""Instance facts: instances some instance rule could apply to."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LN, LS, B, Fact, S, declare, producer
from assistant.engine.facts._common import _public_lb_refs, _WebOpen
from assistant.models.snapshot import Address, Instance
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
    lb_refs: dict[str, Fact] = {}  # per VPC, what fix steps name of its load balancers
    # Groups that accept web ports from the internet (an instance is decided by its groups).
    web_groups = {g for g in topo.sgs if web.ports([g])}
    for sid, digests in topo.digests_by_subnet.items():
        role = topo.role(sid)
        for d in digests:
            if not d.public and role != PUBLIC:
                # Only instances open to the web matter in a private subnet (nobody reaches
                # them).
                if not d.running or role not in (PRIVATE, ISOLATED):
                    continue
                if not web_groups or web_groups.isdisjoint(d.groups):
                    continue
            yield _fact(
                topo,
                d.inst,
                sid,
                role,
                web.ports(d.groups),
                eips,
                lb_subnets_by_vpc,
                lb_refs,
                targets_known,
            )


def _fact(
    topo: Topology,
    inst: Instance,
    sid: str,
    role: str,
    web_ports: list[int],
    eips: dict[str, Address],
    lb_subnets_by_vpc: dict[str, list[str]],
    lb_refs: dict[str, Fact],
    targets_known: bool,
) -> Fact:
    """The fact of one instance an instance rule could apply to."""
    ips = inst.public_ips
    eip = eips.get(inst.InstanceId)
    tgs = topo.lb_targets.get(inst.InstanceId, [])
    vpc = inst.VpcId or ""
    if vpc not in lb_refs:
        lb_refs[vpc] = _public_lb_refs(topo, vpc)
    return {
        "rid": inst.InstanceId,
        "instance_id": inst.InstanceId,
        "name": inst.name,
        "vpc_id": inst.VpcId or "",
        "subnet_id": sid,
        "subnet_label": subnet_label(topo, sid),
        "subnet_role": role,
        "public_ip": ", ".join(ips),
        "has_public_ip": bool(ips),
        "elastic_ip": bool(eip),
        "allocation_id": (eip.AllocationId or "") if eip else "",
        "association_id": (eip.AssociationId or "") if eip else "",
        "eni_id": inst.NetworkInterfaces[0].NetworkInterfaceId if inst.NetworkInterfaces else "",
        "backend": looks_backend(inst),
        "groups": topo.groups_of[inst.InstanceId],
        "state": inst.State.Name,
        "running": inst.State.Name == "running",
        "az": topo.az_of(sid),
        "lb_target": bool(tgs),
        "targets_known": targets_known,
        "has_ipv6": bool(inst.ipv6_addresses),
        "target_groups": tgs,
        "web_open": bool(web_ports),
        "web_ports": web_ports,
        "public_subnet_candidate": topo.public_subnet_in(vpc, topo.az_of(sid)) or "",
        "public_lb_subnets": sorted(set(lb_subnets_by_vpc.get(inst.VpcId or "", []))),
        **lb_refs[vpc],
        "first_group": (topo.groups_of[inst.InstanceId] or [""])[0],
        "private_subnet_ref": topo.subnets_by_az(vpc, PRIVATE).get(topo.az_of(sid))
        or f"<your private subnet id in {topo.az_of(sid) or 'its AZ'}>",
    }


declare(
    "instance",
    "One per instance an instance rule could apply to (public IP, public subnet, or web-open).",
    {
        "instance_id": (S, "the instance"),
        "name": (S, "its Name tag"),
        "vpc_id": (S, "its VPC"),
        "subnet_id": (S, "its subnet"),
        "subnet_label": (S, "that subnet for texts"),
        "subnet_role": (S, "that subnet's role (see subnet.role)"),
        "public_ip": (S, "its public IPs"),
        "has_public_ip": (B, "it has a public IPv4"),
        "elastic_ip": (B, "that IP is an Elastic IP"),
        "allocation_id": (S, "the Elastic IP's allocation"),
        "association_id": (S, "the Elastic IP's association"),
        "eni_id": (S, "its primary network interface"),
        "backend": (B, "its tags say app/db/backend/api/worker (whole words)"),
        "groups": (LS, "its security groups"),
        "state": (S, "running / stopped / ..."),
        "running": (B, "state is running"),
        "az": (S, "its AZ"),
        "lb_target": (B, "it is registered in a target group"),
        "targets_known": (B, "every target group's health (its targets) was read"),
        "has_ipv6": (B, "it has IPv6 addresses"),
        "target_groups": (LS, "the target groups it is registered in"),
        "web_open": (B, "its groups accept 80 or 443 from the internet"),
        "web_ports": (LN, "those ports"),
        "public_subnet_candidate": (S, "a public subnet of its VPC, same AZ preferred"),
        "public_lb_subnets": (LS, "subnets of internet-facing load balancers in its VPC"),
        "public_lb_arn": (S, "an internet-facing load balancer of its VPC"),
        "lb_group_ref": (S, "that load balancer's security group, or a placeholder"),
        "public_subnets_by_az": (S, "one public subnet per AZ (space-separated), or a placeholder"),
        "first_group": (S, "its first security group"),
        "private_subnet_ref": (S, "a private subnet in its AZ, or a placeholder"),
    },
)
