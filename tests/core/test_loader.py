"""Snapshot input: own JSON, AWS CLI outputs, bad and partial input."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.models.snapshot import SNAPSHOT_VERSION
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import DEMO_DIR, build, demo_snapshot
from assistant.sources.files import (
    SnapshotError,
    dangling_references,
    dump_snapshot,
    load_snapshot,
    snapshot_from_outputs,
)
from tests.helpers import run_cli


def _write(tmp_path, files):
    for name, data in files.items():
        (tmp_path / name).write_bytes(orjson.dumps(data))
    return tmp_path


def test_demo_files_match_the_demo_builder():
    on_disk = {p.name: json.loads(p.read_text()) for p in DEMO_DIR.glob("*.json")}
    assert on_disk == json.loads(json.dumps(build().cli_files()))


def test_cli_outputs_load_by_top_level_key(tmp_path):
    b = Builder()
    classic(b)
    snap = load_snapshot(_write(tmp_path, b.cli_files()))
    assert len(snap.Subnets) == 4 and len(snap.Instances) == 4
    assert snap.Vpcs[0].EnableDnsSupport is True
    tg = snap.TargetGroups[0].TargetGroupArn
    assert len(snap.TargetHealth[tg]) == 4  # matched by the file name
    assert {"Subnets", "RouteTables", "Instances", "TargetHealth"} <= set(snap.provided)


def test_own_snapshot_round_trip(tmp_path):
    snap = demo_snapshot()
    p = tmp_path / "snap.json"
    p.write_bytes(dump_snapshot(snap))
    again = load_snapshot(p)
    assert again.model_dump() == snap.model_dump()


def test_unknown_fields_are_tolerated(tmp_path):
    p = tmp_path / "subnets.json"
    p.write_text(
        json.dumps(
            {
                "Subnets": [
                    {"SubnetId": "subnet-1", "VpcId": "vpc-1", "Brand": "new", "Ipv6Native": False}
                ]
            }
        )
    )
    assert load_snapshot(p).Subnets[0].SubnetId == "subnet-1"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ("", "file is empty"),
        ("[1, 2]", "expected a JSON object"),
        ('{"Foo": []}', "not a recognised AWS CLI output"),
        ('{"Subnets": {"a": 1}}', "'Subnets' should be a list"),
        ('{"Subnets": [{"VpcId": "vpc-1"}]}', "SubnetId"),
        ('{"Subnets": [{"SubnetId": 5, "VpcId": "vpc-1"}]}', "SubnetId"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(tmp_path, content, message):
    p = tmp_path / "subnets.json"
    p.write_text(content)
    with pytest.raises(SnapshotError) as e:
        load_snapshot(p)
    assert str(p) in str(e.value) and message in str(e.value)
    assert "\n" not in str(e.value)


def test_newer_snapshot_version_is_refused(tmp_path):
    p = tmp_path / "snap.json"
    p.write_text(json.dumps({"format": "vpc-helper-snapshot", "version": SNAPSHOT_VERSION + 1}))
    with pytest.raises(SnapshotError, match="newer than this vpc-helper"):
        load_snapshot(p)


def test_missing_path_and_empty_directory(tmp_path):
    with pytest.raises(SnapshotError, match="no such file"):
        load_snapshot(tmp_path / "nope.json")
    with pytest.raises(SnapshotError, match="no .json files"):
        load_snapshot(tmp_path)


def test_partial_input_keeps_unknown_references(tmp_path):
    """A route table naming a subnet that was not sent: kept, reported, not guessed."""
    b = Builder()
    classic(b)
    files = b.cli_files()
    files["subnets.json"] = {"Subnets": files["subnets.json"]["Subnets"][:2]}
    snap = snapshot_from_outputs(files)
    notes = dangling_references(snap)
    assert notes and "not in the snapshot" in notes[0].what


def test_partial_input_cli_says_what_was_not_checked(tmp_path):
    b = Builder()
    classic(b)
    files = {k: v for k, v in b.cli_files().items() if k in ("vpcs.json", "subnets.json")}
    d = _write(tmp_path, files)
    r = run_cli("scan", "--snapshot", str(d), "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    missing = {n["what"] for n in doc["not_checked"]}
    assert "RouteTables" in missing and "Instances" in missing
    assert all(s["role"] == "unknown" for s in doc["subnets"])


def test_cli_bad_json_exit_2_no_traceback(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"Subnets": [')
    r = run_cli("scan", "--snapshot", str(p))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and str(p) in r.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "Vpcs",
        "Subnets",
        "RouteTables",
        "Reservations",
        "NatGateways",
        "SecurityGroups",
        "NetworkAcls",
        "LoadBalancers",
        "TargetHealthDescriptions",
        "format",
        "version",
        "VpcId",
        "EnableDnsSupport",
        "Other",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.dictionaries(keys, json_values, max_size=4))
def test_fuzz_loader_never_crashes(doc):
    """Whatever the JSON, the loader returns a snapshot or raises a one-line SnapshotError."""
    try:
        snap = snapshot_from_outputs({"input.json": doc})
    except SnapshotError as e:
        assert "\n" not in str(e)
        return
    from assistant.engine import diagnose

    diagnose(snap)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=64))
def test_fuzz_bytes(tmp_path_factory, raw):
    p = tmp_path_factory.mktemp("fz") / "x.json"
    p.write_bytes(raw)
    try:
        load_snapshot(p)
    except SnapshotError as e:
        assert "\n" not in str(e)


def test_dns_attributes_not_sent_are_not_checked_not_all_clear():
    b = Builder()
    classic(b)
    files = {k: v for k, v in b.cli_files().items() if not k.startswith("vpc-attr-")}
    from assistant.engine import diagnose

    d = diagnose(snapshot_from_outputs(files))
    nc = {n.what: n for n in d.not_checked}
    assert "VpcAttributes" in nc and "vpc.dns-disabled" in nc["VpcAttributes"].rules
    assert "describe-vpc-attribute" in nc["VpcAttributes"].reason
    full = diagnose(snapshot_from_outputs(b.cli_files()))
    assert "VpcAttributes" not in {n.what for n in full.not_checked}
