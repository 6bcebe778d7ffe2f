"""Tie blocked hops to the scan's findings, so a trace shows the fix steps for this case."""

from __future__ import annotations

from assistant.models.finding import Diagnosis
from assistant.trace.model import FAIL, PASS, Trace


def attach_fixes(t: Trace, diagnosis: Diagnosis) -> Trace:
    """Add to ``t.fixes`` each finding of the diagnosis whose rule a hop names and whose
    resources overlap the hop's (a passing hop only for exposure findings)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for hop in t.hops:
        if not hop.rule or hop.status not in (FAIL, PASS):
            continue
        if hop.status == PASS and not hop.rule.startswith("exposure."):
            continue
        wanted = set(hop.resources)
        for f in diagnosis.findings:
            if f.rule == hop.rule and wanted & set(f.resources) and f.key not in seen:
                seen.add(f.key)
                t.fixes.append(f)
    return t
