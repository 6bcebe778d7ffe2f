"""Findings: what the engine concludes, ready for any renderer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from assistant.models.snapshot import SourceFile


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(
                f"unknown severity {value!r}: use one of {', '.join(s.value for s in cls)}"
            ) from None


_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class FixStep(BaseModel):
    """One step of a fix: what to do, where in the console, and the command to paste."""

    action: str
    console: str | None = None
    cli: list[str] = Field(default_factory=list)
    terraform: str | None = None


class Finding(BaseModel):
    rule: str
    severity: Severity
    title: str
    vpc_id: str | None = None
    resources: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    explanation: str = ""
    cannot_know: str | None = None
    fix: list[FixStep] = Field(default_factory=list)
    check: str | None = None
    references: list[str] = Field(default_factory=list)
    # The account the finding is in (organisation-wide reads; JSON adds it when set).
    account: str | None = Field(default=None, exclude=True)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identity of a finding across runs: the rule and the resources it names."""
        return (self.rule, tuple(self.resources))


class SubnetSummary(BaseModel):
    subnet_id: str
    vpc_id: str
    name: str = ""
    availability_zone: str = ""
    cidr: str = ""
    role: str
    route_table_id: str | None = None
    default_route_target: str | None = None


class NotCheckedItem(BaseModel):
    what: str
    reason: str
    rules: list[str] = Field(default_factory=list)
    action: str | None = None


class AccountSummary(BaseModel):
    """One account of an organisation-wide scan: its findings by severity, or why not read."""

    account: str
    name: str = ""
    status: str = "read"  # "read" or "not checked"
    reason: str | None = None
    vpcs: int = 0
    counts: dict[str, int] = Field(default_factory=dict)


class Diagnosis(BaseModel):
    """The result of one diagnosis: findings plus what could not be checked."""

    findings: list[Finding] = Field(default_factory=list)
    subnets: list[SubnetSummary] = Field(default_factory=list)
    not_checked: list[NotCheckedItem] = Field(default_factory=list)
    vpc_ids: list[str] = Field(default_factory=list)
    account_id: str | None = None
    region: str | None = None
    source: str | None = None
    # The input files and what was made of each (read, skipped, unparsable); files only.
    files: list[SourceFile] = Field(default_factory=list)
    # How much could be checked: every rule of the catalogue, and those not evaluated because
    # a collection they need is missing (renderers say so loudly when most are).
    rules_total: int = 0
    rules_not_evaluated: list[str] = Field(default_factory=list)
    # Organisation-wide scans: one summary per account (empty for one account).
    accounts: list[AccountSummary] = Field(default_factory=list)
    # The topology the diagnosis was made on (not saved): the Markdown and HTML reports draw
    # their diagrams from it instead of building a second one.
    _topology: Any = PrivateAttr(default=None)

    @property
    def topology(self) -> Any:
        """The ``assistant.topology.Topology`` diagnosed, or None (e.g. after a copy)."""
        return self._topology

    @property
    def unchecked_ratio(self) -> float:
        """The share of rules not evaluated (0.0 when all were, or none ran)."""
        return len(self.rules_not_evaluated) / self.rules_total if self.rules_total else 0.0

    @property
    def mostly_unchecked(self) -> bool:
        """Whether most of the catalogue could not be evaluated on this input."""
        return self.unchecked_ratio > 0.5

    def at_least(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= severity.rank]
