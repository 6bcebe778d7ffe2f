"""Tie blocked hops to the scan's findings, so a trace shows the fix steps for this case."""

from __future__ import annotations

from assistant.models.finding import Diagnosis, Finding
from assistant.trace.model import FAIL, PASS, Hop, Trace

# Rules with one finding per exact set of security groups: the finding ties to a hop only when
# its groups are the hop's groups, not a set that merely shares one of them.
_EXACT_GROUPS = {"sg.no-egress"}


def ties(hop: Hop, finding: Finding) -> bool:
    """Whether ``finding`` is the finding of ``hop``'s rule for the hop's own resources: every
    id the hop carries is among the finding's resources."""
    if not hop.rule or finding.rule != hop.rule or not hop.resources:
        return False
    names = set(finding.resources)
    if not set(hop.resources) <= names:
        return False
    if finding.rule in _EXACT_GROUPS:
        return {r for r in names if r.startswith("sg-")} == set(hop.resources)
    return True


def attach_fixes(t: Trace, diagnosis: Diagnosis) -> Trace:
    """Add to ``t.fixes`` each finding of the diagnosis that a hop's rule and resources tie to
    (a passing hop only for exposure findings)."""
    seen: set[tuple[str, tuple[str, ...]]] = {f.key for f in t.fixes}
    for hop in t.hops:
        if not hop.rule or hop.status not in (FAIL, PASS):
            continue
        if hop.status == PASS and not hop.rule.startswith("exposure."):
            continue
        for f in diagnosis.findings:
            if f.key not in seen and ties(hop, f):
                seen.add(f.key)
                t.fixes.append(f)
    return t
