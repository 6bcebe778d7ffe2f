"""The diagnosis as one self-contained HTML file: the report with the diagram drawn in SVG."""

from __future__ import annotations

import html

from assistant.models.finding import Diagnosis, Severity
from assistant.render.diagram import mermaid, svg
from assistant.render.safe import clean
from assistant.topology import Topology

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1b1b;
line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.sev{display:inline-block;padding:.1rem .45rem;border-radius:4px;color:#fff;font-size:.8rem;
font-weight:700;margin-right:.4rem}
.critical{background:#7f0000}.high{background:#c62828}.medium{background:#ef6c00}
.low{background:#1565c0}.info{background:#607d8b}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;border-radius:6px;font-size:.85rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;font-size:.9rem}
.finding{border:1px solid #e0e0e0;border-radius:8px;padding:.4rem 1rem;margin:1rem 0}
.muted{color:#666}.diagram{overflow-x:auto;border:1px solid #eee;border-radius:8px;padding:.5rem}
"""


def _e(text: object, limit: int | None = 4000) -> str:
    """Text for HTML: control characters escaped, long values cut, markup escaped."""
    return html.escape(clean(text, limit, keep_newlines=True), quote=True)


def render_html(d: Diagnosis, topo: Topology, min_severity: Severity = Severity.info) -> str:
    shown = d.at_least(min_severity)
    counts: dict[str, int] = {}
    for f in d.findings:
        counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no findings"
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>VPC diagnosis: {_e(', '.join(d.vpc_ids))}</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>VPC diagnosis: {_e(', '.join(d.vpc_ids) or 'no VPC')}</h1>",
        f"<p><strong>Summary:</strong> {_e(summary)}"
        + (f" &middot; {len(d.not_checked)} item(s) not checked" if d.not_checked else "")
        + "".join(
            f" &middot; {_e(k)} <code>{_e(v)}</code>"
            for k, v in (("account", d.account_id), ("region", d.region), ("source", d.source))
            if v
        )
        + "</p>",
        "<h2>Diagram</h2>",
        "<p class='muted'>Subnets by AZ and role (green public, blue private, grey isolated); "
        "red marks what a finding of medium or higher implicates.</p>",
        f"<div class='diagram'>{svg(topo, d)}</div>",
        "<h2>Findings</h2>",
    ]
    if not shown:
        out.append(f"<p>No findings at or above {min_severity.value}.</p>")
    for f in shown:
        out.append("<div class='finding'>")
        out.append(
            f"<h3><span class='sev {f.severity.value}'>{f.severity.value.upper()}</span>"
            f"<code>{_e(f.rule)}</code> {_e(f.title)}</h3>"
        )
        if f.evidence:
            out.append(
                "<p><strong>Evidence</strong></p><ul>"
                + "".join(f"<li>{_e(x)}</li>" for x in f.evidence)
                + "</ul>"
            )
        out += [f"<p>{_e(p)}</p>" for p in f.explanation.split("\n\n")]
        if f.cannot_know:
            out.append(f"<p class='muted'><em>Not known to the tool:</em> {_e(f.cannot_know)}</p>")
        if f.fix:
            out.append("<p><strong>Fix</strong></p><ol>")
            for step in f.fix:
                out.append(f"<li>{_e(step.action)}")
                if step.console:
                    out.append(f"<br><span class='muted'>Console: {_e(step.console)}</span>")
                if step.cli:
                    out.append("<pre>" + "\n".join(_e(c) for c in step.cli) + "</pre>")
                out.append("</li>")
            out.append("</ol>")
        if f.check:
            out.append(f"<p><strong>Check</strong></p><pre>{_e(f.check)}</pre>")
        if f.references:
            out.append(
                "<p class='muted'>Docs: "
                + ", ".join(f"<a href='{_e(r)}'>{_e(r)}</a>" for r in f.references)
                + "</p>"
            )
        out.append("</div>")
    if d.not_checked:
        out.append("<h2>Not checked</h2><ul>")
        for n in d.not_checked:
            extra = f" (missing permission <code>{_e(n.action)}</code>)" if n.action else ""
            rules = f" &mdash; rules: {_e(', '.join(n.rules))}" if n.rules else ""
            out.append(f"<li><strong>{_e(n.what)}</strong>: {_e(n.reason)}{extra}{rules}</li>")
        out.append("</ul>")
    out += [
        "<h2>Subnets</h2><table><tr><th>Subnet</th><th>Name</th><th>AZ</th><th>CIDR</th>"
        "<th>Role</th><th>Route table</th><th>Default route</th></tr>",
        *(
            f"<tr><td><code>{_e(s.subnet_id)}</code></td><td>{_e(s.name)}</td>"
            f"<td>{_e(s.availability_zone)}</td><td>{_e(s.cidr)}</td><td>{_e(s.role)}</td>"
            f"<td><code>{_e(s.route_table_id or '-')}</code></td>"
            f"<td><code>{_e(s.default_route_target or '-')}</code></td></tr>"
            for s in d.subnets
        ),
        "</table>",
        "<details><summary>Diagram as Mermaid text</summary><pre>"
        + _e(mermaid(topo, d), None)
        + "</pre></details>",
        "</body></html>",
    ]
    return "\n".join(out) + "\n"
