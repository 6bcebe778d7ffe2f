"""The new collections read live from the moto server: transit gateways and their tables,
peering, prefix lists, VPN, load balancer and target group attributes; denied → not checked."""

from __future__ import annotations

import json

from assistant.models.registry import BY_COLLECTION
from assistant.sources.live import collect
from tests.helpers import run_cli
from tests.live.scenario import classic, clients, hub, peering, prefix_list, vpn

NEW = (
    "TransitGateways",
    "TransitGatewayAttachments",
    "TransitGatewayVpcAttachments",
    "TransitGatewayPeeringAttachments",
    "TransitGatewayRouteTables",
    "TransitGatewayRouteTableAssociations",
    "TransitGatewayRouteTablePropagations",
    "TransitGatewayRoutes",
    "ManagedPrefixLists",
    "PrefixListEntries",
    "PrefixLists",
    "VpnGateways",
    "VpnConnections",
    "LoadBalancerAttributes",
    "TargetGroupAttributes",
)


def _world() -> dict:
    shop = classic()
    blog = classic(name="blog", cidr="10.1.0.0/16", with_lb=False, app_per_az=1)
    return {
        "shop": shop,
        "blog": blog,
        "hub": hub({"shop": shop, "blog": blog}),
        "pcx": peering(shop["vpc"], blog["vpc"]),
        "pl": prefix_list(["203.0.113.0/24", "198.51.100.0/24"]),
        "vpn": vpn(blog["vpc"]),
    }


def test_new_collections_read_live_as_built(aws):
    w = _world()
    ec2, _ = clients()
    snap = collect(regions=["us-east-1"])
    assert snap.not_checked == []
    for coll in NEW:
        assert snap.has(coll), coll
    h = w["hub"]
    # transit gateway, attachments with their subnet per AZ, the table and its association
    assert h["tgw"] in {t.TransitGatewayId for t in snap.TransitGateways}
    vpc_atts = {a.VpcId: a for a in snap.TransitGatewayVpcAttachments}
    for name in ("shop", "blog"):
        att = vpc_atts[w[name]["vpc"]]
        assert att.TransitGatewayAttachmentId == h["attachments"][name]
        subnets = ec2.describe_subnets(SubnetIds=att.SubnetIds)["Subnets"]
        azs = [s["AvailabilityZone"] for s in subnets]
        assert len(azs) == len(set(azs)) == 2  # one subnet per AZ
    by_att = {a.TransitGatewayAttachmentId: a for a in snap.TransitGatewayAttachments}
    tables_of: dict[str, set[str]] = {}
    for table, rows in snap.TransitGatewayRouteTableAssociations.items():
        for a in rows:
            tables_of.setdefault(a.TransitGatewayAttachmentId or "", set()).add(table)
    for att in h["attachments"].values():
        assert by_att[att].ResourceType == "vpc" and by_att[att].Association
        # moto also associates with the default table despite "disable": the attachment's
        # Association is one of the tables that list it
        assert by_att[att].Association.TransitGatewayRouteTableId in tables_of[att]
        assert h["rtb"] in tables_of[att]
    assoc = {
        a.TransitGatewayAttachmentId for a in snap.TransitGatewayRouteTableAssociations[h["rtb"]]
    }
    assert assoc == set(h["attachments"].values())
    props = snap.TransitGatewayRouteTablePropagations[h["rtb"]]
    assert {p.TransitGatewayAttachmentId for p in props} == assoc
    assert all(p.State == "enabled" for p in props)
    routes = {r.DestinationCidrBlock: r for r in snap.TransitGatewayRoutes[h["rtb"]]}
    assert set(routes) == {"10.0.0.0/16", "10.1.0.0/16", "10.99.0.0/16"}
    assert routes["10.99.0.0/16"].State == "blackhole"
    assert routes["10.0.0.0/16"].State == "active" and routes["10.0.0.0/16"].Type == "static"
    # peering: both sides and their CIDR blocks
    (pcx,) = [p for p in snap.VpcPeeringConnections if p.VpcPeeringConnectionId == w["pcx"]]
    assert pcx.state == "active"
    assert pcx.RequesterVpcInfo.VpcId == w["shop"]["vpc"]
    assert pcx.AccepterVpcInfo.VpcId == w["blog"]["vpc"]
    assert "10.0.0.0/16" in pcx.RequesterVpcInfo.cidrs()
    assert "10.1.0.0/16" in pcx.AccepterVpcInfo.cidrs()
    # prefix lists: the customer's with entries, AWS's named (entries not read one by one)
    entries = sorted(e.Cidr for e in snap.PrefixListEntries[w["pl"]])
    assert entries == ["198.51.100.0/24", "203.0.113.0/24"]
    aws_lists = {p.PrefixListId for p in snap.ManagedPrefixLists if p.OwnerId == "AWS"}
    assert aws_lists and not aws_lists & set(snap.PrefixListEntries)
    assert any(p.PrefixListName and p.PrefixListName.endswith(".s3") for p in snap.PrefixLists)
    # VPN: the gateway attached to blog, the connection through it
    (vgw,) = snap.VpnGateways
    assert vgw.VpnGatewayId == w["vpn"]["vgw"]
    assert [a.VpcId for a in vgw.VpcAttachments] == [w["blog"]["vpc"]]
    (conn,) = snap.VpnConnections
    assert conn.VpnConnectionId == w["vpn"]["vpn"] and conn.VpnGatewayId == vgw.VpnGatewayId
    # load balancer and target group attributes, and the cross-zone flag they give
    lb = w["shop"]["lb"]
    assert "load_balancing.cross_zone.enabled" in snap.LoadBalancerAttributes[lb]
    (tg,) = snap.TargetGroups
    assert "deregistration_delay.timeout_seconds" in snap.TargetGroupAttributes[tg.TargetGroupArn]
    (alb,) = snap.LoadBalancers
    assert alb.CrossZoneEnabled is True  # always on for an application load balancer
    # every resource knows its account and region
    for coll in NEW:
        items = getattr(snap, coll)
        if isinstance(items, list):
            for x in items:
                assert (x.region, x.account) == ("us-east-1", "123456789012"), coll


