"""`vpc-helper scan`: diagnose a VPC without the chat."""

from __future__ import annotations

import argparse
import sys

from assistant.commands.common import add_source_options, load_source
from assistant.models.finding import Severity

EPILOG = """\
where the configuration comes from:
  live AWS (default)   reads with your AWS credentials, Describe/Get/List calls only
  --demo               the bundled example VPC
  --snapshot PATH...   a file from `vpc-helper collect`, or the outputs of the AWS CLI
                       commands listed by `vpc-helper collect-commands`

exit codes: 0 nothing at or above --min-severity, 1 findings, 2 error
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.engine import diagnose
    from assistant.render import render_json, render_markdown, render_text

    snapshot = load_source(args)
    if any(f.status != "read" for f in snapshot.files):
        from assistant.sources.files import files_line

        print(f"vpc-helper: note: {files_line(snapshot.files)}", file=sys.stderr)
    d = diagnose(snapshot, vpc_ids=args.vpc)
    d.files = list(snapshot.files)
    if args.format == "json":
        d.findings = d.at_least(args.min_severity)
        out = render_json(d)
    elif args.format in ("markdown", "html"):
        from assistant.engine import focus
        from assistant.topology import Topology

        topo = Topology(focus(snapshot, args.vpc) if args.vpc else snapshot)
        if args.format == "html":
            from assistant.render.html_out import render_html

            out = render_html(d, topo, args.min_severity)
        else:
            out = render_markdown(d, args.min_severity, topo)
    else:
        colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        out = render_text(d, colour=colour, min_severity=args.min_severity)
    if args.redaction_key:
        from pathlib import Path

        from assistant.errors import UserError
        from assistant.redact import RedactionKey, unredact_text

        path = Path(args.redaction_key)
        if not path.exists():
            raise UserError(f"{path}: no such redaction key file")
        out = unredact_text(out, RedactionKey.load(path))
    sys.stdout.write(out)
    return 1 if d.at_least(args.min_severity) else 0
