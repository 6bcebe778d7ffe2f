"""Scenarios built on the moto server with ordinary boto3 calls, as a user's account would be."""

from __future__ import annotations

from typing import Any

import boto3

AMI = "ami-12c6146b"


def clients(region: str = "us-east-1") -> tuple[Any, Any]:
    """EC2 and ELBv2 clients for ``region`` (the endpoint comes from AWS_ENDPOINT_URL)."""
    ec2 = boto3.client("ec2", region_name=region)
    elbv2 = boto3.client("elbv2", region_name=region)
    assert "127.0.0.1" in ec2.meta.endpoint_url, "tests must never reach real AWS"
    assert "127.0.0.1" in elbv2.meta.endpoint_url, "tests must never reach real AWS"
    return ec2, elbv2


def _tags(kind: str, name: str, **extra: str) -> list[dict[str, Any]]:
    tags = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    return [{"ResourceType": kind, "Tags": tags}]


def subnet(ec2, vpc: str, cidr: str, az: str, name: str, public: bool = False) -> str:
    sid = ec2.create_subnet(
        VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=_tags("subnet", name)
    )["Subnet"]["SubnetId"]
    if public:
        ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    return sid


def route_table(ec2, vpc: str, name: str) -> str:
    return ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("route-table", name))[
        "RouteTable"
    ]["RouteTableId"]


def nat(ec2, subnet_id: str, name: str) -> str:
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(
        SubnetId=subnet_id, AllocationId=alloc, TagSpecifications=_tags("natgateway", name)
    )["NatGateway"]["NatGatewayId"]


def instances(ec2, subnet_id: str, groups: list[str], name: str, count: int = 1) -> list[str]:
    res = ec2.run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=count,
        MaxCount=count,
        SubnetId=subnet_id,
        SecurityGroupIds=groups,
        TagSpecifications=_tags("instance", name, Role="app"),
    )
    return [i["InstanceId"] for i in res["Instances"]]


def classic(
    region: str = "us-east-1",
    name: str = "shop",
    cidr: str = "10.0.0.0/16",
    azs: str = "ab",
    app_per_az: int = 2,
    with_lb: bool = True,
) -> dict[str, Any]:
    """The reference architecture, built right: ALB in public subnets, app servers in private
    subnets, a NAT gateway per AZ in the public subnets, an S3 gateway endpoint."""
    ec2, elbv2 = clients(region)
    prefix = cidr.split(".")[:2]
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags("vpc", f"{name}-vpc"))["Vpc"][
        "VpcId"
    ]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", f"{name}-igw"))[
        "InternetGateway"
    ]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pub_rt = route_table(ec2, vpc, f"{name}-public-rt")
    ec2.create_route(RouteTableId=pub_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    alb_sg = ec2.create_security_group(
        GroupName=f"{name}-alb-sg", Description="ALB: HTTPS and HTTP from the internet", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            for p in (443, 80)
        ],
    )
    app_sg = ec2.create_security_group(
        GroupName=f"{name}-app-sg", Description="App servers: 8080 from the ALB only", VpcId=vpc
    )["GroupId"]
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
    out: dict[str, Any] = {
        "region": region,
        "vpc": vpc,
        "igw": igw,
        "public_rt": pub_rt,
        "alb_sg": alb_sg,
        "app_sg": app_sg,
        "public": [],
        "private": [],
        "private_rt": [],
        "nat": [],
        "apps": [],
    }
    for n, az in enumerate(azs):
        zone = f"{region}{az}"
        pub = subnet(
            ec2, vpc, f"{prefix[0]}.{prefix[1]}.{2 * n}.0/24", zone, f"{name}-public-{az}", True
        )
        ec2.associate_route_table(RouteTableId=pub_rt, SubnetId=pub)
        nat_id = nat(ec2, pub, f"{name}-nat-{az}")
        prv = subnet(
            ec2, vpc, f"{prefix[0]}.{prefix[1]}.{2 * n + 1}.0/24", zone, f"{name}-private-app-{az}"
        )
        rt = route_table(ec2, vpc, f"{name}-private-rt-{az}")
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
        ec2.associate_route_table(RouteTableId=rt, SubnetId=prv)
        out["public"].append(pub)
        out["private"].append(prv)
        out["private_rt"].append(rt)
        out["nat"].append(nat_id)
        if app_per_az:
            out["apps"] += instances(ec2, prv, [app_sg], f"{name}-app-{az}", app_per_az)
    out["endpoint"] = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=out["private_rt"],
    )["VpcEndpoint"]["VpcEndpointId"]
    if with_lb:
        lb = elbv2.create_load_balancer(
            Name=f"{name}-alb",
            Subnets=out["public"],
            SecurityGroups=[alb_sg],
            Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elbv2.create_target_group(
            Name=f"{name}-app-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        if out["apps"]:
            elbv2.register_targets(
                TargetGroupArn=tg, Targets=[{"Id": i, "Port": 8080} for i in out["apps"]]
            )
        https_with_redirect(elbv2, region, f"{name}.example.com", lb, tg)
        out["lb"], out["tg"] = lb, tg
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=f"/vpc/{name}",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
    )
    return out


def open_ssh_to_world(ec2, group_id: str) -> None:
    """The classic mistake: SSH open to 0.0.0.0/0 on a security group."""
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )


