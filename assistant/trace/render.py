"""A trace as terminal text or JSON."""

from __future__ import annotations

import textwrap

import orjson

from assistant.trace.model import FAIL, INFO, PASS, REACHABLE, RETURN, UNKNOWN, Trace

MARK = {PASS: "✓", FAIL: "✗", UNKNOWN: "?", INFO: "·"}
_COLOUR = {PASS: "\033[32m", FAIL: "\033[1;31m", UNKNOWN: "\033[33m", INFO: "\033[2m"}
_RESET = "\033[0m"


def render_trace_json(t: Trace) -> str:
    """The trace as JSON (hops, verdict, and the findings whose fixes apply)."""
    return orjson.dumps(t.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_trace_text(t: Trace, colour: bool = False, width: int = 100) -> str:
    """The trace hop by hop: a mark, the step, the deciding resource and configuration line."""
    from assistant.render.safe import clean
    from assistant.render.text import finding_lines

    def paint(status: str, text: str) -> str:
        return f"{_COLOUR[status]}{text}{_RESET}" if colour else text

    lines = [
        f"Trace {_flow(t)} from {clean(t.source.label)} to {clean(t.destination.label)}",
        "",
    ]
    section = None
    for h in t.hops:
        head = "Reply" if h.direction == RETURN else "Request"
        if head != section:
            lines.append(f"{head}:")
            section = head
        mark = paint(h.status, MARK.get(h.status, "?"))
        lines.append(f"  {mark} {clean(h.step)}  {clean(h.where, 1000)}")
        lines += textwrap.wrap(
            clean(h.detail, 4000), width=width, initial_indent="      ", subsequent_indent="      "
        )
        if h.rule and h.status != PASS:
            lines.append(f"      fix: {h.rule}")
        elif h.rule:
            lines.append(f"      see: {h.rule}")
    lines.append("")
    if t.verdict == REACHABLE:
        lines.append(paint(PASS, f"REACHABLE: {_flow(t)} gets through and back."))
    elif t.verdict == UNKNOWN:
        lines.append(
            paint(
                UNKNOWN, "UNKNOWN: no hop blocks, but the snapshot cannot decide the hops marked ?."
            )
        )
    else:
        first = t.blocked[0]
        lines.append(
            paint(
                FAIL,
                f"NOT REACHABLE: blocked at {clean(first.step)} "
                f"({clean(first.where.split(' ')[0])}).",
            )
        )
        for h in t.blocked[1:]:
            lines.append(f"  also blocked at {clean(h.step)} ({clean(h.where.split(' ')[0])})")
    for n in t.notes:
        lines += textwrap.wrap("Note: " + clean(n, 4000), width=width)
    if t.fixes:
        lines += ["", "What to change (from the scan of the same snapshot):", ""]
        for f in t.fixes:
            lines += finding_lines(f, colour=colour, width=width)
            lines.append("")
    covered = {f.rule for f in t.fixes}
    for rule in dict.fromkeys(h.rule for h in t.hops if h.rule and h.status == FAIL):
        if rule not in covered:
            lines.append(f"How to fix: vpc-helper explain {rule}")
    return "\n".join(lines).rstrip() + "\n"


def _flow(t: Trace) -> str:
    """'tcp/443', 'icmp/8' (the ICMP type), 'gre', 'all'."""
    from assistant.render.safe import clean

    if t.protocol in ("tcp", "udp", "icmp"):
        return f"{clean(t.protocol)}/{t.port}"
    return clean(t.protocol)
