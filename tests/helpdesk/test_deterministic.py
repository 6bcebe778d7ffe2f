"""The same configuration with every list shuffled gives byte-identical JSON and Markdown."""

from __future__ import annotations

import json
import random

import pytest

from assistant.cli import main
from assistant.models.snapshot import COLLECTIONS
from assistant.sources.demo import demo_snapshot
from assistant.sources.files import dump_snapshot
from tests.helpdesk.test_diff import shuffled
from tests.rules.scenarios import CASES


def _docs():
    yield "demo", json.loads(dump_snapshot(demo_snapshot()))
    for rid in ("nat.cross-az", "exposure.sg-open-admin-port", "ingress.lb-in-private-subnets"):
        yield rid, json.loads(dump_snapshot(CASES[rid][0][0]()))


DOCS = list(_docs())


def _scan(capsys, path, fmt) -> str:
    main(["scan", "--snapshot", str(path), "--format", fmt, "--min-severity", "info"])
    return capsys.readouterr().out


@pytest.mark.parametrize("name, doc", DOCS, ids=[n for n, _ in DOCS])
def test_shuffled_lists_give_byte_identical_reports(name, doc, tmp_path, capsys):
    ref = tmp_path / "ref" / "snapshot.json"
    ref.parent.mkdir()
    ref.write_text(json.dumps(doc))
    want = {fmt: _scan(capsys, ref, fmt) for fmt in ("json", "markdown")}
    assert json.loads(want["json"])["findings"]
    for seed in range(3):
        rng = random.Random(seed)
        mixed = {k: (shuffled(v, rng) if k in COLLECTIONS else v) for k, v in doc.items()}
        p = tmp_path / f"s{seed}" / "snapshot.json"
        p.parent.mkdir()
        p.write_text(json.dumps(mixed))
        for fmt, text in want.items():
            got = _scan(capsys, p, fmt).replace(str(p.parent), str(ref.parent))
            assert got == text, (seed, fmt)
