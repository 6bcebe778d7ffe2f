"""`vpc-helper collect`: save the configuration to a snapshot file for later or for a help desk."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from assistant.commands.common import add_source_options, load_source
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
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="where to write the snapshot ('-' for standard output)",
    )
    p.set_defaults(func=run)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None


def run(args: argparse.Namespace) -> int:
    from assistant.sources.files import dump_snapshot

    snapshot = load_source(args)
    data = dump_snapshot(snapshot) + b"\n"
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    path = Path(args.output)
    if path.is_dir():
        raise UserError(f"{path} is a directory; give a file name, e.g. {path / 'snapshot.json'}")
    write_atomic(path, data)
    print(
        f"wrote {path}: {len(snapshot.Vpcs)} VPC(s), {len(snapshot.Subnets)} subnet(s), "
        f"{len(snapshot.not_checked)} item(s) not read; read it with "
        f"`vpc-helper scan --snapshot {path}`",
        file=sys.stderr,
    )
    return 0