def test_scoped_collect_keeps_the_hub_of_the_vpc(aws):
    w = _world()
    snap = collect(regions=["us-east-1"], vpc_ids=[w["shop"]["vpc"]])
    assert [a.VpcId for a in snap.TransitGatewayVpcAttachments] == [w["shop"]["vpc"]]
    assert w["hub"]["rtb"] in snap.TransitGatewayRoutes  # the hub's tables are read whole
    assert snap.VpnGateways == []  # attached to blog, out of scope


def test_denied_new_reads_are_not_checked_and_the_rest_is_read(aws, proxy):
    w = _world()
    ops = {BY_COLLECTION[c].operation: c for c in NEW}
    for op in ops:
        proxy.errors[op] = (403, "denied")
    vpc = w["shop"]["vpc"]
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[vpc])
    nc = {n.what: n for n in snap.not_checked}
    assert set(nc) == set(NEW)
    for coll in NEW:
        row = BY_COLLECTION[coll]
        if row.per is None or row.per not in NEW:
            assert nc[coll].action == row.action and "was denied" in nc[coll].reason
        else:  # its parent was denied first: the parent's permission is the missing one
            assert nc[coll].action == BY_COLLECTION[row.per].action
            assert "it needs" in nc[coll].reason
        assert not snap.has(coll)
    assert snap.has("Subnets") and snap.has("RouteTables") and snap.Instances
    r = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", vpc, "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    got = {n["what"]: n for n in json.loads(r.stdout)["not_checked"]}
    assert set(NEW) <= set(got)
    assert got["TransitGateways"]["action"] == "ec2:DescribeTransitGateways"


def test_denied_per_item_read_names_its_own_permission(aws, proxy):
    w = _world()
    proxy.errors["SearchTransitGatewayRoutes"] = (403, "denied")
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[w["shop"]["vpc"]])
    (nc,) = snap.not_checked
    assert nc.what == "TransitGatewayRoutes" and nc.action == "ec2:SearchTransitGatewayRoutes"
    assert snap.has("TransitGatewayRouteTableAssociations")


def test_peering_attachments_between_transit_gateways(aws):
    w = _world()
    ec2, _ = clients()
    other = ec2.create_transit_gateway(Description="other")["TransitGateway"]["TransitGatewayId"]
    att = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=w["hub"]["tgw"],
        PeerTransitGatewayId=other,
        PeerAccountId="123456789012",
        PeerRegion="us-east-1",
    )["TransitGatewayPeeringAttachment"]["TransitGatewayAttachmentId"]
    snap = collect(regions=["us-east-1"])
    (p,) = [x for x in snap.TransitGatewayPeeringAttachments if x.TransitGatewayAttachmentId == att]
    assert {p.RequesterTgwInfo.TransitGatewayId, p.AccepterTgwInfo.TransitGatewayId} == {
        w["hub"]["tgw"],
        other,
    }
    kinds = {a.TransitGatewayAttachmentId: a.ResourceType for a in snap.TransitGatewayAttachments}
    assert kinds[att] == "peering"


def test_several_regions_place_each_resource(aws):
    shop = classic(app_per_az=1)
    eu = classic(region="eu-west-1", name="eu", cidr="10.7.0.0/16", app_per_az=1, with_lb=False)
    snap = collect(regions=["us-east-1", "eu-west-1"])
    assert snap.regions == ["eu-west-1", "us-east-1"]
    where = {v.VpcId: v.region for v in snap.Vpcs}
    assert where[shop["vpc"]] == "us-east-1" and where[eu["vpc"]] == "eu-west-1"
    for s in snap.Subnets:
        assert s.region == where[s.VpcId] and s.account == "123456789012"
