"""Findings of a snapshot that spans several regions name each resource's own region in their
commands and texts, never the comma-joined list of the snapshot's regions."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from assistant.engine import diagnose
from assistant.models.finding import Finding
from assistant.sources.builder import Builder, classic
from assistant.sources.files import load_snapshot

REGIONS = ("eu-west-1", "us-east-1")
ACCOUNT = "111111111111"
REGION_RE = re.compile(r"\b[a-z]{2}(?:-gov)?-[a-z]+-\d\b")


def _pull(region: str, s3_endpoint: bool) -> Builder:
    """The classic shop in one region; without its S3 gateway endpoint when ``s3_endpoint`` is
    False (so the S3 endpoint rule, whose commands name the region, fires)."""
    b = Builder(region=region, seed=f"regions-{region}", account=ACCOUNT)
    classic(b, cidr="10.0.0.0/16")
    if not s3_endpoint:
        b.data["VpcEndpoints"] = []
    return b


def _load(tmp_path: Path, pulls: dict[str, Builder]):
    for region, b in pulls.items():
        folder = tmp_path / "pull" / ACCOUNT / region
        folder.mkdir(parents=True)
        for name, data in b.cli_files().items():
            (folder / name).write_bytes(orjson.dumps(data))
    return load_snapshot(tmp_path / "pull")


def _texts(f: Finding) -> str:
    parts = [f.title, f.explanation, f.check or "", *f.evidence]
    for s in f.fix:
        parts += [s.action, s.console or "", s.terraform or "", *s.cli]
    return "\n".join(parts)


def test_each_finding_names_the_region_of_its_own_vpc(tmp_path):
    snap = _load(tmp_path, {r: _pull(r, s3_endpoint=False) for r in REGIONS})
    assert snap.region == ",".join(REGIONS)  # what the findings must not repeat
    region_of = {v.VpcId: v.region for v in snap.Vpcs}
    assert sorted(region_of.values()) == sorted(REGIONS)
    findings = diagnose(snap).findings
    s3 = [f for f in findings if f.rule == "egress.no-s3-endpoint"]
    assert {region_of[f.vpc_id] for f in s3 if f.vpc_id} == set(REGIONS), "fires in both"
    named = 0
    for f in findings:
        text = _texts(f)
        assert snap.region not in text and "<region>" not in text, (f.rule, text)
        found = set(REGION_RE.findall(text))
        if found and f.vpc_id:
            assert found == {region_of[f.vpc_id]}, (f.rule, f.vpc_id, found)
            named += 1
    assert named >= len(REGIONS)
    for f in s3:
        own = region_of[f.vpc_id or ""]
        assert any(f"com.amazonaws.{own}.s3" in c for s in f.fix for c in s.cli)


def test_a_near_miss_with_the_endpoint_in_one_region_fires_only_in_the_other(tmp_path):
    snap = _load(
        tmp_path,
        {"eu-west-1": _pull("eu-west-1", s3_endpoint=True), "us-east-1": _pull("us-east-1", False)},
    )
    region_of = {v.VpcId: v.region for v in snap.Vpcs}
    s3 = [f for f in diagnose(snap).findings if f.rule == "egress.no-s3-endpoint"]
    assert [region_of[f.vpc_id or ""] for f in s3] == ["us-east-1"]
    assert "com.amazonaws.us-east-1.s3" in _texts(s3[0])
    assert "eu-west-1" not in _texts(s3[0])


def test_a_single_region_snapshot_still_names_its_region():
    b = _pull("ap-southeast-2", s3_endpoint=False)
    snap = b.snapshot()
    for v in snap.Vpcs:  # resources that do not say: the snapshot's one region decides
        v.region = None
    s3 = [f for f in diagnose(snap).findings if f.rule == "egress.no-s3-endpoint"]
    assert s3 and all("com.amazonaws.ap-southeast-2.s3" in _texts(f) for f in s3)
