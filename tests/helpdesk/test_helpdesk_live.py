"""The help-desk flows on a VPC built in the moto server and read live."""

from __future__ import annotations

import json
import os

from assistant.redact import RedactionKey, unredact_text
from tests.helpers import run_cli
from tests.live.scenario import clients, open_ssh_to_world


def _live(*args: str):
    return run_cli(*args, "--endpoint-url", os.environ["AWS_ENDPOINT_URL"], "--region", "us-east-1")


def test_collect_redact_then_scan_matches_live_scan(shop, tmp_path):
    ec2, _ = clients()
    open_ssh_to_world(ec2, shop["app_sg"])
    ec2.delete_route(RouteTableId=shop["private_rt"][1], DestinationCidrBlock="0.0.0.0/0")
    vpc = shop["vpc"]
    live = json.loads(_live("scan", "--vpc", vpc, "--format", "json").stdout)
    bundle, key = tmp_path / "bundle.json", tmp_path / "key.json"
    r = _live("collect", "--vpc", vpc, "--redact", "--redaction-key", str(key), "-o", str(bundle))
    assert r.returncode == 0, r.stderr
    raw = bundle.read_text()
    assert '"redacted": true' in raw
    assert "shop-private-app" not in raw and "shop-app-sg" not in raw
    red = json.loads(run_cli("scan", "--snapshot", str(bundle), "--format", "json").stdout)
    k = RedactionKey.load(key)
    assert [
        (f["rule"], [unredact_text(r, k) for r in f["resources"]]) for f in red["findings"]
    ] == [(f["rule"], f["resources"]) for f in live["findings"]]
    assert {"egress.no-default-route", "exposure.sg-open-admin-port"} <= {
        f["rule"] for f in red["findings"]
    }
    md = run_cli(
        "scan", "--snapshot", str(bundle), "--format", "markdown", "--redaction-key", str(key)
    ).stdout
    assert "shop-private-app" in md and "```mermaid" in md


def test_before_after_on_live_snapshots(shop, tmp_path):
    vpc = shop["vpc"]
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    assert _live("collect", "--vpc", vpc, "-o", str(before)).returncode == 0
    ec2, _ = clients()
    ec2.delete_route(RouteTableId=shop["private_rt"][0], DestinationCidrBlock="0.0.0.0/0")
    assert _live("collect", "--vpc", vpc, "-o", str(after)).returncode == 0
    r = run_cli("diff", str(before), str(after), "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    # the NAT gateway of that AZ is now unused too
    assert sorted(f["rule"] for f in doc["introduced"]) == ["egress.no-default-route", "nat.unused"]
    assert any("Routes removed 0.0.0.0/0 -> nat-" in c for c in doc["changes"])
    back = run_cli("diff", str(after), str(before), "--format", "json")
    assert back.returncode == 0
    assert sorted(f["rule"] for f in json.loads(back.stdout)["fixed"]) == [
        "egress.no-default-route",
        "nat.unused",
    ]


def test_redaction_key_without_redact_is_refused(tmp_path):
    r = run_cli(
        "collect",
        "--demo",
        "--redaction-key",
        str(tmp_path / "k.json"),
        "-o",
        str(tmp_path / "x.json"),
    )
    assert r.returncode == 2 and "--redaction-key goes with --redact" in r.stderr


def test_collect_redact_to_stdout_keeps_the_key(tmp_path):
    key = tmp_path / "key.json"
    r = run_cli("collect", "--demo", "--redact", "--redaction-key", str(key), "-o", "-")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["redacted"] is True
    assert "shop-private-app-a" in RedactionKey.load(key).table.values()
