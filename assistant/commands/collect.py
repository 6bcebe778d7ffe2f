"""`vpc-helper collect`: save the configuration to a snapshot file for later or for a help desk."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.commands.common import (
    add_accounts_options,
    add_source_options,
    load_source,
    write_stdout_bytes,
)
from assistant.errors import UserError


def register(sub) -> None:
    p = sub.add_parser(
        "collect",
        help="read the configuration (live AWS by default) and save it as a snapshot file",
        description="Read the VPC configuration and save it as one JSON snapshot file, which "
        "`vpc-helper scan --snapshot FILE` reads back to the same findings. Live reading uses "
        "Describe/Get/List calls only (see `vpc-helper iam-policy`).",
    )
    add_source_options(p)
    add_accounts_options(p)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="where to write the snapshot ('-' for standard output)",
    )
    p.add_argument(
        "--redact",
        action="store_true",
        help="replace account ids, public IPs, names and tag values with stable pseudonyms "
        "(a bundle safe to send to a help desk; the diagnosis stays the same)",
    )
    p.add_argument(
        "--redaction-key",
        metavar="FILE",
        help="with --redact: keep the key here (created if missing, never send it) to read "
        "reports with the real names and to redact a later snapshot the same way",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.sources.files import dump_snapshot, write_atomic

    if args.redaction_key and not args.redact:
        raise UserError("--redaction-key goes with --redact")
    snapshot = load_source(args)
    if any(f.status != "read" for f in snapshot.files):
        from assistant.sources.files import files_line

        print(f"vpc-helper: note: {files_line(snapshot.files)}", file=sys.stderr)
    if args.redact:
        from assistant.redact import redact_keeping_key

        key_path = Path(args.redaction_key) if args.redaction_key else None
        snapshot = redact_keeping_key(snapshot, key_path)
    unread = [a.Id for a in snapshot.accounts if a.status != "read"]
    if unread:
        print(f"vpc-helper: note: account(s) not read: {', '.join(unread)}", file=sys.stderr)
    data = dump_snapshot(snapshot) + b"\n"
    if args.output == "-":
        write_stdout_bytes(data)
        return 0
    path = Path(args.output)
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file name, e.g. {path / 'snapshot.json'}")
    write_atomic(path, data)
    print(
        f"wrote {path}: {len(snapshot.Vpcs)} VPC(s), {len(snapshot.Subnets)} subnet(s), "
        + (f"{len(snapshot.accounts)} account(s), " if snapshot.accounts else "")
        + f"{len(snapshot.not_checked)} item(s) not read; read it with "
        f"`vpc-helper scan --snapshot {path}`",
        file=sys.stderr,
    )
    return 0
