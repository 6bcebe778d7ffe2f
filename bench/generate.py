"""Generate a realistic region as AWS CLI output files, of any size, deterministically.

Every file is what ``aws ... describe-*`` writes (JSON indented by 4 spaces, one file per
command, per-item commands in one file per item, named as ``vpc-helper collect-commands``
names them), and every record carries the fields the API returns, not only those the tool
reads: instances with block device mappings, network interfaces with all their fields,
placement, metadata, CPU and DNS options; subnets with ARNs and IP counts; and so on.

Each VPC (100 subnets) follows the classic layout: three public subnets (one per AZ) holding a
NAT gateway each and an internet-facing ALB, private app subnets routed to the NAT of their AZ,
an S3 gateway endpoint and an interface endpoint, a transit gateway attachment, a peering
to the next VPC, five instances per subnet, a target group per ALB with target health. A known
share of resources carry planted faults, so the scan has real work and real findings.

    python bench/generate.py --subnets 1000 --out /tmp/snap1000
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

SUBNETS_PER_VPC = 100
AZS = "abc"
ACCOUNT = "123456789012"
_LEAD = re.compile(rb"\n( *)")


def cli_json(doc: Any, depth: int = 0) -> bytes:
    """``doc`` as the AWS CLI prints it (``json.dumps(indent=4)``), shifted ``depth`` levels."""
    raw = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    shift = b" " * (4 * depth)
    # JSON strings hold no raw newlines: every newline starts an indented line.
    return _LEAD.sub(lambda m: b"\n" + shift + m.group(1) * 2, raw)


@dataclass
class Ids:
    """Deterministic AWS-style ids (17 hex digits) from one seeded generator."""

    rng: random.Random

    def __call__(self, prefix: str) -> str:
        return f"{prefix}-0{self.rng.getrandbits(64):016x}"

    def ip(self, first: int) -> str:
        r = self.rng
        return f"{first}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def _when(rng: random.Random) -> str:
    return (
        f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}+00:00"
    )


def _mac(rng: random.Random) -> str:
    return "0a:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))


def _dns(ip: str, region: str) -> str:
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{ip.replace('.', '-')}.{suffix}"


def _public_dns(ip: str, region: str) -> str:
    return f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com" if ip else ""


def _tags(**kv: str) -> list[dict[str, str]]:
    return [{"Key": k.replace("_", ":"), "Value": v} for k, v in kv.items()]


@dataclass
class Region:
    """What a region's describe-* commands return, built VPC by VPC."""

    region: str
    out: dict[str, list] = field(default_factory=dict)
    listeners: dict[str, list] = field(default_factory=dict)  # lb id -> listeners
    health: dict[str, list] = field(default_factory=dict)  # target group name -> targets
    dns: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)

    def add(self, coll: str, item: dict) -> None:
        self.out.setdefault(coll, []).append(item)

    def plant(self, rule: str) -> None:
        self.planted[rule] = self.planted.get(rule, 0) + 1


def _eni(
    ids: Ids,
    rng: random.Random,
    region: str,
    *,
    subnet: str,
    vpc: str,
    az: str,
    ip: str,
    groups: list[dict],
    kind: str = "interface",
    description: str = "",
    instance: str | None = None,
    public: str | None = None,
    requester: str | None = None,
    eni_id: str | None = None,
) -> dict:
    """A network interface as describe-network-interfaces returns it."""
    eni_id = eni_id or ids("eni")
    assoc = (
        {
            "IpOwnerId": "amazon",
            "PublicDnsName": _public_dns(public, region),
            "PublicIp": public,
        }
        if public
        else None
    )
    attach: dict[str, Any] = {
        "AttachTime": _when(rng),
        "AttachmentId": ids("eni-attach"),
        "DeleteOnTermination": instance is not None,
        "DeviceIndex": 0 if instance else 1,
        "NetworkCardIndex": 0,
        "Status": "attached",
    }
    if instance:
        attach["InstanceId"] = instance
        attach["InstanceOwnerId"] = ACCOUNT
    else:
        attach["InstanceOwnerId"] = "amazon-aws"
    out: dict[str, Any] = {}
    if assoc:
        out["Association"] = assoc
    out |= {
        "Attachment": attach,
        "AvailabilityZone": az,
        "Description": description,
        "Groups": groups,
        "InterfaceType": kind,
        "Ipv6Addresses": [],
        "MacAddress": _mac(rng),
        "NetworkInterfaceId": eni_id,
        "OwnerId": ACCOUNT,
        "PrivateDnsName": _dns(ip, region),
        "PrivateIpAddress": ip,
        "PrivateIpAddresses": [
            {
                **({"Association": assoc} if assoc else {}),
                "Primary": True,
                "PrivateDnsName": _dns(ip, region),
                "PrivateIpAddress": ip,
            }
        ],
        "RequesterManaged": requester is not None,
        "SourceDestCheck": True,
        "Status": "in-use",
        "SubnetId": subnet,
        "TagSet": [],
        "VpcId": vpc,
    }
    if requester:
        out["RequesterId"] = requester
    return out


