"""The trace agrees with an independent oracle on generated multi-VPC networks: two to four VPCs
joined by VPC peering (active or not, routes on one or both sides) and a transit gateway
(attachments in some AZs, one or two route tables, missing associations, propagated, static and
blackhole routes, aggregate routes), half of them with a centralised egress VPC (NAT gateway,
attachment subnets, the route back to the spokes, each sometimes missing), with random network
ACLs and security groups. Both the verdict and the first blocking hop must agree, instance to
instance and instance to the internet."""

from __future__ import annotations

import random
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.sources.builder import Builder
from assistant.trace import Tracer
from tests.trace.multi_oracle import MultiOracle

EXAMPLES = 1000
PORTS = [443, 5432, 22]


def _acl_entries(rnd: random.Random) -> list[dict]:
    out = []
    for n in rnd.sample(range(10, 200, 10), rnd.randint(0, 3)):
        lo, hi = rnd.choice([(443, 443), (5432, 5432), (1024, 65535), (32768, 65535), (0, 65535)])
        out.append(
            {
                "RuleNumber": n,
                "Protocol": rnd.choice(["6", "-1", "17"]),
                "RuleAction": rnd.choice(["deny", "allow"]),
                "Egress": rnd.random() < 0.5,
                "CidrBlock": rnd.choice(["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16"]),
                "PortRange": {"From": lo, "To": hi},
            }
        )
    for egress in (False, True):
        if rnd.randint(0, 5):
            out.append(
                {
                    "RuleNumber": 300 + egress,
                    "Protocol": "-1",
                    "RuleAction": "allow",
                    "Egress": egress,
                    "CidrBlock": "0.0.0.0/0",
                }
            )
    return out


def build(rnd: random.Random) -> tuple[Builder, list[str]]:
    b = Builder(seed="multi-oracle")
    n = rnd.randint(2, 4)
    tgw = b.transit_gateway()
    tables = [b.tgw_route_table(tgw) for _ in range(rnd.randint(1, 2))]
    vpcs, subs, rts, atts, insts = [], [], [], [], []
    for k in range(1, n + 1):
        vpc = b.vpc(f"10.{k}.0.0/16")
        vpcs.append(vpc)
        mine = [b.subnet(vpc, f"10.{k}.{i}.0/24", "ab"[i % 2]) for i in range(rnd.randint(1, 3))]
        subs.append(mine)
        rt = b.route_table(vpc)
        rts.append(rt)
        for s in mine:
            b.associate(rt, s) if rnd.randint(0, 9) else None
        if rnd.randint(0, 3) == 0:
            acl = b.nacl(vpc, entries=_acl_entries(rnd))
            b.nacl_associate(acl, rnd.choice(mine))
        ingress = [b.perm(None, "10.0.0.0/8")] if rnd.randint(0, 2) else []
        if rnd.randint(0, 4):
            ingress.append(
                b.perm(
                    rnd.choice(PORTS + [None]), rnd.choice(["10.0.0.0/8", f"10.{k % n + 1}.0.0/16"])
                )
            )
        sg = b.security_group(
            vpc, f"sg{k}", ingress=ingress, egress=None if rnd.randint(0, 11) else []
        )
        for s in mine:
            insts.append(b.instance(s, [sg], state="running" if rnd.randint(0, 24) else "stopped"))
        # the TGW attachment: a dedicated subnet in some AZs, or workload subnets
        att_subs = []
        for i, az in enumerate("ab"):
            choice = rnd.randint(0, 7)
            if choice == 0:
                continue
            if choice <= 3:
                att_subs.append(b.subnet(vpc, f"10.{k}.{100 + i}.0/28", az))
            else:
                same = [
                    s
                    for s in mine
                    if b.find("Subnets", "SubnetId", s)["AvailabilityZone"].endswith(az)
                ]
                if same:
                    att_subs.append(same[0])
        assoc = rnd.choice(tables) if rnd.randint(0, 12) else None
        props = [t for t in tables if rnd.randint(0, 8)]
        atts.append(b.tgw_attach(tgw, vpc, att_subs or [mine[0]], table=assoc, propagate_to=props))
    for t in tables:
        if rnd.randint(0, 6) == 0:
            k = rnd.randint(1, n)
            b.tgw_route(t, f"10.{k}.0.0/16", blackhole=True)
        if rnd.randint(0, 4) == 0:
            b.tgw_route(t, "10.0.0.0/8", rnd.choice(atts))
    pcxs = []
    for _ in range(rnd.randint(0, 2)):
        i, j = rnd.sample(range(n), 2)
        pcxs.append(
            (
                i,
                j,
                b.peering(
                    vpcs[i],
                    vpcs[j],
                    status=rnd.choice(["active"] * 3 + ["deleted", "pending-acceptance"]),
                ),
            )
        )
    for i in range(n):
        rt = rts[i]
        if rnd.randint(0, 3) == 0:
            b.route(rt, "10.0.0.0/8", tgw)
        for j in range(n):
            if i == j:
                continue
            via = [p for a, z, p in pcxs if {a, z} == {i, j}]
            choice = rnd.randint(0, 9)
            if choice == 0:
                continue
            if via and choice <= 2:
                b.route(rt, f"10.{j + 1}.0.0/16", via[0])
            else:
                b.route(rt, f"10.{j + 1}.0.0/16", tgw)
    if rnd.randint(0, 1):
        _egress_vpc(b, rnd, tgw, tables, rts)
    return b, insts


