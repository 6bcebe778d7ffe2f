"""`walkthrough verify` over the moto server: ok only with evidence for every planned piece.

A VPC is built as planned (tests/walkthrough/build.py), read live with the collector over
HTTP, then verified. Metamorphic: taking away any one collection of that reading (or marking
its read as failed) may only turn pieces from ok into "not verified" — never into missing or
wrong, never drop a piece — and then verify exits 1.
"""

from __future__ import annotations

import json

import pytest

from assistant.models.snapshot import COLLECTIONS, NotChecked, Snapshot
from assistant.sources.live import collect
from assistant.walkthrough import Walkthrough
from assistant.walkthrough.verify import MISSING, NOT_VERIFIED, OK, verify
from tests.helpers import run_cli
from tests.walkthrough.build import build

ANSWERS = {
    "name": "shop",
    "tiers": ["public", "app", "data"],
    "nat": "single",
    "internet_facing_app": True,
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    "ipv6": True,
}
# What verify reads; taking any of these away must leave some piece not verified.
READS = {
    "Vpcs",
    "VpcAttributes",
    "Subnets",
    "RouteTables",
    "InternetGateways",
    "EgressOnlyInternetGateways",
    "NatGateways",
    "VpcEndpoints",
    "SecurityGroups",
    "LoadBalancers",
    "TargetGroups",
    "Listeners",
}


PUBLIC = {"subnet shop-public-a (public)", "subnet shop-public-b (public)"}
# Pieces whose evidence lies in a collection: without it they cannot be ok.
NEEDS = {
    "InternetGateways": PUBLIC
    | {"internet gateway shop-igw", "NAT gateway shop-nat-a", "routes of shop-public-a"},
    "NatGateways": {"NAT gateway shop-nat-a", "routes of shop-private-app-a"},
    "RouteTables": PUBLIC
    | {"NAT gateway shop-nat-a", "routes of shop-data-b", "S3 gateway endpoint shop-s3-endpoint"},
    "Subnets": PUBLIC | {"NAT gateway shop-nat-a", "load balancer shop-alb"},
    "SecurityGroups": {"security group shop-app-sg", "load balancer shop-alb"},
    "LoadBalancers": {"load balancer shop-alb", "HTTPS listener 443"},
    "Listeners": {"HTTPS listener 443", "HTTP listener 80 (redirect)"},
    "VpcAttributes": {"VPC shop-vpc"},
    "EgressOnlyInternetGateways": {"egress-only gateway shop-eigw"},
}
EXPECTED = {(c, how): pieces for c, pieces in NEEDS.items() for how in ("absent", "failed")}


@pytest.fixture
def built(aws):
    plan = Walkthrough.from_answers(ANSWERS).plan()
    vpc = build(plan)
    snap = collect(regions=["us-east-1"], endpoint_url=aws, vpc_ids=[vpc])
    return plan, vpc, snap


def without(snap: Snapshot, collection: str, how: str) -> Snapshot:
    """The snapshot as if ``collection`` had not been read (absent, or its read failed)."""
    s = snap.model_copy(deep=True)
    if how == "failed":
        s.not_checked.append(NotChecked(what=collection, reason="AccessDenied (test)"))
        return s
    s.provided = [c for c in s.provided if c != collection]
    if collection == "VpcAttributes":
        for v in s.Vpcs:
            v.EnableDnsSupport = v.EnableDnsHostnames = None
    else:
        setattr(s, collection, type(getattr(s, collection))())
    return s


def test_a_vpc_built_as_planned_verifies_every_piece_and_exits_0(built):
    plan, vpc, snap = built
    r = verify(plan, snap, vpc)
    assert [c for c in r.checks if c.status != OK] == []
    assert r.ok and r.exit_code == 0
    pieces = {c.piece for c in r.checks}
    assert len(pieces) == len(r.checks)
    assert {f"subnet {s.name} ({s.tier})" for s in plan.subnets} <= pieces
    assert {"HTTPS listener 443", "HTTP listener 80 (redirect)"} <= pieces
    assert "S3 gateway endpoint shop-s3-endpoint" in pieces


@pytest.mark.parametrize("how", ["absent", "failed"])
def test_data_not_read_makes_pieces_not_verified_never_missing_or_wrong(built, how):
    plan, vpc, snap = built
    full = verify(plan, snap, vpc)
    for collection in (*COLLECTIONS, "VpcAttributes"):
        r = verify(plan, without(snap, collection, how), vpc)
        assert [c.piece for c in r.checks] == [c.piece for c in full.checks], collection
        assert {c.status for c in r.checks} <= {OK, NOT_VERIFIED}, (collection, r.checks)
        if collection in READS:
            assert r.not_verified, collection
        unverified = {c.piece for c in r.not_verified}
        assert EXPECTED.get((collection, how), set()) <= unverified, (collection, unverified)
        if r.not_verified:
            assert not r.ok and r.exit_code == 1
        else:
            assert [c.status for c in r.checks] == [OK] * len(r.checks)


def test_a_deleted_endpoint_is_missing(built, aws):
    import boto3

    plan, vpc, _ = built
    ec2 = boto3.client("ec2", region_name="us-east-1")
    (ep,) = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    snap = collect(regions=["us-east-1"], endpoint_url=aws, vpc_ids=[vpc])
    assert [e.State for e in snap.VpcEndpoints] == ["deleted"]  # still listed, as AWS does
    r = verify(plan, snap, vpc)
    (check,) = [c for c in r.checks if c.piece == "S3 gateway endpoint shop-s3-endpoint"]
    assert check.status == MISSING and f"{ep['VpcEndpointId']} is deleted" in check.detail
    assert r.exit_code == 1


@pytest.mark.parametrize("state", ["failed", "deleted", "deleting"])
def test_a_nat_gateway_or_load_balancer_in_a_gone_state_is_missing(built, state):
    plan, vpc, snap = built
    s = snap.model_copy(deep=True)
    for n in s.NatGateways:
        n.State = state
    r = verify(plan, s, vpc)
    status = {c.piece: c.status for c in r.checks}
    assert status["NAT gateway shop-nat-a"] == MISSING and r.exit_code == 1
    s = snap.model_copy(deep=True)
    for lb in s.LoadBalancers:
        lb.State.Code = state
    r = verify(plan, s, vpc)
    status = {c.piece: c.status for c in r.checks}
    assert status["load balancer shop-alb"] == MISSING
    assert status["HTTPS listener 443"] == status["HTTP listener 80 (redirect)"] == MISSING


def test_a_read_denied_live_is_not_verified_and_exits_1(aws, proxy, tmp_path):
    plan = Walkthrough.from_answers(ANSWERS).plan()
    vpc = build(plan)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS))
    args = ["walkthrough", "verify", "--region", "us-east-1", "--vpc", vpc]
    args += ["--answers", str(answers), "--format", "json"]
    ok = run_cli(*args, "--endpoint-url", proxy.url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    proxy.errors["DescribeVpcEndpoints"] = (403, "denied")
    r = run_cli(*args, "--endpoint-url", proxy.url)
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    status = {c["piece"]: c["status"] for c in doc["checks"]}
    assert status.pop("S3 gateway endpoint shop-s3-endpoint") == "not verified"
    assert set(status.values()) == {"ok"} and doc["ok"] is False and doc["exit_code"] == 1
    text = run_cli(*args[:-2], "--endpoint-url", proxy.url)
    assert text.returncode == 1
    assert "NOT VERIFIED" in text.stdout and "1 not verified" in text.stdout
