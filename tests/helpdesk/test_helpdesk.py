"""Help-desk triage: redaction that keeps the diagnosis, reports, before/after."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.engine import diagnose
from assistant.redact import RedactionKey, redact, unredact_text
from assistant.render import render_markdown, render_text
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import DEMO_DIR, build, demo_snapshot
from assistant.sources.files import dump_snapshot
from assistant.topology import Topology
from tests.helpers import run_cli

HERE = Path(__file__).resolve().parent
MERMAID_VERSION = "11.12.1"
JSDOM_VERSION = "26.1.0"


def _scenarios():
    yield "demo", demo_snapshot()
    b = Builder(seed="hd")
    classic(b, data_tier=True)
    yield "classic", b.snapshot()


@pytest.mark.parametrize("name, snap", list(_scenarios()))
def test_redacted_bundle_diagnoses_the_same_rule_for_rule(name, snap):
    key = RedactionKey()
    bundle = redact(snap, key)
    original, redacted = diagnose(snap), diagnose(bundle)
    assert [(f.rule, f.severity, f.resources) for f in redacted.findings] == [
        (f.rule, f.severity, f.resources) for f in original.findings
    ]
    assert [s.role for s in redacted.subnets] == [s.role for s in original.subnets]
    # every text is the original's with pseudonyms in place of the originals
    for a, b in zip(original.findings, redacted.findings, strict=True):
        assert unredact_text(b.model_dump_json(), key) == a.model_dump_json()


def test_bundle_holds_no_original_secret_values():
    snap = demo_snapshot()
    raw = dump_snapshot(redact(snap, RedactionKey())).decode()
    secrets_ = {"123456789012", "shop-prod", "shop-alb", "shop-app-a1", "shop-admin-sg"}
    secrets_ |= {ip for i in snap.Instances for ip in i.public_ips}
    secrets_ |= {a.PublicIp for a in snap.Addresses if a.PublicIp}
    for s in secrets_:
        assert s not in raw, s
    doc = json.loads(raw)
    assert doc["redacted"] is True and "secret" not in raw and "table" not in raw
    # private addressing is kept, so routing means the same
    assert "10.20.0.0/16" in raw


def test_pseudonyms_are_stable_and_keep_intent_words(tmp_path):
    key_file = tmp_path / "key.json"
    k1 = RedactionKey.load(key_file)
    a = redact(demo_snapshot(), k1)
    k1.save(key_file)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    b = redact(demo_snapshot(), RedactionKey.load(key_file))
    assert a.model_dump() == b.model_dump()
    names = {s.name for s in a.Subnets}
    assert any(n.startswith("private-app-") for n in names)
    assert any(n.startswith("public-") for n in names)


def test_redact_command_and_key_maps_report_back(tmp_path):
    bundle, key = tmp_path / "bundle.json", tmp_path / "key.json"
    r = run_cli("redact", str(DEMO_DIR), "-o", str(bundle), "--redaction-key", str(key))
    assert r.returncode == 0, r.stderr
    plain = run_cli("scan", "--snapshot", str(bundle), "--format", "markdown")
    assert plain.returncode == 1 and "shop-private-app-b" not in plain.stdout
    mapped = run_cli(
        "scan", "--snapshot", str(bundle), "--format", "markdown", "--redaction-key", str(key)
    )
    assert "shop-private-app-b" in mapped.stdout
    original = run_cli("scan", "--demo", "--format", "markdown")
    assert mapped.stdout.replace("source `redacted bundle`", "source `demo`") == original.stdout


def test_markdown_report_sections():
    snap = demo_snapshot()
    d = diagnose(snap)
    md = render_markdown(d, topology=Topology(snap))
    for part in (
        "**Summary:**",
        "## Diagram",
        "```mermaid",
        "## Findings",
        "**Fix**",
        "**Evidence**",
    ):
        assert part in md
    assert md.index("HIGH") < md.index("MEDIUM")


def _mermaid_checker(tmp_path_factory) -> Path:
    """Mermaid's own parser under Node, installed once into a cache directory."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js is not installed (.ci/run installs it)")
    cache = Path(
        os.environ.get(
            "VPC_HELPER_NODE_CACHE", Path.home() / ".cache" / "vpc-helper-tests" / "mermaid"
        )
    )
    if not (cache / "node_modules" / "mermaid").exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "package.json").write_text('{"name": "mermaid-check", "private": true}')
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                f"mermaid@{MERMAID_VERSION}",
                f"jsdom@{JSDOM_VERSION}",
            ],
            cwd=cache,
            check=True,
            capture_output=True,
            timeout=600,
        )
    script = cache / "check.mjs"
    shutil.copy(HERE / "mermaid_check.mjs", script)
    return script


