"""VPC facts: VPC-wide properties (DNS, flow logs, endpoints, tiers)."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LS, B, Fact, N, S, declare, producer
from assistant.topology import (
    PUBLIC,
    Topology,
    target_kind,
)


@producer("vpc")
def vpc_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    flow = {f.ResourceId for f in snap.FlowLogs if (f.FlowLogStatus or "ACTIVE") == "ACTIVE"}
    s3_rts: set[str] = set()
    for e in snap.VpcEndpoints:
        if e.VpcEndpointType == "Gateway" and e.ServiceName.endswith(".s3"):
            if (e.State or "available").lower() == "available":
                s3_rts.update(e.RouteTableIds)
    # a snapshot of several regions joins them with commas: each VPC names its own region
    region = snap.region if snap.region and "," not in snap.region else "<region>"
    for vid, vpc in topo.vpcs.items():
        views = topo.views_by_vpc.get(vid, [])
        n_inst = sum(len(topo.digests_by_subnet.get(v.subnet_id, ())) for v in views)
        public = [v.subnet_id for v in views if v.role == PUBLIC]
        subnets_logged = all(v.subnet_id in flow for v in views) and bool(views)
        nat_rts = sorted(
            {
                v.route_table.RouteTableId
                for v in views
                if v.route_table is not None and target_kind(v.default_target) == "nat"
            }
        )
        missing = [rt for rt in nat_rts if rt not in s3_rts]
        if vpc.EnableDnsSupport is None:
            dns = "unknown"
        else:
            dns = "on" if vpc.EnableDnsSupport else "off"
        yield {
            "rid": vid,
            "vpc_id": vid,
            "name": vpc.name,
            "cidr": vpc.CidrBlock,
            "is_default_vpc": vpc.IsDefault,
            "region": vpc.region or region,
            "dns_support": dns,
            "dns_hostnames": {None: "unknown", True: "on", False: "off"}[vpc.EnableDnsHostnames],
            "dns_hostnames_on": vpc.EnableDnsHostnames is True,
            "flow_logs_known": snap.has("FlowLogs"),
            "flow_logged": vid in flow or subnets_logged,
            "instance_count": n_inst,
            "subnet_count": len(views),
            "public_count": len(public),
            "public_subnets": public,
            "first_public_subnet": public[0] if public else "<public subnet id>",
            "endpoints_known": snap.has("VpcEndpoints"),
            "nat_route_tables": nat_rts,
            "s3_missing_tables": missing,
            "s3_missing_count": len(missing) if snap.has("VpcEndpoints") else 0,
            "s3_missing_tables_tf": ", ".join(f'"{t}"' for t in missing),
        }


declare(
    "vpc",
    "One per VPC: DNS, flow logs, endpoints, tiers.",
    {
        "vpc_id": (S, "the VPC"),
        "name": (S, "its Name tag"),
        "cidr": (S, "its IPv4 CIDR"),
        "is_default_vpc": (B, "it is the region's default VPC"),
        "region": (S, "the region"),
        "dns_support": (S, "on / off / unknown (attribute not read)"),
        "dns_hostnames": (S, "on / off / unknown"),
        "dns_hostnames_on": (B, "DNS hostnames are known to be on"),
        "flow_logs_known": (B, "flow logs were read"),
        "flow_logged": (B, "the VPC, or every subnet of it, has an active flow log"),
        "instance_count": (N, "instances in it"),
        "subnet_count": (N, "its subnets"),
        "public_count": (N, "of them, public"),
        "public_subnets": (LS, "those subnets"),
        "first_public_subnet": (S, "the first of them, or a placeholder"),
        "endpoints_known": (B, "VPC endpoints were read"),
        "nat_route_tables": (LS, "route tables whose default route goes to a NAT gateway"),
        "s3_missing_tables": (LS, "of them, tables without an S3 gateway endpoint"),
        "s3_missing_count": (N, "how many (0 when endpoints were not read)"),
        "s3_missing_tables_tf": (S, "those as a Terraform list body"),
    },
)
