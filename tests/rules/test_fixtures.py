"""Rules with fixtures beside them, rules from the user, and `vpc-helper rules test`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import build_parser, main
from assistant.engine import RuleEngine, RuleError, load_rules
from assistant.engine.rules import load_rule, use_rule_dirs
from assistant.engine.ruletest import fixtures, run_fixtures
from assistant.sources.files import load_snapshot
from tests.rules import make_fixtures
from tests.rules.scenarios import CASES

BUILT_IN = load_rules(extra=())
ENGINE = RuleEngine(BUILT_IN)
EXAMPLE = make_fixtures.EXAMPLE_RULE.parent.parent  # examples/rules


@pytest.fixture(autouse=True)
def _no_user_rules(monkeypatch):
    monkeypatch.delenv("VPC_HELPER_RULES", raising=False)
    yield
    use_rule_dirs(None)


def test_checked_in_fixtures_are_what_the_script_makes():
    want = make_fixtures.expected_files()
    have = {
        p: p.read_bytes()
        for d in make_fixtures.fixture_folders()
        for p in d.rglob("*")
        if p.is_file()
    }
    stale = sorted(str(p) for p in set(want) | set(have) if want.get(p) != have.get(p))
    assert not stale, f"run `python -m tests.rules.make_fixtures`; stale: {stale[:5]}"
    total = sum(len(b) for b in want.values())
    assert total < 3_000_000, f"fixtures weigh {total / 1e6:.1f} MB: trim them"


def test_fixture_files_load_back_to_the_scenario():
    """The lean files lose nothing: each loads to the very snapshot the scenario builds."""
    rules = {r.id: r for r in BUILT_IN}
    for rule_id, (fires, _) in list(CASES.items())[:8]:
        path = Path(rules[rule_id].path).parent / f"{rule_id}.fire"
        loaded = load_snapshot(path / make_fixtures.fixture_name(1, fires[0]))
        how_read = {"files", "source"}  # which files were read, and from where, differ
        built = fires[0]().model_dump(exclude=how_read)
        assert loaded.model_dump(exclude=how_read) == built, rule_id


def test_every_rule_has_fire_and_near_miss_fixtures_beyond_the_baseline():
    for r in BUILT_IN:
        fire, near = fixtures(r, "fire"), fixtures(r, "pass")
        assert fire, f"{r.id}: no fire fixture"
        assert [p for p in near if "healthy" not in p.name], f"{r.id}: only the healthy baseline"


@pytest.mark.parametrize("rule", BUILT_IN, ids=[r.id for r in BUILT_IN])
def test_rule_fixtures(rule):
    results = run_fixtures([rule], ENGINE)
    failed = [f"{x.kind} {x.path}: {x.detail}" for x in results if not x.ok]
    assert not failed, failed
    assert {x.kind for x in results} == {"fire", "pass"}


def test_rules_test_command_over_the_catalogue(capsys):
    assert main(["rules", "test", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] == 0 and doc["rules"] == len(BUILT_IN)
    assert doc["fixtures"] >= 2 * len(BUILT_IN)


def test_a_fixture_in_the_wrong_folder_fails(tmp_path, capsys):
    """A fire snapshot put among the near misses makes `rules test` fail and name it."""
    team = tmp_path / "team"
    shutil.copytree(EXAMPLE / "team", team)
    rid = "team.public-subnet-default-nacl"
    shutil.copy(team / f"{rid}.fire/1-default-acl.json", team / f"{rid}.pass/2-wrong.json")
    assert main(["rules", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  {rid}  pass" in out and "2-wrong.json" in out
    assert f"PASS  {rid}  pass" in out  # the folder of CLI outputs still passes
    shutil.rmtree(team / f"{rid}.fire")
    assert main(["rules", "test", str(tmp_path)]) == 1
    assert "no fixtures in" in capsys.readouterr().out


def test_example_rule_runs_with_the_command(capsys):
    assert main(["rules", "test", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "1 rules, 2 fixtures: 2 passed, 0 failed" in out


def _rule_file(d: Path, rid: str, extra: str = "") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{rid}.toml"
    p.write_text(
        f'id = "{rid}"\ntitle = "t {{subnet_id}}"\nseverity = "low"\nsummary = "s"\n'
        f'explanation = "e"\n{extra}\n[[match]]\nkind = "subnet"\nrole = "public"\n'
    )
    return p


def test_user_rules_are_added_and_marked_with_their_origin(tmp_path, capsys):
    _rule_file(tmp_path / "team", "team.public")
    assert main(["rules", "--rules", str(tmp_path), "--format", "json"]) == 0
    doc = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert doc["team.public"]["origin"] == str(tmp_path)
    assert doc["nat.cross-az"]["origin"] == "built-in"
    assert main(["--rules", str(tmp_path), "rules"]) == 0
    assert f"(from {tmp_path}/team/team.public.toml)" in capsys.readouterr().out


def test_user_rules_fire_in_scan_from_option_and_environment(tmp_path, capsys, monkeypatch):
    _rule_file(tmp_path, "team.public")
    main(["scan", "--demo", "--format", "json"])
    assert '"team.public"' not in capsys.readouterr().out
    main(["scan", "--demo", "--rules", str(tmp_path), "--format", "json"])
    assert '"rule": "team.public"' in capsys.readouterr().out
    monkeypatch.setenv("VPC_HELPER_RULES", str(tmp_path))
    main(["scan", "--demo", "--format", "json"])
    assert '"rule": "team.public"' in capsys.readouterr().out


def test_chat_option_reaches_the_engine_the_conversation_uses(tmp_path):
    """`vpc-helper --rules DIR` (the chat) sets the rules of the engine `diagnose` uses."""
    from assistant.commands.rules import use_rules_option
    from assistant.engine import default_engine

    _rule_file(tmp_path, "team.public")
    use_rules_option(build_parser().parse_args(["--rules", str(tmp_path)]))
    assert "team.public" in {r.id for r in default_engine().rules}
    use_rules_option(build_parser().parse_args([]))
    assert "team.public" not in {r.id for r in default_engine().rules}


def test_colliding_id_is_refused_unless_override(tmp_path, capsys):
    p = _rule_file(tmp_path, "nat.cross-az")
    assert main(["rules", "--rules", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "built-in" in err and "override = true" in err
    _rule_file(tmp_path, "nat.cross-az", "override = true")
    rules = {r.id: r for r in load_rules(extra=(str(tmp_path),))}
    assert rules["nat.cross-az"].origin == str(tmp_path) and rules["nat.cross-az"].override
    assert len(rules) == len(BUILT_IN)


def test_same_id_in_two_user_directories_is_refused(tmp_path):
    _rule_file(tmp_path / "a", "team.x")
    _rule_file(tmp_path / "b", "team.x")
    with pytest.raises(RuleError, match="also defined"):
        load_rules(extra=(str(tmp_path / "a"), str(tmp_path / "b")))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ('severity = "urgent"', "severity"),
        ("sumary = 'typo'", "sumary"),
        ("[[fix]]\naction = 'a'\nclii = 'x'", "fix.0.clii"),
    ],
)
def test_validation_errors_name_file_and_field(tmp_path, extra, field):
    text = _rule_file(tmp_path, "team.bad").read_text().replace('severity = "low"\n', "")
    if not extra.startswith("severity"):
        text = 'severity = "low"\n' + text
    (tmp_path / "team.bad.toml").write_text(extra + "\n" + text if "[[" not in extra else text)
    if "[[" in extra:
        (tmp_path / "team.bad.toml").write_text(text + "\n" + extra + "\n")
    with pytest.raises(RuleError) as e:
        load_rule(tmp_path / "team.bad.toml", str(tmp_path))
    assert str(tmp_path / "team.bad.toml") in str(e.value) and f": {field}:" in str(e.value)


def test_bad_rules_directory_is_a_one_line_error(tmp_path, capsys):
    assert main(["scan", "--demo", "--rules", str(tmp_path / "nope")]) == 2
    assert "rules directory not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["trace", "--demo", "--from", "internet", "--to", "shop-alb", "--port", "443"],
        ["check", str(EXAMPLE.parent / "intents" / "demo.toml"), "--demo"],
        ["rules"],
    ],
    ids=["trace", "check", "rules"],
)
def test_every_command_takes_the_rules_option(tmp_path, argv, capsys):
    _rule_file(tmp_path, "nat.cross-az")  # a collision: refused wherever the option is given
    assert main([*argv, "--rules", str(tmp_path)]) == 2
    assert "override = true" in capsys.readouterr().err
