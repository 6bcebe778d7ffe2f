"""Generate synthetic, realistic VPC snapshots of any size as AWS CLI output files.

Each VPC follows the classic layout (public subnets with a NAT gateway per AZ, private app
subnets routed to them, an internet-facing load balancer) and a known share of subnets carry
planted faults, so the scan has real work and real findings.

    python bench/generate.py --subnets 1000 --instances-per-subnet 5 --out /tmp/snap1000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import orjson

SUBNETS_PER_VPC = 100
AZS = "abc"


def _hex(rng: random.Random) -> str:
    return f"0{rng.getrandbits(64):016x}"


def generate(
    subnets: int,
    per_subnet: int = 5,
    fault_share: float = 0.02,
    seed: int = 1,
    region: str = "us-east-1",
) -> tuple[dict[str, dict], dict[str, int]]:
    """Return ({file name: AWS CLI JSON}, {planted fault: count})."""
    rng = random.Random(seed)
    out: dict[str, list] = {
        k: []
        for k in (
            "Vpcs",
            "Subnets",
            "RouteTables",
            "InternetGateways",
            "NatGateways",
            "Addresses",
            "SecurityGroups",
            "NetworkAcls",
            "LoadBalancers",
            "FlowLogs",
        )
    }
    reservations = []
    planted = {
        "egress.no-default-route": 0,
        "exposure.public-ip-in-private-subnet": 0,
        "exposure.sg-open-admin-port": 0,
        "nat.in-private-subnet": 0,
    }
    n_vpcs = max(1, subnets // SUBNETS_PER_VPC)
    made = 0
    for v in range(n_vpcs):
        count = SUBNETS_PER_VPC if v < n_vpcs - 1 else subnets - made
        vpc = f"vpc-{_hex(rng)}"
        out["Vpcs"].append(
            {
                "VpcId": vpc,
                "CidrBlock": f"10.{v % 256}.0.0/16",
                "State": "available",
                "IsDefault": False,
                "Tags": [{"Key": "Name", "Value": f"bench-{v}"}],
            }
        )
        igw = f"igw-{_hex(rng)}"
        out["InternetGateways"].append(
            {"InternetGatewayId": igw, "Attachments": [{"State": "available", "VpcId": vpc}]}
        )
        out["FlowLogs"].append({"FlowLogId": f"fl-{_hex(rng)}", "ResourceId": vpc})
        main_rt = f"rtb-{_hex(rng)}"
        local = {
            "DestinationCidrBlock": f"10.{v % 256}.0.0/16",
            "GatewayId": "local",
            "State": "active",
        }
        out["RouteTables"].append(
            {
                "RouteTableId": main_rt,
                "VpcId": vpc,
                "Routes": [local],
                "Associations": [{"Main": True, "RouteTableId": main_rt}],
            }
        )
        pub_rt = f"rtb-{_hex(rng)}"
        pub_assoc: list[dict] = []
        out["RouteTables"].append(
            {
                "RouteTableId": pub_rt,
                "VpcId": vpc,
                "Associations": pub_assoc,
                "Routes": [
                    local,
                    {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active"},
                ],
            }
        )
        out["NetworkAcls"].append(
            {
                "NetworkAclId": f"acl-{_hex(rng)}",
                "VpcId": vpc,
                "IsDefault": True,
                "Associations": [],
                "Entries": [
                    {
                        "RuleNumber": n,
                        "Protocol": "-1",
                        "RuleAction": a,
                        "Egress": e,
                        "CidrBlock": "0.0.0.0/0",
                    }
                    for n, a in ((100, "allow"), (32767, "deny"))
                    for e in (False, True)
                ],
            }
        )
        web = f"sg-{_hex(rng)}"
        app = f"sg-{_hex(rng)}"
        admin = f"sg-{_hex(rng)}"
        out["SecurityGroups"] += [
            {
                "GroupId": f"sg-{_hex(rng)}",
                "GroupName": "default",
                "VpcId": vpc,
                "IpPermissions": [],
                "IpPermissionsEgress": [],
            },
            {
                "GroupId": web,
                "GroupName": "alb",
                "VpcId": vpc,
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
                "IpPermissionsEgress": [
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            },
            {
                "GroupId": app,
                "GroupName": "app",
                "VpcId": vpc,
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 8080,
                        "ToPort": 8080,
                        "UserIdGroupPairs": [{"GroupId": web}],
                    }
                ],
                "IpPermissionsEgress": [
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            },
        ]
        if rng.random() < fault_share * 10:
            planted["exposure.sg-open-admin-port"] += 1
            out["SecurityGroups"].append(
                {
                    "GroupId": admin,
                    "GroupName": "admin",
                    "VpcId": vpc,
                    "IpPermissions": [
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 22,
                            "ToPort": 22,
                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                        }
                    ],
                    "IpPermissionsEgress": [],
                }
            )
        nats: dict[str, str] = {}
        publics: list[str] = []
        for k in range(count):
            az = AZS[k % len(AZS)]
            sid = f"subnet-{_hex(rng)}"
            public = k < len(AZS)
            name = f"bench-{v}-{'public' if public else 'private-app'}-{az}-{k}"
            out["Subnets"].append(
                {
                    "SubnetId": sid,
                    "VpcId": vpc,
                    "CidrBlock": f"10.{v % 256}.{k}.0/24",
                    "AvailabilityZone": f"{region}{az}",
                    "State": "available",
                    "MapPublicIpOnLaunch": public,
                    "Tags": [{"Key": "Name", "Value": name}],
                }
            )
            rt = pub_rt
            if public:
                pub_assoc.append({"Main": False, "RouteTableId": pub_rt, "SubnetId": sid})
                publics.append(sid)
                nat = f"nat-{_hex(rng)}"
                alloc = f"eipalloc-{_hex(rng)}"
                ip = f"54.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                out["NatGateways"].append(
                    {
                        "NatGatewayId": nat,
                        "SubnetId": sid,
                        "VpcId": vpc,
                        "State": "available",
                        "ConnectivityType": "public",
                        "NatGatewayAddresses": [{"AllocationId": alloc, "PublicIp": ip}],
                    }
                )
                out["Addresses"].append(
                    {
                        "AllocationId": alloc,
                        "PublicIp": ip,
                        "Domain": "vpc",
                        "AssociationId": f"eipassoc-{_hex(rng)}",
                    }
                )
                nats[az] = nat
            else:
                rt = f"rtb-{_hex(rng)}"
                routes = [local]
                fault = rng.random()
                if fault < fault_share:
                    planted["egress.no-default-route"] += 1
                elif fault < 2 * fault_share and nats:
                    # a NAT gateway created in this private subnet and used by it
                    planted["nat.in-private-subnet"] += 1
                    bad = f"nat-{_hex(rng)}"
                    out["NatGateways"].append(
                        {
                            "NatGatewayId": bad,
                            "SubnetId": sid,
                            "VpcId": vpc,
                            "State": "available",
                            "ConnectivityType": "public",
                            "NatGatewayAddresses": [{"PublicIp": "3.3.3.3"}],
                        }
                    )
                    routes = routes + [
                        {
                            "DestinationCidrBlock": "0.0.0.0/0",
                            "NatGatewayId": bad,
                            "State": "active",
                        }
                    ]
                else:
                    routes = routes + [
                        {
                            "DestinationCidrBlock": "0.0.0.0/0",
                            "NatGatewayId": nats.get(az) or next(iter(nats.values())),
                            "State": "active",
                        }
                    ]
                out["RouteTables"].append(
                    {
                        "RouteTableId": rt,
                        "VpcId": vpc,
                        "Routes": routes,
                        "Associations": [{"Main": False, "RouteTableId": rt, "SubnetId": sid}],
                    }
                )
            for j in range(per_subnet):
                iid = f"i-{_hex(rng)}"
                priv = f"10.{v % 256}.{k}.{10 + j}"
                pub = None
                if public and j == 0:
                    pub = f"34.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                elif not public and rng.random() < fault_share / per_subnet:
                    planted["exposure.public-ip-in-private-subnet"] += 1
                    pub = f"18.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                groups = [{"GroupId": web if public else app, "GroupName": "x"}]
                inst = {
                    "InstanceId": iid,
                    "InstanceType": "t3.micro",
                    "ImageId": "ami-0abc",
                    "SubnetId": sid,
                    "VpcId": vpc,
                    "PrivateIpAddress": priv,
                    "State": {"Code": 16, "Name": "running"},
                    "SecurityGroups": groups,
                    "Placement": {"AvailabilityZone": f"{region}{az}"},
                    "Tags": [{"Key": "Name", "Value": f"{name}-{j}"}],
                    "NetworkInterfaces": [
                        {
                            "NetworkInterfaceId": f"eni-{_hex(rng)}",
                            "SubnetId": sid,
                            "VpcId": vpc,
                            "PrivateIpAddress": priv,
                            "Groups": groups,
                            "SourceDestCheck": True,
                            **({"Association": {"PublicIp": pub}} if pub else {}),
                        }
                    ],
                }
                if pub:
                    inst["PublicIpAddress"] = pub
                reservations.append({"ReservationId": f"r-{_hex(rng)}", "Instances": [inst]})
            made += 1
        lb_arn = (
            f"arn:aws:elasticloadbalancing:{region}:123456789012:loadbalancer/app/"
            f"bench-{v}/{_hex(rng)}"
        )
        out["LoadBalancers"].append(
            {
                "LoadBalancerArn": lb_arn,
                "LoadBalancerName": f"bench-{v}",
                "VpcId": vpc,
                "Scheme": "internet-facing",
                "Type": "application",
                "SecurityGroups": [web],
                "AvailabilityZones": [
                    {"ZoneName": f"{region}{AZS[i]}", "SubnetId": s} for i, s in enumerate(publics)
                ],
            }
        )
    files = {f"{k}.json": {k: val} for k, val in out.items()}
    files["instances.json"] = {"Reservations": reservations}
    return files, planted


def write(files: dict[str, dict], directory: Path) -> int:
    """Write the files; return the total size in bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, data in files.items():
        raw = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        (directory / name).write_bytes(raw)
        total += len(raw)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subnets", type=int, default=1000)
    ap.add_argument("--instances-per-subnet", type=int, default=5)
    ap.add_argument("--fault-share", type=float, default=0.02)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    files, planted = generate(a.subnets, a.instances_per_subnet, a.fault_share)
    size = write(files, a.out)
    print(f"wrote {a.out}: {size / 1e6:.1f} MB; planted: {planted}")


if __name__ == "__main__":
    main()
