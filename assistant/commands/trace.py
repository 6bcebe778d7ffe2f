"""`vpc-helper trace`: can A reach B on a port? Hop by hop, on the snapshot alone."""

from __future__ import annotations

import argparse
import sys

from assistant.commands.common import add_source_options, load_source
from assistant.commands.rules import add_rules_option

EPILOG = """\
endpoints (--from / --to):
  i-0abc... or a Name tag    an instance (its primary network interface)
  eni-0abc...                a network interface
  internet                   any address on the internet
  NAME or ARN                a load balancer (destination only)
  10.0.1.25                  an IP address (inside a VPC, or a specific internet address)

examples:
  vpc-helper trace --demo --from shop-app-b1 --to internet --port 443
  vpc-helper trace --demo --from internet --to shop-alb --port 443
  vpc-helper trace --snapshot ./outputs --from i-0abc --to i-0def --port 5432
  vpc-helper trace --demo --from shop-app-b1 --to internet --protocol icmp
  vpc-helper trace --snapshot ./outputs --from i-0abc --to 203.0.113.7 --protocol gre

exit codes: 0 reachable, 1 not reachable (or undecided: a hop marked ?), 2 error
"""


def register(sub) -> None:
    p = sub.add_parser(
        "trace",
        help="can A reach B on a port? follow the path hop by hop",
        description="Follow one flow through route tables, network ACLs, security groups, "
        "NAT and internet gateways and load balancers, forward and back, and show the "
        "configuration line that allows or blocks each hop.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_source_options(p)
    add_rules_option(p)
    p.add_argument(
        "--from", dest="source", required=True, metavar="ENDPOINT", help="where the flow starts"
    )
    p.add_argument(
        "--to", dest="destination", required=True, metavar="ENDPOINT", help="where it goes"
    )
    p.add_argument(
        "--port",
        type=int,
        help="destination port (tcp, udp); for icmp the ICMP type (default 8, echo)",
    )
    p.add_argument(
        "--protocol",
        default="tcp",
        help="tcp (default), udp, icmp, all (-1), or another protocol by name or number "
        "(gre, 47): ports apply to tcp and udp only",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--no-fixes", action="store_true", help="do not run the scan to attach fix steps"
    )
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.trace import REACHABLE, Tracer
    from assistant.trace.render import render_trace_json, render_trace_text

    snapshot = load_source(args)
    if args.vpc:
        from assistant.engine import focus

        snapshot = focus(snapshot, args.vpc)
    t = Tracer(snapshot).trace(args.source, args.destination, args.port, args.protocol)
    if not args.no_fixes and any(h.rule for h in t.hops):
        from assistant.engine import diagnose
        from assistant.trace.fixes import attach_fixes

        attach_fixes(t, diagnose(snapshot))  # same snapshot, same findings as `scan`
    if args.format == "json":
        sys.stdout.write(render_trace_json(t))
    else:
        colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        sys.stdout.write(render_trace_text(t, colour=colour))
    return 0 if t.verdict == REACHABLE else 1
