"""`vpc-helper replay FILE`: re-run a saved conversation against today's rules."""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "replay",
        help="re-run a saved chat transcript and report whether the diagnosis still matches",
        description="Re-run the answers (or the configuration) saved in a chat transcript "
        "against today's rules.",
        epilog="exit codes: 0 the diagnosis matches, 1 it differs, 2 error",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="transcript JSON file(s)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only differences")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.conversation.transcript import load, replay

    worst = 0
    for path in args.files:
        result = replay(load(path))
        if not result["replayable"]:
            if not args.quiet:
                print(f"{path}: nothing to re-run (no diagnosis in this conversation)")
            continue
        if result["matches"]:
            if not args.quiet:
                rules = sorted({k[0] for k in result["now"]}) or ["no findings"]
                print(f"{path}: matches ({', '.join(rules)})")
            continue
        worst = 1
        print(f"{path}: differs", file=sys.stdout)
        for rule, res in result["added"]:
            print(f"  + {rule} {' '.join(res)}")
        for rule, res in result["removed"]:
            print(f"  - {rule} {' '.join(res)}")
        for line in result.get("traces", []):
            print(f"  ~ {line}")
    return worst
