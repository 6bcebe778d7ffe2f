"""Trace speed on large snapshots built with the scenario builder.

Two layouts: ten VPCs of 1,000 subnets in all (ALB, NAT gateways, network ACLs), and 20 VPCs
of 1,000 subnets in all joined by a transit gateway (hub-and-spoke with centralised egress:
every spoke -> internet trace crosses the TGW twice, every spoke -> spoke trace too).

Run: python bench/trace_bench.py [--subnets N] [--traces N] [--layout classic|tgw|both]
Prints the time to build the indexes once and the milliseconds per trace after that.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.sources.builder import Builder, hub_and_spoke  # noqa: E402
from assistant.trace import Tracer  # noqa: E402


def build(subnets: int) -> tuple[Builder, list[str], list[str]]:
    """Ten VPCs of ``subnets/10`` subnets each: half public, half private behind NAT per AZ,
    two instances per private subnet, an ALB per VPC, a custom network ACL per VPC."""
    b = Builder(seed="bench")
    per_vpc = max(2, subnets // 10)
    apps: list[str] = []
    lbs: list[str] = []
    for v in range(10):
        cidr = f"10.{v * 16}.0.0/12"
        vpc = b.vpc(cidr, name=f"bench-{v}")
        igw = b.igw(vpc)
        pub_rt = b.route_table(vpc)
        b.route(pub_rt, "0.0.0.0/0", igw)
        blocks = ipaddress.ip_network(cidr).subnets(new_prefix=24)
        alb_sg = b.security_group(vpc, "alb", ingress=[b.perm(443, "0.0.0.0/0")])
        app_sg = b.security_group(vpc, "app", ingress=[b.perm(8080, group=alb_sg)])
        acl = b.nacl(
            vpc,
            entries=[
                {
                    "RuleNumber": 90,
                    "Protocol": "6",
                    "RuleAction": "deny",
                    "Egress": False,
                    "CidrBlock": "0.0.0.0/0",
                    "PortRange": {"From": 22, "To": 22},
                },
                {
                    "RuleNumber": 100,
                    "Protocol": "-1",
                    "RuleAction": "allow",
                    "Egress": False,
                    "CidrBlock": "0.0.0.0/0",
                },
                {
                    "RuleNumber": 100,
                    "Protocol": "-1",
                    "RuleAction": "allow",
                    "Egress": True,
                    "CidrBlock": "0.0.0.0/0",
                },
            ],
        )
        pubs = []
        for k in range(per_vpc // 2):
            az = "abc"[k % 3]
            pub = b.subnet(vpc, str(next(blocks)), az, name=f"pub-{v}-{k}")
            b.associate(pub_rt, pub)
            b.nacl_associate(acl, pub)
            pubs.append(pub)
            nat = b.nat(pub)
            prv = b.subnet(vpc, str(next(blocks)), az, name=f"prv-{v}-{k}")
            rt = b.route_table(vpc)
            b.route(rt, "0.0.0.0/0", nat)
            b.associate(rt, prv)
            b.nacl_associate(acl, prv)
            for _ in range(2):
                apps.append(b.instance(prv, [app_sg]))
        lb = b.load_balancer(f"bench-alb-{v}", pubs[:3], [alb_sg])
        tg = b.target_group(f"bench-tg-{v}", vpc, 8080, apps[-6:], lb_arn=lb)
        b.listener(lb, 443, "HTTPS", tg)
        lbs.append(f"bench-alb-{v}")
    return b, apps, lbs


def build_tgw(subnets: int, vpcs: int = 20) -> tuple[Builder, list[str]]:
    """An egress hub and ``vpcs - 1`` spokes on one transit gateway, ``subnets`` subnets in
    all: each spoke has three attachment subnets and private subnets routing 0.0.0.0/0 to the
    TGW, one instance per private subnet."""
    b = Builder(seed="bench-tgw")
    h = hub_and_spoke(b, spokes=vpcs - 1, azs="abc", name="bench")
    per_spoke, extra = divmod(max(0, subnets - len(b.data["Subnets"])), vpcs - 1)
    apps = [a for sp in h["spokes"] for a in sp["apps"]]
    for k, sp in enumerate(h["spokes"], start=1):
        for n in range(per_spoke + (1 if k <= extra else 0)):
            az = "abc"[n % 3]
            sub = b.subnet(sp["vpc"], f"10.{k}.{10 + n}.0/24", az, name=f"bench-{k}-{n}")
            b.associate(sp["rt"], sub)
            apps.append(b.instance(sub, [sp["sg"]]))
    return b, apps


def bench_tgw(subnets: int, traces: int) -> float:
    b, apps = build_tgw(subnets)
    snap = b.snapshot()
    started = time.perf_counter()
    tracer = Tracer(snap)
    _ = tracer.topo.views
    setup = (time.perf_counter() - started) * 1000
    rnd = random.Random(11)
    queries = [
        (rnd.choice(apps), "internet", 443)
        if n % 2 == 0
        else (rnd.choice(apps), rnd.choice(apps), 443)
        for n in range(traces)
    ]
    tracer.trace(apps[0], "internet", 443)
    times: dict[str, list[float]] = {
        "spoke -> internet (centralised egress)": [],
        "spoke -> spoke": [],
    }
    verdicts: dict[str, int] = {}
    for n, (src, dst, port) in enumerate(queries):
        t0 = time.perf_counter()
        t = tracer.trace(src, dst, port)
        ms = (time.perf_counter() - t0) * 1000
        times[list(times)[n % 2]].append(ms)
        verdicts[t.verdict] = verdicts.get(t.verdict, 0) + 1
    every = [x for ts in times.values() for x in ts]
    print(
        f"TGW hub-and-spoke: {len(snap.Vpcs)} VPCs, {len(snap.Subnets)} subnets, "
        f"{len(snap.Instances)} instances, {len(snap.TransitGatewayVpcAttachments)} attachments"
    )
    print(f"indexes built once in {setup:.0f} ms")
    mean = statistics.mean(every)
    print(
        f"{len(every)} traces: mean {mean:.2f} ms, median {statistics.median(every):.2f} ms, "
        f"max {max(every):.2f} ms per trace (target < 10 ms mean); verdicts {verdicts}"
    )
    for name, ts in times.items():
        print(f"  {name:<40} median {statistics.median(ts):.2f} ms, max {max(ts):.2f} ms")
    return mean


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subnets", type=int, default=1000)
    ap.add_argument("--traces", type=int, default=400)
    ap.add_argument("--layout", choices=("classic", "tgw", "both"), default="both")
    args = ap.parse_args()
    if args.layout in ("tgw", "both"):
        bench_tgw(args.subnets, args.traces)
        if args.layout == "tgw":
            return
        print()
    b, apps, lbs = build(args.subnets)
    snap = b.snapshot()
    started = time.perf_counter()
    tracer = Tracer(snap)
    _ = tracer.topo.views  # the subnet roles, computed once per snapshot
    setup = (time.perf_counter() - started) * 1000
    rnd = random.Random(7)
    queries = []
    for n in range(args.traces):
        kind = n % 4
        if kind == 0:
            queries.append((rnd.choice(apps), "internet", 443))
        elif kind == 1:
            queries.append(("internet", rnd.choice(lbs), 443))
        elif kind == 2:
            queries.append((rnd.choice(apps), rnd.choice(apps), 8080))
        else:
            queries.append(("internet", rnd.choice(apps), 22))
    tracer.trace(apps[0], "internet", 443)  # warm-up: reads the rule catalogue once
    times = []
    by_kind: dict[str, list[float]] = {}
    names = [
        "instance -> internet",
        "internet -> load balancer",
        "instance -> instance",
        "internet -> instance",
    ]
    for n, (src, dst, port) in enumerate(queries):
        t0 = time.perf_counter()
        tracer.trace(src, dst, port)
        ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        by_kind.setdefault(names[n % 4], []).append(ms)
    print(
        f"{len(snap.Subnets)} subnets, {len(snap.Instances)} instances, "
        f"{len(snap.RouteTables)} route tables, {len(snap.LoadBalancers)} load balancers"
    )
    print(f"indexes built once in {setup:.0f} ms")
    print(
        f"{len(times)} traces: mean {statistics.mean(times):.2f} ms, "
        f"median {statistics.median(times):.2f} ms, max {max(times):.2f} ms per trace "
        "(target < 50 ms)"
    )
    for name, ts in by_kind.items():
        print(f"  {name:<26} median {statistics.median(ts):.2f} ms, max {max(ts):.2f} ms")


if __name__ == "__main__":
    main()
