"""Intent verdicts as terminal text, JSON and Markdown."""

from __future__ import annotations

import textwrap
from typing import Any

import orjson

from assistant.intents.check import HOLDS, VIOLATED, IntentResult
from assistant.render.safe import clean

MARK = {HOLDS: "✓ HOLDS", VIOLATED: "✗ VIOLATED"}


def _mark(r: IntentResult) -> str:
    return MARK.get(r.status, "? UNDECIDED")


def summary_line(results: list[IntentResult]) -> str:
    n = {s: sum(r.status == s for r in results) for s in (HOLDS, VIOLATED)}
    other = len(results) - n[HOLDS] - n[VIOLATED]
    parts = [f"{n[HOLDS]} hold", f"{n[VIOLATED]} violated"]
    if other:
        parts.append(f"{other} undecided")
    return f"{len(results)} intents: " + ", ".join(parts)


def _trace_text(r: IntentResult, width: int) -> list[str]:
    from assistant.trace.render import render_trace_text

    if r.evidence is None:
        return []
    text = clean(render_trace_text(r.evidence, width=width - 6), 20000, keep_newlines=True)
    return ["      " + line if line else "" for line in text.rstrip().splitlines()]


def render_text(results: list[IntentResult], source: str | None = None, width: int = 100) -> str:
    """Each intent with its verdict; for a broken one, the pairs, the trace of one, the fix."""
    head = summary_line(results) + (f" (on {clean(source)})" if source else "")
    lines = [head, ""]
    for r in results:
        i = r.intent
        lines.append(f"{_mark(r)}  {clean(i.describe(), 300)}")
        lines.append(f"    {clean(i.ref, 300)}" + (f": {clean(i.name)}" if i.name else ""))
        lines.append(
            f"    {r.pairs} endpoint pair(s) checked with {r.traces} trace(s)"
            + (f"; {r.broken} break it" if r.broken else "")
        )
        for note in r.notes:
            lines += textwrap.wrap(
                "Note: " + clean(note, 500),
                width=width,
                initial_indent="    ",
                subsequent_indent="      ",
            )
        if r.examples:
            lines.append(
                f"    Pairs that break it ({min(len(r.examples), r.broken)} of {r.broken}):"
            )
            lines += [f"      {clean(p.text(), 300)}" for p in r.examples]
        if r.fix:
            verb = "Allowed at" if i.kind == "forbid" else "Blocked at"
            lines.append(f"    {verb}: {r.fix.hop.step}  {clean(r.fix.hop.where, 300)}")
            lines += textwrap.wrap(
                "Fix: " + clean(r.fix.action, 600),
                width=width,
                initial_indent="    ",
                subsequent_indent="      ",
            )
            lines += [f"      {clean(c, 600)}" for c in r.fix.cli]
            if r.fix.rule:
                lines.append(f"    Catalogue rule: {r.fix.rule} (vpc-helper explain {r.fix.rule})")
        if r.evidence is not None and r.status != HOLDS:
            lines.append("    Evidence:")
            lines += _trace_text(r, width)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def result_dict(r: IntentResult) -> dict[str, Any]:
    i = r.intent
    out: dict[str, Any] = {
        "intent": {
            "kind": i.kind,
            "number": i.number,
            "file": i.file,
            "name": i.name,
            "from": i.source,
            "to": i.dest,
            "ports": [list(p) for p in i.ports],
            "protocol": i.protocol,
            "text": i.describe(),
        },
        "status": r.status,
        "pairs": r.pairs,
        "broken": r.broken,
        "undecided": r.undecided,
        "traces": r.traces,
        "examples": [
            {
                "source": p.source,
                "destination": p.destination,
                "protocol": p.protocol,
                "ports": [list(x) for x in p.ports],
            }
            for p in r.examples
        ],
        "notes": r.notes,
        "fix": None,
        "evidence": r.evidence.model_dump(mode="json") if r.evidence is not None else None,
    }
    if r.fix:
        out["fix"] = {
            "hop": r.fix.hop.model_dump(mode="json"),
            "action": r.fix.action,
            "cli": r.fix.cli,
            "rule": r.fix.rule,
        }
    return out


def render_json(results: list[IntentResult], source: str | None = None) -> str:
    doc = {
        "source": source,
        "summary": summary_line(results),
        "holds": all(r.status == HOLDS for r in results),
        "intents": [result_dict(r) for r in results],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _md(text: str) -> str:
    return clean(text, 600).replace("|", "\\|")


def render_markdown(results: list[IntentResult], source: str | None = None) -> str:
    """A ticket-ready report: a table of verdicts, then the evidence of each broken intent."""
    lines = [
        "## Network intents",
        "",
        summary_line(results) + (f" (on `{_md(source)}`)" if source else ""),
        "",
    ]
    lines += ["| Verdict | Intent | Pairs | Broken |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {_mark(r)} | {_md(r.intent.describe())} | {r.pairs} | {r.broken} |")
    for r in results:
        if r.status == HOLDS:
            continue
        i = r.intent
        lines += ["", f"### {_mark(r)}: {_md(i.describe())}", "", f"`{_md(i.ref)}`"]
        if i.name:
            lines.append(f"*{_md(i.name)}*")
        lines.append("")
        for note in r.notes:
            lines.append(f"- Note: {_md(note)}")
        if r.examples:
            lines.append(f"Pairs that break it ({min(len(r.examples), r.broken)} of {r.broken}):")
            lines.append("")
            lines += [f"- {_md(p.text())}" for p in r.examples]
            lines.append("")
        if r.fix:
            verb = "Allowed at" if i.kind == "forbid" else "Blocked at"
            lines.append(f"**{verb}:** {_md(r.fix.hop.step)} `{_md(r.fix.hop.where)}`")
            lines.append("")
            lines.append(f"**Fix:** {_md(r.fix.action)}")
            if r.fix.cli:
                lines += ["", "```sh", *[clean(c, 600) for c in r.fix.cli], "```"]
            if r.fix.rule:
                lines.append(f"\nCatalogue rule: `{r.fix.rule}`")
        if r.evidence is not None:
            from assistant.trace.render import render_trace_text

            lines += ["", "<details><summary>Trace</summary>", "", "```"]
            lines.append(clean(render_trace_text(r.evidence), 20000, keep_newlines=True).rstrip())
            lines += ["```", "", "</details>"]
    return "\n".join(lines).rstrip() + "\n"
