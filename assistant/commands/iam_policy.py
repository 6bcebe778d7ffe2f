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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.models.registry import iam_policy

    print(json.dumps(iam_policy(), indent=2))
    return 0
