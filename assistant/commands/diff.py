"""`vpc-helper diff BEFORE AFTER`: did a change fix the problem, and what did it break?"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two snapshots: findings fixed, introduced and unchanged",
        description="Diagnose two snapshots (files or directories of AWS CLI outputs) and "
        "list the findings fixed, introduced and unchanged, with the configuration changes "
        "that explain them. Exit code 1 if anything was introduced.",
    )
    p.add_argument("before", metavar="BEFORE", help="snapshot file or directory before the change")
    p.add_argument("after", metavar="AFTER", help="snapshot file or directory after the change")
    p.add_argument("--vpc", action="append", metavar="VPC_ID", help="only this VPC")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import orjson

    from assistant.canonical import canonical
    from assistant.diff import diff, render_diff_markdown, render_diff_text
    from assistant.sources.files import load_snapshot

    a, b = canonical(load_snapshot(args.before)), canonical(load_snapshot(args.after))
    result = diff(a, b, vpc_ids=args.vpc)
    if args.format == "json":
        out = orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif args.format == "markdown":
        out = render_diff_markdown(result)
    else:
        out = render_diff_text(result)
    sys.stdout.write(out)
    return 1 if result.introduced else 0
