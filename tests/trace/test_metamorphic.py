"""Missing data is unknown, never blocked or reachable (the trace half of "missing is unknown").

For the demo and each multi-VPC scenario (healthy and broken), deleting any one collection, or
keeping a random subset of a collection other resources refer to, never flips a verdict between
reachable and not reachable: it may only stay, or become unknown. Queries whose endpoint is gone
from the input are a one-line error, which is fine.
"""

from __future__ import annotations

import random

import pytest

from assistant.errors import UserError
from assistant.models.snapshot import COLLECTIONS, Snapshot
from assistant.sources.demo import demo_snapshot
from assistant.trace import NOT_REACHABLE, REACHABLE, Tracer
from tests.trace.network_scenarios import NETWORK_BREAKS, s3_endpoint

REFERENCED = (
    "InternetGateways",
    "NatGateways",
    "Instances",
    "NetworkInterfaces",
    "Subnets",
    "SecurityGroups",
    "VpcPeeringConnections",
    "TransitGateways",
    "TransitGatewayVpcAttachments",
    "TransitGatewayAttachments",
    "Addresses",
)
SUBSETS_PER_COLLECTION = 2


def _queries(snap: Snapshot, extra: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    inst = [i.InstanceId for i in snap.Instances][:6]
    out = list(extra)
    out += [(i, "internet", 443) for i in inst]
    out += [("internet", i, 443) for i in inst[:3]]
    out += [(a, z, 443) for a in inst[:3] for z in inst[:3] if a != z]
    out += [("internet", lb.LoadBalancerName, 443) for lb in snap.LoadBalancers[:2]]
    return out


def _scenarios() -> list[tuple[str, Snapshot, list[tuple[str, str, int]]]]:
    out = [("demo", demo_snapshot(), [])]
    for fires, misses in NETWORK_BREAKS.values():
        for make in fires + misses:
            b, src, dst, port, _, _ = make()
            out.append((make.__name__, b.snapshot(), [(src, dst, port)]))
    b, s = s3_endpoint("meta-s3")
    out.append(("s3", b.snapshot(), [(s["inst"], "52.217.1.1", 443)]))
    seen, unique = set(), []
    for name, snap, q in out:
        if name not in seen:
            seen.add(name)
            unique.append((name, snap, q))
    return unique


SCENARIOS = _scenarios()


def _verdicts(snap: Snapshot, queries) -> dict[tuple[str, str, int], str]:
    tr = Tracer(snap)
    out = {}
    for q in queries:
        try:
            out[q] = tr.trace(*q).verdict
        except UserError:
            out[q] = "gone"
    return out


def _variants(snap: Snapshot, rnd: random.Random):
    for coll in COLLECTIONS:
        value = getattr(snap, coll)
        empty = {} if isinstance(value, dict) else []
        provided = [p for p in snap.provided if p != coll]
        yield f"without {coll}", snap.model_copy(update={coll: empty, "provided": provided})
    for coll in REFERENCED:
        items = getattr(snap, coll)
        if len(items) < 1:
            continue
        for n in range(SUBSETS_PER_COLLECTION):
            keep = rnd.sample(items, rnd.randint(0, len(items) - 1)) if len(items) > 1 else []
            yield f"{coll} subset {n}", snap.model_copy(update={coll: keep})


@pytest.mark.parametrize("name", [s[0] for s in SCENARIOS])
def test_missing_data_never_flips_a_verdict(name):
    _, snap, extra = next(s for s in SCENARIOS if s[0] == name)
    queries = _queries(snap, extra)
    base = _verdicts(snap, queries)
    assert set(base.values()) - {"gone"}, "no query traced"
    rnd = random.Random(name)
    for label, variant in _variants(snap, rnd):
        got = _verdicts(variant, queries)
        for q, v in got.items():
            before = base[q]
            if v == "gone" or before == "gone":
                continue
            flipped = {before, v} == {REACHABLE, NOT_REACHABLE}
            assert not flipped, f"{name}, {label}: {q} was {before}, now {v}"


def test_the_metamorphic_check_can_fail():
    """A deletion that the trace treats as evidence (a route table whose route is removed)
    does flip a verdict: the check above would see it."""
    from tests.trace.network_scenarios import hub

    b, h = hub("meta-can-fail")
    snap = b.snapshot()
    app = h["spokes"][0]["apps"][0]
    assert _verdicts(snap, [(app, "internet", 443)])[(app, "internet", 443)] == REACHABLE
    rt = next(t for t in snap.RouteTables if t.RouteTableId == h["spokes"][0]["rt"])
    broken = rt.model_copy(update={"Routes": [r for r in rt.Routes if r.TransitGatewayId is None]})
    tables = [broken if t is rt else t for t in snap.RouteTables]
    v = _verdicts(snap.model_copy(update={"RouteTables": tables}), [(app, "internet", 443)])
    assert v[(app, "internet", 443)] == NOT_REACHABLE


def test_missing_data_never_flips_a_verdict_on_generated_multi_vpc_networks():
    """The same property on generated networks of VPCs joined by peering and a transit
    gateway (the multi-VPC oracle's generator)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.trace.test_multi_oracle import build

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def check(rnd):
        b, insts = build(rnd)
        snap = b.snapshot()
        queries = [(a, z, 443) for a in insts[:3] for z in insts[:3] if a != z]
        base = _verdicts(snap, queries)
        for label, variant in _variants(snap, rnd):
            got = _verdicts(variant, queries)
            for q in queries:
                flipped = {base[q], got[q]} == {REACHABLE, NOT_REACHABLE}
                assert not flipped, f"{label}: {q} was {base[q]}, now {got[q]}"

    check()
