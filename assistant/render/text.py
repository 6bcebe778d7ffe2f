"""The diagnosis as terminal text: grouped by severity, numbered fix steps, colour on a tty."""

from __future__ import annotations

import textwrap

from assistant.models.finding import Diagnosis, Finding, Severity

_COLOURS = {
    "critical": "\033[1;97;41m",
    "high": "\033[1;31m",
    "medium": "\033[1;33m",
    "low": "\033[1;36m",
    "info": "\033[1;37m",
}
_DIM, _BOLD, _RESET = "\033[2m", "\033[1m", "\033[0m"


class _Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def sev(self, s: Severity) -> str:
        label = f"{s.value.upper():<8}"
        return f"{_COLOURS[s.value]}{label}{_RESET}" if self.colour else label

    def dim(self, t: str) -> str:
        return f"{_DIM}{t}{_RESET}" if self.colour else t

    def bold(self, t: str) -> str:
        return f"{_BOLD}{t}{_RESET}" if self.colour else t


def _wrap(text: str, indent: str, width: int) -> list[str]:
    out = []
    for para in text.split("\n\n"):
        para = " ".join(para.split())
        out += textwrap.wrap(
            para,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )
    return out


def finding_lines(f: Finding, colour: bool = False, width: int = 100) -> list[str]:
    """One finding as lines of text, the way the what-good-looks-like standard reads."""
    st = _Style(colour)
    lines = [f"{st.sev(f.severity)} {st.bold(f.rule)}  {f.title}"]
    if f.resources:
        lines += _wrap("Where    " + ", ".join(f.resources), "  ", width)
    for i, e in enumerate(f.evidence):
        head = "Evidence " if i == 0 else "         "
        lines += [f"  {head}{e}"]
    lines += _wrap("Why      " + f.explanation, "  ", width)
    if f.cannot_know:
        lines += _wrap("Not known " + f.cannot_know, "  ", width)
    if f.fix:
        lines.append("  Fix")
        for n, step in enumerate(f.fix, 1):
            lines += _wrap(f"{n}. {step.action}", "   ", width)
            for cmd in step.cli:
                lines.append("        " + cmd)
            if step.console:
                lines.append(st.dim(f"        Console: {step.console}"))
    if f.check:
        lines.append(f"  Check    {f.check}")
    for ref in f.references:
        lines.append(st.dim(f"  Docs     {ref}"))
    return lines


def render_text(d: Diagnosis, colour: bool = False, min_severity: Severity = Severity.info) -> str:
    st = _Style(colour)
    shown = d.at_least(min_severity)
    where = ", ".join(d.vpc_ids) or "no VPC"
    head = f"vpc-helper: {where}"
    if d.region:
        head += f" in {d.region}"
    if d.source:
        head += f" ({d.source})"
    lines = [st.bold(head)]
    roles: dict[str, int] = {}
    for s in d.subnets:
        roles[s.role] = roles.get(s.role, 0) + 1
    if roles:
        lines.append("Subnets: " + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
    lines.append("")
    if not shown:
        hidden = len(d.findings) - len(shown)
        msg = f"No findings at or above {min_severity.value}."
        if hidden:
            msg += f" ({hidden} below that; use --min-severity info to see them.)"
        lines.append(msg)
    for f in shown:
        lines += finding_lines(f, colour)
        lines.append("")
    if d.not_checked:
        lines.append(st.bold("Not checked"))
        for n in d.not_checked:
            line = f"  - {n.what}: {n.reason}"
            if n.action:
                line += f" (missing permission {n.action})"
            if n.rules:
                line += f" [{', '.join(n.rules)}]"
            lines += textwrap.wrap(
                line, 100, subsequent_indent="    ", break_on_hyphens=False, break_long_words=False
            )
        lines.append("")
    counts = {s: 0 for s in ("critical", "high", "medium", "low", "info")}
    for f in d.findings:
        counts[f.severity.value] += 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    tail = f"Summary: {summary}"
    if d.not_checked:
        tail += f"; {len(d.not_checked)} item(s) not checked"
    lines.append(tail)
    return "\n".join(lines) + "\n"
