"""The fix commands are pasteable: run against an EC2 API server, they clear the finding.

Resources are created on the moto server, read back with the AWS CLI commands that
`collect-commands` prints, diagnosed, fixed by running the finding's own CLI steps, and read again.
"""

from __future__ import annotations

import subprocess

import boto3
import pytest

from assistant.engine import diagnose
from assistant.sources.files import load_snapshot

DESCRIBE = {
    "vpcs.json": "aws ec2 describe-vpcs",
    "subnets.json": "aws ec2 describe-subnets",
    "route-tables.json": "aws ec2 describe-route-tables",
    "internet-gateways.json": "aws ec2 describe-internet-gateways",
    "nat-gateways.json": "aws ec2 describe-nat-gateways",
    "addresses.json": "aws ec2 describe-addresses",
    "security-groups.json": "aws ec2 describe-security-groups",
    "network-acls.json": "aws ec2 describe-network-acls",
    "instances.json": "aws ec2 describe-instances",
    "network-interfaces.json": "aws ec2 describe-network-interfaces",
}


def _sh(cmd: str) -> str:
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{cmd}\n{r.stderr}"
    return r.stdout


def _scan(tmp_path, vpc_id: str, extra: dict[str, str] | None = None):
    d = tmp_path / f"snap{len(list(tmp_path.iterdir()))}"
    d.mkdir()
    for name, cmd in {**DESCRIBE, **(extra or {})}.items():
        (d / name).write_text(_sh(cmd))
    return diagnose(load_snapshot(d), vpc_ids=[vpc_id])


def _fix(finding, steps: list[int] | None = None) -> None:
    for n, step in enumerate(finding.fix):
        if steps is not None and n not in steps:
            continue
        for cmd in step.cli:
            assert "<" not in cmd, f"not pasteable as is: {cmd}"
            _sh(cmd)


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2", region_name="us-east-1")


def _network(ec2):
    """A VPC with a public subnet (NAT gateway) and a private subnet routed to it."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")
    pub = pub["Subnet"]["SubnetId"]
    prv = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    prv = prv["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[prv], Tags=[{"Key": "Name", "Value": "app-private-a"}])
    prt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=prt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=prt, SubnetId=pub)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=pub, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=prv)
    return vpc, pub, prv


def _findings(diag, rule_id):
    return [f for f in diag.findings if f.rule == rule_id]


def test_open_database_port_fix_revokes_the_rule(ec2, tmp_path):
    vpc, _, _ = _network(ec2)
    g = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=g,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    (f,) = _findings(_scan(tmp_path, vpc), "exposure.sg-open-database-port")
    assert f.severity.value == "medium" and g in f.resources
    _fix(f, steps=[0])
    assert not _findings(_scan(tmp_path, vpc), "exposure.sg-open-database-port")


def test_moto_custom_acl_blocks_return_traffic_and_the_fix_opens_it(ec2, tmp_path):
    """moto's custom ACLs have no final deny entry: no matching entry means denied."""
    vpc, _, prv = _network(ec2)
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 443, "To": 443},
        )
    assoc = next(
        a["NetworkAclAssociationId"]
        for n in ec2.describe_network_acls()["NetworkAcls"]
        for a in n["Associations"]
        if a["SubnetId"] == prv
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    diag = _scan(tmp_path, vpc)
    (f,) = _findings(diag, "nacl.blocks-return-traffic")
    assert acl in f.resources and prv in f.resources
    assert any("no entry matches ports 1024-65535" in e for e in f.evidence), f.evidence
    (web,) = _findings(diag, "nacl.blocks-egress-web")  # port 80 is not allowed out
    assert any("port 80" in e or "ports 80" in e for e in web.evidence), web.evidence
    _fix(f)
    assert not _findings(_scan(tmp_path, vpc), "nacl.blocks-return-traffic")


def test_default_security_group_fix_empties_it(ec2, tmp_path):
    vpc, _, _ = _network(ec2)
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=default,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    (f,) = _findings(_scan(tmp_path, vpc), "exposure.default-sg-has-rules")
    _fix(f)
    left = ec2.describe_security_groups(GroupIds=[default])["SecurityGroups"][0]
    assert left["IpPermissions"] == [] and left["IpPermissionsEgress"] == []
    assert not _findings(_scan(tmp_path, vpc), "exposure.default-sg-has-rules")


def test_dns_disabled_fix_turns_it_on(ec2, tmp_path):
    vpc, _, _ = _network(ec2)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    attr = {
        f"vpc-attr-dns-support-{vpc}.json": (
            f"aws ec2 describe-vpc-attribute --vpc-id {vpc} --attribute enableDnsSupport"
        )
    }
    (f,) = _findings(_scan(tmp_path, vpc, attr), "vpc.dns-disabled")
    _fix(f, steps=[0])
    assert not _findings(_scan(tmp_path, vpc, attr), "vpc.dns-disabled")
