"""Hub-and-spoke with centralised egress and two-VPC peering built through boto3 on the moto
server (over HTTP), read live by the collector and traced, broken one hop at a time through the
API.

moto's search-transit-gateway-routes answers static routes without their attachments (and its
describe-transit-gateway-attachments shows one association for all), so a path that must cross
a TGW route is "?" on moto (an active route naming no attachment is unknown, never a guess); the
breaks before that point (the spokes' table without a default route, the AZ rule) and peering are
checked here, the full hub-and-spoke paths on Builder scenarios (tests/trace/test_network.py)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_cli

REGION = "us-east-1"


@pytest.fixture
def moto_hub(aws):
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    assert ec2.meta.endpoint_url == aws

    def tag(rid: str, name: str) -> None:
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": name}])

    def vpc(cidr: str, name: str) -> str:
        v = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        tag(v, name)
        return v

    def subnet(v: str, cidr: str, name: str) -> str:
        s = ec2.create_subnet(VpcId=v, CidrBlock=cidr, AvailabilityZone=REGION + "a")
        s = s["Subnet"]["SubnetId"]
        tag(s, name)
        return s

    def table(v: str, *subnets: str) -> str:
        rt = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
        for s in subnets:
            ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
        return rt

    tgw = ec2.create_transit_gateway(
        Options={
            "DefaultRouteTableAssociation": "disable",
            "DefaultRouteTablePropagation": "disable",
        }
    )["TransitGateway"]["TransitGatewayId"]
    egress = vpc("10.0.0.0/16", "egress")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=egress)
    pub = subnet(egress, "10.0.0.0/24", "egress-public")
    att_sub = subnet(egress, "10.0.100.0/28", "egress-tgw")
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=pub, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    pub_rt = table(egress, pub)
    ec2.create_route(RouteTableId=pub_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=pub_rt, DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=tgw)
    att_rt = table(egress, att_sub)
    ec2.create_route(RouteTableId=att_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)

    spoke = vpc("10.1.0.0/16", "spoke")
    prv = subnet(spoke, "10.1.0.0/24", "spoke-private")
    spoke_att_sub = subnet(spoke, "10.1.100.0/28", "spoke-tgw")
    spoke_rt = table(spoke, prv)
    ec2.create_route(RouteTableId=spoke_rt, DestinationCidrBlock="0.0.0.0/0", TransitGatewayId=tgw)

    def attach(v: str, s: str) -> str:
        a = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=v, SubnetIds=[s])
        return a["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]

    egress_att, spoke_att = attach(egress, att_sub), attach(spoke, spoke_att_sub)

    def tgw_table() -> str:
        t = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)
        return t["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]

    spokes_tbl, egress_tbl = tgw_table(), tgw_table()
    ec2.associate_transit_gateway_route_table(
        TransitGatewayRouteTableId=spokes_tbl, TransitGatewayAttachmentId=spoke_att
    )
    ec2.associate_transit_gateway_route_table(
        TransitGatewayRouteTableId=egress_tbl, TransitGatewayAttachmentId=egress_att
    )
    ec2.create_transit_gateway_route(
        DestinationCidrBlock="0.0.0.0/0",
        TransitGatewayRouteTableId=spokes_tbl,
        TransitGatewayAttachmentId=egress_att,
    )
    ec2.create_transit_gateway_route(
        DestinationCidrBlock="10.1.0.0/16",
        TransitGatewayRouteTableId=egress_tbl,
        TransitGatewayAttachmentId=spoke_att,
    )
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=spoke)["GroupId"]
    app = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=prv,
        SecurityGroupIds=[sg],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app"}]}],
    )["Instances"][0]["InstanceId"]
    return {
        "ec2": ec2,
        "endpoint": aws,
        "app": app,
        "pub_rt": pub_rt,
        "spokes_tbl": spokes_tbl,
        "spoke_rt": spoke_rt,
    }


def _live(d, *args):
    r = run_cli(
        "trace", "--endpoint-url", d["endpoint"], "--region", REGION, "--format", "json", *args
    )
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def test_moto_spokes_table_without_a_default_route(moto_hub):
    moto_hub["ec2"].delete_transit_gateway_route(
        TransitGatewayRouteTableId=moto_hub["spokes_tbl"], DestinationCidrBlock="0.0.0.0/0"
    )
    rc, t = _live(moto_hub, "--from", "app", "--to", "internet", "--port", "443")
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert rc == 1 and failed[0]["step"] == "transit gateway route table"
    assert failed[0]["rule"] == "tgw.no-default-route"
    assert any(f["rule"] == "tgw.no-default-route" for f in t["fixes"])


def test_moto_spoke_subnet_in_an_az_without_attachment_subnet(moto_hub):
    ec2 = moto_hub["ec2"]
    spoke = ec2.describe_instances()["Reservations"][0]["Instances"][0]["VpcId"]
    sub = ec2.create_subnet(VpcId=spoke, CidrBlock="10.1.1.0/24", AvailabilityZone=REGION + "b")
    sub = sub["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=moto_hub["spoke_rt"], SubnetId=sub)
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["app"]}])
    ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=sub,
        SecurityGroupIds=[sg["SecurityGroups"][0]["GroupId"]],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app-b"}]}
        ],
    )
    rc, t = _live(moto_hub, "--from", "app-b", "--to", "internet", "--port", "443")
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert rc == 1 and failed[0]["step"] == "transit gateway AZ"
    assert failed[0]["rule"] == "tgw.no-attachment-in-az"


# -- peering ----------------------------------------------------------------------------------
@pytest.fixture
def moto_peering(aws):
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    out = {"ec2": ec2, "endpoint": aws}
    for name, cidr in (("app", "10.10.0.0/16"), ("db", "10.20.0.0/16")):
        v = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        s = ec2.create_subnet(VpcId=v, CidrBlock=cidr.replace("0.0/16", "1.0/24"))
        s = s["Subnet"]["SubnetId"]
        rt = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
        sg = ec2.create_security_group(GroupName=name, Description=name, VpcId=v)["GroupId"]
        if name == "db":
            ec2.authorize_security_group_ingress(
                GroupId=sg,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 5432,
                        "ToPort": 5432,
                        "IpRanges": [{"CidrIp": "10.10.0.0/16"}],
                    }
                ],
            )
        ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            SubnetId=s,
            SecurityGroupIds=[sg],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )
        out[name] = {"vpc": v, "rt": rt}
    pcx = ec2.create_vpc_peering_connection(VpcId=out["app"]["vpc"], PeerVpcId=out["db"]["vpc"])
    pcx = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(
        RouteTableId=out["app"]["rt"],
        DestinationCidrBlock="10.20.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    ec2.create_route(
        RouteTableId=out["db"]["rt"],
        DestinationCidrBlock="10.10.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    out["pcx"] = pcx
    return out


def test_moto_peering_reaches_the_database(moto_peering):
    rc, t = _live(moto_peering, "--from", "app", "--to", "db", "--port", "5432")
    odd = [(h["step"], h["detail"]) for h in t["hops"] if h["status"] != "pass"]
    assert (rc, t["verdict"]) == (0, "reachable"), odd
    assert "VPC peering" in [h["step"] for h in t["hops"]]


def test_moto_peering_without_the_route_back(moto_peering):
    ec2 = moto_peering["ec2"]
    ec2.delete_route(RouteTableId=moto_peering["db"]["rt"], DestinationCidrBlock="10.10.0.0/16")
    rc, t = _live(moto_peering, "--from", "app", "--to", "db", "--port", "5432")
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert rc == 1 and failed[0]["step"] == "route table (reply)"
    assert failed[0]["rule"] == "peering.missing-return-route"


def test_moto_deleted_peering(moto_peering):
    moto_peering["ec2"].delete_vpc_peering_connection(VpcPeeringConnectionId=moto_peering["pcx"])
    rc, t = _live(moto_peering, "--from", "app", "--to", "db", "--port", "5432")
    assert rc == 1 and t["verdict"] == "not reachable"
    failed = [h for h in t["hops"] if h["status"] == "fail"]
    assert failed[0]["step"] in ("VPC peering", "route table"), failed
