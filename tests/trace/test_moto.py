"""Trace on a VPC built through the EC2 and ELBv2 APIs (moto server over HTTP): read back
with describe-* calls and saved as AWS CLI output files (loaded like a customer's files), and
read live by the collector; both give the same trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

REGION = "us-east-1"


def _save(directory: Path, name: str, response: dict) -> None:
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    (directory / name).write_text(json.dumps(response, default=str))


@pytest.fixture
def moto_vpc(aws, tmp_path):
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    elb = boto3.client("elbv2", region_name=REGION)
    assert ec2.meta.endpoint_url == aws and elb.meta.endpoint_url == aws

    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    def tag(rid: str, name: str) -> None:
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": name}])

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    def subnet(cidr: str, az: str, name: str) -> str:
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + az)
        sid = sid["Subnet"]["SubnetId"]
        tag(sid, name)
        return sid

    pub_a = subnet("10.9.0.0/24", "a", "pub-a")
    pub_b = subnet("10.9.1.0/24", "b", "pub-b")
    app_a = subnet("10.9.10.0/24", "a", "app-a")
    app_b = subnet("10.9.11.0/24", "b", "app-b")

    pub_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=pub_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in (pub_a, pub_b):
        ec2.associate_route_table(RouteTableId=pub_rt, SubnetId=s)

    def nat(subnet_id: str) -> str:
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        return ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=alloc)["NatGateway"][
            "NatGatewayId"
        ]

    nat_a = nat(pub_a)
    nat_b = nat(app_b)  # the mistake: a NAT gateway in a private subnet
    for s, n in ((app_a, nat_a), (app_b, nat_b)):
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=n)
        ec2.associate_route_table(RouteTableId=rt, SubnetId=s)

    def group(name: str) -> str:
        return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]

    alb_sg, app_sg, admin_sg = group("alb"), group("app"), group("admin")
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=app_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=admin_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )

    def instance(subnet_id: str, groups: list[str], name: str, public: bool = False) -> str:
        r = ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet_id,
                    "Groups": groups,
                    "AssociatePublicIpAddress": public,
                }
            ],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )
        return r["Instances"][0]["InstanceId"]

    app1 = instance(app_a, [app_sg], "app-a1")
    app2 = instance(app_b, [app_sg], "app-b1")
    instance(pub_a, [admin_sg], "admin", public=True)

    lb = elb.create_load_balancer(
        Name="web",
        Subnets=[pub_a, pub_b],
        SecurityGroups=[alb_sg],
        Scheme="internet-facing",
        Type="application",
    )
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(
        Name="web-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": app1}, {"Id": app2}])
    elb.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )

    out = tmp_path / "outputs"
    out.mkdir()
    for name, call in {
        "vpcs.json": ec2.describe_vpcs,
        "subnets.json": ec2.describe_subnets,
        "route-tables.json": ec2.describe_route_tables,
        "internet-gateways.json": ec2.describe_internet_gateways,
        "nat-gateways.json": ec2.describe_nat_gateways,
        "addresses.json": ec2.describe_addresses,
        "instances.json": ec2.describe_instances,
        "network-interfaces.json": ec2.describe_network_interfaces,
        "security-groups.json": ec2.describe_security_groups,
        "network-acls.json": ec2.describe_network_acls,
        "load-balancers.json": elb.describe_load_balancers,
        "target-groups.json": elb.describe_target_groups,
    }.items():
        _save(out, name, call())
    _save(out, "listeners-web.json", elb.describe_listeners(LoadBalancerArn=lb_arn))
    _save(out, "target-health-web-tg.json", elb.describe_target_health(TargetGroupArn=tg))
    return {
        "dir": out,
        "vpc": vpc,
        "app1": app1,
        "app2": app2,
        "nat_b": nat_b,
        "sg": app_sg,
        "endpoint": aws,
    }


def _trace(d, *args):
    """Trace on the saved CLI outputs, and live through the collector: the same answer."""
    r = run_cli("trace", "--snapshot", str(d["dir"]), "--format", "json", *args)
    assert r.returncode in (0, 1), r.stderr
    live = run_cli(
        "trace",
        "--endpoint-url",
        d["endpoint"],
        "--region",
        REGION,
        "--vpc",
        d["vpc"],
        "--format",
        "json",
        *args,
    )
    assert live.returncode == r.returncode, live.stderr
    a, b = json.loads(r.stdout), json.loads(live.stdout)
    assert (a["verdict"], a["hops"]) == (b["verdict"], b["hops"])
    return r.returncode, a


def test_moto_private_b_fails_at_nat(moto_vpc):
    rc, t = _trace(moto_vpc, "--from", "app-b1", "--to", "internet", "--port", "443")
    assert rc == 1 and t["verdict"] == "not reachable"
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert failed[0]["rule"] == "nat.in-private-subnet"
    assert moto_vpc["nat_b"] in failed[0]["detail"]
    assert any(f["rule"] == "nat.in-private-subnet" for f in t["fixes"])


def test_moto_private_a_reaches_internet(moto_vpc):
    rc, t = _trace(moto_vpc, "--from", moto_vpc["app1"], "--to", "internet", "--port", "443")
    assert rc == 0 and t["verdict"] == "reachable"


def test_moto_internet_to_admin_ssh(moto_vpc):
    rc, t = _trace(moto_vpc, "--from", "internet", "--to", "admin", "--port", "22")
    assert rc == 0, t
    assert any(h["rule"] == "exposure.sg-open-admin-port" for h in t["hops"])


def test_moto_internet_to_alb(moto_vpc):
    rc, t = _trace(moto_vpc, "--from", "internet", "--to", "web", "--port", "443")
    assert rc == 0, [h for h in t["hops"] if h["status"] != "pass"]
    assert any(h["step"] == "target health" and h["status"] == "pass" for h in t["hops"])


def test_moto_app_to_app_blocked_by_group(moto_vpc):
    rc, t = _trace(moto_vpc, "--from", "app-a1", "--to", moto_vpc["app2"], "--port", "8080")
    assert rc == 1
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert [h["step"] for h in failed] == ["security group ingress"]
    assert moto_vpc["sg"] in failed[0]["where"]
