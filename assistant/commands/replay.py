"""`vpc-helper replay FILE...`: re-run saved conversations against today's rules, per file."""

from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "replay",
        help="re-run saved chat transcripts and report, per file, whether they still match",
        description="Re-run the answers (or the configuration, or the setup answers) saved in "
        "chat transcripts against today's rules, and print what a user would notice differs: "
        "findings, severity, fix steps, what was not checked, the setup plan.",
        epilog="exit codes: 0 every transcript matches, 1 one differs, 2 one cannot be read",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="transcript JSON file(s) or globs")
    p.add_argument("--quiet", "-q", action="store_true", help="print only differences")
    p.set_defaults(func=run)


def _expand(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if any(c in item for c in "*?[") and not Path(item).exists():
            out += sorted(glob.glob(item)) or [item]
        else:
            out.append(item)
    return out


def run(args: argparse.Namespace) -> int:
    from assistant.conversation.transcript import load, replay
    from assistant.errors import UserError
    from assistant.render.safe import clean

    worst = 0
    for path in _expand(args.files):
        if path.endswith(".answers.json"):
            if not args.quiet:
                print(f"{clean(path)}: a setup answers file, not a transcript (skipped)")
            continue
        try:
            result = replay(load(path))
        except UserError as e:
            msg = str(e) if str(e).startswith(path) else f"{path}: {e}"
            print(f"vpc-helper: error: {clean(msg, limit=300)}", file=sys.stderr)
            worst = 2
            continue
        if not result["replayable"]:
            if not args.quiet:
                print(f"{clean(path)}: nothing to re-run (no diagnosis in this conversation)")
            continue
        if result["matches"]:
            if not args.quiet:
                rules = sorted({k[0] for k in result["now"]}) or ["no findings"]
                print(f"{clean(path)}: matches ({', '.join(rules)})")
            continue
        worst = max(worst, 1)
        print(f"{clean(path)}: differs")
        for rule, res in result["added"]:
            print(f"  + {rule} {' '.join(res)}")
        for rule, res in result["removed"]:
            print(f"  - {rule} {' '.join(res)}")
        for line in result.get("changed", []):
            print(f"  ~ {clean(line, limit=300)}")
        for line in result.get("traces", []):
            print(f"  ~ {clean(line, limit=300)}")
    return worst
