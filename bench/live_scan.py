"""Speed of a live scan: API calls made and wall time, against a local moto server.

Builds regions of VPCs x subnets (default 1x50, 10x50 and 500x4; each VPC: an internet
gateway, a NAT gateway per AZ in public subnets, private route tables, a few instances, an
internet-facing ALB with a listener and a target group), and times `collect` + `diagnose`
over HTTP exactly as `vpc-helper scan` does.

For each it prints the calls (one per resource type, plus the per-item calls the API forces,
listed), the wall time, the slowest single call, the parsing (responses into the snapshot)
and the budget "2 x slowest call + parsing" with the wall time's ratio to it.

    python bench/live_scan.py [--repeat 3] [--scenarios 1x50 10x50 500x4]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AZS = "abc"


def build_vpc(ec2, elbv2, n: int, subnets: int, region: str) -> str:
    """One VPC: a third of its subnets public (with a NAT per AZ), the rest private."""
    # a /18 per VPC (room for 64 /24 subnets), so a region can hold up to 1,024 VPCs
    first, third = f"10.{n // 4}", (n % 4) * 64
    vpc = ec2.create_vpc(CidrBlock=f"{first}.{third}.0/18")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pub_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=pub_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    sg = ec2.create_security_group(GroupName=f"app-{n}", Description="app", VpcId=vpc)["GroupId"]
    public = {az: [] for az in AZS}
    private_rt = {}
    n_public = max(len(AZS), subnets // 3)
    for k in range(subnets):
        az = AZS[k % len(AZS)]
        sid = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"{first}.{third + k}.0/24", AvailabilityZone=f"{region}{az}"
        )["Subnet"]["SubnetId"]
        if k < n_public:
            ec2.associate_route_table(RouteTableId=pub_rt, SubnetId=sid)
            if not public[az]:
                alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
                nat = ec2.create_nat_gateway(SubnetId=sid, AllocationId=alloc)["NatGateway"]
                rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
                ec2.create_route(
                    RouteTableId=rt,
                    DestinationCidrBlock="0.0.0.0/0",
                    NatGatewayId=nat["NatGatewayId"],
                )
                private_rt[az] = rt
            public[az].append(sid)
        else:
            ec2.associate_route_table(RouteTableId=private_rt[az], SubnetId=sid)
            if k < n_public + 2 * len(AZS):
                ec2.run_instances(
                    ImageId="ami-12c6146b",
                    MinCount=1,
                    MaxCount=1,
                    SubnetId=sid,
                    SecurityGroupIds=[sg],
                )
    lb = elbv2.create_load_balancer(
        Name=f"alb-{n}", Subnets=[public[az][0] for az in AZS], Scheme="internet-facing"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name=f"tg-{n}", Protocol="HTTP", Port=8080, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    return vpc


def scan_once(region: str) -> dict:
    """One live scan (collect + diagnose): wall time, calls by operation, call durations."""
    import threading

    import boto3

    from assistant.engine import diagnose
    from assistant.sources import live
    from assistant.sources.live import collect

    parse = [0.0]
    original = live._Region.snapshot

    def timed_snapshot(self):  # responses -> snapshot, timed for the budget
        t0 = time.perf_counter()
        try:
            return original(self)
        finally:
            parse[0] += time.perf_counter() - t0

    calls: Counter = Counter()
    durations: list[float] = []
    local = threading.local()
    lock = threading.Lock()

    def before(model, **_):
        local.t = time.perf_counter()
        with lock:
            calls.update([model.name])

    def after(model, **_):
        with lock:
            durations.append(time.perf_counter() - local.t)

    session = boto3.Session()
    session.events.register("before-call", before)
    session.events.register("after-call", after)
    t = time.perf_counter()
    live._Region.snapshot = timed_snapshot
    try:
        snap = collect(regions=[region], session=session)
    finally:
        live._Region.snapshot = original
    read = time.perf_counter() - t
    d = diagnose(snap)
    return {
        "parse": parse[0],
        "wall": time.perf_counter() - t,
        "read": read,
        "calls": calls,
        "slowest": max(durations),
        "sum": sum(durations),
        "findings": len(d.findings),
        "vpcs": len(snap.Vpcs),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="scans per scenario (median shown)")
    ap.add_argument(
        "--scenarios",
        nargs="+",
        default=["1x50", "10x50", "500x4"],
        help="VPCSxSUBNETS per VPC (at most 64 subnets per VPC)",
    )
    args = ap.parse_args()
    scenarios = [tuple(int(x) for x in sc.split("x")) for sc in args.scenarios]
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[k]
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_ENDPOINT_URL=url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    region = "us-east-1"
    print(f"moto server {url}; region {region}; median of {args.repeat} scans")
    from assistant.sources.live import OPERATIONS

    per_item_ops = {op.name for op in OPERATIONS if op.per}
    head = (
        f"{'scenario':<24}{'API calls':>10}{'scan s':>8}{'read s':>8}{'slowest':>9}{'sum':>7}"
        f"{'findings':>9}"
    )
    print(head + "  per-item calls")
    try:
        for vpcs, per_vpc in scenarios:
            urllib.request.urlopen(
                urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10
            ).read()
            ec2 = boto3.client("ec2", region_name=region)
            elbv2 = boto3.client("elbv2", region_name=region)
            t = time.perf_counter()
            for n in range(vpcs):
                build_vpc(ec2, elbv2, n, per_vpc, region)
            build = time.perf_counter() - t
            runs = sorted((scan_once(region) for _ in range(args.repeat)), key=lambda r: r["wall"])
            r = runs[len(runs) // 2]
            calls = r["calls"]
            per_item = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()) if k in per_item_ops)
            name = f"{vpcs} VPC / {vpcs * per_vpc} subnets"
            print(
                f"{name:<24}{sum(calls.values()):>10}{r['wall']:>8.2f}{r['read']:>8.2f}"
                f"{r['slowest']:>9.2f}"
                f"{r['sum']:>7.2f}{r['findings']:>9}  {per_item}"
            )
            budget = 2 * r["slowest"] + r["parse"]
            print(
                f"{'':<24}budget 2 x slowest + parsing ({r['parse']:.2f} s) = {budget:.2f} s; "
                f"wall / budget = {r['wall'] / budget:.2f}"
            )
            print(
                f"{'':<24}(built in {build:.1f} s; {r['vpcs']} VPCs with moto's default one; "
                f"every other operation: one call; read = collect only; "
                f"slowest = longest single call; sum = all call times added up)",
                flush=True,
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
