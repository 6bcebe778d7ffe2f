"""The diagnosis catalogue: each rule fires where it should and stays quiet on near misses."""

from __future__ import annotations

import json
import random
import re

import pytest

from assistant.cli import main
from assistant.engine import diagnose, load_rules
from assistant.engine.facts import facts_for
from assistant.engine.rules import template_fields
from assistant.models.finding import Severity
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import demo_snapshot
from assistant.topology import Topology
from tests.helpers import run_cli
from tests.rules.scenarios import CASES, SEVERITIES

UNFILLED = re.compile(r"<[a-z_0-9]+>")
RULES = {r.id: r for r in load_rules()}

FIRE = [(rid, i, s) for rid, (fires, _) in CASES.items() for i, s in enumerate(fires)]
MISS = [(rid, i, s) for rid, (_, misses) in CASES.items() for i, s in enumerate(misses)]


def _fired(snapshot, rule_id: str):
    return [f for f in diagnose(snapshot).findings if f.rule == rule_id]


def test_every_rule_has_fire_and_near_miss_cases():
    missing = sorted(rid for rid in RULES if rid not in CASES or not all(CASES[rid]))
    assert not missing, f"rules without a firing case and a near miss: {missing}"
    unknown = sorted(set(CASES) - set(RULES))
    assert not unknown, f"cases for rules that do not exist: {unknown}"


@pytest.mark.parametrize(("rule_id", "n", "scenario"), FIRE, ids=[f"{r}-{i}" for r, i, _ in FIRE])
def test_rule_fires(rule_id, n, scenario):
    found = _fired(scenario(), rule_id)
    assert found, f"{rule_id} did not fire on {scenario.__name__}"
    rule = RULES[rule_id]
    for f in found:
        texts = [f.title, f.explanation, f.check or "", *f.evidence]
        texts += [t for s in f.fix for t in (s.action, s.console or "", *s.cli)]
        unfilled = [t for t in texts if UNFILLED.search(t)]
        assert not unfilled, f"unfilled template fields: {unfilled}"
        assert f.fix, f"{rule_id}: no fix steps"
        assert all(step.cli for step in f.fix), f"{rule_id}: a fix step without a command"
        assert f.check and f.references
        assert f.resources
    assert rule.explanation and rule.cannot_know
    assert "{" not in rule.cannot_know, "cannot_know is shown as written, not filled"


@pytest.mark.parametrize(("rule_id", "n", "scenario"), MISS, ids=[f"{r}-{i}" for r, i, _ in MISS])
def test_rule_near_miss(rule_id, n, scenario):
    found = _fired(scenario(), rule_id)
    assert not found, f"{rule_id} fired on near miss {scenario.__name__}: {found[0].title}"


@pytest.mark.parametrize(
    ("rule_id", "scenario", "severity"),
    SEVERITIES,
    ids=[f"{r}-{s}" for r, _, s in SEVERITIES],
)
def test_graded_severity(rule_id, scenario, severity):
    found = _fired(scenario(), rule_id)
    assert found and {f.severity.value for f in found} == {severity}


def test_findings_fill_real_ids():
    """Fix commands carry the resources' real ids, not placeholders, where the fact knows them."""
    snap = CASES["nacl.blocks-return-traffic"][0][0]()
    (f,) = _fired(snap, "nacl.blocks-return-traffic")
    acl = f.resources[0]
    assert acl.startswith("acl-")
    assert any(acl in c and "--rule-number 101" in c for s in f.fix for c in s.cli), f.fix
    assert any("inbound rule *: deny all" in e for e in f.evidence), f.evidence


def test_first_match_wins_in_rule_number_order():
    """A deny numbered before an allow decides; the same entries reversed do not block."""
    from tests.rules.scenarios import ALLOW_ALL_OUT, base, custom_acl, entry

    def acl(first: str, second: str):
        b, o = base()
        custom_acl(
            b,
            o["vpc"],
            [o["private"][0]],
            [
                entry(90, first, False, ports=(1024, 65535)),
                entry(100, second, False, ports=(0, 65535)),
                ALLOW_ALL_OUT,
            ],
        )
        return b.snapshot()

    assert _fired(acl("deny", "allow"), "nacl.blocks-return-traffic")
    assert not _fired(acl("allow", "deny"), "nacl.blocks-return-traffic")


# -- templates ---------------------------------------------------------------------------------
def _rich_facts() -> dict[str, set[str]]:
    """Field names of each fact kind, over every scenario."""
    fields: dict[str, set[str]] = {}
    scenarios = [s for fires, misses in CASES.values() for s in fires + misses]
    for make in scenarios:
        for fact in facts_for(Topology(make())):
            fields.setdefault(fact["kind"], set()).update(fact)
    for fact in facts_for(Topology(demo_snapshot())):
        fields.setdefault(fact["kind"], set()).update(fact)
    return fields


