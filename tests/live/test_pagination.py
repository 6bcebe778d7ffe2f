"""Paging: moto rarely returns a NextToken, so the pages come from botocore's Stubber."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from assistant.sources.live import OPERATIONS, _Region, _Task, read_pages

OPS = {op.name: op for op in OPERATIONS}


def _client(service: str):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


def _subnet(n: int) -> dict:
    return {"SubnetId": f"subnet-{n:017x}", "VpcId": "vpc-1", "CidrBlock": f"10.0.{n}.0/24"}


def test_ec2_pages_follow_next_token():
    ec2 = _client("ec2")
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_subnets",
            {"Subnets": [_subnet(1), _subnet(2)], "NextToken": "page-2"},
            {"Filters": filters},
        )
        stub.add_response(
            "describe_subnets",
            {"Subnets": [_subnet(3)], "NextToken": "page-3"},
            {"Filters": filters, "NextToken": "page-2"},
        )
        stub.add_response(
            "describe_subnets",
            {"Subnets": [_subnet(4)]},
            {"Filters": filters, "NextToken": "page-3"},
        )
        items = read_pages(ec2, OPS["DescribeSubnets"], Filters=filters)
        stub.assert_no_pending_responses()
    assert [s["SubnetId"] for s in items] == [_subnet(n)["SubnetId"] for n in (1, 2, 3, 4)]


def test_elbv2_pages_follow_next_marker():
    elbv2 = _client("elbv2")
    lb = {"LoadBalancerArn": "arn:lb/{}", "LoadBalancerName": "lb", "VpcId": "vpc-1"}
    with Stubber(elbv2) as stub:
        stub.add_response(
            "describe_load_balancers",
            {"LoadBalancers": [dict(lb, LoadBalancerArn="arn:lb/1")], "NextMarker": "m2"},
            {},
        )
        stub.add_response(
            "describe_load_balancers",
            {"LoadBalancers": [dict(lb, LoadBalancerArn="arn:lb/2")]},
            {"Marker": "m2"},
        )
        items = read_pages(elbv2, OPS["DescribeLoadBalancers"])
        stub.assert_no_pending_responses()
    assert [x["LoadBalancerArn"] for x in items] == ["arn:lb/1", "arn:lb/2"]


def test_instances_flattened_across_pages_of_reservations():
    region = _Region(boto3.Session(), "us-east-1", "http://127.0.0.1:9", ["vpc-1"])
    ec2 = _client("ec2")
    region.clients["ec2"] = ec2
    inst = {"InstanceId": "i-1", "SubnetId": "subnet-1", "VpcId": "vpc-1"}
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_instances",
            {
                "Reservations": [
                    {"Instances": [inst, dict(inst, InstanceId="i-2")]},
                    {"Instances": [dict(inst, InstanceId="i-3")]},
                ],
                "NextToken": "t",
            },
            {"Filters": filters},
        )
        stub.add_response(
            "describe_instances",
            {"Reservations": [{"Instances": [dict(inst, InstanceId="i-4")]}]},
            {"Filters": filters, "NextToken": "t"},
        )
        region.run(_Task(OPS["DescribeInstances"], "us-east-1"))
        stub.assert_no_pending_responses()
    assert [i["InstanceId"] for i in region.raw["Instances"]] == ["i-1", "i-2", "i-3", "i-4"]


def test_listeners_of_a_load_balancer_are_paged():
    region = _Region(boto3.Session(), "us-east-1", "http://127.0.0.1:9", None)
    elbv2 = _client("elbv2")
    region.clients["elbv2"] = elbv2
    listener = {"ListenerArn": "arn:l/1", "LoadBalancerArn": "arn:lb/1", "Port": 80}
    with Stubber(elbv2) as stub:
        stub.add_response(
            "describe_listeners",
            {"Listeners": [listener], "NextMarker": "m"},
            {"LoadBalancerArn": "arn:lb/1"},
        )
        stub.add_response(
            "describe_listeners",
            {"Listeners": [dict(listener, ListenerArn="arn:l/2", Port=443)]},
            {"LoadBalancerArn": "arn:lb/1", "Marker": "m"},
        )
        region.run(_Task(OPS["DescribeListeners"], "us-east-1", "arn:lb/1"))
        stub.assert_no_pending_responses()
    assert [x["Port"] for x in region.per_item["Listeners"]["arn:lb/1"]] == [80, 443]


def test_transit_gateway_routes_of_a_table_are_paged_with_their_filter():
    region = _Region(boto3.Session(), "us-east-1", "http://127.0.0.1:9", None)
    ec2 = _client("ec2")
    region.clients["ec2"] = ec2
    route = {"DestinationCidrBlock": "10.1.0.0/16", "Type": "static", "State": "active"}
    params = {
        "TransitGatewayRouteTableId": "tgw-rtb-1",
        "Filters": [{"Name": "type", "Values": ["static", "propagated"]}],
    }
    with Stubber(ec2) as stub:
        stub.add_response(
            "search_transit_gateway_routes",
            {"Routes": [route], "AdditionalRoutesAvailable": True, "NextToken": "n"},
            params,
        )
        stub.add_response(
            "search_transit_gateway_routes",
            {"Routes": [dict(route, DestinationCidrBlock="10.2.0.0/16", State="blackhole")]},
            dict(params, NextToken="n"),
        )
        region.run(_Task(OPS["SearchTransitGatewayRoutes"], "us-east-1", "tgw-rtb-1"))
        stub.assert_no_pending_responses()
    got = region.per_item["TransitGatewayRoutes"]["tgw-rtb-1"]
    assert [(r["DestinationCidrBlock"], r["State"]) for r in got] == [
        ("10.1.0.0/16", "active"),
        ("10.2.0.0/16", "blackhole"),
    ]