def _instance(
    ids: Ids,
    rng: random.Random,
    region: str,
    *,
    iid: str,
    eni: dict,
    az: str,
    name: str,
    tier: str,
    groups: list[dict],
) -> dict:
    """An instance as describe-instances returns it (the interface as seen from it)."""
    ip = eni["PrivateIpAddress"]
    public = eni.get("Association", {}).get("PublicIp")
    seen_eni = {
        k: eni[k]
        for k in (
            "Association",
            "Attachment",
            "Description",
            "Groups",
            "Ipv6Addresses",
            "MacAddress",
            "NetworkInterfaceId",
            "OwnerId",
            "PrivateDnsName",
            "PrivateIpAddress",
            "PrivateIpAddresses",
            "SourceDestCheck",
            "Status",
            "SubnetId",
            "VpcId",
            "InterfaceType",
        )
        if k in eni
    }
    seen_eni["Attachment"] = {
        k: v for k, v in eni["Attachment"].items() if k not in ("InstanceId", "InstanceOwnerId")
    }
    inst: dict[str, Any] = {
        "AmiLaunchIndex": 0,
        "ImageId": "ami-0c02fb55956c7d316",
        "InstanceId": iid,
        "InstanceType": rng.choice(("t3.micro", "t3.large", "m5.large", "m6i.xlarge")),
        "KeyName": "ops-2024",
        "LaunchTime": _when(rng),
        "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": az, "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": _dns(ip, region),
        "PrivateIpAddress": ip,
        "ProductCodes": [],
        "PublicDnsName": _public_dns(public or "", region),
        "State": {"Code": 16, "Name": "running"},
        "StateTransitionReason": "",
        "SubnetId": eni["SubnetId"],
        "VpcId": eni["VpcId"],
        "Architecture": "x86_64",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "AttachTime": eni["Attachment"]["AttachTime"],
                    "DeleteOnTermination": True,
                    "Status": "attached",
                    "VolumeId": ids("vol"),
                },
            }
        ],
        "ClientToken": f"terraform-{rng.getrandbits(48):012x}",
        "EbsOptimized": True,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "IamInstanceProfile": {
            "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{tier}-role",
            "Id": f"AIPA{rng.getrandbits(64):016X}",
        },
        "NetworkInterfaces": [seen_eni],
        "RootDeviceName": "/dev/xvda",
        "RootDeviceType": "ebs",
        "SecurityGroups": groups,
        "SourceDestCheck": True,
        "Tags": _tags(Name=name, Tier=tier, Environment="prod", aws_cloudformation_stack="core"),
        "VirtualizationType": "hvm",
        "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
        "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
        "HibernationOptions": {"Configured": False},
        "MetadataOptions": {
            "State": "applied",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 2,
            "HttpEndpoint": "enabled",
            "HttpProtocolIpv6": "disabled",
            "InstanceMetadataTags": "disabled",
        },
        "EnclaveOptions": {"Enabled": False},
        "BootMode": "uefi-preferred",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "UsageOperationUpdateTime": eni["Attachment"]["AttachTime"],
        "PrivateDnsNameOptions": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": False,
            "EnableResourceNameDnsAAAARecord": False,
        },
        "MaintenanceOptions": {"AutoRecovery": "default"},
        "CurrentInstanceBootMode": "legacy-bios",
    }
    if public:
        inst["PublicIpAddress"] = public
    return inst


def _sg(gid: str, name: str, vpc: str, ingress: list[dict], egress: list[dict] | None) -> dict:
    return {
        "Description": f"{name} security group",
        "GroupName": name,
        "IpPermissions": ingress,
        "OwnerId": ACCOUNT,
        "GroupId": gid,
        "IpPermissionsEgress": egress
        if egress is not None
        else [
            {
                "IpProtocol": "-1",
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [],
            }
        ],
        "Tags": _tags(Name=name),
        "VpcId": vpc,
    }


def _tcp(port: int, cidr: str | None = None, group: str | None = None) -> dict:
    return {
        "FromPort": port,
        "IpProtocol": "tcp",
        "IpRanges": [{"CidrIp": cidr, "Description": "from anywhere"}] if cidr else [],
        "Ipv6Ranges": [],
        "PrefixListIds": [],
        "ToPort": port,
        "UserIdGroupPairs": [{"GroupId": group, "UserId": ACCOUNT}] if group else [],
    }


