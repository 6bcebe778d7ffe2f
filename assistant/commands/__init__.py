"""Subcommands of `vpc-helper`; each module has register(subparsers)."""
