"""`vpc-helper scan`: diagnose a VPC without the chat."""

from __future__ import annotations

import argparse
import sys

from assistant.commands.common import add_accounts_options, add_source_options, load_source
from assistant.commands.rules import add_rules_option
from assistant.models.finding import Severity

EPILOG = """\
where the configuration comes from:
  live AWS (default)   reads with your AWS credentials, Describe/Get/List calls only
  --demo               the bundled example VPC
  --snapshot PATH...   a file from `vpc-helper collect`, or the outputs of the AWS CLI
                       commands listed by `vpc-helper collect-commands`

many accounts: --accounts FILE|all --role-name NAME reads each account with that role

exit codes: 0 nothing at or above --min-severity, 1 findings (or an account not read),
  2 error
"""


def register(sub) -> None:
    p = sub.add_parser(
        "scan",
        help="diagnose a VPC and print the findings",
        description="Diagnose a VPC and print findings with step-by-step fixes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_source_options(p)
    add_accounts_options(p)
    add_rules_option(p)
    p.add_argument(
        "--format",
        choices=["text", "json", "markdown", "html"],
        default="text",
        help="markdown: a ticket-ready report with a Mermaid diagram; html: one "
        "self-contained file with the diagram drawn",
    )
    p.add_argument(
        "--redaction-key",
        metavar="FILE",
        help="put the originals back into a report of a redacted bundle, using the "
        "key file kept by whoever redacted it",
    )
    p.add_argument(
        "--min-severity",
        default="low",
        type=Severity.parse,
        help="hide findings below this (info, low, medium, high, critical; default: low)",
    )
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.add_argument(
        "--intents",
        metavar="FILE",
        help="also check the reachability intents of FILE (see `vpc-helper check --help`); "
        "text, json and markdown",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.engine import diagnose
    from assistant.lifetime import keep_until_exit
    from assistant.render import render_markdown, render_text

    if getattr(args, "intents", None):
        from assistant.intents import load_intents

        if args.format == "html":
            from assistant.errors import UserError

            raise UserError("--intents works with --format text, json or markdown")
        load_intents(args.intents)  # a bad file is an error before the snapshot is read
    snapshot = load_source(args)
    if any(f.status != "read" for f in snapshot.files):
        from assistant.sources.files import files_line

        print(f"vpc-helper: note: {files_line(snapshot.files)}", file=sys.stderr)
    d = diagnose(snapshot, vpc_ids=args.vpc, keep_topology=args.format in ("markdown", "html"))
    keep_until_exit(snapshot, d)  # freeing a large region is work nobody waits for
    if snapshot.accounts:  # several accounts: each finding's account, a summary per account
        from assistant.sources.org import annotate

        annotate(d, snapshot)
    d.files = list(snapshot.files)
    if args.redaction_key:  # render from the originals, so every renderer escapes them
        from assistant.redact import unredact_with_key_file

        snapshot, d = unredact_with_key_file(snapshot, d, args.redaction_key)
    out: str | bytes
    if args.format == "json":
        from assistant.render.json_out import render_json_bytes

        d.findings = d.at_least(args.min_severity)
        out = render_json_bytes(d)  # tens of MB at scale: written with no copy as text
    elif args.format in ("markdown", "html"):
        from assistant.engine import focus
        from assistant.topology import Topology

        topo = d.topology  # the one diagnosed, unless the findings were un-redacted since
        if topo is None or args.redaction_key:
            topo = Topology(focus(snapshot, args.vpc) if args.vpc else snapshot)
        if args.format == "html":
            from assistant.render.html_out import render_html

            out = render_html(d, topo, args.min_severity)
        else:
            out = render_markdown(d, args.min_severity, topo)
    else:
        colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        out = render_text(d, colour=colour, min_severity=args.min_severity)
    intents_ok = True
    if getattr(args, "intents", None):
        out, intents_ok = _with_intents(args, snapshot, d, out)
    if isinstance(out, bytes):
        from assistant.commands.common import write_stdout_bytes

        write_stdout_bytes(out)
    else:
        sys.stdout.write(out)
    unread = any(a.status != "read" for a in d.accounts)  # not an all-clear for the run
    return 1 if d.at_least(args.min_severity) or not intents_ok or unread else 0


def _with_intents(args: argparse.Namespace, snapshot, d, out: str | bytes) -> tuple[str, bool]:
    """The scan's output with the intents' verdicts added (a section, or a JSON key)."""
    from assistant.commands.check import all_hold, check_file
    from assistant.engine import focus
    from assistant.intents import render as intents_render

    results = check_file(args.intents, focus(snapshot, args.vpc) if args.vpc else snapshot, d)
    if args.format == "json":
        import orjson

        doc = orjson.loads(out)
        doc["intents"] = orjson.loads(intents_render.render_json(results))
        out = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
    elif args.format == "markdown":
        out = out.rstrip() + "\n\n" + intents_render.render_markdown(results)
    else:
        out = out.rstrip() + "\n\nIntents\n" + intents_render.render_text(results)
    return out, all_hold(results)
