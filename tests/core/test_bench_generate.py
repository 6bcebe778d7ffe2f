"""The bench's region generator: AWS CLI output as the CLI writes it, faults the scan finds.

Oracle: the generator records every fault it plants; a scan of what it wrote must report each
planted rule, and every file must be exactly what ``json.dumps(indent=4)`` (the AWS CLI's own
formatting) makes of its content.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.engine import diagnose
from assistant.sources.files import load_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    planted = generate(out, 300, per_subnet=2, fault_share=0.1, seed=5)
    return out, planted


def test_files_are_formatted_as_the_aws_cli_writes_them(region):
    out, _ = region
    files = sorted(out.glob("*.json"))
    assert len(files) > 20
    for f in files:
        text = f.read_text()
        assert json.dumps(json.loads(text), indent=4, ensure_ascii=False) + "\n" == text, f.name


def test_every_planted_fault_is_found(region):
    out, planted = region
    assert sum(planted.values()) >= 10 and len(planted) >= 6
    found = {f.rule for f in diagnose(load_snapshot(out)).findings}
    assert set(planted) <= found, set(planted) - found


def test_the_same_seed_writes_the_same_files(region, tmp_path):
    out, planted = region
    again = generate(tmp_path, 300, per_subnet=2, fault_share=0.1, seed=5)
    assert again == planted
    for f in sorted(out.glob("*.json")):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name
