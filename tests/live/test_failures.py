"""Each failure is one line naming the fix and exit code 2, never a traceback."""

from __future__ import annotations

import json
import socket

import pytest

from assistant.sources.live import MAX_ATTEMPTS, OPERATIONS, collect
from tests.helpers import run_cli

# moto's answer to an operation it does not implement (werkzeug's error page)
MOTO_500 = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was "
    b"unable to complete your request.</p>\n"
)


def _fails(r, *words: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("vpc-helper: error: ")
    for w in words:
        assert w in lines[0], lines[0]
    assert r.stdout == ""
    return lines[0]


def test_no_credentials(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _fails(run_cli("scan"), "no AWS credentials", "aws configure")


def test_unknown_profile(aws):
    _fails(run_cli("scan", "--profile", "nosuch"), "profile 'nosuch' not found")


def test_unknown_region(aws):
    _fails(run_cli("scan", "--region", "us-nowhere-1"), "unknown AWS region 'us-nowhere-1'")


def test_no_region(aws, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    _fails(run_cli("scan"), "no AWS region", "--region")


def test_endpoint_not_reachable(aws):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}"
    _fails(run_cli("scan", "--endpoint-url", url), f"cannot reach {url}")


def test_sso_session_expired(aws, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text(
        "[profile sso-dev]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = ReadOnly\n"
        "region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    _fails(run_cli("scan", "--profile", "sso-dev"), "SSO session", "aws sso login")


def test_expired_token(proxy):
    proxy.errors["GetCallerIdentity"] = (403, "ExpiredToken")
    _fails(run_cli("scan", "--endpoint-url", proxy.url), "credentials have expired")


def test_access_denied_on_everything(proxy):
    for op in OPERATIONS:
        if op.name != "GetCallerIdentity":  # AWS never denies it
            proxy.errors[op.name] = (403, "denied")
    _fails(run_cli("scan", "--endpoint-url", proxy.url), "access denied", "vpc-helper iam-policy")


def test_partial_access_denied_is_reported_not_fatal(shop, proxy):
    proxy.errors["DescribeRouteTables"] = (403, "denied")
    proxy.errors["DescribeTargetGroups"] = (403, "denied")
    vpc = shop["vpc"]
    r = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", vpc, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    by_what = {n["what"]: n for n in d["not_checked"] if n["action"]}
    # what follows from it is unknown too: the load balancer subnets' roles
    derived = [n["what"] for n in d["not_checked"] if not n["action"]]
    assert derived and all("unknown role" in w for w in derived), derived
    # one entry per collection not read, naming the permission that is missing
    assert sorted(by_what) == [
        "RouteTables",
        "TargetGroupAttributes",
        "TargetGroups",
        "TargetHealth",
    ]
    rt = by_what["RouteTables"]
    assert rt["action"] == "ec2:DescribeRouteTables"
    assert "egress.route-blackhole" in rt["rules"] and "nat.in-private-subnet" in rt["rules"]
    assert "DescribeRouteTables was denied in us-east-1" in rt["reason"]
    # target health needs the target groups, which could not be listed
    assert by_what["TargetGroups"]["action"] == "elasticloadbalancing:DescribeTargetGroups"
    assert by_what["TargetHealth"]["action"] == "elasticloadbalancing:DescribeTargetGroups"
    assert "needs target groups" in by_what["TargetHealth"]["reason"]
    assert d["findings"] == []  # rules on data not read give no finding, not a guess
    # no silent all-clear: the text output says what was not checked and why
    t = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", vpc)
    assert t.returncode == 0, t.stderr
    assert "Not checked" in t.stdout
    assert "missing permission ec2:DescribeRouteTables" in " ".join(t.stdout.split())
    m = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", vpc, "--format", "markdown")
    assert "ec2:DescribeRouteTables" in m.stdout


def test_partial_access_denied_survives_collect_and_snapshot_scan(shop, proxy, tmp_path):
    proxy.errors["DescribeNatGateways"] = (403, "denied")
    vpc, out = shop["vpc"], tmp_path / "s.json"
    live = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", vpc, "--format", "json")
    col = run_cli("collect", "--endpoint-url", proxy.url, "--vpc", vpc, "-o", str(out))
    assert col.returncode == 0, col.stderr
    assert "1 item(s) not read" in col.stderr
    offline = run_cli("scan", "--snapshot", str(out), "--vpc", vpc, "--format", "json")
    a, b = json.loads(live.stdout), json.loads(offline.stdout)
    assert a["not_checked"] == b["not_checked"] and a["findings"] == b["findings"]
    assert [n["action"] for n in b["not_checked"] if n["action"]] == ["ec2:DescribeNatGateways"]
    # the routes to the NAT gateways that could not be read are not judged
    assert any("route targets not in the snapshot" in n["what"] for n in b["not_checked"])


def test_partial_access_denied_in_the_collected_snapshot(shop, proxy):
    proxy.errors["DescribeSecurityGroups"] = (403, "denied")
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[shop["vpc"]])
    assert not snap.has("SecurityGroups") and snap.has("Subnets")
    (nc,) = snap.not_checked
    assert nc.action == "ec2:DescribeSecurityGroups"
    # the snapshot says what was not read; the diagnosis names the rules it leaves out
    from assistant.engine import diagnose, load_rules

    (item,) = [n for n in diagnose(snap).not_checked if n.what == "SecurityGroups"]
    assert item.rules == sorted(r.id for r in load_rules() if "SecurityGroups" in r.needs)
    assert "exposure.sg-open-admin-port" in item.rules
    assert item.action == "ec2:DescribeSecurityGroups"


def test_unparseable_response_is_not_checked_and_the_rest_is_read(shop, proxy):
    # what moto sends for an operation it does not implement: HTTP 500, not AWS XML
    proxy.raw["DescribeSubnets"] = (500, MOTO_500)
    r = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", shop["vpc"], "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    d = json.loads(r.stdout)
    by_what = {n["what"]: n for n in d["not_checked"]}
    assert "DescribeSubnets failed in us-east-1" in by_what["Subnets"]["reason"]
    assert "ResponseParserError" in by_what["Subnets"]["reason"]
    assert by_what["Subnets"]["action"] is None  # not a permission: nothing to grant
    assert "RouteTables" not in by_what and "Instances" not in by_what  # the rest was read


def test_every_read_failing_stops_with_one_line(proxy):
    """An endpoint that answers nothing as AWS: one line, exit 2, not a page of not_checked."""
    for op in OPERATIONS:
        if op.name != "GetCallerIdentity" and op.per is None:
            proxy.raw[op.name] = (500, MOTO_500)
    _fails(run_cli("scan", "--endpoint-url", proxy.url), "every read failed", "--endpoint-url")


def test_throttling_gives_up_after_bounded_retries_and_goes_on(shop, proxy):
    proxy.errors["DescribeSubnets"] = (400, "RequestLimitExceeded")
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[shop["vpc"]])
    assert proxy.calls.count("DescribeSubnets") == MAX_ATTEMPTS
    (nc,) = snap.not_checked
    assert nc.what == "Subnets" and "RequestLimitExceeded" in nc.reason
    assert snap.has("RouteTables") and not snap.has("Subnets")


@pytest.mark.parametrize(
    "operation, status, code, collection",
    [
        ("DescribeTransitGateways", 400, "UnsupportedOperation", "TransitGateways"),
        ("DescribeVpnConnections", 400, "InvalidParameterValue", "VpnConnections"),
        ("DescribeTargetHealth", 400, "TargetGroupNotFound", "TargetHealth"),
        ("SearchTransitGatewayRoutes", 400, "InvalidRouteTableID.NotFound", "TransitGatewayRoutes"),
        ("DescribeLoadBalancerAttributes", 400, "LoadBalancerNotFound", "LoadBalancerAttributes"),
        ("GetManagedPrefixListEntries", 400, "InvalidPrefixListID.NotFound", "PrefixListEntries"),
    ],
)
def test_any_error_on_one_call_is_not_checked(shop, proxy, operation, status, code, collection):
    """#12: not only AccessDenied: the API and its error code are named, the rest is read."""
    from tests.live.scenario import hub, prefix_list

    hub({"shop": shop})
    prefix_list(["203.0.113.0/24"])
    proxy.errors[operation] = (status, code)
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[shop["vpc"]])
    (nc,) = snap.not_checked
    assert nc.what == collection and operation in nc.reason and code in nc.reason
    assert not snap.has(collection)
    others = {"TransitGateways", "TransitGatewayRouteTables", "Subnets", "RouteTables"} - {
        collection
    }
    assert all(snap.has(c) for c in others)
    # and the scan goes on to a diagnosis, naming it
    r = run_cli("scan", "--endpoint-url", proxy.url, "--vpc", shop["vpc"], "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    reasons = {n["what"]: n["reason"] for n in json.loads(r.stdout)["not_checked"]}
    assert code in reasons[collection]


def test_throttling_retried_then_succeeds(shop, proxy):
    proxy.errors["DescribeInstances"] = (400, "RequestLimitExceeded")
    proxy.fail_first["DescribeInstances"] = 2
    snap = collect(regions=["us-east-1"], endpoint_url=proxy.url, vpc_ids=[shop["vpc"]])
    assert proxy.calls.count("DescribeInstances") == 3
    assert len(snap.Instances) == len(shop["apps"])
