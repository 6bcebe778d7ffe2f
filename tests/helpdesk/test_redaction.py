"""Redaction hides what identifies the customer and keeps what the diagnosis needs."""

from __future__ import annotations

import ipaddress
import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine import diagnose
from assistant.models.snapshot import Snapshot
from assistant.redact import RedactionKey, redact, unredact_model
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import demo_snapshot
from assistant.sources.files import dump_snapshot
from assistant.trace import Tracer
from tests.helpers import run_cli
from tests.rules.scenarios import CASES

SECRET = b"k" * 32
ACCOUNT, USER, ROLE = "210987654321", "alice.admin", "ProdDeployRole"
DENIED = (
    f"An error occurred (UnauthorizedOperation): User: arn:aws:iam::{ACCOUNT}:user/{USER} "
    "is not authorized to perform: ec2:DescribeInstances. Encoded authorization failure "
    "message: AbCdEf0123456789ZZZZ; also arn:aws:sts::"
    f"{ACCOUNT}:assumed-role/{ROLE}/session-{USER} for account {ACCOUNT}."
)
PUBLIC = {
    "vpc6": "2600:1f18:abcd:1200::/56",
    "inst6": "2600:1f18:abcd:1201::10",
    "route": "52.94.76.0/22",
    "route6": "2600:9000:5300::/40",
    "tgw": "54.239.0.0/17",
    "pl": "3.5.140.0/22",
    "peer": "44.192.0.0/16",
    "vpn": "18.204.10.20",
    "cgnat": "100.64.7.9",
}


def _rich_snapshot() -> Snapshot:
    """The demo with every kind of identifying value the redaction must hide."""
    doc = json.loads(dump_snapshot(demo_snapshot()))
    vpc = doc["Vpcs"][0]
    vpc["Ipv6CidrBlockAssociationSet"] = [{"Ipv6CidrBlock": PUBLIC["vpc6"]}]
    inst = doc["Instances"][0]
    inst["Ipv6Address"] = PUBLIC["inst6"]
    inst["PublicIpAddress"] = PUBLIC["cgnat"]  # a public-IP field, whatever its range
    rt = doc["RouteTables"][0]
    rt["Routes"] += [
        {"DestinationCidrBlock": PUBLIC["route"], "GatewayId": "local", "State": "active"},
        {"DestinationIpv6CidrBlock": PUBLIC["route6"], "GatewayId": "local", "State": "active"},
    ]
    doc["TransitGatewayRoutes"] = {"tgw-rtb-1": [{"DestinationCidrBlock": PUBLIC["tgw"]}]}
    doc["PrefixListEntries"] = {"pl-1": [{"Cidr": PUBLIC["pl"], "Description": "office"}]}
    doc["VpcPeeringConnections"] = [
        {
            "VpcPeeringConnectionId": "pcx-1",
            "AccepterVpcInfo": {
                "VpcId": "vpc-peer",
                "OwnerId": ACCOUNT,
                "CidrBlock": PUBLIC["peer"],
                "CidrBlockSet": [{"CidrBlock": PUBLIC["peer"]}],
            },
            "RequesterVpcInfo": {"VpcId": vpc["VpcId"], "CidrBlock": vpc["CidrBlock"]},
        }
    ]
    doc["VpnConnections"] = [
        {"VpnConnectionId": "vpn-1", "VgwTelemetry": [{"OutsideIpAddress": PUBLIC["vpn"]}]}
    ]
    doc["not_checked"] = [{"what": "Instances", "reason": DENIED, "action": "ec2:X"}]
    return Snapshot.model_validate(doc)


