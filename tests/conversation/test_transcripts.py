"""Transcripts: saved atomically (Markdown and JSON), free of secrets, replayed."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from assistant.conversation.session import Session
from assistant.conversation.transcript import load, replay, save, scrub
from assistant.errors import UserError
from tests.helpers import ROOT, run_cli

GOLDEN = sorted(
    p for p in (ROOT / "transcripts").glob("*.json") if not p.name.endswith(".answers.json")
)


def finished_questions_session() -> Session:
    s = Session()
    s.start()
    s.send("1")
    s.send("questions")
    for a in ("nat", "available", "nat", "finish"):
        s.send(a)
    return s


def test_golden_transcripts_cover_every_symptom_and_question_mode():
    data = [orjson.loads(p.read_bytes()) for p in GOLDEN]
    assert {d["symptom"] for d in data} == {"egress", "ingress", "exposure", "whole", "setup"}
    assert any(d["mode"] == "questions" for d in data)
    assert all(p.with_suffix(".md").exists() for p in GOLDEN)


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_every_golden_transcript_replays(path):
    result = replay(load(path))
    assert result["matches"], result
    r = run_cli("replay", str(path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_save_writes_markdown_and_json(tmp_path):
    s = finished_questions_session()
    md, js = save(s, tmp_path)
    assert md.suffix == ".md" and js.suffix == ".json" and md.stem == js.stem
    text = md.read_text()
    assert "nat.in-private-subnet" in text and "**you**" in text and "*Why:*" in text
    data = orjson.loads(js.read_bytes())
    assert data["answers"] == {"route": "nat", "nat_state": "available", "nat_subnet": "nat"}
    assert data["tool_version"] and data["turns"] and data["finding_keys"]
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary files are gone


def test_save_to_a_chosen_file_name(tmp_path):
    md, js = save(finished_questions_session(), tmp_path / "sub" / "call-42.json")
    assert js == tmp_path / "sub" / "call-42.json" and md.exists()


def test_save_to_an_unwritable_place_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError):
        save(finished_questions_session(), blocker)


def test_no_secret_reaches_a_transcript(tmp_path):
    s = Session()
    s.start()
    s.send("1")
    s.send("questions")
    s.send('{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI"}')
    s.send("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG")
    md, js = save(s, tmp_path)
    for p in (md, js):
        body = p.read_text()
        assert "AKIAIOSFODNN7EXAMPLE" not in body and "wJalrXUtnFEMI" not in body
    assert scrub({"SessionToken": "x", "ok": "AKIAIOSFODNN7EXAMPLE"}) == {"ok": "[redacted]"}


def test_replay_reports_a_changed_diagnosis(tmp_path):
    _, js = save(finished_questions_session(), tmp_path)
    data = orjson.loads(js.read_bytes())
    data["finding_keys"] = [["nat.not-available", ["nat-0"]]]
    changed = tmp_path / "changed.json"
    changed.write_bytes(orjson.dumps(data))
    result = replay(load(changed))
    assert not result["matches"] and result["removed"] and result["added"]
    r = run_cli("replay", str(changed))
    assert r.returncode == 1 and "differs" in r.stdout and "+ nat.in-private-subnet" in r.stdout


def test_replay_of_changed_answers_differs(tmp_path):
    _, js = save(finished_questions_session(), tmp_path)
    data = orjson.loads(js.read_bytes())
    data["answers"]["nat_subnet"] = "igw"
    data["answers"]["igw_attached"] = "yes"
    f = tmp_path / "t.json"
    f.write_bytes(orjson.dumps(data))
    assert not replay(load(f))["matches"]


def test_replay_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    other = tmp_path / "other.json"
    other.write_text('{"Vpcs": []}')
    for p in (bad, other, tmp_path / "missing.json"):
        r = run_cli("replay", str(p))
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.stderr


def test_transcript_of_a_demo_holds_the_facts():
    data = orjson.loads((ROOT / "transcripts" / "egress-demo.json").read_bytes())
    assert data["facts"]["Vpcs"] and data["mode"] == "demo"
    assert Path(ROOT / "transcripts" / "egress-demo.md").read_text().count("create-nat-gateway")


def test_goldens_are_not_stale():
    from assistant.conversation.golden import stale

    # Regenerate with: .venv/bin/python -m assistant.conversation.golden
    assert stale() == []


def test_a_golden_with_another_text_is_stale(tmp_path):
    import shutil

    from assistant.conversation.golden import GOLDEN_DIR, stale

    for p in GOLDEN_DIR.glob("*.md"):
        shutil.copy(p, tmp_path / p.name)
    md = tmp_path / "egress-demo.md"
    md.write_text(md.read_text().replace("nat.in-private-subnet", "nat.somewhere-else", 1))
    assert stale(tmp_path) == ["egress-demo"]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda d: d.update(answers="not a mapping"), "AttributeError"),
        (lambda d: d.update(finding_keys=[7]), "TypeError"),
        (lambda d: d.update(finding_keys=[[]]), "IndexError"),
        (lambda d: d.update(noticed=[{"rule": "x"}]), "KeyError"),
        (lambda d: d.update(traces=[{"from": "a"}]), "KeyError"),
    ],
)
def test_a_malformed_transcript_is_one_line_naming_the_file(tmp_path, change, kind):
    name = "egress-questions.json" if kind == "AttributeError" else "egress-trace-demo.json"
    data = orjson.loads((ROOT / "transcripts" / name).read_bytes())
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps(data))
    with pytest.raises(UserError):
        replay(load(bad))
    r = run_cli("replay", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert str(bad) in r.stderr and "malformed" in r.stderr and "Traceback" not in r.stderr


def test_replay_reports_each_file_and_skips_setup_answers(tmp_path):
    import shutil

    for name in ("egress-demo.json", "setup.answers.json", "exposure-demo.json"):
        shutil.copy(ROOT / "transcripts" / name, tmp_path / name)
    (tmp_path / "broken.json").write_text("[1]")
    r = run_cli("replay", str(tmp_path / "*.json"))
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{tmp_path / 'egress-demo.json'}: matches" in r.stdout
    assert f"{tmp_path / 'exposure-demo.json'}: matches" in r.stdout
    assert "setup.answers.json: a setup answers file" in r.stdout
    assert "broken.json" in r.stderr and r.stderr.count("\n") == 1


def test_replay_prints_what_a_user_notices_differs(tmp_path):
    data = orjson.loads((ROOT / "transcripts" / "egress-demo.json").read_bytes())
    data["noticed"][0]["severity"] = "low"
    data["noticed"][0]["fix"][0][0] = "Do something else"
    f = tmp_path / "t.json"
    f.write_bytes(orjson.dumps(data))
    r = run_cli("replay", str(f))
    assert r.returncode == 1
    rule = data["noticed"][0]["rule"]
    assert f"~ {rule}: severity low -> " in r.stdout
    assert f"~ {rule}: the fix steps differ:" in r.stdout and "-Do something else" in r.stdout


def test_replay_of_questions_compares_what_was_not_ruled_out(tmp_path):
    data = orjson.loads((ROOT / "transcripts" / "egress-questions.json").read_bytes())
    assert data["not_checked"]  # the questions were stopped early: some rules stay open
    data["not_checked"] = []
    f = tmp_path / "t.json"
    f.write_bytes(orjson.dumps(data))
    result = replay(load(f))
    assert not result["matches"] and any("not ruled out" in c for c in result["changed"])


def test_setup_golden_reruns_the_walkthrough_and_compares_the_plan(tmp_path):
    data = orjson.loads((ROOT / "transcripts" / "setup.json").read_bytes())
    assert data["plan"] and replay(data)["matches"]
    answers = data["walkthrough_answers"]
    answers["az_count"] = 3 if answers.get("az_count") != 3 else 2
    result = replay(data)
    assert not result["matches"] and result["changed"][0] == "the plan differs:"


def test_a_bare_secret_key_typed_in_the_chat_is_scrubbed(tmp_path):
    secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"
    assert len(secret) == 40
    s = Session()
    s.start()
    s.send("1")
    s.send("questions")
    s.send(f"my key is {secret}")
    md, js = save(s, tmp_path)
    for p in (md, js):
        assert secret not in p.read_text()
    # Near misses are kept: ids, a 40-character hex digest, a 39-character token.
    for keep in ("a" * 40, "0123456789abcdef0123456789abcdef01234567", secret[:39], "subnet-0abc"):
        assert scrub(f"x {keep} y") == f"x {keep} y"
