"""`vpc-helper walkthrough`: questions, then a plan; `walkthrough verify` checks the result."""

from __future__ import annotations

import argparse
import sys

from assistant.commands.common import add_source_options, load_source
from assistant.errors import UserError

EPILOG = """\
answers:
  (none)               ask each question in the terminal (Enter takes the default)
  --answers FILE.json  take the answers from a file (missing keys take their defaults)
  --defaults           take every default
  --print-answers      print the answers file (for the defaults, or the given answers)

  vpc-helper walkthrough --print-answers > answers.json    # edit, keep it in git
  vpc-helper walkthrough --answers answers.json --format sh > setup.sh
  vpc-helper walkthrough verify --vpc vpc-0abc --answers answers.json
"""


def register(sub) -> None:
    p = sub.add_parser(
        "walkthrough",
        help="set up a VPC step by step: questions, a plan, scripts, then verify",
        description="Answer a few questions (each with a default and why) and get a plan for "
        "the classic layout: load balancer in public subnets, app servers in private subnets, "
        "NAT for their way out. Output as steps in words, a bash script of AWS CLI commands, "
        "or Terraform, with a monthly cost estimate.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--answers", metavar="FILE.json", help="answers file (non-interactive)")
    p.add_argument("--defaults", action="store_true", help="take every default answer")
    p.add_argument("--print-answers", action="store_true", help="print the answers file and stop")
    p.add_argument("--save-answers", metavar="FILE.json", help="also write the answers here")
    p.add_argument("--format", choices=["text", "sh", "terraform", "json"], default="text")
    p.set_defaults(func=run)
    wsub = p.add_subparsers(dest="walkthrough_command", metavar="verify")
    v = wsub.add_parser(
        "verify",
        help="compare a VPC with the plan of an answers file, then diagnose it",
        description="Check that every planned piece exists and is right (subnets per tier "
        "and AZ with the right roles, NAT placement, routes, gateways, endpoint, load "
        "balancer, listeners, security groups), then run the normal diagnosis.",
    )
    add_source_options(v)
    v.add_argument("--answers", metavar="FILE.json", required=True, help="the answers file")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.set_defaults(func=run_verify)


def _walkthrough(args: argparse.Namespace):
    from assistant.walkthrough import Walkthrough

    if args.answers and args.defaults:
        raise UserError("use either --answers or --defaults, not both")
    if args.answers:
        return Walkthrough.load(args.answers)
    if args.defaults or args.print_answers:
        return Walkthrough().take_defaults()
    return ask(Walkthrough())


def ask(wt, read=input, out=sys.stderr):
    """Ask every question on the terminal (prompts on stderr, so stdout stays the plan)."""
    from assistant.walkthrough import AnswerError

    print(
        "Setting up a VPC. Press Enter to take the default in [brackets]; type 'back' to "
        "change the previous answer.\n",
        file=out,
    )
    while (q := wt.next_question()) is not None:
        while True:
            out.write(wt.prompt(q))
            out.flush()
            try:
                text = read()
            except EOFError:
                raise UserError(
                    f"input ended before the question {q.key!r}; "
                    "use --defaults or --answers FILE.json to run without a terminal"
                ) from None
            if text.strip().lower() in ("back", "<"):
                if wt.back() is None:
                    print("  (this is the first question)\n", file=out)
                break
            try:
                value = wt.answer(q.key, text)
            except AnswerError as e:
                print(f"  ! {e}", file=out)
                continue
            print(f"  = {wt.words(q.key, value)}\n", file=out)
            break
    return wt.take_defaults()


def run(args: argparse.Namespace) -> int:
    from assistant.walkthrough.render import render_plan

    wt = _walkthrough(args)
    if args.save_answers:
        try:
            with open(args.save_answers, "w") as f:
                f.write(wt.answers_json())
        except OSError as e:
            raise UserError(f"{args.save_answers}: cannot write ({e.strerror or e})") from None
    if args.print_answers:
        sys.stdout.write(wt.answers_json())
        return 0
    sys.stdout.write(render_plan(wt.plan(), args.format))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from assistant.walkthrough import Walkthrough
    from assistant.walkthrough.verify import render_verify, verify, verify_json

    if not args.vpc or len(args.vpc) != 1:
        raise UserError("walkthrough verify needs exactly one --vpc VPC_ID")
    plan = Walkthrough.load(args.answers).plan()
    snapshot = load_source(args)
    result = verify(plan, snapshot, args.vpc[0])
    if args.format == "json":
        sys.stdout.write(verify_json(result))
    else:
        sys.stdout.write(render_verify(result))
    return result.exit_code
