"""Multi-VPC traces: hub-and-spoke with centralised egress, peering, gateway endpoints, public
and private addresses. Each scenario is broken one hop at a time: the trace stops at that hop
and names the rule the scan of the same snapshot fires; each near miss passes both."""

from __future__ import annotations

import pytest

from assistant.engine import diagnose
from assistant.errors import UserError
from assistant.sources.builder import Builder
from assistant.topology import PRIVATE, Topology
from assistant.trace import NOT_REACHABLE, REACHABLE, UNDECIDED, Tracer
from tests.trace.network_scenarios import (
    NETWORK_BREAKS,
    S3_CIDRS,
    hub,
    s3_endpoint,
    two_vpcs,
)

FIRES = [(rid, m) for rid, (fires, _) in NETWORK_BREAKS.items() for m in fires]
MISSES = [(rid, m) for rid, (_, misses) in NETWORK_BREAKS.items() for m in misses]


@pytest.mark.parametrize(("rule", "make"), FIRES, ids=[m.__name__ for _, m in FIRES])
def test_each_break_blocks_at_its_hop_and_names_the_scan_rule(rule, make):
    b, src, dst, port, step, named = make()
    snap = b.snapshot()
    t = Tracer(snap).trace(src, dst, port)
    assert t.verdict == NOT_REACHABLE
    first = t.blocked[0]
    assert (first.step, first.rule) == (step, named), [(h.step, h.detail) for h in t.blocked]
    findings = [f for f in diagnose(snap).findings if f.rule == rule]
    assert any(set(first.resources) <= set(f.resources) for f in findings), (
        first.resources,
        [f.resources for f in findings],
    )


@pytest.mark.parametrize(("rule", "make"), MISSES, ids=[m.__name__ for _, m in MISSES])
def test_each_near_miss_passes_and_the_rule_stays_quiet(rule, make):
    b, src, dst, port, _, _ = make()
    snap = b.snapshot()
    t = Tracer(snap).trace(src, dst, port)
    assert t.verdict != NOT_REACHABLE, [(h.step, h.detail) for h in t.blocked]
    assert rule not in {f.rule for f in diagnose(snap).findings}


def test_hub_and_spoke_is_healthy_end_to_end_both_ways():
    b, h = hub("hs-healthy", spokes=3, azs="abc")
    tr = Tracer(b.snapshot())
    apps = [a for s in h["spokes"] for a in s["apps"]]
    for a in apps:
        t = tr.trace(a, "internet", 443)
        assert t.verdict == REACHABLE, [(x.step, x.detail) for x in t.hops if x.status != "pass"]
        steps = [x.step for x in t.hops]
        # out through the TGW, the egress VPC's NAT gateway and internet gateway, and back
        assert steps.index("transit gateway route table") < steps.index("NAT gateway")
        assert "transit gateway route table (reply)" in steps
        for z in apps:
            if z != a:
                assert tr.trace(a, z, 443).verdict == REACHABLE
    # the spokes' subnets are private (egress through the hub), not isolated
    topo = Topology(b.snapshot())
    assert all(topo.role(s) == PRIVATE for sp in h["spokes"] for s in sp["private"])


def test_the_ingress_attachments_table_decides_not_the_destinations():
    b, h = hub("hs-ingress-table")
    # The egress table (of the egress attachment) loses spoke 2: spoke-to-spoke traffic, which
    # enters by spoke 1's attachment, is not affected; egress replies to spoke 2 are.
    rows = b.extra["TransitGatewayRoutes"][h["egress_tgw_rt"]]
    rows[:] = [r for r in rows if r["DestinationCidrBlock"] != "10.2.0.0/16"]
    tr = Tracer(b.snapshot())
    s1, s2 = h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0]
    assert tr.trace(s1, s2, 443).verdict == REACHABLE
    t = tr.trace(s2, "internet", 443)
    assert t.verdict == NOT_REACHABLE
    assert t.blocked[0].step == "transit gateway route table (reply)"


def test_the_return_through_another_way_is_called_asymmetric():
    b, h = hub("hs-asym")
    s1, s2 = h["spokes"][0], h["spokes"][1]
    pcx = b.peering(s2["vpc"], s1["vpc"])
    b.route(s2["rt"], "10.1.0.0/16", pcx)  # replies from spoke 2 take the peering
    t = Tracer(b.snapshot()).trace(s1["apps"][0], s2["apps"][0], 443)
    assert t.verdict == UNDECIDED
    (u,) = t.unknown
    assert "asymmetric" in u.detail and u.direction == "return"


