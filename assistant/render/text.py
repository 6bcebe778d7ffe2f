"""The diagnosis as terminal text: grouped by severity, numbered fix steps, colour on a tty.

Every string that may hold untrusted text (names, tags, descriptions, error texts, and the
titles and evidence built from them) passes through ``clean`` on its way out, so nothing
untrusted reaches the terminal raw. Prose wraps to the terminal's width.
"""

from __future__ import annotations

import shutil
import textwrap

from assistant.models.finding import Diagnosis, Finding, Severity
from assistant.render.safe import clean

MIN_WIDTH, MAX_WIDTH = 40, 120
# Composed texts (an explanation, a fix step) may be long by design; one value may not.
_PROSE = 4000
_LINE = 1000

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


def terminal_width(default: int = 100) -> int:
    """The terminal's width, kept between MIN_WIDTH and MAX_WIDTH (``default`` off a tty)."""
    cols = shutil.get_terminal_size((default, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, cols))


def rules_not_run(d: Diagnosis, total: int | None = None) -> tuple[list[str], int]:
    """The catalogue rules the diagnosis could not evaluate, and how many rules there are."""
    if total is None:
        from assistant.engine.rules import load_rules

        ids = {r.id for r in load_rules()}
    else:
        ids = None
    missing = sorted({r for n in d.not_checked for r in n.rules if ids is None or r in ids})
    return missing, (len(ids) if ids is not None else int(total or 0))


def _hang(head: str, text: str, width: int, pad: str | None = None) -> list[str]:
    """``head`` then ``text`` wrapped, continuation lines (and paragraphs) under the text."""
    pad = " " * len(head) if pad is None else pad
    out: list[str] = []
    for i, para in enumerate(p for p in text.split("\n\n") if p.strip()):
        out += textwrap.wrap(
            " ".join(para.split()),
            width=width,
            initial_indent=head if i == 0 else pad,
            subsequent_indent=pad,
            break_on_hyphens=False,
            break_long_words=False,
        )
    return out or [head.rstrip()]


def finding_lines(f: Finding, colour: bool = False, width: int = 100) -> list[str]:
    """One finding as lines of text, the way the what-good-looks-like standard reads."""
    st = _Style(colour)
    acct = f"{clean(f.account)}  " if f.account else ""  # the account column (several)
    plain = f"{f.severity.value.upper():<8} {acct}{clean(f.rule)}  "
    lines = _hang(plain, clean(f.title, _LINE), width, pad="  ")
    lines[0] = f"{st.sev(f.severity)} {acct}{st.bold(clean(f.rule))}  " + lines[0][len(plain) :]
    if f.resources:
        lines += _hang("  Where    ", ", ".join(clean(r) for r in f.resources), width)
    for i, e in enumerate(f.evidence):
        lines += _hang("  Evidence " if i == 0 else "           ", clean(e, _LINE), width)
    lines += _hang("  Why      ", clean(f.explanation, _PROSE, keep_newlines=True), width)
    if f.cannot_know:
        lines += _hang("  Not known ", clean(f.cannot_know, _PROSE, keep_newlines=True), width)
    if f.fix:
        lines.append("  Fix")
        for n, step in enumerate(f.fix, 1):
            lines += _hang(f"   {n}. ", clean(step.action, _PROSE, keep_newlines=True), width)
            for cmd in step.cli:  # commands stay on one line each so they paste whole
                lines.append("        " + clean(cmd, _LINE))
            if step.console:
                console = _hang("        Console: ", clean(step.console, _LINE), width)
                lines += [st.dim(x) for x in console]
    if f.check:
        lines.append(f"  Check    {clean(f.check, _LINE)}")
    for ref in f.references:
        lines.append(st.dim(f"  Docs     {clean(ref, _LINE)}"))
    return lines


