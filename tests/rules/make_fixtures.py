"""Write the built-in catalogue's fixtures from tests/rules/scenarios.py.

Every rule gets, beside its file, the scenarios where it must fire and the near misses where it
must stay quiet, as snapshots in the tool's own format::

    rules/nat/nat.cross-az.fire/1-shared_nat.json
    rules/nat/nat.cross-az.pass/1-healthy.json
    rules/nat/nat.cross-az.pass/2-nat_one_az_miss.json

`vpc-helper rules test` runs them. The README's example team rule (examples/rules/) gets its
fixtures here too. After changing a scenario, regenerate and commit:

    .venv/bin/python -m tests.rules.make_fixtures          # rewrite every fixture folder
    .venv/bin/python -m tests.rules.make_fixtures --check  # exit 1 if the files are stale

tests/rules/test_fixtures.py fails when the checked-in files differ from what this script makes.
Snapshots are written without fields at their default values (they load back to the same
snapshot, which the test checks), one resource a line, so the whole set stays small.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import orjson

from assistant.engine.rules import load_rules
from assistant.models.snapshot import Snapshot
from assistant.sources.builder import Builder, classic
from assistant.sources.files import dump_snapshot
from tests.rules.scenarios import ALLOW_ALL_OUT, CASES, Scenario, custom_acl, entry

KINDS = ("fire", "pass")
ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_RULE = ROOT / "examples/rules/team/team.public-subnet-default-nacl.toml"


def _example_builder(own_acl: bool) -> Builder:
    b = Builder(seed="example")
    o = classic(b, app_per_az=1)
    if own_acl:  # the near miss: public subnets with their own ACL (web in, replies out)
        web_in = [entry(100, "allow", False, ports=(443, 443))]
        replies = [entry(110, "allow", False, ports=(1024, 65535))]
        custom_acl(b, o["vpc"], o["public"], web_in + replies + [ALLOW_ALL_OUT])
    return b


def example_files() -> dict[Path, bytes]:
    """The README's example rule: a snapshot where it fires, and a folder of AWS CLI outputs
    (as a customer would send them) where it must not."""
    folder = EXAMPLE_RULE.parent
    rid = EXAMPLE_RULE.stem
    files = {
        folder / f"{rid}.fire" / "1-default-acl.json": fixture_bytes(
            _example_builder(False).snapshot()
        )
    }
    for name, doc in _example_builder(True).cli_files().items():
        files[folder / f"{rid}.pass" / "1-own-acl" / name] = orjson.dumps(doc) + b"\n"
    return files


def fixture_name(n: int, scenario: Scenario) -> str:
    """``<n>-<scenario function name>.json`` (``case`` for a lambda or an inner function)."""
    name = getattr(scenario, "__name__", "case")
    if not name.isidentifier() or name == "make":
        name = "case"
    return f"{n}-{name}.json"


def fixture_bytes(snapshot: Snapshot) -> bytes:
    """The snapshot as the tool's own JSON (``dump_snapshot``), without default-valued fields;
    loading it gives back the same snapshot."""
    doc = orjson.loads(dump_snapshot(snapshot))
    lean = snapshot.model_dump(mode="json", exclude_defaults=True)
    out = {"format": doc["format"], "version": doc["version"]}
    out.update({k: v for k, v in lean.items() if k not in out})
    lines = []
    for key, value in out.items():  # one resource a line: small files, readable diffs
        head = orjson.dumps(key) + b": "
        if isinstance(value, list) and value:
            items = b",\n    ".join(orjson.dumps(v) for v in value)
            lines.append(head + b"[\n    " + items + b"\n  ]")
        elif isinstance(value, dict) and value:
            items = b",\n    ".join(
                orjson.dumps(k) + b": " + orjson.dumps(v) for k, v in value.items()
            )
            lines.append(head + b"{\n    " + items + b"\n  }")
        else:
            lines.append(head + orjson.dumps(value))
    return b"{\n  " + b",\n  ".join(lines) + b"\n}\n"


def expected_files() -> dict[Path, bytes]:
    """Every fixture file the scenarios make, by path."""
    rules = {r.id: r for r in load_rules(extra=())}
    files: dict[Path, bytes] = {}
    for rule_id, cases in sorted(CASES.items()):
        rule = rules[rule_id]
        assert rule.path, rule_id
        for kind, scenarios in zip(KINDS, cases, strict=True):
            folder = Path(rule.path).parent / f"{rule_id}.{kind}"
            for n, scenario in enumerate(scenarios, 1):
                files[folder / fixture_name(n, scenario)] = fixture_bytes(scenario())
    return files | example_files()


def fixture_folders() -> list[Path]:
    """The fixture folders of the built-in catalogue as they are on disk."""
    out = []
    for base in (ROOT / "rules", EXAMPLE_RULE.parent):
        out += [p for p in base.rglob("*") if p.is_dir() and p.suffix in (".fire", ".pass")]
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only report stale files")
    args = ap.parse_args(argv)
    want = expected_files()
    have = {p: p.read_bytes() for d in fixture_folders() for p in d.rglob("*") if p.is_file()}
    stale = sorted({p for p in want if have.get(p) != want[p]} | (set(have) - set(want)))
    if args.check:
        for p in stale:
            print(f"stale: {p}")
        return 1 if stale else 0
    for d in fixture_folders():
        shutil.rmtree(d)
    for p, data in want.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    total = sum(len(b) for b in want.values())
    print(f"{len(want)} fixtures, {total / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
