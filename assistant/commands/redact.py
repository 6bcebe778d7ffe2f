"""`vpc-helper redact`: turn a snapshot or AWS CLI output files into a bundle safe to send."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "redact",
        help="write a redacted bundle from a snapshot or AWS CLI output files",
        description="Replace account ids (also in error texts), IAM names, public addresses "
        "and CIDRs, names and tag values with stable pseudonyms (public addresses map "
        "prefix-preservingly; private addresses and resource ids are kept, so the bundle "
        "diagnoses and traces as the original) and write one bundle file to send to a help "
        "desk.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="snapshot file, AWS CLI output files, or a directory of them",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the bundle to write")
    p.add_argument(
        "--redaction-key",
        metavar="FILE",
        help="keep the key here (created if missing) to map pseudonyms back and to "
        "redact a later snapshot with the same pseudonyms; never send it",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.redact import redact_keeping_key
    from assistant.sources.files import dump_snapshot, load_snapshot, write_atomic

    key_path = Path(args.redaction_key) if args.redaction_key else None
    bundle = redact_keeping_key(load_snapshot(args.paths), key_path)
    write_atomic(Path(args.output), dump_snapshot(bundle) + b"\n")
    print(
        f"wrote {args.output}" + (f"; key kept in {key_path} (do not send it)" if key_path else ""),
        file=sys.stderr,
    )
    return 0