@pytest.fixture(scope="module")
def rich_fields():
    return _rich_facts()


@pytest.mark.parametrize("rule_id", sorted(RULES))
def testtemplate_fields_exist(rule_id, rich_fields):
    rule = RULES[rule_id]
    kinds = {m["kind"] for m in rule.match}
    assert len(kinds) == 1, "one fact kind per rule"
    have = rich_fields.get(kinds.pop())
    assert have, f"no facts of the kind {rule_id} matches"
    texts = [rule.title, rule.explanation, rule.check or "", *rule.evidence]
    needed: set[str] = set()
    for t in texts:
        needed |= template_fields(t)
    for step in rule.fix:
        for t in [step.action, step.console or "", step.terraform or "", *step.cli]:
            needed |= {f.split(":")[0] for f in template_fields(t)} - {"item"}
        needed |= {x for x in (step.when, step.unless, step.foreach) if x}
    for m in rule.match:
        needed |= {k for k in m if k not in ("severity", "any")}
    needed |= set(rule.resources)
    needed = {f.split(":")[0] for f in needed}
    assert not needed - have, f"{rule_id}: fields not in its facts: {sorted(needed - have)}"


# -- the healthy architecture and the demo -----------------------------------------------------
@pytest.mark.parametrize("data_tier", [False, True])
@pytest.mark.parametrize("nat_per_az", [True, False])
@pytest.mark.parametrize("azs", ["ab", "abc"])
def test_healthy_architecture_has_no_medium_findings(data_tier, nat_per_az, azs):
    b = Builder(seed=f"healthy-{azs}")
    classic(b, azs=azs, data_tier=data_tier, nat_per_az=nat_per_az)
    d = diagnose(b.snapshot())
    bad = [(f.rule, f.title) for f in d.at_least(Severity.medium)]
    assert not bad
    assert not d.not_checked
    allowed = {"nat.cross-az", "nat.single-point-of-failure"}
    assert {f.rule for f in d.findings} <= allowed
    if nat_per_az:
        assert not {"nat.cross-az", "nat.single-point-of-failure"} & {f.rule for f in d.findings}


def test_hardened_healthy_architecture_has_no_medium_findings():
    """Bastion from an office range, a database tier, and hardened network ACLs done right."""
    from tests.rules.scenarios import ALLOW_ALL_OUT, base, custom_acl, entry

    b, o = base(data_tier=True, azs="abc")
    g = b.security_group(o["vpc"], "bastion-sg", ingress=[b.perm(22, "203.0.113.0/24")])
    b.instance(o["public"][0], [g], name="bastion", public_ip=True, Role="bastion")
    b.instance(o["data"][0], [o["db_sg"]], name="db-1", Role="db")
    custom_acl(
        b,
        o["vpc"],
        o["private"],
        [
            entry(100, "allow", False, "10.0.0.0/16"),
            entry(110, "allow", False, ports=(1024, 65535)),
            entry(100, "allow", True, "10.0.0.0/16"),
            entry(110, "allow", True, ports=(80, 80)),
            entry(120, "allow", True, ports=(443, 443)),
        ],
    )
    custom_acl(
        b,
        o["vpc"],
        o["public"],
        [
            entry(100, "allow", False, ports=(443, 443)),
            entry(110, "allow", False, ports=(80, 80)),
            entry(120, "allow", False, ports=(1024, 65535)),
            entry(130, "allow", False, "10.0.0.0/16"),
            entry(140, "allow", False, "203.0.113.0/24", ports=(22, 22)),
            ALLOW_ALL_OUT,
        ],
    )
    d = diagnose(b.snapshot())
    assert not [(f.rule, f.title) for f in d.at_least(Severity.medium)]


DEMO_RULES = {
    "egress.igw-route-without-public-ip",
    "exposure.private-subnet-routes-to-igw",
    "exposure.sg-open-admin-port",
    "nat.in-private-subnet",
    "exposure.public-ip-in-private-subnet",
}


def test_demo_findings():
    d = diagnose(demo_snapshot())
    assert {f.rule for f in d.findings} == DEMO_RULES


# -- order independence ------------------------------------------------------------------------
@pytest.mark.parametrize("make", [demo_snapshot, CASES["ingress.nacl-blocks-web"][0][0]])
def test_same_findings_whatever_the_order_of_facts(make):
    snap = make()
    facts = list(facts_for(Topology(snap)))
    want = [f.model_dump() for f in diagnose(snap, facts=[dict(x) for x in facts]).findings]
    assert want
    rng = random.Random(7)
    for _ in range(3):
        shuffled = [dict(x) for x in facts]
        rng.shuffle(shuffled)
        got = [f.model_dump() for f in diagnose(snap, facts=shuffled).findings]
        assert got == want