def test_tgw_peering_follows_static_routes_into_the_peer_transit_gateway():
    b, h = hub("hs-tgw-peering")
    tgw2 = b.transit_gateway(name="west-tgw")
    rt2 = b.tgw_route_table(tgw2)
    far = b.vpc("10.50.0.0/16", name="far-vpc")
    sub = b.subnet(far, "10.50.1.0/24", "a")
    frt = b.route_table(far)
    b.route(frt, "10.0.0.0/8", tgw2)
    b.associate(frt, sub)
    sg = b.security_group(far, "far-sg", ingress=[b.perm(443, "10.0.0.0/8")])
    box = b.instance(sub, [sg], name="far-1")
    b.tgw_attach(tgw2, far, [sub], table=rt2)
    peer = b.tgw_peering(h["tgw"], tgw2, table_a=h["spoke_tgw_rt"], table_b=rt2)
    b.tgw_route(h["spoke_tgw_rt"], "10.50.0.0/16", peer)
    rows = b.extra["TransitGatewayRoutes"][rt2]
    rows.append(
        {
            "DestinationCidrBlock": "10.50.0.0/16",
            "Type": "propagated",
            "State": "active",
            "TransitGatewayAttachments": [
                {
                    "TransitGatewayAttachmentId": b.extra["TransitGatewayVpcAttachments"][-1][
                        "TransitGatewayAttachmentId"
                    ],
                    "ResourceType": "vpc",
                    "ResourceId": far,
                }
            ],
        }
    )
    t = Tracer(b.snapshot()).trace(h["spokes"][0]["apps"][0], box, 443)
    steps = [(x.step, x.status) for x in t.hops]
    assert ("transit gateway peering", "pass") in steps
    # The peer's table has no static route back to the spokes: the reply is dropped there.
    assert t.verdict == NOT_REACHABLE
    assert t.blocked[0].step == "transit gateway route table (reply)"
    b.tgw_route(rt2, "10.0.0.0/8", peer)
    t = Tracer(b.snapshot()).trace(h["spokes"][0]["apps"][0], box, 443)
    assert t.verdict == REACHABLE, [(x.step, x.detail) for x in t.hops if x.status != "pass"]
    # Without the static route in the peer's table the peer drops the request.
    rows.clear()
    t = Tracer(b.snapshot()).trace(h["spokes"][0]["apps"][0], box, 443)
    assert t.verdict == NOT_REACHABLE and t.blocked[0].step == "transit gateway route table"


def test_peering_is_not_transitive():
    b, a, z, port, _, _ = two_vpcs("pcx-transitive")
    third = b.vpc("10.40.0.0/16")
    s3 = b.subnet(third, "10.40.1.0/24", "a")
    sg = b.security_group(third, "t-sg", ingress=[b.perm(5432, "10.0.0.0/8")])
    far = b.instance(s3, [sg])
    a_rt = next(
        t["RouteTableId"]
        for t in b.data["RouteTables"]
        if t["Tags"][:1] and t["Tags"][0]["Value"] == "app-rt"
    )
    pcx = b.data["VpcPeeringConnections"][0]["VpcPeeringConnectionId"]
    b.route(a_rt, "10.40.0.0/16", pcx)  # through the peer VPC to a third one: never works
    t = Tracer(b.snapshot()).trace(a, far, port)
    assert t.verdict == NOT_REACHABLE and t.blocked[0].step == "peer VPC"


def test_overlapping_peer_ranges_go_where_the_specific_route_says():
    b, a, z, port, _, _ = two_vpcs("pcx-overlap")
    # A third VPC with the same range as the peer: the /24 route to the peering decides.
    other = b.vpc("10.20.0.0/16", name="overlap")
    b.subnet(other, "10.20.9.0/24", "a")
    snap = b.snapshot()
    t = Tracer(snap).trace(a, z, port)
    assert t.verdict == REACHABLE


