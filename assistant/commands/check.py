"""`vpc-helper check INTENTS.toml`: does the network meet the team's intents?"""

from __future__ import annotations

import argparse
import sys

from assistant.commands.common import add_source_options, load_source
from assistant.commands.rules import add_rules_option

EPILOG = """\
an intents file:
  [[forbid]]                         # nothing outside may reach the databases, on any port
  from = "internet"
  to = { tag = { tier = "db" } }
  ports = "all"

  [[require]]                        # app servers must reach the internet on 443
  from = { subnet_tag = { tier = "app" } }
  to = "internet"
  port = 443

selectors: "internet", ids (i-, eni-, subnet-, vpc-, sg-), CIDRs, load balancer names or ARNs,
  instance Name tags, { tag | subnet_tag | vpc_tag | sg_tag = { KEY = "VALUE" } }, lists (any of)
ports: 443, "8000-8100", "all", or a list; protocol: tcp (default), udp or all

exit codes: 0 every intent holds, 1 an intent is violated or cannot be decided, 2 error
"""


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check reachability intents (forbid / require) against the configuration",
        description="Decide each [[forbid]] and [[require]] intent by tracing every matching "
        "source and destination on every port, offline. A broken intent shows the pairs that "
        "break it, the trace of one, and the hop to change.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("intents", metavar="INTENTS.toml", help="the intents file")
    add_source_options(p)
    add_rules_option(p)
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.set_defaults(func=run)


def check_file(path: str, snapshot, diagnosis=None):
    """Load the intents file and decide every intent on the snapshot."""
    from assistant.intents import check_intents, load_intents

    intents = load_intents(path)
    return check_intents(snapshot, intents, diagnosis)


def all_hold(results) -> bool:
    from assistant.intents import HOLDS

    return all(r.status == HOLDS for r in results)


def run(args: argparse.Namespace) -> int:
    from assistant.intents import load_intents
    from assistant.intents.render import render_json, render_markdown, render_text

    load_intents(args.intents)  # a bad file is an error before the snapshot is read
    snapshot = load_source(args)
    if args.vpc:
        from assistant.engine import focus

        snapshot = focus(snapshot, args.vpc)
    results = check_file(args.intents, snapshot)
    source = snapshot.source
    if args.format == "json":
        out = render_json(results, source)
    elif args.format == "markdown":
        out = render_markdown(results, source)
    else:
        out = render_text(results, source)
    sys.stdout.write(out)
    return 0 if all_hold(results) else 1
