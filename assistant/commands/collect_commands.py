"""`vpc-helper collect-commands`: the AWS CLI commands a customer runs to send their config."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "collect-commands",
        help="print the AWS CLI commands whose outputs `scan --snapshot DIR` reads",
        description="Print the read-only AWS CLI commands that save a VPC's configuration to "
        "files. Run them in an empty directory, send the directory, and read it with "
        "`vpc-helper scan --snapshot DIR`.",
    )
    p.add_argument("--region", help="add --region to every command")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.models.registry import collect_commands

    print(
        "# Read-only: every command only describes, gets or searches. Run in an empty "
        "directory (one per account and region if you have several: <account>/<region>/), "
        "then send it."
    )
    for c in collect_commands(args.region):
        print(c)
    return 0
