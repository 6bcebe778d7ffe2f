"""The network rules (transit gateway, peering, gateway endpoint, VPN) on their fixtures:
``rules/<area>/<rule-id>.fire/*.json`` must fire the rule, ``.pass/*.json`` (near misses) must
not. The fixtures are snapshots in the tool's own format, written by
``python -m tests.rules.make_fixtures`` from the scenarios of tests/trace/network_scenarios.py
(which tests/rules/scenarios.py includes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import diagnose
from assistant.sources.files import load_snapshot

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
AREAS = ("tgw", "peering", "endpoint", "vpn")


def fixtures() -> list[tuple[str, str, Path]]:
    out = []
    for area in AREAS:
        for d in sorted((RULES_DIR / area).glob("*.fire")) + sorted(
            (RULES_DIR / area).glob("*.pass")
        ):
            rule_id, kind = d.name.rsplit(".", 1)
            out += [(rule_id, kind, f) for f in sorted(d.glob("*.json"))]
    return out


FIXTURES = fixtures()


def test_every_network_rule_has_fixtures_both_ways():
    ids = {p.stem for a in AREAS for p in (RULES_DIR / a).glob("*.toml")}
    ids.discard("peering.missing-return-route")  # its cases live in tests/rules/scenarios.py
    have = {(r, k) for r, k, _ in FIXTURES}
    missing = sorted((r, k) for r in ids for k in ("fire", "pass") if (r, k) not in have)
    assert not missing


@pytest.mark.parametrize(
    ("rule_id", "kind", "path"), FIXTURES, ids=[f"{r}.{k}/{p.stem}" for r, k, p in FIXTURES]
)
def test_fixture(rule_id, kind, path):
    fired = [f for f in diagnose(load_snapshot(path)).findings if f.rule == rule_id]
    if kind == "fire":
        assert fired, f"{rule_id} did not fire on {path.name}"
        assert all(f.fix and all(s.cli for s in f.fix) for f in fired)
    else:
        assert not fired, f"{rule_id} fired on near miss {path.name}: {fired[0].title}"