def _vpc(
    reg: Region,
    ids: Ids,
    rng: random.Random,
    v: int,
    count: int,
    per_subnet: int,
    fault_share: float,
    tgw: str,
    tgw_rt: str,
    emit,
) -> tuple[str, str, str]:
    """Build one VPC into ``reg``; instances and interfaces go to ``emit``.

    Returns (vpc id, its CIDR, its first private route table) for peering."""
    region = reg.region
    vpc = ids("vpc")
    cidr = f"10.{v % 256}.0.0/16"
    base = f"10.{v % 256}"
    name = f"prod-{v}"
    reg.add(
        "Vpcs",
        {
            "CidrBlock": cidr,
            "DhcpOptionsId": ids("dopt"),
            "State": "available",
            "VpcId": vpc,
            "OwnerId": ACCOUNT,
            "InstanceTenancy": "default",
            "CidrBlockAssociationSet": [
                {
                    "AssociationId": ids("vpc-cidr-assoc"),
                    "CidrBlock": cidr,
                    "CidrBlockState": {"State": "associated"},
                }
            ],
            "IsDefault": False,
            "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            "Tags": _tags(Name=name, Environment="prod"),
        },
    )
    reg.dns[vpc] = (rng.random() >= fault_share, True)
    if not reg.dns[vpc][0]:
        reg.plant("vpc.dns-disabled")
    igw = ids("igw")
    reg.add(
        "InternetGateways",
        {
            "Attachments": [{"State": "available", "VpcId": vpc}],
            "InternetGatewayId": igw,
            "OwnerId": ACCOUNT,
            "Tags": _tags(Name=f"{name}-igw"),
        },
    )
    if rng.random() >= fault_share * 5:
        reg.add(
            "FlowLogs",
            {
                "CreationTime": _when(rng),
                "DeliverLogsPermissionArn": f"arn:aws:iam::{ACCOUNT}:role/flow-logs",
                "DeliverLogsStatus": "SUCCESS",
                "FlowLogId": ids("fl"),
                "FlowLogStatus": "ACTIVE",
                "LogGroupName": f"/vpc/{name}",
                "ResourceId": vpc,
                "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs",
                "LogFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr}",
                "Tags": [],
                "MaxAggregationInterval": 600,
            },
        )
    else:
        reg.plant("vpc.flow-logs-disabled")
    local = {
        "DestinationCidrBlock": cidr,
        "GatewayId": "local",
        "Origin": "CreateRouteTable",
        "State": "active",
    }
    tgw_route = {
        "DestinationCidrBlock": "10.0.0.0/8",
        "TransitGatewayId": tgw,
        "Origin": "CreateRoute",
        "State": "active",
    }

    def table(rt: str, routes: list[dict], assocs: list[dict], label: str) -> dict:
        return {
            "Associations": assocs,
            "PropagatingVgws": [],
            "RouteTableId": rt,
            "Routes": routes,
            "Tags": _tags(Name=f"{name}-{label}"),
            "VpcId": vpc,
            "OwnerId": ACCOUNT,
        }

    def assoc(rt: str, sid: str | None = None) -> dict:
        a: dict[str, Any] = {
            "Main": sid is None,
            "RouteTableAssociationId": ids("rtbassoc"),
            "RouteTableId": rt,
        }
        if sid:
            a["SubnetId"] = sid
        a["AssociationState"] = {"State": "associated"}
        return a

    main_rt = ids("rtb")
    reg.add("RouteTables", table(main_rt, [local], [assoc(main_rt)], "main"))
    pub_rt = ids("rtb")
    pub_assocs: list[dict] = []
    reg.add(
        "RouteTables",
        table(
            pub_rt,
            [
                local,
                {
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": igw,
                    "Origin": "CreateRoute",
                    "State": "active",
                },
            ],
            pub_assocs,
            "public",
        ),
    )
    acl_assocs: list[dict] = []
    acl = ids("acl")
    reg.add(
        "NetworkAcls",
        {
            "Associations": acl_assocs,
            "Entries": [
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": egress,
                    "Protocol": "-1",
                    "RuleAction": action,
                    "RuleNumber": n,
                }
                for egress in (True, False)
                for n, action in ((100, "allow"), (32767, "deny"))
            ],
            "IsDefault": True,
            "NetworkAclId": acl,
            "Tags": [],
            "VpcId": vpc,
            "OwnerId": ACCOUNT,
        },
    )
    default_sg, alb_sg, app_sg, db_sg = ids("sg"), ids("sg"), ids("sg"), ids("sg")
    reg.add(
        "SecurityGroups",
        {
            "Description": "default VPC security group",
            "GroupName": "default",
            "IpPermissions": [
                {
                    "IpProtocol": "-1",
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [{"GroupId": default_sg, "UserId": ACCOUNT}],
                }
            ],
            "OwnerId": ACCOUNT,
            "GroupId": default_sg,
            "IpPermissionsEgress": [
                {
                    "IpProtocol": "-1",
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [],
                }
            ],
            "VpcId": vpc,
        },
    )
    reg.add(
        "SecurityGroups",
        _sg(alb_sg, f"{name}-alb", vpc, [_tcp(443, "0.0.0.0/0"), _tcp(80, "0.0.0.0/0")], None),
    )
    app_in = [_tcp(8080, group=alb_sg), _tcp(22, cidr="10.0.0.0/8")]
    if rng.random() < fault_share * 5:
        reg.plant("exposure.sg-open-admin-port")
        app_in[1] = _tcp(22, cidr="0.0.0.0/0")
    reg.add("SecurityGroups", _sg(app_sg, f"{name}-app", vpc, app_in, None))
    db_in = [_tcp(5432, group=app_sg)]
    if rng.random() < fault_share * 5:
        reg.plant("exposure.sg-open-database-port")
        db_in.append(_tcp(5432, cidr="0.0.0.0/0"))
    reg.add("SecurityGroups", _sg(db_sg, f"{name}-db", vpc, db_in, None))
    gref = {
        sg: [{"GroupName": n, "GroupId": sg}]
        for sg, n in ((alb_sg, f"{name}-alb"), (app_sg, f"{name}-app"), (db_sg, f"{name}-db"))
    }

    nats: dict[str, str] = {}
    publics: dict[str, str] = {}
    private_rts: list[str] = []
    app_targets: list[tuple[str, str]] = []  # (instance, az)
    endpoint_subnets: list[tuple[str, str, str]] = []  # (subnet, az, cidr base)
    for k in range(count):
        az_letter = AZS[k % len(AZS)]
        az = f"{region}{az_letter}"
        sid = ids("subnet")
        public = k < len(AZS)
        tier = "public" if public else ("db" if k % 10 == 9 else "app")
        sname = f"{name}-{'public' if public else 'private-' + tier}-{az_letter}-{k}"
        reg.add(
            "Subnets",
            {
                "AvailabilityZone": az,
                "AvailabilityZoneId": f"use1-az{AZS.index(az_letter) + 1}",
                "AvailableIpAddressCount": 251 - per_subnet,
                "CidrBlock": f"{base}.{k}.0/24",
                "DefaultForAz": False,
                "MapPublicIpOnLaunch": public,
                "MapCustomerOwnedIpOnLaunch": False,
                "State": "available",
                "SubnetId": sid,
                "VpcId": vpc,
                "OwnerId": ACCOUNT,
                "AssignIpv6AddressOnCreation": False,
                "Ipv6CidrBlockAssociationSet": [],
                "Tags": _tags(Name=sname, Tier=tier),
                "SubnetArn": f"arn:aws:ec2:{region}:{ACCOUNT}:subnet/{sid}",
                "EnableDns64": False,
                "Ipv6Native": False,
                "PrivateDnsNameOptionsOnLaunch": {
                    "HostnameType": "ip-name",
                    "EnableResourceNameDnsARecord": False,
                    "EnableResourceNameDnsAAAARecord": False,
                },
                "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            },
        )
        acl_assocs.append(
            {"NetworkAclAssociationId": ids("aclassoc"), "NetworkAclId": acl, "SubnetId": sid}
        )
        if public:
            pub_assocs.append(assoc(pub_rt, sid))
            publics[az] = sid
            nat, alloc, eip = ids("nat"), ids("eipalloc"), ids.ip(54)
            nat_eni, nat_ip = ids("eni"), f"{base}.{k}.5"
            reg.add(
                "NatGateways",
                {
                    "CreateTime": _when(rng),
                    "NatGatewayAddresses": [
                        {
                            "AllocationId": alloc,
                            "NetworkInterfaceId": nat_eni,
                            "PrivateIp": nat_ip,
                            "PublicIp": eip,
                            "AssociationId": ids("eipassoc"),
                            "IsPrimary": True,
                            "Status": "succeeded",
                        }
                    ],
                    "NatGatewayId": nat,
                    "State": "available",
                    "SubnetId": sid,
                    "VpcId": vpc,
                    "Tags": _tags(Name=f"{name}-nat-{az_letter}"),
                    "ConnectivityType": "public",
                },
            )
            reg.add(
                "Addresses",
                {
                    "AllocationId": alloc,
                    "AssociationId": ids("eipassoc"),
                    "Domain": "vpc",
                    "NetworkInterfaceId": nat_eni,
                    "NetworkInterfaceOwnerId": ACCOUNT,
                    "PrivateIpAddress": nat_ip,
                    "PublicIp": eip,
                    "PublicIpv4Pool": "amazon",
                    "NetworkBorderGroup": region,
                    "Tags": _tags(Name=f"{name}-nat-{az_letter}"),
                },
            )
            emit(
                None,
                _eni(
                    ids,
                    rng,
                    region,
                    subnet=sid,
                    vpc=vpc,
                    az=az,
                    ip=nat_ip,
                    groups=[],
                    kind="nat_gateway",
                    description=f"Interface for NAT Gateway {nat}",
                    public=eip,
                    requester="440000000000",
                    eni_id=nat_eni,
                ),
            )
            nats[az] = nat
        else:
            rt = ids("rtb")
            routes = [local, tgw_route]
            roll = rng.random()
            if roll < fault_share:
                if tier == "app":  # a data subnet without a default route is by design
                    reg.plant("egress.no-default-route")
            elif roll < 2 * fault_share:
                reg.plant("nat.cross-az")
                other = [a for a in nats if a != az] or [az]
                routes.append(
                    {
                        "DestinationCidrBlock": "0.0.0.0/0",
                        "NatGatewayId": nats[other[0]],
                        "Origin": "CreateRoute",
                        "State": "active",
                    }
                )
            else:
                routes.append(
                    {
                        "DestinationCidrBlock": "0.0.0.0/0",
                        "NatGatewayId": nats[az],
                        "Origin": "CreateRoute",
                        "State": "active",
                    }
                )
            reg.add("RouteTables", table(rt, routes, [assoc(rt, sid)], sname))
            private_rts.append(rt)
            if len(endpoint_subnets) < len(AZS):
                endpoint_subnets.append((sid, az, f"{base}.{k}"))
        for j in range(per_subnet):
            iid = ids("i")
            ip = f"{base}.{k}.{10 + j}"
            pub = None
            if public:  # MapPublicIpOnLaunch: each gets one, unless launched without
                if rng.random() >= fault_share:
                    pub = ids.ip(34)
                else:
                    reg.plant("ingress.public-instance-without-public-ip")
            elif not public and rng.random() < fault_share / per_subnet:
                reg.plant("exposure.public-ip-in-private-subnet")
                pub = ids.ip(18)
            groups = gref[alb_sg if public else (db_sg if tier == "db" else app_sg)]
            eni = _eni(
                ids,
                rng,
                region,
                subnet=sid,
                vpc=vpc,
                az=az,
                ip=ip,
                groups=groups,
                description="Primary network interface",
                instance=iid,
                public=pub,
            )
            inst = _instance(
                ids,
                rng,
                region,
                iid=iid,
                eni=eni,
                az=az,
                name=f"{sname}-{j}",
                tier="web" if public else tier,
                groups=groups,
            )
            emit(
                {
                    "Groups": [],
                    "Instances": [inst],
                    "OwnerId": ACCOUNT,
                    "ReservationId": ids("r"),
                },
                eni,
            )
            if tier == "app" and len(app_targets) < 6:
                app_targets.append((iid, az))
    # The internet-facing ALB in the public subnets, HTTPS and a redirect, one target group.
    lb_id = f"{rng.getrandbits(64):016x}"
    lb_name = f"{name}-web"
    lb_arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/app/{lb_name}/{lb_id}"
    tg_name = f"{name}-app"
    tg_arn = (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/{tg_name}/"
        f"{rng.getrandbits(64):016x}"
    )
    reg.add(
        "LoadBalancers",
        {
            "LoadBalancerArn": lb_arn,
            "DNSName": f"{lb_name}-{rng.randrange(10**9)}.{region}.elb.amazonaws.com",
            "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
            "CreatedTime": _when(rng).replace("+00:00", ".000000+00:00"),
            "LoadBalancerName": lb_name,
            "Scheme": "internet-facing",
            "VpcId": vpc,
            "State": {"Code": "active"},
            "Type": "application",
            "AvailabilityZones": [
                {"ZoneName": az, "SubnetId": sid, "LoadBalancerAddresses": []}
                for az, sid in publics.items()
            ],
            "SecurityGroups": [alb_sg],
            "IpAddressType": "ipv4",
            "EnablePrefixForIpv6SourceNat": "off",
        },
    )
    for n, (az, sid) in enumerate(publics.items()):
        emit(
            None,
            _eni(
                ids,
                rng,
                region,
                subnet=sid,
                vpc=vpc,
                az=az,
                ip=f"{base}.{n}.{200 + n}",
                groups=gref[alb_sg],
                description=f"ELB app/{lb_name}/{lb_id}",
                requester="amazon-elb",
            ),
        )
    cert = f"arn:aws:acm:{region}:{ACCOUNT}:certificate/{rng.getrandbits(128):032x}"
    reg.listeners[lb_id] = [
        {
            "ListenerArn": lb_arn.replace(":loadbalancer/", ":listener/")
            + f"/{rng.getrandbits(64):016x}",
            "LoadBalancerArn": lb_arn,
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": cert}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "DefaultActions": [
                {
                    "Type": "forward",
                    "TargetGroupArn": tg_arn,
                    "ForwardConfig": {
                        "TargetGroups": [{"TargetGroupArn": tg_arn, "Weight": 1}],
                        "TargetGroupStickinessConfig": {"Enabled": False},
                    },
                }
            ],
        },
        {
            "ListenerArn": lb_arn.replace(":loadbalancer/", ":listener/")
            + f"/{rng.getrandbits(64):016x}",
            "LoadBalancerArn": lb_arn,
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "redirect",
                    "Order": 1,
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "Host": "#{host}",
                        "Path": "/#{path}",
                        "Query": "#{query}",
                        "StatusCode": "HTTP_301",
                    },
                }
            ],
        },
    ]
    reg.add(
        "TargetGroups",
        {
            "TargetGroupArn": tg_arn,
            "TargetGroupName": tg_name,
            "Protocol": "HTTP",
            "Port": 8080,
            "VpcId": vpc,
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPort": "traffic-port",
            "HealthCheckEnabled": True,
            "HealthCheckIntervalSeconds": 30,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2,
            "HealthCheckPath": "/health",
            "Matcher": {"HttpCode": "200"},
            "LoadBalancerArns": [lb_arn],
            "TargetType": "instance",
            "ProtocolVersion": "HTTP1",
            "IpAddressType": "ipv4",
        },
    )
    sick = rng.random() < fault_share * 5
    if sick:
        reg.plant("ingress.targets-unhealthy")
    reg.health[tg_name] = [
        {
            "Target": {"Id": iid, "Port": 8080, "AvailabilityZone": az},
            "HealthCheckPort": "8080",
            "TargetHealth": {
                "State": "unhealthy",
                "Reason": "Target.ResponseCodeMismatch",
                "Description": "Health checks failed with these codes: [502]",
            }
            if sick and n == 0
            else {"State": "healthy"},
        }
        for n, (iid, az) in enumerate(app_targets)
    ]
    # Endpoints: S3 on the private route tables, SSM as interfaces in three subnets.
    reg.add(
        "VpcEndpoints",
        {
            "VpcEndpointId": ids("vpce"),
            "VpcEndpointType": "Gateway",
            "VpcId": vpc,
            "ServiceName": f"com.amazonaws.{region}.s3",
            "State": "available",
            "PolicyDocument": '{"Version":"2008-10-17","Statement":[{"Effect":"Allow",'
            '"Principal":"*","Action":"*","Resource":"*"}]}',
            "RouteTableIds": private_rts,
            "SubnetIds": [],
            "Groups": [],
            "PrivateDnsEnabled": False,
            "RequesterManaged": False,
            "NetworkInterfaceIds": [],
            "DnsEntries": [],
            "CreationTimestamp": _when(rng),
            "Tags": [],
            "OwnerId": ACCOUNT,
        },
    )
    vpce = ids("vpce")
    enis = []
    for sid, az, sbase in endpoint_subnets:
        e = _eni(
            ids,
            rng,
            region,
            subnet=sid,
            vpc=vpc,
            az=az,
            ip=f"{sbase}.100",
            groups=gref[app_sg],
            kind="vpc_endpoint",
            description=f"VPC Endpoint Interface {vpce}",
            requester="727180483921",
        )
        enis.append(e["NetworkInterfaceId"])
        emit(None, e)
    reg.add(
        "VpcEndpoints",
        {
            "VpcEndpointId": vpce,
            "VpcEndpointType": "Interface",
            "VpcId": vpc,
            "ServiceName": f"com.amazonaws.{region}.ssm",
            "State": "available",
            "RouteTableIds": [],
            "SubnetIds": [s for s, _, _ in endpoint_subnets],
            "Groups": [{"GroupId": app_sg, "GroupName": f"{name}-app"}],
            "IpAddressType": "ipv4",
            "DnsOptions": {"DnsRecordIpType": "ipv4"},
            "PrivateDnsEnabled": True,
            "RequesterManaged": False,
            "NetworkInterfaceIds": enis,
            "DnsEntries": [
                {
                    "DnsName": f"{vpce}-{rng.getrandbits(32):08x}.ssm.{region}.vpce.amazonaws.com",
                    "HostedZoneId": "Z7HUB22UULQXV",
                },
                {"DnsName": f"ssm.{region}.amazonaws.com", "HostedZoneId": "Z0123456789ABC"},
            ],
            "CreationTimestamp": _when(rng),
            "Tags": [],
            "OwnerId": ACCOUNT,
        },
    )
    # The transit gateway attachment: one subnet per AZ.
    att = ids("tgw-attach")
    tgw_subnets = [s for s, _, _ in endpoint_subnets]
    reg.add(
        "TransitGatewayAttachments",
        {
            "TransitGatewayAttachmentId": att,
            "TransitGatewayId": tgw,
            "TransitGatewayOwnerId": ACCOUNT,
            "ResourceOwnerId": ACCOUNT,
            "ResourceType": "vpc",
            "ResourceId": vpc,
            "State": "available",
            "Association": {"TransitGatewayRouteTableId": tgw_rt, "State": "associated"},
            "CreationTime": _when(rng),
            "Tags": _tags(Name=f"{name}-tgw"),
        },
    )
    reg.add(
        "TransitGatewayVpcAttachments",
        {
            "TransitGatewayAttachmentId": att,
            "TransitGatewayId": tgw,
            "VpcId": vpc,
            "VpcOwnerId": ACCOUNT,
            "State": "available",
            "SubnetIds": tgw_subnets,
            "CreationTime": _when(rng),
            "Options": {
                "DnsSupport": "enable",
                "SecurityGroupReferencingSupport": "enable",
                "Ipv6Support": "disable",
                "ApplianceModeSupport": "disable",
            },
            "Tags": _tags(Name=f"{name}-tgw"),
        },
    )
    for az in publics:
        for n, (s2, az2, sbase) in enumerate(endpoint_subnets):
            if az2 == az:
                emit(
                    None,
                    _eni(
                        ids,
                        rng,
                        region,
                        subnet=s2,
                        vpc=vpc,
                        az=az2,
                        ip=f"{sbase}.{120 + n}",
                        groups=[],
                        kind="transit_gateway",
                        description=f"Network Interface for Transit Gateway Attachment {att}",
                        requester="amazon-aws",
                    ),
                )
    return vpc, cidr, private_rts[0] if private_rts else main_rt


