"""`vpc-helper` as a user runs it: subprocess, exit codes, formats."""

from __future__ import annotations

import json

import pytest

from assistant.sources.demo import DEMO_DIR
from tests.helpers import run_cli


def test_scan_demo_text():
    r = run_cli("scan", "--demo")
    assert r.returncode == 1, r.stderr
    assert "nat.in-private-subnet" in r.stdout
    assert "aws ec2 create-nat-gateway --subnet-id subnet-" in r.stdout
    assert "\033[" not in r.stdout  # no colour when not a terminal
    assert r.stdout.rstrip().splitlines()[-1].startswith("Summary: ")


def test_scan_demo_json_schema():
    r = run_cli("scan", "--demo", "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert set(doc) >= {"findings", "subnets", "not_checked"}
    f = doc["findings"][0]
    assert set(f) >= {
        "rule",
        "severity",
        "title",
        "resources",
        "evidence",
        "explanation",
        "fix",
        "references",
    }
    assert set(f["fix"][0]) >= {"action", "console", "cli"}
    s = doc["subnets"][0]
    assert set(s) >= {"subnet_id", "vpc_id", "role", "route_table_id", "default_route_target"}
    roles = {x["name"]: x["role"] for x in doc["subnets"]}
    assert roles["shop-public-a"] == "public"
    assert roles["shop-private-app-a"] == "private"
    assert roles["shop-private-worker-b"] == "public"  # routed to the IGW: public in fact


def test_scan_snapshot_directory_markdown():
    r = run_cli("scan", "--snapshot", str(DEMO_DIR), "--format", "markdown")
    assert r.returncode == 1
    assert r.stdout.startswith("# VPC diagnosis")
    assert "### " in r.stdout and "```sh" in r.stdout


def test_min_severity_threshold_sets_exit_code():
    r = run_cli("scan", "--demo", "--min-severity", "critical", "--format", "json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["findings"] == []
    r = run_cli("scan", "--demo", "--min-severity", "bogus")
    assert r.returncode == 2


def test_vpc_focus_and_unknown_vpc():
    r = run_cli("scan", "--demo", "--vpc", "vpc-0000000000000000", "--format", "json")
    assert r.returncode == 2 and "not in the snapshot" in r.stderr
    assert "Traceback" not in r.stderr
    vpc = json.loads(run_cli("scan", "--demo", "--format", "json").stdout)["subnets"][0]["vpc_id"]
    r = run_cli("scan", "--demo", "--vpc", vpc, "--format", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["findings"]


def test_rules_and_explain():
    r = run_cli("rules", "--format", "json")
    assert r.returncode == 0
    ids = {x["id"]: x["severity"] for x in json.loads(r.stdout)}
    assert ids["nat.in-private-subnet"] == "high"
    r = run_cli("explain", "nat.in-private-subnet")
    assert r.returncode == 0 and "Fix" in r.stdout and "create-nat-gateway" in r.stdout
    r = run_cli("explain", "nat.nope")
    assert r.returncode == 2 and "no rule" in r.stderr


def test_collect_commands_are_read_only():
    r = run_cli("collect-commands", "--region", "eu-west-1")
    assert r.returncode == 0
    cmds = [line for line in r.stdout.splitlines() if line.startswith("aws ")]
    assert len(cmds) >= 15
    for c in cmds:
        verb = c.split()[2]
        assert verb.startswith("describe-"), c


def test_wrong_flag_and_both_sources():
    assert run_cli("scan", "--nope").returncode == 2
    r = run_cli("scan", "--demo", "--snapshot", str(DEMO_DIR))
    assert r.returncode == 2 and "either --demo or --snapshot" in r.stderr


def test_help_mentions_collect_commands():
    r = run_cli("scan", "--help")
    assert r.returncode == 0 and "collect-commands" in r.stdout


def test_source_options_before_the_subcommand_work_as_after_it(capsys):
    from assistant.cli import main

    assert main(["scan", "--snapshot", str(DEMO_DIR), "--format", "json"]) == 1
    after = capsys.readouterr().out
    assert main(["--snapshot", str(DEMO_DIR), "scan", "--format", "json"]) == 1
    before = capsys.readouterr().out
    assert before == after and json.loads(before)["findings"]
    # several paths, then the subcommand: the subcommand is not read as one more path
    assert main(["--snapshot", str(DEMO_DIR), str(DEMO_DIR), "scan", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"] == json.loads(after)["findings"]
    assert main(["--demo", "scan", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"]


def test_global_vpc_applies_and_conflicts_are_one_line_errors(capsys):
    from assistant.cli import main

    assert main(["--demo", "--vpc", "vpc-nope", "scan"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vpc-nope" in err
    assert main(["--demo", "rules"]) == 2
    assert "--demo does not apply to `rules`" in capsys.readouterr().err
    assert main(["--snapshot", "a.json", "scan", "--snapshot", "b.json"]) == 2
    assert "given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--snapshot", "scan"])
    assert e.value.code == 2


def test_the_chat_without_a_terminal_is_a_one_line_error():
    r = run_cli("--demo", input="")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "needs a terminal" in r.stderr
    assert "\033[" not in r.stdout and r.stdout == ""


def test_a_scan_that_could_run_few_rules_is_not_an_all_clear(tmp_path, capsys):
    from assistant.cli import main

    (tmp_path / "route-tables.json").write_bytes((DEMO_DIR / "route-tables.json").read_bytes())
    main(["scan", "--snapshot", str(tmp_path / "route-tables.json")])
    out = capsys.readouterr().out
    tail = out.split("\nSummary: ", 1)[1]
    assert tail.startswith("NOT AN ALL-CLEAR: ") and "rules could not run" in tail
    assert "No findings at or above low." not in out  # never the bare all-clear
    assert "this is not an all-clear" in " ".join(out.split())  # whatever the wrapping
    main(["scan", "--demo"])
    full = capsys.readouterr().out
    assert "NOT AN ALL-CLEAR" not in full and "not an all-clear" not in full


def test_the_summary_counts_rules_not_run_against_the_catalogue():
    from assistant.engine.rules import load_rules
    from assistant.models.finding import Diagnosis, NotCheckedItem
    from assistant.render.text import render_text

    ids = sorted(r.id for r in load_rules())
    half = len(ids) // 2
    few = Diagnosis(not_checked=[NotCheckedItem(what="X", reason="r", rules=ids[:half])])
    most = Diagnosis(not_checked=[NotCheckedItem(what="X", reason="r", rules=ids[: half + 1])])
    assert "NOT AN ALL-CLEAR" not in render_text(few)  # a near miss: exactly half
    assert f"NOT AN ALL-CLEAR: {half + 1} of {len(ids)} rules" in render_text(most, width=120)
    bogus = Diagnosis(not_checked=[NotCheckedItem(what="X", reason="r", rules=["no.such"] * 99)])
    assert "NOT AN ALL-CLEAR" not in render_text(bogus)  # only catalogue rules count


def test_scan_output_is_whole_when_the_process_ends_without_freeing(tmp_path):
    """The console script ends a scan with os._exit once its output is flushed: every format,
    to a pipe and to a file, is complete and the exit code is the scan's."""
    for fmt in ("json", "text", "markdown"):
        r = run_cli("scan", "--demo", "--format", fmt)
        assert r.returncode == 1 and r.stderr == ""
        again = run_cli("scan", "--demo", "--format", fmt)
        assert r.stdout == again.stdout and r.stdout.endswith("\n")
    assert json.loads(run_cli("scan", "--demo", "--format", "json").stdout)["findings"]
    quiet = run_cli("scan", "--demo", "--min-severity", "critical", "--format", "json")
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["findings"] == []
