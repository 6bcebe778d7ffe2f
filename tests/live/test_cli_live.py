"""End to end: `vpc-helper scan` on the moto server, and the same findings from `collect -o`."""

from __future__ import annotations

import json

from tests.helpers import run_cli
from tests.live.scenario import classic, clients, open_ssh_to_world


def _break_some(c: dict) -> None:
    ec2, _ = clients()
    ec2.delete_nat_gateway(NatGatewayId=c["nat"][0])
    open_ssh_to_world(ec2, c["app_sg"])
    ec2.delete_route(RouteTableId=c["private_rt"][1], DestinationCidrBlock="0.0.0.0/0")


def test_live_scan_equals_scan_of_collected_snapshot(shop, tmp_path):
    _break_some(shop)
    url, vpc = shop_url(), shop["vpc"]
    live = run_cli(
        "scan", "--endpoint-url", url, "--region", "us-east-1", "--vpc", vpc, "--format", "json"
    )
    assert live.returncode == 1, live.stderr
    assert live.stderr == ""  # no progress line when stderr is not a terminal
    found = json.loads(live.stdout)
    rules = {f["rule"] for f in found["findings"]}
    assert {"egress.route-blackhole", "exposure.sg-open-admin-port"} <= rules
    assert "egress.no-default-route" in rules
    assert found["summary"]["vpcs"] == [vpc]

    out = tmp_path / "snap.json"
    col = run_cli(
        "collect", "--endpoint-url", url, "--region", "us-east-1", "--vpc", vpc, "-o", str(out)
    )
    assert col.returncode == 0, col.stderr
    assert f"wrote {out}" in col.stderr
    assert not list(tmp_path.glob(".snap.json.*")), "temporary file left behind"
    saved = json.loads(out.read_text())
    assert saved["format"] == "vpc-helper-snapshot" and saved["region"] == "us-east-1"

    again = run_cli("scan", "--snapshot", str(out), "--vpc", vpc, "--format", "json")
    assert again.returncode == 1, again.stderr
    offline = json.loads(again.stdout)
    assert offline["findings"] == found["findings"]
    assert offline["subnets"] == found["subnets"]
    assert offline["not_checked"] == found["not_checked"]


def shop_url() -> str:
    import os

    return os.environ["AWS_ENDPOINT_URL"]


def test_scan_uses_environment_and_text_output(shop):
    r = run_cli("scan", "--vpc", shop["vpc"])
    assert r.returncode == 0, r.stderr
    assert "No findings" in r.stdout
    assert "Not checked" not in r.stdout


def test_several_regions_in_one_scan(aws):
    east = classic(region="us-east-1", name="east")
    west = classic(region="eu-west-1", name="west", cidr="10.2.0.0/16", with_lb=False)
    ec2, _ = clients("eu-west-1")
    ec2.detach_internet_gateway(InternetGatewayId=west["igw"], VpcId=west["vpc"])
    r = run_cli(
        "scan",
        "--region",
        "us-east-1,eu-west-1",
        "--vpc",
        east["vpc"],
        "--vpc",
        west["vpc"],
        "--format",
        "json",
    )
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert set(d["summary"]["vpcs"]) == {east["vpc"], west["vpc"]}
    assert d["summary"]["region"] == "us-east-1,eu-west-1"
    fired = {(f["rule"], f["vpc_id"]) for f in d["findings"]}
    assert ("igw.not-attached", west["vpc"]) in fired
    assert not any(v == east["vpc"] for _, v in fired)


def test_unknown_vpc_is_a_clear_error(shop):
    r = run_cli("scan", "--vpc", "vpc-0123456789abcdef0")
    assert r.returncode == 2
    assert "vpc-0123456789abcdef0" in r.stderr and "Traceback" not in r.stderr


def test_collect_to_stdout_and_bad_path(shop, tmp_path):
    r = run_cli("collect", "--vpc", shop["vpc"], "-o", "-")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Vpcs"][0]["VpcId"] == shop["vpc"]
    bad = run_cli("collect", "--vpc", shop["vpc"], "-o", str(tmp_path / "missing-dir" / "s.json"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("vpc-helper: error: cannot write")


def test_progress_reports_each_read(shop):
    import re

    from assistant.sources.live import collect

    seen: list[str] = []
    collect(regions=["us-east-1"], vpc_ids=[shop["vpc"]], progress=seen.append)
    assert seen[-1] == ""  # done: the line is cleared
    lines = seen[:-1]
    parsed = [re.fullmatch(r"reading (.+) \((\d+)/(\d+)\)", m) for m in lines]
    assert all(parsed), lines
    done = [int(p.group(2)) for p in parsed]
    assert done == list(range(1, len(lines) + 1))
    assert int(parsed[-1].group(3)) == len(lines)  # the total grew to every read made
    labels = {p.group(1) for p in parsed}
    assert {"subnets", "route tables", "listeners", "target health"} <= labels
