"""Peering facts: active peerings between two VPCs in the input, and their routes."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LS, Fact, N, S, declare, producer
from assistant.topology import (
    Topology,
)


@producer("peering")
def peering_facts(topo: Topology) -> Iterator[Fact]:
    if not topo.snapshot.has("RouteTables"):
        return
    for pcx in topo.snapshot.VpcPeeringConnections:
        if pcx.state != "active":
            continue
        req, acc = pcx.RequesterVpcInfo, pcx.AccepterVpcInfo
        if req.VpcId not in topo.vpcs or acc.VpcId not in topo.vpcs:
            continue  # the other side is in another account or region: not visible here
        sides = {}
        for me in (req, acc):
            tables = sorted(
                {
                    rt.RouteTableId
                    for rt, _ in topo.routes_to.get(pcx.VpcPeeringConnectionId, [])
                    if rt.VpcId == me.VpcId
                }
            )
            sides[me.VpcId] = tables
        req_t, acc_t = sides[req.VpcId or ""], sides[acc.VpcId or ""]
        routed, missing = (req, acc) if req_t else (acc, req)
        other = routed
        missing_tables = sorted(
            {
                v.route_table.RouteTableId
                for v in topo.views_by_vpc.get(missing.VpcId or "", [])
                if v.route_table is not None
            }
        )
        peer_cidr = other.CidrBlock or (
            topo.vpcs[other.VpcId or ""].CidrBlock if other.VpcId in topo.vpcs else ""
        )
        yield {
            "rid": pcx.VpcPeeringConnectionId,
            "pcx_id": pcx.VpcPeeringConnectionId,
            "vpc_id": missing.VpcId or "",
            "requester_vpc": req.VpcId or "",
            "accepter_vpc": acc.VpcId or "",
            "requester_route_count": len(req_t),
            "accepter_route_count": len(acc_t),
            "routed_vpc": routed.VpcId or "",
            "routed_tables": sides[routed.VpcId or ""],
            "missing_vpc": missing.VpcId or "",
            "missing_tables": missing_tables,
            "peer_cidr": peer_cidr,
        }


declare(
    "peering",
    "One per active peering whose two VPCs are both in the input.",
    {
        "pcx_id": (S, "the peering connection"),
        "vpc_id": (S, "the VPC without routes to it (else the accepter)"),
        "requester_vpc": (S, "the requester VPC"),
        "accepter_vpc": (S, "the accepter VPC"),
        "requester_route_count": (N, "requester route tables with a route to it"),
        "accepter_route_count": (N, "accepter route tables with a route to it"),
        "routed_vpc": (S, "the side that has routes"),
        "routed_tables": (LS, "its tables with routes"),
        "missing_vpc": (S, "the side without"),
        "missing_tables": (LS, "its route tables"),
        "peer_cidr": (S, "the routed side's CIDR"),
    },
)
