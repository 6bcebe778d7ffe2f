"""`vpc-helper iam-policy`: the least-privilege IAM policy live reading needs."""

from __future__ import annotations

import argparse
import json


def register(sub) -> None:
    p = sub.add_parser(
        "iam-policy",
        help="print the read-only IAM policy that live reading needs",
        description="Print the least-privilege IAM policy (JSON) naming exactly the "
        "Describe/Get/Search actions `vpc-helper scan` and `collect` use. Attach it to the role or "
        "user whose credentials you scan with.",
    )
    p.add_argument(
        "--accounts",
        action="store_true",
        help="for `scan --accounts`: the member role's policy (attach it to --role-name in each "
        "account; its trust policy must let the caller assume it) and the caller's "
        "(sts:AssumeRole on that role, organizations:ListAccounts for --accounts all)",
    )
    p.add_argument("--role-name", metavar="NAME", help="with --accounts: the role's name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "accounts", False):
        from assistant.sources.org import iam_policies

        print(json.dumps(iam_policies(args.role_name), indent=2))
        return 0
    if getattr(args, "role_name", None):
        from assistant.errors import UserError

        raise UserError("--role-name goes with --accounts")
    from assistant.models.registry import iam_policy

    print(json.dumps(iam_policy(), indent=2))
    return 0