def test_cross_account_peer_not_in_the_snapshot_is_unknown_beyond_the_connection():
    b = Builder(seed="pcx-cross")
    vpc = b.vpc("10.10.0.0/16")
    sub = b.subnet(vpc, "10.10.1.0/24", "a")
    pcx = b.peering(
        vpc,
        "",
        accepter={
            "VpcId": "vpc-0ffff0000aaaa1111",
            "CidrBlock": "172.31.0.0/16",
            "OwnerId": "210987654321",
            "Region": "eu-west-1",
        },
    )
    rt = b.route_table(vpc)
    b.route(rt, "172.31.0.0/16", pcx)
    b.associate(rt, sub)
    sg = b.security_group(vpc, "c")
    i = b.instance(sub, [sg])
    tr = Tracer(b.snapshot())
    t = tr.trace(i, "172.31.5.5", 443)
    assert t.verdict == UNDECIDED
    assert "account 210987654321" in t.hops[[h.step for h in t.hops].index("VPC peering")].detail
    # A private address with no peering or TGW path goes to the internet and is dropped.
    igw = b.igw(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    t = Tracer(b.snapshot()).trace(i, "192.168.7.7", 443)
    assert t.verdict == NOT_REACHABLE and t.blocked[0].step == "internet"


def test_gateway_endpoint_wins_by_longest_prefix_and_says_policy_is_not_evaluated():
    b, s = s3_endpoint("vpce-trace")
    tr = Tracer(b.snapshot())
    s3_ip = "52.217.1.1"
    t = tr.trace(s["inst"], s3_ip, 443)
    assert t.verdict == REACHABLE
    ep = [h for h in t.hops if h.step == "VPC endpoint"]
    assert ep and "not evaluated" in ep[0].detail
    assert "NAT gateway" not in [h.step for h in t.hops]
    # Outside the prefix list, the default route (NAT) applies.
    t = tr.trace(s["inst"], "8.8.8.8", 443)
    assert "NAT gateway" in [h.step for h in t.hops] and t.verdict == REACHABLE
    # A more specific CIDR route beats the prefix list.
    b.route(s["rt"], "52.217.0.0/16", s["nat"])
    t = Tracer(b.snapshot()).trace(s["inst"], s3_ip, 443)
    assert "VPC endpoint" not in [h.step for h in t.hops]
    assert S3_CIDRS


def test_unknown_prefix_list_contents_stay_unknown():
    b, s = s3_endpoint("vpce-unknown")
    b.extra["PrefixLists"].clear()
    t = Tracer(b.snapshot()).trace(s["inst"], "52.217.1.1", 443)
    assert t.verdict == UNDECIDED


@pytest.mark.parametrize("text", ["10.0.0.300", "10.1.2", "10.0.0.0/33", "::ffff:zz"])
def test_a_private_ip_that_is_not_an_address_is_a_one_line_error(text):
    b, h = hub("bad-ip")
    with pytest.raises(UserError) as e:
        Tracer(b.snapshot()).trace(h["spokes"][0]["apps"][0], text, 443)
    assert "\n" not in str(e.value)


# -- public addresses and load balancers ------------------------------------------------------
def _classic_with(seed: str):
    from assistant.sources.builder import classic

    b = Builder(seed=seed)
    return b, classic(b, azs="a")


def test_a_nat_gateways_public_ip_drops_unsolicited_inbound():
    b, c = _classic_with("nat-inbound")
    nat_ip = b.find("NatGateways", "NatGatewayId", c["nat"][0])["NatGatewayAddresses"][0][
        "PublicIp"
    ]
    tr = Tracer(b.snapshot())
    t = tr.trace("internet", nat_ip, 443)
    assert t.verdict == NOT_REACHABLE and t.destination.id == c["nat"][0]
    assert "unsolicited" in t.blocked[0].detail
    with pytest.raises(UserError):
        tr.trace(nat_ip, "internet", 443)


def test_an_elastic_ip_resolves_to_its_instance():
    b = Builder(seed="eip-instance")
    vpc = b.vpc("10.9.0.0/16")
    igw = b.igw(vpc)
    sub = b.subnet(vpc, "10.9.0.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    b.associate(rt, sub)
    sg = b.security_group(vpc, "web", ingress=[b.perm(443, "0.0.0.0/0")])
    i = b.instance(sub, [sg], name="web-1", public_ip=True)
    ip = b.find("Instances", "InstanceId", i)["PublicIpAddress"]
    t = Tracer(b.snapshot()).trace("internet", ip, 443)
    assert t.destination.id == i and t.verdict == REACHABLE
    # Without its public IP, the internet cannot address it (a private address is never
    # reachable from the internet).
    inst = b.find("Instances", "InstanceId", i)
    inst.pop("PublicIpAddress")
    inst["NetworkInterfaces"][0].pop("Association")
    b.find(
        "NetworkInterfaces",
        "NetworkInterfaceId",
        inst["NetworkInterfaces"][0]["NetworkInterfaceId"],
    ).pop("Association")
    t = Tracer(b.snapshot()).trace("internet", inst["PrivateIpAddress"], 443)
    assert t.verdict == NOT_REACHABLE and t.blocked[0].step == "public IP"


def test_the_load_balancers_own_egress_to_the_targets_is_checked():
    b, c = _classic_with("lb-egress")
    alb_sg = b.find("SecurityGroups", "GroupId", c["alb_sg"])
    alb_sg["IpPermissionsEgress"] = [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ]
    t = Tracer(b.snapshot()).trace("internet", "shop-alb", 443)
    assert t.verdict == NOT_REACHABLE
    assert t.blocked[0].step == "load balancer security group egress"
    alb_sg["IpPermissionsEgress"].append(b.perm(8080, group=c["app_sg"]))
    assert Tracer(b.snapshot()).trace("internet", "shop-alb", 443).verdict == REACHABLE


def _nlb(seed: str, preserve: str | None):
    b, c = _classic_with(seed)
    # The app group admits 8080 from the load balancer's subnets only.
    app = b.find("SecurityGroups", "GroupId", c["app_sg"])
    app["IpPermissions"] = [b.perm(8080, "10.0.0.0/16")]
    nlb = b.load_balancer("shop-nlb", c["public"], [], kind="network")
    tg = b.target_group("shop-nlb-tg", c["vpc"], 8080, c["apps"], lb_arn=nlb, protocol="TCP")
    b.listener(nlb, 443, "TCP", tg)
    snap = b.snapshot()
    if preserve is not None:
        snap.TargetGroupAttributes[tg] = {"preserve_client_ip.enabled": preserve}
    return snap


def test_an_nlb_with_instance_targets_preserves_the_client_ip():
    t = Tracer(_nlb("nlb-keep", None)).trace("internet", "shop-nlb", 443)
    assert t.verdict == NOT_REACHABLE
    assert "client IP preservation" in [h.step for h in t.hops]
    assert t.blocked[0].step == "security group ingress" and "the internet" in t.blocked[0].detail
    # With preservation turned off the targets see the load balancer's subnet: allowed.
    t = Tracer(_nlb("nlb-off", "false")).trace("internet", "shop-nlb", 443)
    assert t.verdict == REACHABLE, [(h.step, h.detail) for h in t.blocked]


@pytest.mark.parametrize("text", ["10.0.0.300", "10.0.0.0/33", "10.1.2"])
def test_the_command_says_one_line_and_exits_2_for_an_address_that_is_not_one(text):
    from tests.helpers import run_cli

    r = run_cli("trace", "--demo", "--from", "shop-app-b1", "--to", text, "--port", "443")
    assert r.returncode == 2
    assert "not an IP address" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_an_interface_endpoint_is_a_network_interface_with_security_groups():
    b, s = s3_endpoint("vpce-interface")
    sub = b.find("Instances", "InstanceId", s["inst"])["SubnetId"]
    ep_sg = b.security_group(s["vpc"], "endpoint-sg", ingress=[b.perm(443, "10.30.0.0/16")])
    b.data["NetworkInterfaces"].append(
        {
            "NetworkInterfaceId": "eni-0e0e0e0e0e0e0e0e0",
            "SubnetId": sub,
            "VpcId": s["vpc"],
            "InterfaceType": "vpc_endpoint",
            "Description": "VPC Endpoint Interface vpce-0aaaabbbbccccdddd",
            "PrivateIpAddress": "10.30.1.200",
            "Groups": [{"GroupId": ep_sg, "GroupName": "endpoint-sg"}],
            "RequesterId": "amazon",
        }
    )
    tr = Tracer(b.snapshot())
    t = tr.trace(s["inst"], "10.30.1.200", 443)
    assert t.verdict == REACHABLE and t.destination.kind == "eni"
    sg = [h for h in t.hops if h.step == "security group ingress"]
    assert sg and sg[0].where == ep_sg
    assert tr.trace(s["inst"], "10.30.1.200", 8443).verdict == NOT_REACHABLE


def test_an_address_in_a_vpc_but_in_no_subnet_is_not_delivered():
    b, h = hub("hs-no-subnet")
    t = Tracer(b.snapshot()).trace(h["spokes"][0]["apps"][0], "10.2.200.5", 443)
    assert t.verdict == NOT_REACHABLE and t.blocked[0].step == "destination"
