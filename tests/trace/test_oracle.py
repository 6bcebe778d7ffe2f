"""The trace agrees with an independent, deliberately simple oracle on generated VPCs.

The topologies mix overlapping route prefixes (a /8, /16 and /24 inside the default route,
and a /24 more specific than the VPC's local route), blackholes, peering targets and prefix
lists; network ACLs with deny entries before allow entries on overlapping port ranges,
including partial ephemeral ranges; security groups with CIDR and group references; NAT
gateways in public, private and failed states; instances with and without public IPs.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.sources.builder import Builder
from assistant.trace import Tracer
from tests.trace.oracle import Oracle

EXAMPLES = 1000
ROUTE_DESTS = [
    "0.0.0.0/0",
    "8.0.0.0/8",
    "8.8.0.0/16",
    "8.8.8.0/24",
    "203.0.113.0/24",
    "10.0.2.0/24",  # more specific than the local route
    "10.0.0.0/8",  # less specific than the local route
]
ACL_CIDRS = ["0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "8.8.8.0/24", "10.0.0.0/8"]
PORT_RANGES = [
    (0, 65535),
    (22, 22),
    (443, 443),
    (1024, 65535),
    (32768, 65535),
    (1024, 2048),
    (8080, 8080),
    (0, 1023),
    (400, 9000),
]
SG_CIDRS = ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "8.8.8.0/24", "203.0.113.0/24"]
OUTSIDE = ["internet", "8.8.8.8", "8.8.4.4", "203.0.113.7", "1.1.1.1"]
PORTS = [22, 443, 8080, 5432, 1500]


def build(rnd: random.Random) -> tuple[Builder, list[str]]:
    """One generated VPC (every choice from ``rnd``) and its instance ids."""
    b = Builder(seed="oracle")
    vpc = b.vpc("10.0.0.0/16")
    igw_mode = rnd.choice(["attached", "attached", "detached", "none"])
    igw = b.igw(vpc if igw_mode == "attached" else None) if igw_mode != "none" else None
    subnets = [b.subnet(vpc, f"10.0.{i}.0/24", "ab"[i % 2]) for i in range(4)]
    nats = []
    for _ in range(rnd.randint(0, 2)):
        state = rnd.choice(["available", "available", "available", "failed"])
        nats.append(b.nat(rnd.choice(subnets), state=state))
    rts = [b.main_route_table(vpc), b.route_table(vpc), b.route_table(vpc)]
    targets = ([igw] * 3 if igw else []) + nats * 2 + ["pcx-0aaaabbbbcccc1111"]
    for rt in rts:
        for dest in rnd.sample(ROUTE_DESTS, rnd.randint(0, 4)):
            if not targets:
                break
            state = "blackhole" if rnd.randint(0, 9) == 0 else "active"
            b.route(rt, dest, rnd.choice(targets), state=state)
        if nats and rnd.randint(0, 5) == 0:
            b.route(rt, "pl-0123abcd", rnd.choice(nats))
    for s in subnets:
        rt = rnd.choice(rts)
        if rt != rts[0]:
            b.associate(rt, s)
    acls = []
    for _ in range(2):
        entries = []
        numbers = rnd.sample(range(1, 301), rnd.randint(0, 6))
        for n in numbers:
            proto = rnd.choice(["-1", "6", "6", "17"])
            e = {
                "RuleNumber": n,
                "Protocol": proto,
                "RuleAction": rnd.choice(["allow", "allow", "deny"]),
                "Egress": rnd.random() < 0.5,
                "CidrBlock": rnd.choice(ACL_CIDRS),
            }
            if proto != "-1":
                lo, hi = rnd.choice(PORT_RANGES)
                e["PortRange"] = {"From": lo, "To": hi}
            entries.append(e)
        if rnd.randint(0, 3):  # often a broad allow after the specific entries
            for egress in (False, True):
                entries.append(
                    {
                        "RuleNumber": 400 + egress,
                        "Protocol": "-1",
                        "RuleAction": "allow",
                        "Egress": egress,
                        "CidrBlock": "0.0.0.0/0",
                    }
                )
        acls.append(b.nacl(vpc, entries=entries))
    for s in subnets:
        choice = rnd.randint(0, 2)
        if choice:
            b.nacl_associate(acls[choice - 1], s)
    groups: list[str] = []
    for k in range(3):

        def perms() -> list[dict]:
            out = []
            if rnd.random() < 0.5:
                out.append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
            for _ in range(rnd.randint(0, 3)):
                proto = rnd.choice(["tcp", "tcp", "udp", "-1"])
                if proto == "-1":
                    p = {"IpProtocol": "-1"}
                else:
                    lo, hi = rnd.choice(PORT_RANGES)
                    p = {"IpProtocol": proto, "FromPort": lo, "ToPort": hi}
                if groups and rnd.randint(0, 3) == 0:
                    p["UserIdGroupPairs"] = [{"GroupId": rnd.choice(groups)}]
                else:
                    p["IpRanges"] = [{"CidrIp": rnd.choice(SG_CIDRS)}]
                out.append(p)
            return out

        egress = None if rnd.randint(0, 2) else perms()
        groups.append(b.security_group(vpc, f"g{k}", ingress=perms(), egress=egress))
    instances = []
    for _ in range(rnd.randint(2, 4)):
        instances.append(
            b.instance(
                rnd.choice(subnets),
                rnd.sample(groups, rnd.randint(1, min(2, len(groups)))),
                public_ip=rnd.random() < 0.5,
                state="running" if rnd.randint(0, 9) else "stopped",
            )
        )
    return b, instances


def test_trace_agrees_with_oracle():
    counts: Counter[str] = Counter()
    mismatches: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def check(rnd):
        b, instances = build(rnd)
        tracer = Tracer(b.snapshot())
        oracle = Oracle(b.data)
        ends = instances + OUTSIDE
        for _ in range(12):
            src = rnd.choice(ends)
            dst = rnd.choice([e for e in ends if e != src])
            if src in OUTSIDE and dst in OUTSIDE:
                continue
            port = rnd.choice(PORTS)
            proto = rnd.choice(["tcp", "tcp", "tcp", "udp"])
            got = tracer.trace(src, dst, port, proto).verdict
            want = oracle.verdict(src, dst, port, "6" if proto == "tcp" else "17")
            counts[want] += 1
            if got != want and len(mismatches) < 5:
                mismatches.append(f"{src} -> {dst} {proto}/{port}: trace {got}, oracle {want}")
            assert got == want, mismatches[-1]

    started = time.perf_counter()
    check()
    elapsed = time.perf_counter() - started
    # Every verdict occurs often enough for the agreement to mean something.
    assert counts["reachable"] >= 200, counts
    assert counts["not reachable"] >= 500, counts
    assert counts["unknown"] >= 50, counts
    print(f"{sum(counts.values())} traces on {EXAMPLES} topologies in {elapsed:.1f}s: {counts}")
