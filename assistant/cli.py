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
# The words typed on the command line, and the module that registers each.
COMMAND_NAMES = {name.replace("_", "-"): name for name in COMMANDS} | {"explain": "rules"}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv``, only the subcommand it names is imported and registered.

    Each command module imports its own dependencies, so importing all of them would make the
    chat (no subcommand) pay for the engine and the models before its first screen. Help, a
    mistyped command or no ``argv`` register every subcommand, so argparse lists them all.
    """
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
    parser.add_argument(
        "--intents",
        metavar="FILE",
        dest="global_intents",
        help="after each diagnosis in the chat (or with `scan`), also check the reachability "
        "intents of FILE (see `vpc-helper check --help`)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if argv is None else _commands_needed(argv):
        importlib.import_module(f"assistant.commands.{name}").register(sub)
    return parser


def _commands_needed(argv: list[str]) -> list[str]:
    """The subcommands a parse of ``argv`` (as given to ``parse_args``) needs registered.

    The first word that is neither an option nor an option's value is the subcommand; none
    means the chat. Help (before any subcommand) and an unknown word need them all.
    """
    for i, tok in enumerate(argv):
        if tok == "--":
            break
        if tok in ("-h", "--help"):
            return COMMANDS
        if tok.startswith("-") or _is_option_value(argv, i):
            continue
        return [COMMAND_NAMES[tok]] if tok in COMMAND_NAMES else COMMANDS
    return []


def entry() -> None:
    """The console script: ``main``, then exit. After a command that kept its data for the end
    (``assistant.lifetime``) the process ends without freeing it, once the output is flushed."""
    from assistant import lifetime

    # pydantic looks through every installed package for plugins when it is first used (25 ms
    # of each start); this tool uses none. An explicit setting is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    lifetime.enable()
    rc = main()
    if not lifetime.anything_kept():
        sys.exit(rc)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(rc)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from assistant.commands.common import merge_global
    from assistant.render.safe import clean

    raw = sys.argv[1:] if argv is None else argv
    argv = _global_snapshot_paths(raw)
    if argv is None:
        build_parser(raw).error("argument --snapshot: expected at least one path")
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        from assistant.commands.rules import ENV_RULES, use_rules_option

        merge_global(args)
        _merge_intents(args)
        if args.command is not None or getattr(args, "rules", None) or os.environ.get(ENV_RULES):
            # Without rule directories there is nothing to set up, and the chat's first
            # screen does not wait for the engine to load.
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


_ONE_VALUE = {
    "--profile",
    "--region",
    "--endpoint-url",
    "--vpc",
    "--rules",
    "--intents",
    "--accounts",
    "--role-name",
}


def _global_snapshot_paths(argv: list[str]) -> list[str] | None:
    """``--snapshot A B scan`` before the subcommand: the paths end where a subcommand starts.

    ``--snapshot`` takes several paths, so argparse would read the subcommand as one more
    path. Before the subcommand each path is passed as ``--snapshot=PATH`` instead. None when
    ``--snapshot`` is followed by no path at all.
    """
    out: list[str] = []
    in_paths = False
    for i, tok in enumerate(argv):
        if tok in COMMAND_NAMES and not _is_option_value(argv, i):
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


def _merge_intents(args: argparse.Namespace) -> None:
    """``--intents FILE`` before the subcommand: the chat's, or that of a subcommand taking it."""
    top = getattr(args, "global_intents", None)
    if hasattr(args, "global_intents"):
        delattr(args, "global_intents")
    if args.command is None:
        args.intents = top
    elif top:
        if not hasattr(args, "intents"):
            raise UserError(f"--intents does not apply to `{args.command}`")
        if args.intents is None:
            args.intents = top
        elif args.intents != top:
            raise UserError("--intents given twice with different values")


def _chat(args: argparse.Namespace) -> int:
    if getattr(args, "demo", False) and getattr(args, "snapshot", None):
        raise UserError("use either --demo or --snapshot, not both")  # wrong words first
    if getattr(args, "intents", None):
        from assistant.intents import load_intents

        load_intents(args.intents)  # a bad file is an error before the chat opens
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
