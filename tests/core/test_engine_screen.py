"""The engine's Python screen never hides a match from durable-rules.

Oracle: the same facts through the engine with the screen and without it give the same
matches, over facts built from the real catalogue's own condition values and their near misses.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine import RuleEngine
from assistant.engine.host import screen
from assistant.engine.rules import compile_conditions

ENGINE = RuleEngine()
UNSCREENED = RuleEngine()
UNSCREENED.screened = False


def _operands(expr: Any, out: dict[str, set]) -> None:
    """Every (field, literal value) the compiled matches test."""
    if isinstance(expr, dict):
        for k, v in expr.items():
            if k in ("$and", "$or"):
                for e in v:
                    _operands(e, out)
            elif k.startswith("$") and isinstance(v, dict):
                for f, x in v.items():
                    if not isinstance(x, dict):
                        out.setdefault(f, set()).add(x)
            elif not k.startswith("$") and not isinstance(v, dict):
                out.setdefault(k, set()).add(v)


POOL: dict[str, set] = {}
for _rule in ENGINE.rules:
    for _v in _rule.variants:
        _operands(compile_conditions(_v.conditions), POOL)
KINDS = sorted(POOL.pop("kind"))


def _near(values: set) -> list:
    """The values themselves and their near misses (flipped, off by one, other words)."""
    out: list = []
    for v in values:
        if isinstance(v, bool):
            out += [v, not v]
        elif isinstance(v, (int, float)):
            out += [v, v - 1, v + 1]
        else:
            out += [v, v + "x", ""]
    return sorted(set(out), key=repr)


FIELDS = {f: _near(vs) for f, vs in sorted(POOL.items())}


@st.composite
def facts(draw) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(1, 12))):
        fact: dict[str, Any] = {"kind": draw(st.sampled_from(KINDS)), "rid": f"r{n}"}
        for field, values in FIELDS.items():
            if draw(st.integers(0, 3)):  # a quarter of fields left out
                fact[field] = draw(st.sampled_from(values))
        out.append(fact)
    return out


def _matches(engine: RuleEngine, fs: list[dict]) -> set[tuple[str, int, str]]:
    return {(r, v, f["rid"]) for r, v, f in engine.run(fs)}


@settings(derandomize=True, max_examples=150, deadline=None)
@given(facts())
def test_screen_keeps_every_match(fs):
    assert _matches(ENGINE, fs) == _matches(UNSCREENED, fs)


def test_screen_drops_what_cannot_match_and_keeps_a_near_miss():
    test = screen(compile_conditions({"kind": "subnet", "nat_cross_az": True}))
    assert test({"kind": "subnet", "nat_cross_az": True})
    assert not test({"kind": "subnet", "nat_cross_az": False})
    assert not test({"kind": "vpc", "nat_cross_az": True})
    # unsure cases pass: a missing field, a type durable-rules might coerce
    assert test({"kind": "subnet"})
    assert test({"kind": "subnet", "nat_cross_az": 1})


def test_unknown_kinds_never_reach_durable_rules():
    assert not ENGINE.can_match({"kind": "no-such-kind", "rid": "x"})
    assert ENGINE.run([{"kind": "no-such-kind", "rid": "x"}]) == []


def test_screen_is_unsure_of_field_references_and_existence():
    # a field reference is decided only between two strings (or two numbers)
    assert not screen({"$neq": {"az": {"$m": "nat_az"}}})({"az": "a", "nat_az": "a"})
    assert screen({"$neq": {"az": {"$m": "nat_az"}}})({"az": "a", "nat_az": 1})
    assert screen({"$gt": {"n": {"$m": "k"}}})({"n": "b", "k": "a"})
    assert screen({"$nex": {"az": 1}})({"az": "a"})
    assert not screen({"$and": [{"a": 1}, {"$ex": {"b": 1}}]})({"a": 2})
    assert screen({"$or": [{"a": 1}, {"$ex": {"b": 1}}]})({"a": 2})


def _cmp_rule(i: int, **match: Any):
    from assistant.engine.rules import Rule

    return Rule(
        id=f"t.ref{i}",
        title="t",
        severity="medium",
        area="t",
        summary="s",
        explanation="e",
        match=[{"kind": "subnet", **match}],
    )


# Comparisons between two fields of one fact, as rules write them ({ field = "..." }).
REF_RULES = [
    _cmp_rule(0, a={"ne": {"field": "b"}}),
    _cmp_rule(1, a={"field": "b"}),
    _cmp_rule(2, a={"gt": {"field": "b"}}),
    _cmp_rule(3, a={"le": {"field": "b"}}, c=1),
    _cmp_rule(4, a={"ne": ""}, b={"ne": {"field": "a"}}),
]
REF_ENGINE = RuleEngine(REF_RULES)
REF_UNSCREENED = RuleEngine(REF_RULES)
REF_UNSCREENED.screened = False
REF_VALUES = ["", "a", "b", 0, 1, 2, 1.0, 2.5, True, False]


@st.composite
def ref_facts(draw) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(1, 10))):
        fact: dict[str, Any] = {"kind": "subnet", "rid": f"r{n}"}
        for field in ("a", "b", "c"):
            if draw(st.integers(0, 4)):  # a fifth of fields left out
                fact[field] = draw(st.sampled_from(REF_VALUES))
        out.append(fact)
    return out


@settings(derandomize=True, max_examples=150, deadline=None)
@given(ref_facts())
def test_screen_of_field_comparisons_keeps_every_match(fs):
    assert _matches(REF_ENGINE, fs) == _matches(REF_UNSCREENED, fs)


def test_screen_drops_a_failed_field_comparison_between_strings():
    engine = RuleEngine(REF_RULES[:1])  # a != b
    assert not engine.can_match({"kind": "subnet", "rid": "x", "a": "z", "b": "z"})
    assert engine.can_match({"kind": "subnet", "rid": "x", "a": "z", "b": "y"})
    # unsure: a type mix, a missing field
    assert engine.can_match({"kind": "subnet", "rid": "x", "a": "z", "b": 1})
    assert engine.can_match({"kind": "subnet", "rid": "x", "a": "z"})
