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
]


def build_parser() -> argparse.ArgumentParser:
    from assistant.commands.common import add_source_options

    parser = argparse.ArgumentParser(
        prog="vpc-helper",
        description="Diagnose AWS VPC connectivity problems and print step-by-step fixes. "
        "With no subcommand, opens the chat.",
    )
    parser.add_argument("--version", action="version", version=f"vpc-helper {__version__}")
    add_source_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"assistant.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return _chat(args)
        return int(args.func(args) or 0)
    except UserError as e:
        print(f"vpc-helper: error: {e}", file=sys.stderr)
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
            f"vpc-helper: internal error: {type(e).__name__}: {e} "
            "(set VPC_HELPER_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 2


def _chat(args: argparse.Namespace) -> int:
    try:
        from assistant.tui.app import run_chat
    except ImportError:
        raise UserError(
            "the chat is not available in this build; use `vpc-helper scan --demo`"
        ) from None
    return run_chat(args)


if __name__ == "__main__":
    sys.exit(main())
