"""The collector over HTTP against moto: the healthy VPC is clean, each broken variant fires."""

from __future__ import annotations

import pytest

from assistant.engine import diagnose
from assistant.sources.live import collect
from tests.live.scenario import clients, nat, open_ssh_to_world


def scan(c: dict, endpoint_url: str | None = None):
    snap = collect(regions=["us-east-1"], vpc_ids=[c["vpc"]], endpoint_url=endpoint_url)
    return snap, diagnose(snap, vpc_ids=[c["vpc"]])


def test_healthy_reference_architecture_has_no_findings(shop):
    snap, d = scan(shop)
    assert d.findings == []
    assert d.not_checked == []
    roles = {s.subnet_id: s.role for s in d.subnets}
    assert {roles[s] for s in shop["public"]} == {"public"}
    assert {roles[s] for s in shop["private"]} == {"private"}
    # everything was read, scoped to the VPC (moto's default VPC is left out)
    assert [v.VpcId for v in snap.Vpcs] == [shop["vpc"]]
    assert {s.VpcId for s in snap.Subnets} == {shop["vpc"]}
    assert snap.account_id == "123456789012"
    assert snap.region == "us-east-1"
    assert len(snap.Instances) == len(shop["apps"])
    assert [lb.LoadBalancerArn for lb in snap.LoadBalancers] == [shop["lb"]]
    assert sorted(x.Port for x in snap.Listeners) == [80, 443]  # HTTPS, and HTTP redirected
    assert [f.ResourceId for f in snap.FlowLogs] == [shop["vpc"]]
    assert len(snap.TargetHealth[shop["tg"]]) == len(shop["apps"])
    assert snap.Vpcs[0].EnableDnsHostnames is True and snap.Vpcs[0].EnableDnsSupport is True
    assert [e.VpcEndpointId for e in snap.VpcEndpoints] == [shop["endpoint"]]
    for coll in ("Vpcs", "Subnets", "RouteTables", "NatGateways", "Listeners", "TargetHealth"):
        assert snap.has(coll)


def _no_default_route(ec2, elbv2, c):
    ec2.delete_route(RouteTableId=c["private_rt"][0], DestinationCidrBlock="0.0.0.0/0")
    return c["private"][0]


def _igw_route_without_public_ip(ec2, elbv2, c):
    ec2.replace_route(
        RouteTableId=c["private_rt"][0], DestinationCidrBlock="0.0.0.0/0", GatewayId=c["igw"]
    )
    return c["private"][0]


def _nat_deleted(ec2, elbv2, c):
    # moto keeps the route `active` after the NAT is deleted; the rule also reads the NAT's state.
    ec2.delete_nat_gateway(NatGatewayId=c["nat"][0])
    return c["nat"][0]


def _public_ip_in_private_subnet(ec2, elbv2, c):
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=c["apps"][0])
    return c["apps"][0]


def _sg_open_admin_port(ec2, elbv2, c):
    open_ssh_to_world(ec2, c["app_sg"])
    return c["app_sg"]


def _igw_detached(ec2, elbv2, c):
    ec2.detach_internet_gateway(InternetGatewayId=c["igw"], VpcId=c["vpc"])
    return c["igw"]


def _lb_in_private_subnets(ec2, elbv2, c):
    return elbv2.create_load_balancer(
        Name="internal-by-mistake",
        Subnets=c["private"],
        SecurityGroups=[c["alb_sg"]],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]


def _nat_in_private_subnet(ec2, elbv2, c):
    return nat(ec2, c["private"][1], "misplaced-nat")


BROKEN = [
    ("egress.no-default-route", _no_default_route),
    ("egress.igw-route-without-public-ip", _igw_route_without_public_ip),
    ("egress.route-blackhole", _nat_deleted),
    ("exposure.public-ip-in-private-subnet", _public_ip_in_private_subnet),
    ("exposure.sg-open-admin-port", _sg_open_admin_port),
    ("igw.not-attached", _igw_detached),
    ("ingress.lb-in-private-subnets", _lb_in_private_subnets),
    ("nat.in-private-subnet", _nat_in_private_subnet),
]


@pytest.mark.parametrize("rule,breakage", BROKEN, ids=[r for r, _ in BROKEN])
def test_broken_variant_fires_its_rule(shop, rule, breakage):
    ec2, elbv2 = clients()
    culprit = breakage(ec2, elbv2, shop)
    _, d = scan(shop)
    fired = [f for f in d.findings if f.rule == rule]
    assert fired, f"{rule} did not fire; findings: {[f.rule for f in d.findings]}"
    assert any(culprit in f.resources for f in fired), [f.resources for f in fired]


# The first rules of the catalogue, the failures people hit most; more rules are checked
# against the API server in tests/rules/test_fixes_against_api.py.
CORE_RULES = {
    "egress.no-default-route",
    "egress.route-blackhole",
    "nat.not-available",
    "nat.in-private-subnet",
    "igw.not-attached",
    "egress.igw-route-without-public-ip",
    "exposure.public-ip-in-private-subnet",
    "exposure.sg-open-admin-port",
    "ingress.lb-in-private-subnets",
}


def test_every_core_rule_has_a_live_variant():
    from assistant.engine import load_rules

    covered = {r for r, _ in BROKEN} | {"nat.not-available"}
    assert covered == CORE_RULES
    assert CORE_RULES <= {r.id for r in load_rules()}


def test_nat_not_available_through_pending_state(shop, proxy):
    """moto makes NAT gateways `available` at once; the proxy reports moto's answer with the
    state AWS shows while a NAT gateway is being created."""
    proxy.rewrite["DescribeNatGateways"] = lambda body: body.replace(
        b"<state>available</state>", b"<state>pending</state>"
    )
    _, d = scan(shop, endpoint_url=proxy.url)
    fired = [f for f in d.findings if f.rule == "nat.not-available"]
    assert {n for f in fired for n in f.resources} >= set(shop["nat"])
    assert "DescribeNatGateways" in proxy.calls
