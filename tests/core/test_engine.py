"""The engine: rules as data, isolated runs, order-independent findings, errors surfaced."""

from __future__ import annotations

import random
import threading

import pytest

from assistant.engine import EngineError, RuleEngine, RuleError, diagnose, load_rules
from assistant.engine.facts import facts_for
from assistant.engine.rules import Rule, compile_conditions, load_rule
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import demo_snapshot
from assistant.topology import Topology

DEMO_RULES = {
    "nat.in-private-subnet",
    "egress.igw-route-without-public-ip",
    "exposure.public-ip-in-private-subnet",
    "exposure.sg-open-admin-port",
}


def test_demo_shows_its_planted_mistakes():
    rules = {f.rule for f in diagnose(demo_snapshot()).findings}
    assert DEMO_RULES <= rules


def test_healthy_reference_architecture_has_no_medium_or_higher():
    for kw in ({}, {"nat_per_az": False}, {"data_tier": True}, {"azs": "abc"}):
        b = Builder(seed=str(kw))
        classic(b, **kw)
        d = diagnose(b.snapshot())
        assert [f.rule for f in d.findings if f.severity.rank >= 2] == [], kw


def test_findings_do_not_depend_on_fact_order():
    snap = demo_snapshot()
    facts = list(facts_for(Topology(snap)))
    expected = diagnose(snap, facts=facts).model_dump()
    rng = random.Random(7)
    for _ in range(5):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert diagnose(snap, facts=shuffled).model_dump() == expected


def test_runs_are_isolated():
    """Facts of one diagnosis never leak into the next one."""
    engine = RuleEngine()
    broken = demo_snapshot()
    b = Builder()
    classic(b)
    healthy = b.snapshot()
    assert diagnose(broken, engine=engine).findings
    assert [f for f in diagnose(healthy, engine=engine).findings if f.severity.rank >= 2] == []
    assert diagnose(broken, engine=engine).model_dump() == diagnose(broken).model_dump()


def test_concurrent_diagnoses_are_serialised_and_correct():
    expected = diagnose(demo_snapshot()).model_dump()
    results, errors = [], []

    def work():
        try:
            results.append(diagnose(demo_snapshot()).model_dump())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r == expected for r in results)


def test_errors_inside_actions_are_surfaced():
    from durable.engine import Promise

    engine = RuleEngine()

    def explode(c):
        raise RuntimeError("bad action")

    # Replace one rule's action inside durable-rules, as a faulty rule action would behave.
    actions = engine._host.get_ruleset(engine.RULESET)._actions
    name = next(n for n in actions if n.startswith("nat.in-private-subnet"))
    actions[name] = Promise(explode)
    with pytest.raises(EngineError, match="bad action"):
        diagnose(demo_snapshot(), engine=engine)
    # and the engine is usable again afterwards
    assert engine.run([]) == []


def test_every_rule_file_loads_and_compiles():
    rules = load_rules()
    assert len(rules) >= 9
    for r in rules:
        assert r.fix and r.references and r.explanation and r.summary
        for v in r.variants:
            compile_conditions(v.conditions)


def test_condition_syntax():
    assert compile_conditions({"kind": "x"}) == {"kind": "x"}
    assert compile_conditions({"kind": "x", "n": {"gt": 0}}) == {
        "$and": [{"kind": "x"}, {"$gt": {"n": 0}}]
    }
    assert compile_conditions({"role": ["a", "b"]}) == {"$or": [{"role": "a"}, {"role": "b"}]}
    with pytest.raises(RuleError):
        compile_conditions({"n": {"bogus": 1}})


def test_bad_rule_files_name_the_file(tmp_path):
    bad = tmp_path / "x.bad.toml"
    bad.write_text("id = 'x.bad'\ntitle = 't'\n")
    with pytest.raises(RuleError, match="x.bad.toml"):
        load_rule(bad)
    wrong_name = tmp_path / "other.toml"
    wrong_name.write_text(
        (tmp_path / "x.bad.toml").read_text()
        + "severity='low'\nsummary='s'\nexplanation='e'\n[[match]]\nkind='subnet'\n"
    )
    with pytest.raises(RuleError, match="file name must be the rule id"):
        load_rule(wrong_name)


def test_missing_collections_are_reported_not_guessed():
    b = Builder()
    classic(b)
    from assistant.sources.files import snapshot_from_outputs

    files = {k: v for k, v in b.cli_files().items() if not k.startswith("nat-gateways")}
    d = diagnose(snapshot_from_outputs(files))
    nc = {n.what: n.rules for n in d.not_checked}
    assert "NatGateways" in nc and "nat.in-private-subnet" in nc["NatGateways"]
    assert not [f for f in d.findings if f.rule.startswith("nat.")]


def test_fix_commands_carry_real_ids():
    d = diagnose(demo_snapshot())
    f = next(f for f in d.findings if f.rule == "nat.in-private-subnet")
    cmds = " ".join(c for s in f.fix for c in s.cli)
    nat = f.resources[0]
    assert nat.startswith("nat-") and f"--nat-gateway-id {nat}" in cmds
    assert "<" not in f.title and all("{" not in c for s in f.fix for c in s.cli)