class _ArrayWriter:
    """Writes ``{"Key": [ item, ... ]}`` one item at a time, as the AWS CLI prints it."""

    def __init__(self, fh: IO[bytes], key: str):
        self.fh = fh
        self.first = True
        fh.write(b'{\n    "' + key.encode() + b'": [')

    def add(self, item: dict) -> None:
        self.fh.write(b"\n        " if self.first else b",\n        ")
        self.fh.write(cli_json(item, depth=2))
        self.first = False

    def close(self) -> None:
        self.fh.write(b"\n    ]\n}\n" if not self.first else b"]\n}\n")
        self.fh.close()


def generate(
    out: Path,
    subnets: int,
    per_subnet: int = 5,
    fault_share: float = 0.02,
    seed: int = 1,
    region: str = "us-east-1",
) -> dict[str, int]:
    """Write the region's AWS CLI outputs into ``out``; return {planted fault: count}."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    ids = Ids(rng)
    reg = Region(region)
    instances = _ArrayWriter((out / "instances.json").open("wb"), "Reservations")
    interfaces = _ArrayWriter((out / "network-interfaces.json").open("wb"), "NetworkInterfaces")

    def emit(reservation: dict | None, eni: dict) -> None:
        if reservation is not None:
            instances.add(reservation)
        interfaces.add(eni)

    tgw, tgw_rt = ids("tgw"), ids("tgw-rtb")
    n_vpcs = max(1, -(-subnets // SUBNETS_PER_VPC))
    made = 0
    vpcs: list[tuple[str, str, str]] = []
    for v in range(n_vpcs):
        count = min(SUBNETS_PER_VPC, subnets - made)
        vpcs.append(_vpc(reg, ids, rng, v, count, per_subnet, fault_share, tgw, tgw_rt, emit))
        made += count
    instances.close()
    interfaces.close()
    by_id = {rt["RouteTableId"]: rt for rt in reg.out["RouteTables"]}
    # Peering: each pair of neighbouring VPCs (0-1, 2-3, ...); some lack the return route.
    for a, b in zip(vpcs[0::2], vpcs[1::2], strict=False):
        pcx = ids("pcx")
        reg.add(
            "VpcPeeringConnections",
            {
                "AccepterVpcInfo": {
                    "CidrBlock": b[1],
                    "CidrBlockSet": [{"CidrBlock": b[1]}],
                    "OwnerId": ACCOUNT,
                    "PeeringOptions": {"AllowDnsResolutionFromRemoteVpc": False},
                    "VpcId": b[0],
                    "Region": region,
                },
                "ExpirationTime": _when(rng),
                "RequesterVpcInfo": {
                    "CidrBlock": a[1],
                    "CidrBlockSet": [{"CidrBlock": a[1]}],
                    "OwnerId": ACCOUNT,
                    "PeeringOptions": {"AllowDnsResolutionFromRemoteVpc": False},
                    "VpcId": a[0],
                    "Region": region,
                },
                "Status": {"Code": "active", "Message": "Active"},
                "Tags": [],
                "VpcPeeringConnectionId": pcx,
            },
        )
        one_sided = rng.random() < fault_share * 10
        if one_sided:
            reg.plant("peering.missing-return-route")
        for me, other, skip in ((a, b, False), (b, a, one_sided)):
            rt = by_id.get(me[2])
            if rt is None or skip:
                continue
            rt["Routes"].append(
                {
                    "DestinationCidrBlock": other[1],
                    "VpcPeeringConnectionId": pcx,
                    "Origin": "CreateRoute",
                    "State": "active",
                }
            )
    reg.add(
        "TransitGateways",
        {
            "TransitGatewayId": tgw,
            "TransitGatewayArn": f"arn:aws:ec2:{region}:{ACCOUNT}:transit-gateway/{tgw}",
            "State": "available",
            "OwnerId": ACCOUNT,
            "Description": "core",
            "CreationTime": _when(rng),
            "Options": {
                "AmazonSideAsn": 64512,
                "AutoAcceptSharedAttachments": "disable",
                "DefaultRouteTableAssociation": "enable",
                "AssociationDefaultRouteTableId": tgw_rt,
                "DefaultRouteTablePropagation": "enable",
                "PropagationDefaultRouteTableId": tgw_rt,
                "VpnEcmpSupport": "enable",
                "DnsSupport": "enable",
                "MulticastSupport": "disable",
            },
            "Tags": _tags(Name="core"),
        },
    )
    reg.add(
        "TransitGatewayRouteTables",
        {
            "TransitGatewayRouteTableId": tgw_rt,
            "TransitGatewayId": tgw,
            "State": "available",
            "DefaultAssociationRouteTable": True,
            "DefaultPropagationRouteTable": True,
            "CreationTime": _when(rng),
            "Tags": [],
        },
    )
    names = {
        "Vpcs": "vpcs",
        "Subnets": "subnets",
        "RouteTables": "route-tables",
        "InternetGateways": "internet-gateways",
        "NatGateways": "nat-gateways",
        "Addresses": "addresses",
        "VpcEndpoints": "vpc-endpoints",
        "VpcPeeringConnections": "vpc-peering-connections",
        "TransitGatewayAttachments": "transit-gateway-attachments",
        "SecurityGroups": "security-groups",
        "NetworkAcls": "network-acls",
        "FlowLogs": "flow-logs",
        "LoadBalancers": "load-balancers",
        "TargetGroups": "target-groups",
        "TransitGateways": "transit-gateways",
        "TransitGatewayVpcAttachments": "transit-gateway-vpc-attachments",
        "TransitGatewayRouteTables": "transit-gateway-route-tables",
    }
    for coll, stem in names.items():
        _write(out / f"{stem}.json", {coll: reg.out.get(coll, [])})
    _write(out / "egress-only-internet-gateways.json", {"EgressOnlyInternetGateways": []})
    for lb_id, listeners in reg.listeners.items():
        _write(out / f"listeners-{lb_id}.json", {"Listeners": listeners})
    for tg_name, descs in reg.health.items():
        _write(out / f"target-health-{tg_name}.json", {"TargetHealthDescriptions": descs})
    for vpc, (support, hostnames) in reg.dns.items():
        _write(
            out / f"vpc-attr-dns-support-{vpc}.json",
            {"VpcId": vpc, "EnableDnsSupport": {"Value": support}},
        )
        _write(
            out / f"vpc-attr-dns-hostnames-{vpc}.json",
            {"VpcId": vpc, "EnableDnsHostnames": {"Value": hostnames}},
        )
    return dict(sorted(reg.planted.items()))


def _write(path: Path, doc: dict) -> None:
    path.write_bytes(cli_json(doc) + b"\n")


def iter_files(directory: Path) -> Iterator[Path]:
    """The generated files, in name order."""
    return iter(sorted(p for p in directory.iterdir() if p.suffix == ".json"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subnets", type=int, default=1000)
    ap.add_argument("--instances-per-subnet", type=int, default=5)
    ap.add_argument("--fault-share", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    planted = generate(a.out, a.subnets, a.instances_per_subnet, a.fault_share, a.seed)
    size = sum(p.stat().st_size for p in iter_files(a.out))
    print(f"wrote {a.out}: {size / 1e6:.1f} MB; planted: {planted}")


if __name__ == "__main__":
    main()
