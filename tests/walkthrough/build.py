"""Build a plan on the moto server with boto3, the way the generated script does with the CLI.

The script itself is run with the AWS CLI in test_end_to_end.py (slow: one CLI start per call);
verify's tests need many VPCs, so they build them with the same API calls made in-process.
"""

from __future__ import annotations

import ipaddress

from assistant.walkthrough.plan import Plan
from tests.live.scenario import _tags, clients, https_with_redirect


def build(plan: Plan) -> str:
    """Create every planned piece; return the VPC id."""
    ec2, elbv2 = clients(plan.region)
    ids: dict[str, str] = {}
    vpc = ec2.create_vpc(
        CidrBlock=plan.vpc_cidr,
        AmazonProvidedIpv6CidrBlock=plan.ipv6,
        TagSpecifications=_tags("vpc", plan.vpc_name),
    )["Vpc"]
    v = ids["vpc"] = vpc["VpcId"]
    ec2.modify_vpc_attribute(VpcId=v, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=v, EnableDnsHostnames={"Value": True})
    v6 = None
    if plan.ipv6:
        got = ec2.describe_vpcs(VpcIds=[v])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]
        v6 = list(ipaddress.ip_network(got[0]["Ipv6CidrBlock"]).subnets(new_prefix=64))
    if plan.igw:
        ids["igw"] = ec2.create_internet_gateway(
            TagSpecifications=_tags("internet-gateway", f"{plan.name}-igw")
        )["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=v)
    if plan.eigw:
        ids["eigw"] = ec2.create_egress_only_internet_gateway(VpcId=v)["EgressOnlyInternetGateway"][
            "EgressOnlyInternetGatewayId"
        ]
    for s in plan.subnets:
        kw = {"Ipv6CidrBlock": str(v6[s.ipv6_index])} if v6 and s.ipv6_index is not None else {}
        ids[s.key] = ec2.create_subnet(
            VpcId=v,
            CidrBlock=s.cidr,
            AvailabilityZone=s.az,
            TagSpecifications=_tags("subnet", s.name),
            **kw,
        )["Subnet"]["SubnetId"]
    for n in plan.nats:
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ids[n.key] = ec2.create_nat_gateway(
            SubnetId=ids[n.subnet],
            AllocationId=alloc,
            TagSpecifications=_tags("natgateway", n.name),
        )["NatGateway"]["NatGatewayId"]
    for rt in plan.route_tables:
        r = ids[rt.key] = ec2.create_route_table(
            VpcId=v, TagSpecifications=_tags("route-table", rt.name)
        )["RouteTable"]["RouteTableId"]
        for route in rt.routes:
            dest = (
                {"DestinationIpv6CidrBlock": route.destination}
                if ":" in route.destination
                else {"DestinationCidrBlock": route.destination}
            )
            target = {
                "igw": {"GatewayId": ids.get("igw", "")},
                "eigw": {"EgressOnlyInternetGatewayId": ids.get("eigw", "")},
                "nat": {"NatGatewayId": ids.get(route.target, "")},
            }[route.target_kind]
            ec2.create_route(RouteTableId=r, **dest, **target)
        for k in rt.subnets:
            ec2.associate_route_table(RouteTableId=r, SubnetId=ids[k])
    if plan.s3_endpoint:
        ids["s3"] = ec2.create_vpc_endpoint(
            VpcId=v,
            VpcEndpointType="Gateway",
            ServiceName=f"com.amazonaws.{plan.region}.s3",
            RouteTableIds=[ids[k] for k in plan.endpoint_route_tables],
        )["VpcEndpoint"]["VpcEndpointId"]
    for g in plan.groups:
        gid = ids[g.key] = ec2.create_security_group(
            GroupName=g.name, Description=g.description, VpcId=v
        )["GroupId"]
        for rule in g.ingress:
            src = (
                {"IpRanges": [{"CidrIp": rule.source}]}
                if rule.source[0].isdigit()
                else {"UserIdGroupPairs": [{"GroupId": ids[rule.source]}]}
            )
            ec2.authorize_security_group_ingress(
                GroupId=gid,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": rule.port, "ToPort": rule.port, **src}
                ],
            )
    if plan.alb:
        a = plan.alb
        lb = elbv2.create_load_balancer(
            Name=a.name,
            Subnets=[ids[k] for k in a.subnets],
            SecurityGroups=[ids[a.group]],
            Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elbv2.create_target_group(
            Name=a.target_group, Protocol="HTTP", Port=a.port, VpcId=v, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        https_with_redirect(elbv2, plan.region, "app.example.com", lb, tg)
    return v