def hub(
    vpcs: dict[str, dict[str, Any]],
    region: str = "us-east-1",
    blackhole: str | None = "10.99.0.0/16",
) -> dict[str, Any]:
    """A transit gateway joining ``vpcs`` (name -> a ``classic()`` result): one attachment per
    VPC on its app subnets, one route table associated with every attachment, propagation
    enabled, a static route per VPC (moto does not create propagated routes) and a blackhole."""
    ec2, _ = clients(region)
    tgw = ec2.create_transit_gateway(
        Description="hub",
        Options={
            "DefaultRouteTableAssociation": "disable",
            "DefaultRouteTablePropagation": "disable",
        },
        TagSpecifications=_tags("transit-gateway", "hub-tgw"),
    )["TransitGateway"]["TransitGatewayId"]
    rtb = ec2.create_transit_gateway_route_table(
        TransitGatewayId=tgw, TagSpecifications=_tags("transit-gateway-route-table", "hub-rt")
    )["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    attachments: dict[str, str] = {}
    for name, v in vpcs.items():
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [v["vpc"]]}])
        by_az: dict[str, str] = {}
        for s in subnets["Subnets"]:
            by_az.setdefault(s["AvailabilityZone"], s["SubnetId"])
        att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=v["vpc"], SubnetIds=sorted(by_az.values())
        )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        attachments[name] = att
        ec2.associate_transit_gateway_route_table(
            TransitGatewayRouteTableId=rtb, TransitGatewayAttachmentId=att
        )
        ec2.enable_transit_gateway_route_table_propagation(
            TransitGatewayRouteTableId=rtb, TransitGatewayAttachmentId=att
        )
        cidr = ec2.describe_vpcs(VpcIds=[v["vpc"]])["Vpcs"][0]["CidrBlock"]
        ec2.create_transit_gateway_route(
            DestinationCidrBlock=cidr,
            TransitGatewayRouteTableId=rtb,
            TransitGatewayAttachmentId=att,
        )
    if blackhole:
        ec2.create_transit_gateway_route(
            DestinationCidrBlock=blackhole, TransitGatewayRouteTableId=rtb, Blackhole=True
        )
    return {"tgw": tgw, "rtb": rtb, "attachments": attachments}


def peering(a: str, b: str, region: str = "us-east-1") -> str:
    """An accepted (active) peering connection between VPCs ``a`` and ``b``."""
    ec2, _ = clients(region)
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    return pcx


def prefix_list(cidrs: list[str], name: str = "office", region: str = "us-east-1") -> str:
    """A customer-managed prefix list with ``cidrs``."""
    ec2, _ = clients(region)
    return ec2.create_managed_prefix_list(
        PrefixListName=name,
        Entries=[{"Cidr": c, "Description": f"{name} {n}"} for n, c in enumerate(cidrs)],
        MaxEntries=max(5, len(cidrs)),
        AddressFamily="IPv4",
    )["PrefixList"]["PrefixListId"]


def vpn(vpc: str, region: str = "us-east-1") -> dict[str, str]:
    """A VPN gateway attached to ``vpc`` and a VPN connection to a customer gateway."""
    ec2, _ = clients(region)
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.7", BgpAsn=65000)[
        "CustomerGateway"
    ]["CustomerGatewayId"]
    conn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw)[
        "VpnConnection"
    ]["VpnConnectionId"]
    return {"vgw": vgw, "vpn": conn}


def https_with_redirect(elbv2, region: str, domain: str, lb: str, tg: str) -> None:
    """An HTTPS listener (ACM certificate for ``domain``) forwarding to ``tg``, and HTTP 80
    redirecting to it: the listeners of the reference architecture."""
    import boto3

    cert = boto3.client("acm", region_name=region).request_certificate(DomainName=domain)[
        "CertificateArn"
    ]
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "redirect",
                "RedirectConfig": {
                    "Protocol": "HTTPS",
                    "Port": "443",
                    "StatusCode": "HTTP_301",
                },
            }
        ],
    )