def test_bundle_holds_nothing_that_identifies_the_customer():
    bundle = redact(_rich_snapshot(), RedactionKey(SECRET))
    raw = dump_snapshot(bundle).decode()
    for secret in (ACCOUNT, USER, ROLE, "AbCdEf0123456789ZZZZ", *PUBLIC.values()):
        assert secret not in raw, secret
    for value in PUBLIC.values():  # nor the address part of any of them
        assert value.split("/")[0] not in raw, value
    # every reason still reads as the error it was
    reason = bundle.not_checked[0].reason
    assert "UnauthorizedOperation" in reason and "ec2:DescribeInstances" in reason
    assert "arn:aws:iam::" in reason and ":user/principal-" in reason


def _v4(draw_int: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(draw_int)


def _common(a: int, b: int, bits: int) -> int:
    x = a ^ b
    return bits - x.bit_length()


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_ipv4_pseudonyms_preserve_prefixes_and_publicness(a, b, n):
    key = RedactionKey(SECRET)
    ia, ib = _v4(a), _v4(b)
    ma, mb = (ipaddress.IPv4Address(key.permute(x)) for x in (ia, ib))
    assert _common(int(ma), int(mb), 32) == _common(a, b, 32)  # prefix-preserving, bijective
    assert ma.is_global == ia.is_global
    if not ia.is_global:
        assert ma == ia  # private, shared, documentation... unchanged
    # a CIDR keeps its length and its containment
    net = ipaddress.IPv4Network((a, n), strict=False)
    mnet = ipaddress.IPv4Network((int(ipaddress.IPv4Address(key.permute(net[0]))), n), strict=False)
    assert (ia in net) == (ma in mnet) and (ib in net) == (mb in mnet)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_ipv6_pseudonyms_preserve_prefixes_and_publicness(a, b):
    key = RedactionKey(SECRET)
    ia, ib = ipaddress.IPv6Address(a), ipaddress.IPv6Address(b)
    ma, mb = (ipaddress.IPv6Address(key.permute(x)) for x in (ia, ib))
    assert _common(int(ma), int(mb), 128) == _common(a, b, 128)
    assert ma.is_global == ia.is_global


def test_pseudonyms_are_keyed_and_deterministic():
    ip = ipaddress.ip_address("52.94.76.10")
    assert RedactionKey(SECRET).permute(ip) == RedactionKey(SECRET).permute(ip) != str(ip)
    assert RedactionKey(SECRET).permute(ip) != RedactionKey(b"x" * 32).permute(ip)


def _cases():
    yield "demo", demo_snapshot
    yield "rich", _rich_snapshot
    for rid, (fires, misses) in sorted(CASES.items()):
        for i, s in enumerate([*fires, *misses]):
            yield f"{rid}-{i}", s


CASE_LIST = list(_cases())


@pytest.mark.parametrize("name, make", CASE_LIST, ids=[n for n, _ in CASE_LIST])
def test_redacted_bundle_diagnoses_exactly_as_the_original(name, make):
    snap = make()
    key = RedactionKey(SECRET)
    bundle = redact(snap, key)
    a, b = diagnose(snap), diagnose(bundle)
    b_back = unredact_model(b, key)
    assert [(f.rule, f.severity, f.resources) for f in b_back.findings] == [
        (f.rule, f.severity, f.resources) for f in a.findings
    ]
    assert [(n.what, n.rules) for n in b.not_checked] == [(n.what, n.rules) for n in a.not_checked]


def _trace_cases():
    yield "demo", demo_snapshot()
    for seed, kw in (("t1", {}), ("t2", {"data_tier": True}), ("t3", {"azs": "abc"})):
        b = Builder(seed=seed)
        classic(b, **kw)
        yield seed, b.snapshot()


@pytest.mark.parametrize("name, snap", list(_trace_cases()))
def test_redacted_bundle_traces_exactly_as_the_original(name, snap):
    bundle = redact(snap, RedactionKey(SECRET))
    ta, tb = Tracer(snap), Tracer(bundle)
    queries = [(i.InstanceId, "internet", 443) for i in snap.Instances]
    queries += [(i.InstanceId, "internet", 80) for i in snap.Instances]
    queries += [("internet", lb.LoadBalancerArn, 443) for lb in snap.LoadBalancers]
    queries += [("internet", i.InstanceId, 22) for i in snap.Instances]
    assert queries
    for src, dst, port in queries:
        x, y = ta.trace(src, dst, port), tb.trace(src, _bundle_arn(bundle, dst), port)
        assert x.verdict == y.verdict, (src, dst, port)
        assert [h.status for h in x.hops] == [h.status for h in y.hops], (src, dst, port)


def _bundle_arn(bundle: Snapshot, arn: str) -> str:
    """The bundle's ARN for an original one (the name inside it is a pseudonym)."""
    if not arn.startswith("arn:"):
        return arn
    tail = arn.rsplit("/", 1)[-1]
    return next(x.LoadBalancerArn for x in bundle.LoadBalancers if x.LoadBalancerArn.endswith(tail))


def test_key_file_is_created_owner_only_and_exclusively(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "key.json"
        # a link planted where a predictable temp name would be is not followed
        victim = tmp_path / "victim"
        victim.write_text("keep")
        (tmp_path / ".key.json.tmp").symlink_to(victim)
        RedactionKey(SECRET).save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert victim.read_text() == "keep"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]
    finally:
        os.umask(old)


def test_wrong_key_and_unredacted_input_are_one_line_errors(tmp_path):
    bundle, key, other = tmp_path / "b.json", tmp_path / "k.json", tmp_path / "other.json"
    assert (
        run_cli(
            "redact",
            str(_demo_dir()),
            "-o",
            str(bundle),
            "--redaction-key",
            str(key),
        ).returncode
        == 0
    )
    RedactionKey().save(other)
    r = run_cli("scan", "--snapshot", str(bundle), "--redaction-key", str(other))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "wrong redaction key" in r.stderr
    r = run_cli("scan", "--snapshot", str(_demo_dir()), "--redaction-key", str(key))
    assert r.returncode == 2 and "not a redacted bundle" in r.stderr
    (tmp_path / "junk.json").write_text("{nope")
    r = run_cli("scan", "--snapshot", str(bundle), "--redaction-key", str(tmp_path / "junk.json"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def _demo_dir():
    from assistant.sources.demo import DEMO_DIR

    return DEMO_DIR


def test_html_unredaction_escapes_the_originals(tmp_path):
    doc = json.loads(dump_snapshot(demo_snapshot()))
    for s in doc["Subnets"]:
        s["Tags"] = [{"Key": "Name", "Value": "private-app-<script>alert(1)</script>"}]
    src, bundle, key = tmp_path / "s.json", tmp_path / "b.json", tmp_path / "k.json"
    src.write_text(json.dumps(doc))
    assert (
        run_cli("redact", str(src), "-o", str(bundle), "--redaction-key", str(key)).returncode == 0
    )
    for fmt, escaped in (("html", "&lt;script&gt;"), ("markdown", "&lt;script&gt;")):
        r = run_cli("scan", "--snapshot", str(bundle), "--format", fmt, "--redaction-key", str(key))
        assert r.returncode in (0, 1), r.stderr
        assert "<script" not in r.stdout and escaped in r.stdout, fmt


def test_account_in_folder_paths_and_resource_fields_is_hidden(tmp_path):
    from assistant.sources.files import load_snapshot

    folder = tmp_path / "210987654321" / "us-east-1"
    folder.mkdir(parents=True)
    for p in _demo_dir().glob("*.json"):
        (folder / p.name).write_bytes(p.read_bytes().replace(b"123456789012", b"210987654321"))
    snap = load_snapshot([tmp_path])
    bundle = redact(snap, RedactionKey(SECRET))
    raw = dump_snapshot(bundle).decode() + bundle.model_dump_json()
    raw += json.dumps([f.model_dump() for f in bundle.files])
    assert "210987654321" not in raw
    d = diagnose(bundle)
    assert "210987654321" not in d.model_dump_json()
