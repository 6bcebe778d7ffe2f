"""The diagnosis as Markdown, ready to paste into a ticket."""

from __future__ import annotations

import re

from assistant.models.finding import Diagnosis, Severity
from assistant.render.safe import clean
from assistant.topology import Topology

_LINE, _PROSE = 1000, 4000
_BACKTICKS = re.compile("`+")


def md_text(value: object, limit: int = _LINE) -> str:
    """Inline prose: control characters escaped, no raw HTML, no new line or link."""
    s = clean(value, limit)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[")


def md_cell(value: object, limit: int = 200) -> str:
    """A table cell: as ``md_text`` and a ``|`` or backtick cannot split or open anything."""
    return md_text(value, limit).replace("|", "\\|").replace("`", "\\`")


def md_code(value: object, limit: int = _LINE, in_table: bool = False) -> str:
    """An inline code span that a backtick in ``value`` cannot close."""
    s = clean(value, limit)
    if in_table:
        s = s.replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or longest else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_fence(lines: list[str], lang: str = "", indent: str = "") -> list[str]:
    """A fenced code block whose fence no line inside can close."""
    body = [clean(x, _LINE) for x in lines]
    longest = max((len(m) for x in body for m in _BACKTICKS.findall(x)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}{lang}", *(f"{indent}{x}" for x in body), f"{indent}{fence}"]


_ICON = {"critical": "🟥", "high": "🔴", "medium": "🟠", "low": "🔵", "info": "⚪"}


def render_markdown(
    d: Diagnosis, min_severity: Severity = Severity.info, topology: Topology | None = None
) -> str:
    """The report; with the topology, it includes a Mermaid diagram of the VPC."""
    shown = d.at_least(min_severity)
    out = [f"# VPC diagnosis: {md_text(', '.join(d.vpc_ids)) or 'no VPC'}", ""]
    meta = []
    if d.account_id:
        meta.append(f"account {md_code(d.account_id)}")
    if d.region:
        meta.append(f"region {md_code(d.region)}")
    if d.source:
        meta.append(f"source {md_code(d.source)}")
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
                f"| {md_code(s.subnet_id, in_table=True)} | {md_cell(s.name)} "
                f"| {md_cell(s.availability_zone)} | {md_cell(s.cidr)} | {md_cell(s.role)} "
                f"| {md_code(s.route_table_id or '-', in_table=True)} "
                f"| {md_code(s.default_route_target or '-', in_table=True)} |"
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
            f"### {_ICON[f.severity.value]} {f.severity.value.upper()} {md_code(f.rule)}: "
            f"{md_text(f.title)}"
        )
        out.append("")
        if f.resources:
            out.append("**Resources:** " + ", ".join(md_code(r) for r in f.resources))
            out.append("")
        if f.evidence:
            out.append("**Evidence**")
            out.append("")
            out += [f"- {md_text(e)}" for e in f.evidence]
            out.append("")
        out += [md_text(" ".join(f.explanation.split()), _PROSE), ""]
        if f.cannot_know:
            out += [f"_Not known to the tool:_ {md_text(f.cannot_know, _PROSE)}", ""]
        if f.fix:
            out += ["**Fix**", ""]
            for n, step in enumerate(f.fix, 1):
                out.append(f"{n}. {md_text(' '.join(step.action.split()), _PROSE)}")
                if step.console:
                    out.append(f"   - Console: {md_text(step.console)}")
                if step.cli:
                    out.append("")
                    out += md_fence(step.cli, "sh", "   ")
            out.append("")
        if f.check:
            out += ["**Check:**", "", *md_fence([f.check], "sh"), ""]
        if f.references:
            out.append("**Docs:** " + ", ".join(f"<{md_text(r)}>" for r in f.references))
            out.append("")
    if d.not_checked:
        out += ["## Not checked", ""]
        for n in d.not_checked:
            line = f"- **{md_text(n.what)}**: {md_text(n.reason)}"
            if n.action:
                line += f" (missing permission {md_code(n.action)})"
            if n.rules:
                line += " — rules: " + ", ".join(md_code(r) for r in n.rules)
            out.append(line)
        out.append("")
    return "\n".join(out)
