"""Read-only, provably: every operation a full collect makes, seen on botocore's events."""

from __future__ import annotations

import json
from collections import Counter

import boto3

from assistant.sources.live import OPERATIONS, collect, iam_actions
from tests.helpers import run_cli
from tests.live.scenario import classic, clients, hub, prefix_list

READ_PREFIXES = ("Describe", "Get", "List", "Search")  # SearchTransitGatewayRoutes reads


def _observed_session(seen: list[str]) -> boto3.Session:
    """A boto3 session whose clients report each operation before it is sent."""
    session = boto3.Session()

    def before_call(model, **_kwargs) -> None:
        op = model.name
        if not op.startswith(READ_PREFIXES):
            raise AssertionError(f"the collector called a non-read operation: {op}")
        seen.append(f"{model.service_model.signing_name}:{op}")

    session.events.register("before-call", before_call)
    return session


def test_full_collect_makes_only_read_calls_named_in_the_policy(shop):
    # a second VPC with a load balancer too, so every per-item read runs more than once;
    # a transit gateway with its route tables and a customer-managed prefix list
    blog = classic(name="blog", cidr="10.1.0.0/16", with_lb=True)
    hub({"shop": shop, "blog": blog})
    prefix_list(["203.0.113.0/24"])
    seen: list[str] = []
    snap = collect(regions=["us-east-1"], session=_observed_session(seen))
    assert snap.not_checked == []
    assert seen, "no operation was observed"
    assert all(s.split(":")[1].startswith(READ_PREFIXES) for s in seen)
    # exactly the policy's actions: none missing from the policy, none in it unused
    assert set(seen) == set(iam_actions())


def test_iam_policy_command_prints_the_actions_the_scan_uses(shop):
    r = run_cli("iam-policy")
    assert r.returncode == 0, r.stderr
    policy = json.loads(r.stdout)
    (stmt,) = policy["Statement"]
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    seen: list[str] = []
    collect(regions=["us-east-1"], vpc_ids=[shop["vpc"]], session=_observed_session(seen))
    assert set(seen) <= set(stmt["Action"])
    assert all(a.split(":")[1].startswith(READ_PREFIXES) for a in stmt["Action"])


def test_one_call_per_resource_type_no_n_plus_one(aws):
    vpcs = [classic(name=f"v{n}", cidr=f"10.{n}.0.0/16", app_per_az=1) for n in range(3)]
    hub({str(n): v for n, v in enumerate(vpcs)})
    lists = [prefix_list([f"203.0.113.{n}/32"], name=f"pl{n}") for n in range(2)]
    seen: list[str] = []
    collect(regions=["us-east-1"], session=_observed_session(seen))
    calls = Counter(s.split(":")[1] for s in seen)
    n_vpcs = len(vpcs) + 1  # and moto's default VPC
    for op in OPERATIONS:
        if op.per is None:
            assert calls[op.name] == 1, (op.name, calls[op.name])
    assert calls["DescribeVpcAttribute"] == 2 * n_vpcs  # DNS support and hostnames
    assert calls["DescribeListeners"] == len(vpcs)  # one per load balancer (API needs the ARN)
    assert calls["DescribeLoadBalancerAttributes"] == len(vpcs)
    assert calls["DescribeTargetHealth"] == len(vpcs)  # one per target group
    assert calls["DescribeTargetGroupAttributes"] == len(vpcs)
    ec2, _ = clients()
    tables = ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"]
    for op in (
        "GetTransitGatewayRouteTableAssociations",
        "GetTransitGatewayRouteTablePropagations",
    ):
        assert calls[op] == len(tables)  # one per TGW route table (API needs its id)
    assert calls["SearchTransitGatewayRoutes"] == len(tables)
    # entries only for the customer-managed lists: AWS's come with describe-prefix-lists
    assert calls["GetManagedPrefixListEntries"] == len(lists)


def test_scoped_collect_reads_only_the_vpc(shop):
    other = classic(name="other", cidr="10.9.0.0/16")
    third = classic(name="third", cidr="10.8.0.0/16", app_per_az=0, with_lb=False)
    ec2, _ = clients()
    mine = ec2.create_vpc_peering_connection(VpcId=shop["vpc"], PeerVpcId=other["vpc"])
    ec2.create_vpc_peering_connection(VpcId=other["vpc"], PeerVpcId=third["vpc"])
    seen: list[str] = []
    snap = collect(regions=["us-east-1"], vpc_ids=[shop["vpc"]], session=_observed_session(seen))
    assert {v.VpcId for v in snap.Vpcs} == {shop["vpc"]}
    assert {s.VpcId for s in snap.Subnets} == {shop["vpc"]}
    assert {i.VpcId for i in snap.Instances} == {shop["vpc"]}
    assert [lb.LoadBalancerArn for lb in snap.LoadBalancers] == [shop["lb"]]
    assert [g.InternetGatewayId for g in snap.InternetGateways] == [shop["igw"]]
    assert [p.VpcPeeringConnectionId for p in snap.VpcPeeringConnections] == [
        mine["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ]
    calls = Counter(s.split(":")[1] for s in seen)
    # per-item reads only for what is in scope
    assert calls["DescribeVpcAttribute"] == 2
    assert calls["DescribeListeners"] == 1
    assert calls["DescribeTargetHealth"] == 1


def test_cli_start_does_not_import_boto3():
    import subprocess
    import sys

    from tests.helpers import ROOT

    code = (
        "import sys; from assistant.cli import build_parser; build_parser(); "
        "import assistant.sources.live; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert r.stdout.split() == ["False", "False"]
