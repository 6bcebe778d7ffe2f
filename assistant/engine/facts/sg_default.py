"""Default security group facts: default groups that have rules and are used."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LS, B, Fact, N, S, declare, producer
from assistant.models.snapshot import IpPermission
from assistant.topology import (
    Topology,
)


def _perms_json(perms: list[IpPermission]) -> str:
    """--ip-permissions JSON for a list of permissions, as the API returned them."""
    import json

    doc = [p.model_dump(exclude_none=True) for p in perms]
    for d in doc:
        for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds"):
            if k in d and not d[k]:
                d.pop(k)
    return "'" + json.dumps(doc, separators=(",", ":")) + "'"


@producer("sg_default")
def default_sg_facts(topo: Topology) -> Iterator[Fact]:
    # Only default groups that have rules can become facts: the interfaces are read for those.
    defaults = {
        g.GroupId
        for g in topo.snapshot.SecurityGroups
        if g.GroupName == "default" and (g.IpPermissions or g.IpPermissionsEgress)
    }
    if not defaults:
        return
    eni_users: dict[str, list[str]] = {}
    nat_enis = {
        a.NetworkInterfaceId for n in topo.snapshot.NatGateways for a in n.NatGatewayAddresses
    }
    for e in topo.snapshot.NetworkInterfaces:
        hits = [g.GroupId for g in e.Groups if g.GroupId in defaults]
        if not hits:
            continue
        nat_eni = (e.Description or "").startswith("Interface for NAT Gateway")
        # A plain interface attached to nothing carries no traffic (and may be a NAT
        # gateway's that the input does not list): it does not put the group in use.
        idle = e.Attachment is None and (e.InterfaceType or "interface") == "interface"
        if e.InterfaceType == "nat_gateway" or e.NetworkInterfaceId in nat_enis or nat_eni:
            continue  # NAT gateways take no security groups (some API emulators list one)
        if idle:
            continue
        for gid in hits:
            eni_users.setdefault(gid, []).append(e.NetworkInterfaceId)
    for sg in topo.snapshot.SecurityGroups:
        if sg.GroupId not in defaults or not (sg.IpPermissions or sg.IpPermissionsEgress):
            continue
        attached = [
            i.InstanceId
            for i in topo.instances_by_group.get(sg.GroupId, [])
            if i.State.Name != "terminated"
        ]
        enis = eni_users.get(sg.GroupId, [])
        cidr_in = [r.CidrIp for p in sg.IpPermissions for r in p.IpRanges] + [
            r.CidrIpv6 for p in sg.IpPermissions for r in p.Ipv6Ranges
        ]
        if not (attached or enis or cidr_in):
            continue  # the untouched group nothing uses: no rule applies
        yield {
            "rid": sg.GroupId,
            "group_id": sg.GroupId,
            "vpc_id": sg.VpcId or "",
            "inbound_count": len(sg.IpPermissions),
            "outbound_count": len(sg.IpPermissionsEgress),
            "has_rules": bool(sg.IpPermissions or sg.IpPermissionsEgress),
            "cidr_inbound": cidr_in,
            "has_cidr_inbound": bool(cidr_in),
            "attached": attached,
            "attached_count": len(attached),
            "in_use": bool(attached or enis),
            "interfaces": enis,
            "ingress_json": _perms_json(sg.IpPermissions),
            "egress_json": _perms_json(sg.IpPermissionsEgress),
            "has_inbound": bool(sg.IpPermissions),
            "has_outbound": bool(sg.IpPermissionsEgress),
        }


declare(
    "sg_default",
    "One per default security group that has rules and is used or open to addresses.",
    {
        "group_id": (S, "the default group"),
        "vpc_id": (S, "its VPC"),
        "inbound_count": (N, "its inbound rules"),
        "outbound_count": (N, "its outbound rules"),
        "has_rules": (B, "it has any rule"),
        "cidr_inbound": (LS, "address ranges it lets in"),
        "has_cidr_inbound": (B, "it lets some address range in"),
        "attached": (LS, "instances using it"),
        "attached_count": (N, "how many"),
        "in_use": (B, "instances or interfaces use it"),
        "interfaces": (LS, "interfaces using it"),
        "ingress_json": (S, "its inbound rules as --ip-permissions JSON"),
        "egress_json": (S, "its outbound rules as --ip-permissions JSON"),
        "has_inbound": (B, "it has inbound rules"),
        "has_outbound": (B, "it has outbound rules"),
    },
)
