"""Rule fixtures: every rule carries snapshots where it must fire and near misses where it must
not, beside its file (the Checkov/Semgrep convention)::

    rules/nat/nat.cross-az.toml
    rules/nat/nat.cross-az.fire/1-shared_nat.json      must fire
    rules/nat/nat.cross-az.pass/1-healthy.json         must stay quiet

A fixture is a snapshot in the tool's own format (``vpc-helper collect -o``) or a folder of AWS
CLI ``describe-*`` outputs. Each one is diagnosed with every rule loaded, as ``scan`` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.engine.host import RuleEngine
from assistant.engine.rules import Rule
from assistant.errors import UserError

FIRE, PASS, MISSING = "fire", "pass", "missing"


@dataclass
class FixtureResult:
    """The outcome of one fixture (or of a rule that has none of one kind)."""

    rule_id: str
    kind: str  # fire / pass / missing
    path: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "kind": self.kind,
            "path": self.path,
            "ok": self.ok,
            "detail": self.detail,
        }


def fixture_dir(rule: Rule, kind: str) -> Path:
    """``<rule-id>.fire`` or ``<rule-id>.pass`` beside the rule's file."""
    if not rule.path:
        raise UserError(f"rule {rule.id} has no file, so no fixtures")
    return Path(rule.path).parent / f"{rule.id}.{kind}"


def fixtures(rule: Rule, kind: str) -> list[Path]:
    """The fixtures of one kind: each ``*.json`` snapshot file, or each folder of CLI outputs."""
    d = fixture_dir(rule, kind)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.is_dir() or p.suffix == ".json")


def _run_one(rule: Rule, kind: str, path: Path, engine: RuleEngine) -> FixtureResult:
    from assistant.engine.diagnose import diagnose
    from assistant.sources.files import load_snapshot

    try:
        snap = load_snapshot(path)
        d = diagnose(snap, engine=engine)
    except UserError as e:
        return FixtureResult(rule.id, kind, str(path), False, f"cannot run: {e}")
    hits = [f for f in d.findings if f.rule == rule.id]
    missing = [n for n in rule.needs if not snap.has(n)]
    if kind == FIRE:
        if hits:
            return FixtureResult(rule.id, kind, str(path), True, f"fired: {hits[0].title}")
        why = f" (the snapshot lacks {', '.join(missing)})" if missing else ""
        return FixtureResult(rule.id, kind, str(path), False, f"did not fire{why}")
    if hits:
        return FixtureResult(rule.id, kind, str(path), False, f"fired: {hits[0].title}")
    if missing:  # quiet only because it was not evaluated: not a near miss
        detail = f"not evaluated: the snapshot lacks {', '.join(missing)}"
        return FixtureResult(rule.id, kind, str(path), False, detail)
    return FixtureResult(rule.id, kind, str(path), True, "quiet")


def run_fixtures(
    rules: list[Rule] | tuple[Rule, ...], engine: RuleEngine | None = None
) -> list[FixtureResult]:
    """Run every fixture of ``rules``; a rule without fire or pass fixtures fails as missing.
    ``engine`` holds every rule in force (default: the given rules alone)."""
    engine = engine or RuleEngine(rules)
    out: list[FixtureResult] = []
    for rule in sorted(rules, key=lambda r: r.id):
        for kind in (FIRE, PASS):
            paths = fixtures(rule, kind)
            if not paths:
                where = fixture_dir(rule, kind)
                detail = f"no fixtures in {where}/"
                out.append(FixtureResult(rule.id, MISSING, str(where), False, detail))
            for p in paths:
                out.append(_run_one(rule, kind, p, engine))
    return out
