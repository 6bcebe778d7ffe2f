"""Pydantic models shared by every part of the tool (no Textual, no boto3)."""

from assistant.models.finding import (
    Diagnosis,
    Finding,
    FixStep,
    NotCheckedItem,
    Severity,
    SubnetSummary,
)
from assistant.models.snapshot import COLLECTIONS, NotChecked, Snapshot

__all__ = [
    "COLLECTIONS",
    "Diagnosis",
    "Finding",
    "FixStep",
    "NotChecked",
    "NotCheckedItem",
    "Severity",
    "Snapshot",
    "SubnetSummary",
]