def render_text(
    d: Diagnosis,
    colour: bool = False,
    min_severity: Severity = Severity.info,
    width: int | None = None,
    rules_total: int | None = None,
) -> str:
    """The report; ``width`` defaults to the terminal's, ``rules_total`` to the catalogue's."""
    st = _Style(colour)
    width = width or terminal_width()
    shown = d.at_least(min_severity)
    not_run, total = rules_not_run(d, rules_total)
    mostly_unchecked = total > 0 and 2 * len(not_run) > total
    where = ", ".join(clean(v) for v in d.vpc_ids) or "no VPC"
    head = f"vpc-helper: {where}"
    if d.region:
        head += f" in {clean(d.region)}"
    if d.source:
        head += f" ({clean(d.source)})"
    lines = [st.bold(head)]
    roles: dict[str, int] = {}
    for s in d.subnets:
        roles[clean(s.role)] = roles.get(clean(s.role), 0) + 1
    if roles:
        lines.append("Subnets: " + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
    lines.append("")
    if not shown:
        hidden = len(d.findings) - len(shown)
        if mostly_unchecked:
            msg = (
                f"No findings at or above {min_severity.value} from the {total - len(not_run)} "
                f"of {total} rules that could run; this is not an all-clear (see Not checked)."
            )
        else:
            msg = f"No findings at or above {min_severity.value}."
        if hidden:
            msg += f" ({hidden} below that; use --min-severity info to see them.)"
        lines += _hang("", msg, width)
    for f in shown:
        lines += finding_lines(f, colour, width)
        lines.append("")
    if d.not_checked:
        lines.append(st.bold("Not checked"))
        for n in d.not_checked:
            line = f"{clean(n.what)}: {clean(n.reason, _LINE)}"
            if n.action:
                line += f" (missing permission {clean(n.action)})"
            if n.rules:
                line += f" [{', '.join(clean(r) for r in n.rules)}]"
            lines += textwrap.wrap(
                line,
                width,
                initial_indent="  - ",
                subsequent_indent="    ",
                break_on_hyphens=False,
                break_long_words=False,
            )
        lines.append("")
    if d.accounts:
        lines += _accounts_lines(d, st) + [""]
    counts = {s: 0 for s in ("critical", "high", "medium", "low", "info")}
    for f in d.findings:
        counts[f.severity.value] += 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if mostly_unchecked:
        areas = sorted({clean(n.what, 60) for n in d.not_checked if n.rules})
        shown_areas = ", ".join(areas[:6]) + (
            f" and {len(areas) - 6} more" if len(areas) > 6 else ""
        )
        tail = (
            f"Summary: NOT AN ALL-CLEAR: {len(not_run)} of {total} rules could not run "
            f"(missing: {shown_areas}); " + (summary or "no findings from the rest")
        )
        lines += [st.bold(x) for x in _hang("", tail, width)]
        return "\n".join(lines) + "\n"
    tail = f"Summary: {summary or 'no findings'}"
    if d.not_checked:
        tail += f"; {len(d.not_checked)} item(s) not checked"
    if not_run and not summary:
        tail += f" ({len(not_run)} of {total} rules could not run)"
    lines.append(tail)
    return "\n".join(lines) + "\n"


def _accounts_lines(d: Diagnosis, st: _Style) -> list[str]:
    """One line per account of an organisation-wide scan: its findings, or why not read."""
    lines = [st.bold("Accounts")]
    for a in d.accounts:
        who = clean(a.account) + (f" ({clean(a.name, 60)})" if a.name else "")
        if a.status != "read":
            lines.append(f"  {who}: NOT CHECKED: {clean(a.reason or '', _LINE)}")
            continue
        found = ", ".join(
            f"{a.counts[s]} {s}"
            for s in ("critical", "high", "medium", "low", "info")
            if a.counts.get(s)
        )
        lines.append(f"  {who}: {a.vpcs} VPC(s), {found or 'no findings'}")
    read = sum(a.status == "read" for a in d.accounts)
    lines.append(f"  {read} of {len(d.accounts)} account(s) read")
    return lines
