"""The issue's three intents on a VPC built through the EC2 API (moto server over HTTP) and
read back live, as a user's account would be."""

from __future__ import annotations

import tomllib

from assistant.intents import HOLDS, VIOLATED, parse_intents
from assistant.intents.check import check_intents
from tests.intents.test_intents import ISSUE
from tests.live.scenario import classic, clients


def _tag(ec2, ids: list[str], **tags: str) -> None:
    ec2.create_tags(Resources=ids, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def _build(db_open: bool) -> dict:
    ec2, _ = clients()
    prod = classic(name="prod")
    dev = classic(name="dev", cidr="10.1.0.0/16", app_per_az=1, with_lb=False)
    _tag(ec2, [prod["vpc"]], env="prod")
    _tag(ec2, [dev["vpc"]], env="dev")
    _tag(ec2, prod["private"], tier="app")
    db_sg = ec2.create_security_group(GroupName="db-sg", Description="database", VpcId=prod["vpc"])[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=db_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": prod["app_sg"]}],
            }
        ],
    )
    if db_open:  # the mistake: the database in a public subnet, open to the world
        ec2.authorize_security_group_ingress(
            GroupId=db_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        # and a network ACL on one app subnet that denies outbound HTTPS
        acl = ec2.create_network_acl(VpcId=prod["vpc"])["NetworkAcl"]["NetworkAclId"]
        for egress in (False, True):
            ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=200,
                Protocol="-1",
                RuleAction="allow",
                Egress=egress,
                CidrBlock="0.0.0.0/0",
            )
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="deny",
            Egress=True,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 443, "To": 443},
        )
        assoc = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [prod["private"][1]]}]
        )["NetworkAcls"][0]["Associations"]
        old = next(a for a in assoc if a["SubnetId"] == prod["private"][1])
        ec2.replace_network_acl_association(
            AssociationId=old["NetworkAclAssociationId"], NetworkAclId=acl
        )
    where = prod["public"][0] if db_open else prod["private"][0]
    db = ec2.run_instances(
        ImageId="ami-12c6146b",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": where,
                "Groups": [db_sg],
                "AssociatePublicIpAddress": db_open,
            }
        ],
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "Name", "Value": "db-1"}, {"Key": "tier", "Value": "db"}],
            }
        ],
    )["Instances"][0]["InstanceId"]
    return {"prod": prod, "dev": dev, "db": db, "db_sg": db_sg}


def _check(endpoint_url: str, built: dict):
    from assistant.sources.live import collect

    snap = collect(
        regions=["us-east-1"],
        endpoint_url=endpoint_url,
        vpc_ids=[built["prod"]["vpc"], built["dev"]["vpc"]],
    )
    return check_intents(snap, parse_intents(tomllib.loads(ISSUE), "intents.toml"))


def test_issue_intents_hold_on_a_healthy_account(aws):
    db, envs, app = _check(aws, _build(db_open=False))
    assert db.status == HOLDS and db.pairs >= 1, db.notes
    assert app.status == HOLDS and app.pairs == 5, (app.notes, app.fix)  # the db shares a subnet
    assert envs.broken == 0 and envs.pairs == 5 * 2  # 4 app servers and the db, 2 dev servers


def test_mistakes_are_traced_to_the_allowing_and_the_blocking_hop(aws):
    built = _build(db_open=True)
    db, _, app = _check(aws, built)
    assert app.status == VIOLATED and app.broken == 2 and app.pairs == 4
    assert app.fix.hop.step.startswith("network ACL outbound") and app.fix.hop.status == "fail"
    assert app.fix.rule == "nacl.blocks-egress-web"
    assert db.status == VIOLATED and db.broken == 1
    assert db.examples[0].destination.startswith(built["db"]) and db.examples[0].ports == [
        (5432, 5432)
    ]
    assert db.fix.hop.step == "security group ingress" and db.fix.hop.where == built["db_sg"]
    assert db.fix.rule == "exposure.sg-open-database-port"
    assert (
        f"--group-id {built['db_sg']} --protocol tcp --port 5432 --cidr 0.0.0.0/0"
        in (db.fix.cli[0])
    )
