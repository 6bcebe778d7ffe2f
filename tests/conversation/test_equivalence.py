"""Question mode, driven by pasting a moto scenario's own describe-* outputs (and "I don't know"
to everything else), names exactly the rules a scan names for the symptom: the full set."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from assistant.conversation import questions as qs
from assistant.conversation.session import Session
from assistant.engine import diagnose
from assistant.sources.live import collect
from tests.live.scenario import clients, nat, open_ssh_to_world

EC2_CALLS = {  # collection -> (describe call, filters by VPC)
    "Vpcs": ("describe_vpcs", "vpc-id"),
    "Subnets": ("describe_subnets", "vpc-id"),
    "RouteTables": ("describe_route_tables", "vpc-id"),
    "InternetGateways": ("describe_internet_gateways", None),
    "NatGateways": ("describe_nat_gateways", "vpc-id"),
    "VpcEndpoints": ("describe_vpc_endpoints", "vpc-id"),
    "Instances": ("describe_instances", "vpc-id"),
    "NetworkInterfaces": ("describe_network_interfaces", "vpc-id"),
    "SecurityGroups": ("describe_security_groups", "vpc-id"),
    "NetworkAcls": ("describe_network_acls", "vpc-id"),
    "FlowLogs": ("describe_flow_logs", None),
    "Addresses": ("describe_addresses", None),
    "VpcPeeringConnections": ("describe_vpc_peering_connections", None),
}


def _clean(resp: dict[str, Any]) -> dict[str, Any]:
    resp = {k: v for k, v in resp.items() if k not in ("ResponseMetadata", "NextToken")}
    return orjson.loads(orjson.dumps(resp))  # what `aws ... --output json` prints


def outputs(vpc: str) -> dict[str, list[dict[str, Any]]]:
    """Collection -> the JSON documents the AWS CLI prints for it (several for per-item calls)."""
    ec2, elbv2 = clients()
    out: dict[str, list[dict[str, Any]]] = {}
    for coll, (call, filt) in EC2_CALLS.items():
        kw = {"Filters": [{"Name": filt, "Values": [vpc]}]} if filt else {}
        out[coll] = [_clean(getattr(ec2, call)(**kw))]
    out["VpcAttributes"] = [
        _clean(ec2.describe_vpc_attribute(VpcId=vpc, Attribute=a))
        for a in ("enableDnsSupport", "enableDnsHostnames")
    ]
    lbs = elbv2.describe_load_balancers()
    tgs = elbv2.describe_target_groups()
    out["LoadBalancers"] = [_clean(lbs)]
    out["TargetGroups"] = [_clean(tgs)]
    out["Listeners"] = [
        _clean(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"]))
        for lb in lbs["LoadBalancers"]
    ]
    out["TargetHealth"] = [
        _clean(elbv2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"]))
        for tg in tgs["TargetGroups"]
    ]
    return out


def drive(symptom: str, docs: dict[str, list[dict[str, Any]]]) -> Session:
    """Answer every question by pasting what it asks for; "I don't know" when nothing fits."""
    s = Session()
    s.start()
    s.send(symptom)
    s.send("questions")
    pasted: set[str] = set()
    for _ in range(80):
        if s.step == "pick":  # several instances or load balancers pasted: which one
            s.send("1")
            continue
        if s.step != "question":
            break
        q = s.question
        assert q is not None
        todo = [c for c in q.collections if c not in pasted and c in docs]
        if todo:
            pasted.add(todo[0])
            for doc in docs[todo[0]]:  # every document of it, as a user would paste them
                s.send(orjson.dumps(doc).decode())
                assert s.turns[-1].kind != "error", s.turns[-1].text
        else:
            s.send("skip" if q.id.startswith("paste_") else qs.UNKNOWN)
    assert s.step == "results", s.turns[-1].text
    return s


def _healthy(ec2, elbv2, c):
    return None


def _nat_in_private_subnet(ec2, elbv2, c):
    misplaced = nat(ec2, c["private"][1], "misplaced-nat")
    ec2.replace_route(
        RouteTableId=c["private_rt"][1], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=misplaced
    )


def _no_default_route(ec2, elbv2, c):
    ec2.delete_route(RouteTableId=c["private_rt"][0], DestinationCidrBlock="0.0.0.0/0")


def _igw_detached(ec2, elbv2, c):
    ec2.detach_internet_gateway(InternetGatewayId=c["igw"], VpcId=c["vpc"])


def _ssh_open(ec2, elbv2, c):
    open_ssh_to_world(ec2, c["app_sg"])


def _return_traffic_blocked(ec2, elbv2, c):
    acl = ec2.create_network_acl(VpcId=c["vpc"])["NetworkAcl"]["NetworkAclId"]
    for egress in (True, False):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 443, "To": 443},
        )
    assoc = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [c["private"][0]]}]
    )["NetworkAcls"][0]["Associations"]
    aid = next(a["NetworkAclAssociationId"] for a in assoc if a["SubnetId"] == c["private"][0])
    ec2.replace_network_acl_association(AssociationId=aid, NetworkAclId=acl)


def _lb_in_private_subnets(ec2, elbv2, c):
    elbv2.create_load_balancer(
        Name="internal-by-mistake",
        Subnets=c["private"],
        SecurityGroups=[c["alb_sg"]],
        Scheme="internet-facing",
        Type="application",
    )


SCENARIOS = {
    "healthy": _healthy,
    "nat-in-private-subnet": _nat_in_private_subnet,
    "no-default-route": _no_default_route,
    "igw-detached": _igw_detached,
    "ssh-open": _ssh_open,
    "return-traffic-blocked": _return_traffic_blocked,
    "lb-in-private-subnets": _lb_in_private_subnets,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_pasting_a_scenarios_outputs_names_exactly_the_scan_rules(shop, name):
    ec2, elbv2 = clients()
    SCENARIOS[name](ec2, elbv2, shop)
    scan = diagnose(collect(regions=["us-east-1"], vpc_ids=[shop["vpc"]]), vpc_ids=[shop["vpc"]])
    docs = outputs(shop["vpc"])
    fired_somewhere = False
    for symptom in ("egress", "ingress", "exposure"):
        wanted = qs.symptom_rules(symptom)
        assert wanted
        expected = {f.rule for f in scan.findings if f.rule in wanted}
        s = drive(symptom, docs)
        assert {f.rule for f in s.findings} == expected, (symptom, s.turns[-1].text)
        assert s.open_rules == [], (symptom, s.open_rules)  # every rule decided by the pastes
        fired_somewhere |= bool(expected)
    assert fired_somewhere or name == "healthy"
