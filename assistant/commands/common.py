"""Options and helpers shared by the subcommands that read a snapshot."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from assistant.errors import UserError
from assistant.render.safe import clean

if TYPE_CHECKING:  # the parser is built before any snapshot is read: keep pydantic models out
    from assistant.models.snapshot import Snapshot

SOURCE_OPTIONS = ("demo", "snapshot", "profile", "region", "endpoint_url", "vpc")
GLOBAL_PREFIX = "global_"


def add_source_options(
    parser: argparse.ArgumentParser, live: bool = True, dest_prefix: str = ""
) -> None:
    """--demo, --snapshot and (for live reading) the AWS CLI's own flags.

    ``dest_prefix`` names the values apart: the top-level parser keeps its options under
    ``global_*`` so a subcommand's own defaults do not overwrite them (see ``merge_global``).
    """
    g = parser.add_argument_group("where the configuration comes from")
    g.add_argument(
        "--demo",
        action="store_true",
        dest=f"{dest_prefix}demo",
        help="use the bundled example VPC (no AWS account needed)",
    )
    g.add_argument(
        "--snapshot",
        nargs="+",
        action="extend",
        metavar="PATH",
        dest=f"{dest_prefix}snapshot",
        help="a snapshot JSON file written by `vpc-helper collect`, or AWS CLI "
        "describe-* output files or a directory of them",
    )
    if live:
        g.add_argument(
            "--profile",
            dest=f"{dest_prefix}profile",
            metavar="PROFILE",
            help="AWS profile for live reading (default: AWS_PROFILE)",
        )
        g.add_argument(
            "--region",
            dest=f"{dest_prefix}region",
            metavar="REGION",
            help="AWS region(s), comma-separated (default: AWS_REGION)",
        )
        g.add_argument(
            "--endpoint-url",
            dest=f"{dest_prefix}endpoint_url",
            metavar="URL",
            help="API endpoint (default: AWS_ENDPOINT_URL)",
        )
    parser.add_argument(
        "--vpc",
        action="append",
        metavar="VPC_ID",
        dest=f"{dest_prefix}vpc",
        help="only this VPC (repeat for several)",
    )


def add_accounts_options(parser: argparse.ArgumentParser) -> None:
    """--accounts FILE|all and --role-name: read many accounts in one run."""
    g = parser.add_argument_group("many accounts in one run")
    g.add_argument(
        "--accounts",
        metavar="FILE|all",
        help="read every account listed in FILE (one account id per line, a JSON list, or "
        "the output of `aws organizations list-accounts`), or 'all': the organisation's "
        "active accounts; assumes --role-name in each",
    )
    g.add_argument(
        "--role-name",
        metavar="NAME",
        help="the role to assume in each account of --accounts (its policy: "
        "`vpc-helper iam-policy --accounts`)",
    )


def merge_global(args: argparse.Namespace) -> argparse.Namespace:
    """Source options given before the subcommand apply to it, as if given after it.

    An option given on both sides must agree (``--vpc`` lists are joined); an option the
    subcommand does not take is an error rather than silently ignored.
    """
    command = getattr(args, "command", None)
    for name in SOURCE_OPTIONS:
        top = getattr(args, GLOBAL_PREFIX + name, None)
        if hasattr(args, GLOBAL_PREFIX + name):
            delattr(args, GLOBAL_PREFIX + name)
        if not top:
            if not hasattr(args, name):
                setattr(args, name, None if name != "demo" else False)
            continue
        flag = "--" + name.replace("_", "-")
        if command is not None and not hasattr(args, name):
            raise UserError(f"{flag} does not apply to `{command}`")
        own = getattr(args, name, None)
        if name == "vpc":
            setattr(args, name, list(dict.fromkeys([*top, *(own or [])])))
        elif not own:
            setattr(args, name, top)
        elif own != top:
            raise UserError(f"{flag} given twice with different values")
    return args


def write_stdout_bytes(data: bytes) -> None:
    """Write UTF-8 output as it is, after any text already written (stdout's buffer when it
    has one: a large document is not copied into text first)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode())
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def progress_printer():
    """A progress callback that rewrites one line on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        sys.stderr.write("\r\033[K" + clean(message, 150))
        sys.stderr.flush()

    return show


def load_source(args: argparse.Namespace) -> Snapshot:
    """The snapshot the options ask for: demo, files, or live AWS."""
    if getattr(args, "demo", False) and getattr(args, "snapshot", None):
        raise UserError("use either --demo or --snapshot, not both")
    if getattr(args, "accounts", None) and (getattr(args, "demo", False) or args.snapshot):
        raise UserError("--accounts reads live AWS: leave out --demo and --snapshot")
    if getattr(args, "demo", False):
        from assistant.sources.demo import demo_snapshot

        snap = demo_snapshot()
    elif getattr(args, "snapshot", None):
        from assistant.sources.files import load_snapshot

        snap = load_snapshot(args.snapshot)
    else:
        snap = load_live(args)
    vpcs = getattr(args, "vpc", None)
    if vpcs:
        known = {v.VpcId for v in snap.Vpcs} | {s.VpcId for s in snap.Subnets}
        unknown = [v for v in vpcs if v not in known]
        if unknown:
            raise UserError(
                f"VPC {clean(', '.join(unknown))} is not in the snapshot"
                + (f" (it has: {clean(', '.join(sorted(known)[:6]))})" if known else "")
            )
    for nc in _dangling(snap):
        print(f"vpc-helper: note: {clean(nc, 300)}", file=sys.stderr)
    from assistant.canonical import canonical

    return canonical(snap)  # the same configuration, however its lists were ordered


def _dangling(snap: Snapshot) -> list[str]:
    from assistant.sources.files import dangling_references

    return [f"{n.what} ({n.reason})" for n in dangling_references(snap)]


def load_live(args: argparse.Namespace) -> Snapshot:
    """Read the live configuration with boto3 (imported only now: it is slow to import)."""
    try:
        from assistant.sources import live
    except ImportError:
        raise UserError(
            "reading live AWS config is not available in this build; use --demo or --snapshot FILES"
        ) from None
    regions = [r.strip() for r in (args.region or "").split(",") if r.strip()] or [None]
    if getattr(args, "accounts", None) or getattr(args, "role_name", None):
        if not args.accounts:
            raise UserError("--role-name goes with --accounts FILE|all")
        from assistant.sources.org import collect_accounts

        return collect_accounts(
            args.accounts,
            args.role_name,
            profile=getattr(args, "profile", None) or os.environ.get("AWS_PROFILE"),
            regions=regions,
            endpoint_url=getattr(args, "endpoint_url", None),
            vpc_ids=getattr(args, "vpc", None),
        )
    return live.collect(
        profile=getattr(args, "profile", None) or os.environ.get("AWS_PROFILE"),
        regions=regions,
        endpoint_url=getattr(args, "endpoint_url", None),
        vpc_ids=getattr(args, "vpc", None),
        progress=progress_printer(),
    )