@pytest.fixture(scope="session")
def mermaid_check(tmp_path_factory):
    script = _mermaid_checker(tmp_path_factory)

    def check(text: str) -> dict:
        r = subprocess.run(
            ["node", str(script)], input=text, capture_output=True, text=True, timeout=120
        )
        return json.loads(r.stdout.strip().splitlines()[-1])

    return check


def _mermaid_block(md: str) -> str:
    return md.split("```mermaid\n", 1)[1].split("```", 1)[0]


def test_mermaid_diagram_parses_with_mermaid(mermaid_check):
    b = Builder(seed="mm")
    classic(b, azs="abc", data_tier=True)
    from tests.helpdesk.test_safe_output import _hostile_snapshot

    for snap in (demo_snapshot(), b.snapshot(), redact(demo_snapshot()), _hostile_snapshot()):
        md = render_markdown(diagnose(snap), topology=Topology(snap))
        result = mermaid_check(_mermaid_block(md))
        assert result == {"ok": True, "type": "flowchart-v2"}, result


def test_mermaid_checker_rejects_broken_text(mermaid_check):
    assert mermaid_check("flowchart TB\n  a[unclosed --> b\n")["ok"] is False


def test_broken_paths_are_marked_in_the_diagram():
    from assistant.render.diagram import mermaid

    snap = demo_snapshot()
    text = mermaid(Topology(snap), diagnose(snap))
    nat = next(n.NatGatewayId for n in snap.NatGateways if n.name == "shop-nat-b")
    assert f"n_{nat.replace('-', '_')}" in text.split("class ")[-1]
    assert "linkStyle" in text


def test_html_report_is_self_contained(tmp_path):
    r = run_cli("scan", "--demo", "--format", "html")
    assert r.returncode == 1
    page = r.stdout
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page
    assert "<script" not in page and "<link" not in page  # nothing fetched from elsewhere
    assert "nat.in-private-subnet" in page


def _changed_demo():
    """The demo after a customer's change: NAT b rebuilt in public-b, SSH opened on the apps."""
    b = build()
    nat_b = next(n for n in b.data["NatGateways"] if n["Tags"][0]["Value"] == "shop-nat-b")
    pub_b = next(s for s in b.data["Subnets"] if s["Tags"][0]["Value"] == "shop-public-b")
    nat_b["SubnetId"] = pub_b["SubnetId"]
    app = next(g for g in b.data["SecurityGroups"] if g["GroupName"] == "shop-app-sg")
    app["IpPermissions"].append(b.perm(22, "0.0.0.0/0"))
    return b


def test_diff_lists_fixed_introduced_and_the_changes(tmp_path):
    after = tmp_path / "after.json"
    after.write_bytes(dump_snapshot(_changed_demo().snapshot()))
    r = run_cli("diff", str(DEMO_DIR), str(after), "--format", "json")
    assert r.returncode == 1, r.stderr  # something was introduced
    doc = json.loads(r.stdout)
    assert [f["rule"] for f in doc["fixed"]] == ["nat.in-private-subnet"]
    assert [f["rule"] for f in doc["introduced"]] == ["exposure.sg-open-admin-port"]
    changes = "\n".join(doc["changes"])
    assert "SubnetId" in changes and "IpPermissions added tcp 22-22 from 0.0.0.0/0" in changes
    same = run_cli("diff", str(DEMO_DIR), str(DEMO_DIR))
    assert same.returncode == 0 and "0 introduced" in same.stdout


def test_diff_of_redacted_bundles_with_one_key(tmp_path):
    key = tmp_path / "key.json"
    before, after_raw, after = (tmp_path / n for n in ("b.json", "a-raw.json", "a.json"))
    after_raw.write_bytes(dump_snapshot(_changed_demo().snapshot()))
    assert (
        run_cli("redact", str(DEMO_DIR), "-o", str(before), "--redaction-key", str(key)).returncode
        == 0
    )
    assert (
        run_cli("redact", str(after_raw), "-o", str(after), "--redaction-key", str(key)).returncode
        == 0
    )
    doc = json.loads(run_cli("diff", str(before), str(after), "--format", "json").stdout)
    assert [f["rule"] for f in doc["fixed"]] == ["nat.in-private-subnet"]


def test_newer_bundle_version_is_a_clear_error(tmp_path):
    p = tmp_path / "bundle.json"
    doc = json.loads(dump_snapshot(demo_snapshot()))
    doc["version"] = 99
    p.write_text(json.dumps(doc))
    r = run_cli("scan", "--snapshot", str(p))
    assert r.returncode == 2 and "newer than this vpc-helper understands" in r.stderr


def test_text_render_unredacts_to_the_original():
    key = RedactionKey()
    snap = demo_snapshot()
    d1, d2 = diagnose(snap), diagnose(redact(snap, key))
    d2.source = d1.source
    # the same words; line wrapping may differ where a pseudonym is shorter than its original
    assert unredact_text(render_text(d2), key).split() == render_text(d1).split()
