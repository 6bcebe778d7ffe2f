"""The `vpc-helper` command: the chat by default, subcommands for everything else."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from assistant import __version__
from assistant.errors import UserError

# Each subcommand lives in assistant/commands/<module>.py with register(subparsers).
COMMANDS = [
    "scan",
    "rules",
    "collect_commands",
    "diff",
    "redact",
    "trace",
    "collect",
    "iam_policy",
    "walkthrough",
    "replay",
    "check",
]


def build_parser() -> argparse.ArgumentParser:
    from assistant.commands.common import GLOBAL_PREFIX, add_source_options
    from assistant.commands.rules import add_rules_option

    parser = argparse.ArgumentParser(
        prog="vpc-helper",
        description="Diagnose AWS VPC connectivity problems and print step-by-step fixes. "
        "With no subcommand, opens the chat.",
    )
    parser.add_argument("--version", action="version", version=f"vpc-helper {__version__}")
    add_source_options(parser, dest_prefix=GLOBAL_PREFIX)
    add_rules_option(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"assistant.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from assistant.commands.common import merge_global
    from assistant.render.safe import clean

    parser = build_parser()
    argv = _global_snapshot_paths(sys.argv[1:] if argv is None else argv)
    if argv is None:
        parser.error("argument --snapshot: expected at least one path")
    args = parser.parse_args(argv)
    try:
        from assistant.commands.rules import use_rules_option

        merge_global(args)
        use_rules_option(args)
        if args.command is None:
            return _chat(args)
        return int(args.func(args) or 0)
    except UserError as e:
        print(f"vpc-helper: error: {clean(str(e), 500)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vpc-helper: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # never a traceback for the user
        if os.environ.get("VPC_HELPER_DEBUG"):
            raise
        print(
            f"vpc-helper: internal error: {type(e).__name__}: {clean(str(e), 300)} "
            "(set VPC_HELPER_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 2


_ONE_VALUE = {"--profile", "--region", "--endpoint-url", "--vpc", "--rules"}


def _global_snapshot_paths(argv: list[str]) -> list[str] | None:
    """``--snapshot A B scan`` before the subcommand: the paths end where a subcommand starts.

    ``--snapshot`` takes several paths, so argparse would read the subcommand as one more
    path. Before the subcommand each path is passed as ``--snapshot=PATH`` instead. None when
    ``--snapshot`` is followed by no path at all.
    """
    out: list[str] = []
    in_paths = False
    for i, tok in enumerate(argv):
        if tok in COMMANDS and not _is_option_value(argv, i):
            if in_paths and argv[i - 1] == "--snapshot":
                return None
            return out + argv[i:]
        if tok == "--":
            return out + argv[i:]
        if tok == "--snapshot":
            in_paths = True
            continue
        if in_paths and not tok.startswith("-"):
            out.append(f"--snapshot={tok}")
            continue
        if in_paths and argv[i - 1] == "--snapshot":
            out.append("--snapshot")  # no path: let argparse say so
        in_paths = False
        out.append(tok)
    return out + (["--snapshot"] if in_paths and argv[-1] == "--snapshot" else [])


def _is_option_value(argv: list[str], i: int) -> bool:
    """Whether ``argv[i]`` is the value of a one-value option (``--profile scan``)."""
    return i > 0 and argv[i - 1] in _ONE_VALUE


def _chat(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False) and getattr(args, "snapshot", None):
        raise UserError("use either --demo or --snapshot, not both")  # wrong words first
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # A full-screen chat on a pipe or without a keyboard would draw escape codes into a
        # file or wait for keys forever.
        raise UserError(
            "the chat needs a terminal (stdin and stdout are not one); "
            "for output to a pipe or a file use `vpc-helper scan` (e.g. `vpc-helper scan --demo`)"
        )
    try:
        from assistant.tui.app import run_chat
    except ImportError:
        raise UserError(
            "the chat is not available in this build; use `vpc-helper scan --demo`"
        ) from None
    return run_chat(args)


if __name__ == "__main__":
    sys.exit(main())
