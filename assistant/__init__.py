"""vpc-helper: diagnose AWS VPC connectivity problems and print step-by-step fixes."""

__version__ = "0.1.0"