def _egress_vpc(b: Builder, rnd: random.Random, tgw: str, tables: list[str], rts: list[str]):
    """Centralised egress: an egress VPC (NAT gateway in a public subnet, attachment subnets
    routing to it, the public subnet routing the spokes back to the TGW), each piece sometimes
    missing; the spokes' tables and route tables sometimes send 0.0.0.0/0 there."""
    vpc = b.vpc("10.99.0.0/16")
    igw = b.igw(vpc)
    pub = b.subnet(vpc, "10.99.0.0/24", "a")
    prt = b.route_table(vpc)
    b.route(prt, "0.0.0.0/0", igw)
    if rnd.randint(0, 3):
        b.route(prt, "10.0.0.0/8", tgw)
    b.associate(prt, pub)
    if rnd.randint(0, 4) == 0:
        b.nacl_associate(b.nacl(vpc, entries=_acl_entries(rnd)), pub)
    nat = b.nat(pub)
    att_subs = []
    for i, az in enumerate("ab"):
        if rnd.randint(0, 5) == 0:
            continue
        s = b.subnet(vpc, f"10.99.{100 + i}.0/28", az)
        trt = b.route_table(vpc)
        choice = rnd.randint(0, 7)
        if choice:
            b.route(trt, "0.0.0.0/0", nat if choice > 1 else igw)
        b.associate(trt, s)
        att_subs.append(s)
    if rnd.randint(0, 6) == 0:
        att_subs.append(pub)  # the NAT gateway's own subnet also holds the attachment
    att = b.tgw_attach(
        tgw,
        vpc,
        att_subs or [pub],
        table=rnd.choice(tables) if rnd.randint(0, 10) else None,
    )
    for t in tables:
        choice = rnd.randint(0, 7)
        if choice >= 2:
            b.tgw_route(t, "0.0.0.0/0", att)
        elif choice == 1:
            b.tgw_route(t, "0.0.0.0/0", blackhole=True)
    for rt in rts:
        if rnd.randint(0, 3):
            b.route(rt, "0.0.0.0/0", tgw)


def test_trace_agrees_with_the_multi_vpc_oracle():
    counts: Counter[str] = Counter()
    egress: Counter[str] = Counter()
    blocking: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def check(rnd):
        b, insts = build(rnd)
        tracer = Tracer(b.snapshot())
        oracle = MultiOracle(b.data, b.extra)
        vpc_of = {i: b.find("Instances", "InstanceId", i)["VpcId"] for i in insts}
        for src in rnd.sample(insts, min(2, len(insts))):
            proto = rnd.choice(["tcp", "tcp", "udp"])
            port = rnd.choice(PORTS)
            t = tracer.trace(src, "internet", port, proto)
            want, where = oracle.egress(src, port, "6" if proto == "tcp" else "17")
            got_where = t.blocked[0].step if t.blocked else None
            egress[want] += 1
            if where:
                blocking[where] += 1
            detail = [(h.step, h.status, h.detail[:90]) for h in t.hops if h.status != "pass"]
            assert (t.verdict, got_where) == (want, where), (src, "internet", port, detail)
        for _ in range(4):
            src, dst = rnd.sample(insts, 2)
            if vpc_of[src] == vpc_of[dst]:
                continue
            port = rnd.choice(PORTS)
            proto = rnd.choice(["tcp", "tcp", "udp"])
            t = tracer.trace(src, dst, port, proto)
            want, where = oracle.verdict(src, dst, port, "6" if proto == "tcp" else "17")
            got_where = t.blocked[0].step if t.blocked else None
            counts[want] += 1
            if where:
                blocking[where] += 1
            detail = [(h.step, h.status, h.detail[:90]) for h in t.hops if h.status != "pass"]
            assert (t.verdict, got_where) == (want, where), (src, dst, port, proto, detail)

    started = time.perf_counter()
    check()
    elapsed = time.perf_counter() - started
    assert counts["reachable"] >= 300 and counts["not reachable"] >= 1000, counts
    assert counts["unknown"] >= 50, counts
    # The blocking hops vary: routes, TGW tables, AZs, ACLs, groups, peering state, replies.
    assert egress["reachable"] >= 100 and egress["not reachable"] >= 300, egress
    assert len(blocking) >= 14, blocking
    print(f"{sum(counts.values())} traces on {EXAMPLES} topologies in {elapsed:.1f}s: {counts}")
    print(f"{sum(egress.values())} traces to the internet: {egress}")
    print(dict(blocking))
