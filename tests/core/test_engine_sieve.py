"""Producers that skip facts no loaded rule can match never hide a match.

Oracle: a scan whose producers are handed the engine's sieve gives the same findings as the
same engine fed every fact the producers can make, for the catalogue and for user rules written
on the declared vocabulary (on the fields the sieve groups by, and on those it leaves open:
route table, subnets, comparisons between fields), over the multi-VPC scenarios and their near
misses. Each user rule is checked to fire somewhere, so none of this holds vacuously.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from assistant.engine import RuleEngine, diagnose, load_rules
from assistant.engine.facts import PRODUCERS, facts_for
from assistant.engine.facts._base import SIEVED, Sieve
from assistant.engine.rules import Rule
from assistant.sources.builder import Builder, classic, hub_and_spoke
from assistant.sources.demo import demo_snapshot
from assistant.topology import Topology
from tests.trace.network_scenarios import NETWORK_CASES


def _rule(rid: str, kind: str, **match: Any) -> Rule:
    return Rule(
        id=rid,
        title=f"{rid} {{rid}}",
        severity="medium",
        area="user",
        summary="s",
        explanation="e",
        resources=["rid"],
        match=[{"kind": kind, **match}],
    )


# User rules on the declared vocabulary; the first asks for the tables whose replies all go
# back (the facts the catalogue's rule never matches).
USER_RULES = [
    _rule("user.replies-return", "tgw_return", no_return=False, sender_count={"gt": 0}),
    _rule("user.return-on-table", "tgw_return", route_table_id={"exists": True}, src_count=0),
    _rule("user.return-with-subnets", "tgw_return", subnets={"exists": True}, no_return=True),
    _rule("user.return-many", "tgw_return", src_count={"gt": 1}),
    _rule("user.return-other-vpc", "tgw_return", vpc_id={"ne": {"field": "tgw_id"}}),
    _rule("user.tgw-route-active", "tgw_route", status="ok"),
    _rule("user.tgw-route-internet", "tgw_route", internet=True, route_table_id={"exists": True}),
    # Subnets and routes: fields their producers compute only after the sieve has answered.
    _rule("user.backend-subnet", "subnet", backend_count={"gt": 0}),
    _rule("user.private-subnet", "subnet", role="private", label={"exists": True}),
    _rule("user.route-to-nat", "route", target_kind="nat", subnet_count={"ge": 1}),
    _rule("user.endpoint-routed", "gateway_endpoint", has_route=True, subnets={"exists": True}),
]


def _scenarios() -> list:
    out = []
    for fires, misses in NETWORK_CASES.values():
        out += fires + misses

    def three_spokes():
        b = Builder(seed="sieve-3")
        hub_and_spoke(b, spokes=3, azs="abc")
        return b.snapshot()

    def classic_data_tier():
        b = Builder(seed="sieve-classic")
        classic(b, data_tier=True)
        return b.snapshot()

    return [*out, three_spokes, classic_data_tier, demo_snapshot]


SCENARIOS = _scenarios()
ENGINES = {
    "catalogue": RuleEngine(),
    "user": RuleEngine(USER_RULES),
    "both": RuleEngine([*load_rules(), *USER_RULES]),
}


@pytest.mark.parametrize("make", SCENARIOS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", sorted(ENGINES))
def test_sieved_scan_equals_scan_of_every_fact(make, name):
    engine = ENGINES[name]
    snap = make()
    every = list(facts_for(Topology(snap), engine.kinds))
    assert diagnose(snap, engine=engine).model_dump() == (
        diagnose(snap, engine=engine, facts=every).model_dump()
    )


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_sieved_producers_keep_every_fact_the_engine_keeps(name):
    """Fact for fact: what the sieve lets through holds every fact the screen keeps."""
    engine = ENGINES[name]
    for make in SCENARIOS:
        topo = Topology(make())
        sieve = engine.sieve()
        for kind in sorted(SIEVED):
            every = [{**f, "kind": kind} for f in PRODUCERS[kind](topo)]
            kept = [{**f, "kind": kind} for f in PRODUCERS[kind](topo, sieve=sieve)]  # type: ignore[call-arg]
            wanted = [f for f in every if engine.can_match(f)]
            assert all(f in kept for f in wanted), (make.__name__, kind)
            assert all(f in every for f in kept), (make.__name__, kind)


def test_screen_never_drops_a_fact_for_lack_of_a_field():
    """The sieve's premise: a fact the screen keeps, it keeps with any of its fields left
    out (a missing field is unsure), so a producer may ask before computing them."""
    rng = random.Random(11)
    checked = 0
    for engine in ENGINES.values():
        for make in SCENARIOS:
            for fact in facts_for(Topology(make()), engine.kinds):
                if not engine.can_match(fact):
                    continue
                for _ in range(4):
                    part = {k: v for k, v in fact.items() if k == "kind" or rng.random() < 0.5}
                    assert engine.can_match(part), (fact["kind"], sorted(part))
                    checked += 1
    assert checked > 100


def test_every_user_rule_fires_somewhere():
    fired = {
        f.rule for make in SCENARIOS for f in diagnose(make(), engine=ENGINES["user"]).findings
    }
    assert fired == {r.id for r in USER_RULES}


def test_user_rule_on_returning_tables_gets_all_its_facts():
    """A user rule on what the catalogue never matches (tables whose replies all go back)
    gets every such fact as a finding."""
    engine = RuleEngine(USER_RULES[:1])
    total = 0
    for make in SCENARIOS:
        snap = make()
        expected = {f["rid"] for f in PRODUCERS["tgw_return"](Topology(snap)) if not f["no_return"]}
        found = {f.title.split()[-1] for f in diagnose(snap, engine=engine).findings}
        assert found == expected, make.__name__
        total += len(found)
    assert total > 0


def test_the_catalogue_sieve_prunes_tgw_return():
    """With the catalogue only replies that go astray are built (the point of the sieve)."""
    b = Builder(seed="sieve-prune")
    hub_and_spoke(b, spokes=3)
    topo = Topology(b.snapshot())
    every = list(PRODUCERS["tgw_return"](topo))
    kept = list(PRODUCERS["tgw_return"](topo, sieve=RuleEngine().sieve()))  # type: ignore[call-arg]
    assert every and len(kept) < len(every)
    assert all(f["no_return"] for f in kept)


def test_sieve_is_unsure_of_fields_a_group_leaves_open():
    engine = RuleEngine([_rule("u.t", "tgw_return", route_table_id="rtb-1")])
    sieve = engine.sieve()
    assert sieve is not None
    assert sieve.could("tgw_return", no_return=True)  # route_table_id not given: unsure
    assert not sieve.could("tgw_return", route_table_id="rtb-2")
    assert sieve.could("tgw_return", route_table_id="rtb-1")
    assert not sieve.could("vpc", route_table_id="rtb-1")  # no rule on that kind


def test_sieve_answers_from_the_screen_only_on_the_fields_it_reads():
    seen: list[dict] = []

    def can_match(f: dict) -> bool:
        seen.append(f)
        return f.get("a") == 1

    sieve = Sieve(can_match, lambda kind: frozenset({"kind", "a"}))
    assert sieve.could("k", a=1, b=[1])
    assert not sieve.could("k", a=2, b=[2])
    assert sieve.could("k", a=1, b=[3])  # cached: same value of the field read
    assert seen == [{"kind": "k", "a": 1}, {"kind": "k", "a": 2}]


def test_unscreened_engine_has_no_sieve():
    engine = RuleEngine()
    engine.screened = False
    assert engine.sieve() is None


def test_sieve_cache_tells_true_from_one():
    sieve = Sieve(lambda f: type(f.get("a")) is bool, lambda kind: frozenset({"a"}))
    assert not sieve.could("k", a=1)
    assert sieve.could("k", a=True)
    assert not sieve.could("k", a=1.0)
