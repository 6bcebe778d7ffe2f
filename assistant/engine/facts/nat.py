"""NAT gateway facts: where each NAT gateway sits and what it serves."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LS, B, Fact, N, S, declare, producer
from assistant.topology import (
    DEFAULT_V4,
    DEFAULT_V6,
    UNKNOWN,
    Topology,
    subnet_label,
    target_kind,
)


@producer("nat")
def nat_facts(topo: Topology) -> Iterator[Fact]:
    for n in topo.snapshot.NatGateways:
        if n.State == "deleted":
            continue
        pairs = topo.routes_to.get(n.NatGatewayId, [])
        served_rts = sorted({rt.RouteTableId for rt, _ in pairs})
        default_rts = sorted(
            {rt.RouteTableId for rt, r in pairs if r.destination in (DEFAULT_V4, DEFAULT_V6)}
        )
        served = sorted({s for rt in served_rts for s in topo.subnets_using(rt)})
        served_azs = sorted({topo.az_of(s) for s in served} - {""})
        sub = topo.subnets.get(n.SubnetId or "")
        v = topo.view(n.SubnetId or "")
        az = sub.AvailabilityZone if sub else ""
        addr = n.NatGatewayAddresses[0] if n.NatGatewayAddresses else None
        yield {
            "rid": n.NatGatewayId,
            "nat_id": n.NatGatewayId,
            "name": n.name,
            "vpc_id": n.VpcId or (sub.VpcId if sub else ""),
            "subnet_id": n.SubnetId or "",
            "subnet_label": subnet_label(topo, n.SubnetId or ""),
            # IPv4 role: a public NAT works only through 0.0.0.0/0 to an internet gateway
            "subnet_role": topo.role_v4(n.SubnetId or ""),
            "subnet_route_table": v.route_table.RouteTableId if v and v.route_table else "",
            "subnet_default_target": v.default_target if v else "",
            "subnet_default_target_kind": target_kind(v.default_target)
            if v and v.route_table is not None
            else UNKNOWN,
            "az": az,
            "state": n.State,
            "connectivity": n.ConnectivityType,
            "public_ip": ", ".join(n.public_ips),
            "has_public_ip": bool(n.public_ips),
            "allocation_id": (addr.AllocationId or "") if addr else "",
            "served_route_tables": served_rts,
            "served_subnets": served,
            "served_count": len(served),
            "served_azs": served_azs,
            "served_az_count": len(served_azs),
            "route_count": len(pairs),
            "routes_known": topo.snapshot.has("RouteTables"),
            "default_route_tables": default_rts,
            "default_route_count": len(default_rts),
            "public_subnet_candidate": topo.public_subnet_in(n.VpcId or "", az) or "",
            "other_az_public_subnets": [
                p
                for a in served_azs
                if a != az
                and (p := topo.public_subnet_in(n.VpcId or "", a) or "")
                and topo.az_of(p) == a
            ],
            "failure": n.FailureMessage or n.FailureCode or "",
        }


declare(
    "nat",
    "One per NAT gateway not deleted: where it sits and what routes to it.",
    {
        "nat_id": (S, "the NAT gateway"),
        "name": (S, "its Name tag"),
        "vpc_id": (S, "its VPC"),
        "subnet_id": (S, "the subnet it sits in"),
        "subnet_label": (S, "that subnet for texts"),
        "subnet_role": (
            S,
            "that subnet's IPv4 role: public only through 0.0.0.0/0 to an attached internet "
            "gateway (::/0 alone does not count); unknown when not in the input",
        ),
        "subnet_route_table": (S, "that subnet's effective route table"),
        "subnet_default_target": (S, "that subnet's 0.0.0.0/0 target"),
        "subnet_default_target_kind": (S, "its kind (none; unknown without the table)"),
        "az": (S, "its AZ"),
        "state": (S, "pending/available/failed/deleting"),
        "connectivity": (S, "public / private"),
        "public_ip": (S, "its public IPs"),
        "has_public_ip": (B, "it has an Elastic IP"),
        "allocation_id": (S, "that Elastic IP's allocation"),
        "served_route_tables": (LS, "route tables with a route to it"),
        "served_subnets": (LS, "subnets using those tables"),
        "served_count": (N, "how many"),
        "served_azs": (LS, "their AZs"),
        "served_az_count": (N, "how many"),
        "route_count": (N, "routes pointing at it"),
        "routes_known": (B, "route tables were read"),
        "default_route_tables": (LS, "tables whose default route goes to it"),
        "default_route_count": (N, "how many"),
        "public_subnet_candidate": (S, "a public subnet of the VPC, same AZ preferred"),
        "other_az_public_subnets": (LS, "public subnets in the other AZs it serves"),
        "failure": (S, "its failure message or code"),
    },
)