def test_rule_texts_write_literal_braces_as_is():
    """Only {field} is a placeholder: Terraform braces are written once, never doubled."""
    for r in load_rules():
        texts = [r.title, r.explanation, r.check or "", *r.evidence]
        for step in r.fix:
            texts += [step.action, step.console or "", step.terraform or "", *step.cli]
        for t in texts:
            assert "{{" not in t and "}}" not in t, (r.id, t)


def _rule(**match) -> Rule:
    return Rule(
        id="t.cmp",
        title="t",
        severity="medium",
        area="t",
        summary="s",
        explanation="e",
        match=[{"kind": "subnet", **match}],
    )


def _ids(engine: RuleEngine, facts: list[dict]) -> set[str]:
    return {f["rid"] for _, _, f in engine.run([{"kind": "subnet", **f} for f in facts])}


CMP_FACTS = [
    {"rid": "same", "az": "a", "other": "a", "n": 2, "k": 2},
    {"rid": "diff", "az": "a", "other": "b", "n": 3, "k": 2},
    {"rid": "less", "az": "b", "other": "a", "n": 1, "k": 2},
    {"rid": "lacks", "az": "a", "n": 1},  # no `other`, no `k`: no comparison holds
]


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"az": {"field": "other"}}, {"same"}),
        ({"az": {"ne": {"field": "other"}}}, {"diff", "less"}),
        ({"n": {"gt": {"field": "k"}}}, {"diff"}),
        ({"n": {"ge": {"field": "k"}}}, {"same", "diff"}),
        ({"n": {"lt": {"field": "k"}}}, {"less"}),
        ({"n": {"le": {"field": "k"}}}, {"same", "less"}),
        ({"n": {"ge": 1, "lt": {"field": "k"}}}, {"less"}),
        ({"any": [{"az": {"ne": {"field": "other"}}}, {"n": 2}]}, {"same", "diff", "less"}),
    ],
)
def test_field_comparison_against_an_oracle(cond, expected):
    """A condition may compare two fields of one fact; a fact lacking the other field never
    matches (durable-rules alone would match it)."""
    assert _ids(RuleEngine([_rule(**cond)]), CMP_FACTS) == expected


def test_field_comparison_compiles_to_durable_m():
    assert compile_conditions({"az": {"ne": {"field": "nat_az"}}}) == {
        "$and": [{"$ex": {"nat_az": 1}}, {"$neq": {"az": {"$m": "nat_az"}}}]
    }
    assert compile_conditions({"az": {"field": "nat_az"}}) == {
        "$and": [{"$ex": {"nat_az": 1}}, {"az": {"$m": "nat_az"}}]
    }
    for bad in ({"field": ""}, {"field": "x", "gt": 1}, {"ne": {"field": 3}}):
        with pytest.raises(RuleError):
            compile_conditions({"az": bad})


def _all_facts():
    from tests.rules.scenarios import CASES

    fns = [demo_snapshot] + [fn for fires, misses in CASES.values() for fn in fires + misses]
    for fn in fns:
        yield from facts_for(Topology(fn()))


def test_every_fact_matches_its_declared_vocabulary():
    """Each fact has exactly the declared fields, of the declared types (strict)."""
    from assistant.engine.facts import PRODUCERS, VOCABULARY

    assert set(VOCABULARY) == set(PRODUCERS)
    seen: set[str] = set()
    for fact in _all_facts():
        seen.add(fact["kind"])
        VOCABULARY[fact["kind"]].model_validate(fact)  # extra="forbid", strict types
    assert seen == set(PRODUCERS), set(PRODUCERS) - seen


def test_rules_use_only_declared_fields():
    """A rule's conditions, compared fields and texts name only fields of its fact kind."""
    from assistant.engine.facts import VOCABULARY
    from assistant.engine.rules import referenced_fields, template_fields

    bad = []
    for r in load_rules():
        kind = r.fact_kind()
        declared = set(VOCABULARY[kind].model_fields) | {"item"}
        used: set[str] = set()
        for v in r.variants:
            used |= _flat_fields(v.conditions) | referenced_fields(v.conditions)
        texts = [r.title, r.explanation, r.check or "", *r.evidence]
        for s in r.fix:
            texts += [s.action, s.console or "", s.terraform or "", *s.cli]
            used |= {x for x in (s.when, s.unless, s.foreach) if x}
        for t in texts:
            used |= template_fields(t)
        bad += [f"{r.id}: {f}" for f in sorted(used - declared)]
    assert not bad, bad


def _flat_fields(conditions: dict) -> set[str]:
    out: set[str] = set()
    for k, v in conditions.items():
        if k == "any":
            for g in v:
                out |= _flat_fields(g)
        else:
            out.add(k)
    return out


def test_vocabulary_text_lists_every_kind_and_field():
    from assistant.engine.facts import VOCABULARY, vocabulary_text

    text = vocabulary_text()
    for kind, model in VOCABULARY.items():
        assert f"\n{kind}: " in "\n" + text
        for name, f in model.model_fields.items():
            assert f.description, (kind, name)
            assert f"  {name} " in text


def test_rules_facts_prints_the_vocabulary(capsys):
    import json

    from assistant.cli import main
    from assistant.engine.facts import VOCABULARY

    assert main(["rules", "--facts"]) == 0
    out = capsys.readouterr().out
    assert "subnet: " in out and "default_target_az" in out and "Flag (" in out
    assert main(["rules", "--facts", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == set(VOCABULARY)
    assert doc["nat"]["fields"]["subnet_role"]["type"] == "str"
