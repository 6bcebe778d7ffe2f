"""The diagnosis as Markdown, ready to paste into a ticket."""

from __future__ import annotations

from assistant.models.finding import Diagnosis, Severity
from assistant.topology import Topology

_ICON = {"critical": "🟥", "high": "🔴", "medium": "🟠", "low": "🔵", "info": "⚪"}


def render_markdown(
    d: Diagnosis, min_severity: Severity = Severity.info, topology: Topology | None = None
) -> str:
    """The report; with the topology, it includes a Mermaid diagram of the VPC."""
    shown = d.at_least(min_severity)
    out = [f"# VPC diagnosis: {', '.join(d.vpc_ids) or 'no VPC'}", ""]
    meta = []
    if d.account_id:
        meta.append(f"account `{d.account_id}`")
    if d.region:
        meta.append(f"region `{d.region}`")
    if d.source:
        meta.append(f"source `{d.source}`")
    counts: dict[str, int] = {}
    for f in d.findings:
        counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    summary = (
        ", ".join(
            f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if s in counts
        )
        or "no findings"
    )
    out.append(f"**Summary:** {summary}" + (f" ({'; '.join(meta)})" if meta else ""))
    if d.not_checked:
        out[-1] += f"; {len(d.not_checked)} item(s) not checked (see below)."
    out.append("")
    if d.subnets:
        out += [
            "## Subnets",
            "",
            "| Subnet | Name | AZ | CIDR | Role | Route table | Default route |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in d.subnets:
            out.append(
                f"| `{s.subnet_id}` | {s.name} | {s.availability_zone} | {s.cidr} | {s.role} | "
                f"`{s.route_table_id or '-'}` | `{s.default_route_target or '-'}` |"
            )
        out.append("")
    if topology is not None and d.subnets:
        from assistant.render.diagram import mermaid

        out += [
            "## Diagram",
            "",
            "Subnets by AZ and role; red marks what a finding of medium or higher implicates.",
            "",
            "```mermaid",
            mermaid(topology, d).rstrip(),
            "```",
            "",
        ]
    out += ["## Findings", ""]
    if not shown:
        out += [f"No findings at or above {min_severity.value}.", ""]
    for f in shown:
        out.append(
            f"### {_ICON[f.severity.value]} {f.severity.value.upper()} `{f.rule}`: {f.title}"
        )
        out.append("")
        if f.resources:
            out.append("**Resources:** " + ", ".join(f"`{r}`" for r in f.resources))
            out.append("")
        if f.evidence:
            out.append("**Evidence**")
            out.append("")
            out += [f"- {e}" for e in f.evidence]
            out.append("")
        out += [" ".join(f.explanation.split()), ""]
        if f.cannot_know:
            out += [f"_Not known to the tool:_ {f.cannot_know}", ""]
        if f.fix:
            out += ["**Fix**", ""]
            for n, step in enumerate(f.fix, 1):
                out.append(f"{n}. {step.action}")
                if step.console:
                    out.append(f"   - Console: {step.console}")
                if step.cli:
                    out.append("")
                    out.append("   ```sh")
                    out += [f"   {c}" for c in step.cli]
                    out.append("   ```")
            out.append("")
        if f.check:
            out += ["**Check:**", "", "```sh", f.check, "```", ""]
        if f.references:
            out.append("**Docs:** " + ", ".join(f"<{r}>" for r in f.references))
            out.append("")
    if d.not_checked:
        out += ["## Not checked", ""]
        for n in d.not_checked:
            line = f"- **{n.what}**: {n.reason}"
            if n.action:
                line += f" (missing permission `{n.action}`)"
            if n.rules:
                line += " — rules: " + ", ".join(f"`{r}`" for r in n.rules)
            out.append(line)
        out.append("")
    return "\n".join(out)