# -- missing data: not checked, never a finding from a guess -------------------------------------
def test_missing_collections_do_not_produce_findings():
    b, o = __import__("tests.rules.scenarios", fromlist=["base"]).base()
    files = b.cli_files()
    files.pop("flow-logs.json")
    files.pop("vpc-endpoints.json")
    from assistant.sources.files import snapshot_from_outputs

    snap = snapshot_from_outputs(files)
    d = diagnose(snap)
    rules = {f.rule for f in d.findings}
    assert "vpc.flow-logs-disabled" not in rules
    assert "egress.no-s3-endpoint" not in rules
    nc = {r for item in d.not_checked for r in item.rules}
    assert {"vpc.flow-logs-disabled", "egress.no-s3-endpoint"} <= nc


# -- the CLI -----------------------------------------------------------------------------------
def test_rules_json_lists_every_id_with_severity():
    r = run_cli("rules", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    listed = {x["id"]: x["severity"] for x in doc}
    assert listed == {rid: rule.severity.value for rid, rule in RULES.items()}
    assert set(CASES) <= set(listed)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_explain_each_rule(rule_id, capsys):
    assert main(["explain", rule_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{rule_id}  [{RULES[rule_id].severity.value}]")
    assert "Why it matters" in out and "Fix" in out and "https://" in out


def test_explain_says_every_condition_of_a_step(capsys):
    """A fix step with both ``when`` and ``unless`` is explained with both."""
    assert main(["explain", "tgw.no-return-route"]) == 0
    out = capsys.readouterr().out
    assert "(when add_cidrs is known and there is no add_summary)" in out
    assert "(when replace_cidrs is known)" in out


def test_explain_as_a_user_runs_it():
    r = run_cli("explain", "nacl.blocks-return-traffic")
    assert r.returncode == 0 and "1024" in r.stdout
    r = run_cli("explain", "nacl.no-such-rule")
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_engine_runs_more_facts_than_one_session_holds():
    """Every rule matches one fact, so large inputs are split over sessions without loss."""
    from assistant.engine.diagnose import default_engine
    from assistant.engine.host import SESSION_FACTS

    n = SESSION_FACTS * 2 + 7
    facts = [
        {"kind": "eip", "rid": f"eipalloc-{i:06d}", "attached": i % 2 == 0, "public_ip": ""}
        for i in range(n)
    ]
    matches = default_engine().run(facts)
    got = sorted(f["rid"] for rule, _, f in matches if rule == "eip.unattached")
    assert got == sorted(f["rid"] for f in facts if not f["attached"])
    assert all("sid" not in f and "id" not in f for _, _, f in matches)


PLACEHOLDER = re.compile(r"<[^<>\n]+>")
# A placeholder may stand only for a value that does not exist yet (the output of an earlier
# step, which it names) or for the user's own choice (it says "your").
ALLOWED_PLACEHOLDER = re.compile(r"^<(your |.* from (above|this step|step \d+|fix step \d+|the ))")


def test_fix_commands_are_pasteable():
    """Every rule's firing scenarios: no placeholder where the tool knows the value."""
    bad: list[str] = []
    for rule_id, (fires, _) in CASES.items():
        for scenario in fires:
            for f in _fired(scenario(), rule_id):
                texts = [f.check or ""] + [t for s in f.fix for t in (*s.cli, s.terraform or "")]
                for t in texts:
                    bad += [
                        f"{rule_id}: {m} in {t[:90]}"
                        for m in PLACEHOLDER.findall(t)
                        if not ALLOWED_PLACEHOLDER.match(m)
                    ]
    assert not bad, "\n".join(sorted(set(bad)))


def test_known_values_fill_fix_commands():
    """Near misses of the pasteable rule: values the facts hold appear in the commands."""
    snap = CASES["nacl.blocks-egress-web"][0][0]()
    (f,) = _fired(snap, "nacl.blocks-egress-web")[:1]
    numbers = [
        int(m.group(1)) for s in f.fix for c in s.cli if (m := re.search(r"--rule-number (\d+)", c))
    ]
    assert len(numbers) >= 2 and len(set(numbers)) == len(numbers), numbers
    demo_findings = diagnose(demo_snapshot()).findings
    ssh = next(f for f in demo_findings if f.rule == "exposure.sg-open-admin-port")
    instance = next(r for r in ssh.resources if r.startswith("i-"))
    assert any(f"--target {instance}" in c for s in ssh.fix for c in s.cli)
