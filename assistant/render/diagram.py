"""The VPC as a diagram: Mermaid text for Markdown tickets, SVG for the HTML report.

AZs hold subnets by role (public / private / isolated) with their default route targets;
gateways and load balancers are drawn with the subnets they use. Paths that a finding of
medium or higher implicates are drawn red.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from assistant.models.finding import Diagnosis, Severity
from assistant.render.safe import clean
from assistant.topology import Topology, target_kind

MAX_SUBNETS = 80
_ROLE_ORDER = {"public": 0, "private": 1, "isolated": 2, "unknown": 3}


@dataclass
class _Graph:
    """What both renderings draw, decided once."""

    vpcs: list[tuple[str, str]] = field(default_factory=list)  # (vpc id, label)
    azs: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # vpc -> az -> subnets
    labels: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    gateways: dict[str, list[str]] = field(default_factory=dict)  # vpc -> gateway ids
    nat_subnet: dict[str, str] = field(default_factory=dict)  # nat -> its subnet
    lbs: dict[str, list[str]] = field(default_factory=dict)  # vpc -> lb arns
    lb_subnets: dict[str, list[str]] = field(default_factory=dict)
    lb_public: dict[str, bool] = field(default_factory=dict)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)  # a, b, label, broken
    broken_nodes: set[str] = field(default_factory=set)
    omitted: dict[str, int] = field(default_factory=dict)


def _graph(topo: Topology, d: Diagnosis) -> _Graph:
    g = _Graph()
    bad = [set(f.resources) for f in d.findings if f.severity.rank >= Severity.medium.rank]
    for res in bad:
        g.broken_nodes |= res

    def broken(a: str, b: str) -> bool:
        return any(a in r and b in r for r in bad)

    vpc_ids = d.vpc_ids or sorted(topo.vpcs)
    for vid in vpc_ids:
        vpc = topo.vpcs.get(vid)
        name = vpc.name if vpc else ""
        cidr = vpc.CidrBlock if vpc else ""
        g.vpcs.append((vid, " ".join(x for x in (vid, name and f"({name})", cidr) if x)))
        views = sorted(
            (v for v in topo.views.values() if v.subnet.VpcId == vid),
            key=lambda v: (v.subnet.AvailabilityZone, _ROLE_ORDER.get(v.role, 9), v.subnet_id),
        )
        if len(views) > MAX_SUBNETS:
            g.omitted[vid] = len(views) - MAX_SUBNETS
            views = views[:MAX_SUBNETS]
        azs: dict[str, list[str]] = {}
        gws: list[str] = []
        for v in views:
            sid = v.subnet_id
            azs.setdefault(v.subnet.AvailabilityZone or "no AZ", []).append(sid)
            g.labels[sid] = v.subnet.name or sid
            g.roles[sid] = v.role
            target = v.default_target
            if target:
                if target not in gws:
                    gws.append(target)
                g.edges.append((sid, target, "0.0.0.0/0", broken(sid, target)))
        for n in topo.snapshot.NatGateways:
            if n.VpcId == vid and n.State not in ("deleted",) and n.SubnetId in g.roles:
                g.nat_subnet[n.NatGatewayId] = n.SubnetId
                if n.NatGatewayId not in gws:
                    gws.append(n.NatGatewayId)
                g.edges.append(
                    (n.NatGatewayId, n.SubnetId, "in", broken(n.NatGatewayId, n.SubnetId))
                )
        for gw in gws:
            kind = target_kind(gw)
            g.labels.setdefault(
                gw, {"igw": "Internet gateway", "nat": "NAT gateway"}.get(kind, kind) + f" {gw}"
            )
        g.azs[vid] = azs
        g.gateways[vid] = gws
        arns = []
        for lb in topo.snapshot.LoadBalancers:
            if lb.VpcId != vid:
                continue
            arns.append(lb.LoadBalancerArn)
            g.labels[lb.LoadBalancerArn] = f"{lb.Type} load balancer {lb.LoadBalancerName}"
            g.lb_subnets[lb.LoadBalancerArn] = [s for s in lb.subnet_ids if s in g.roles]
            g.lb_public[lb.LoadBalancerArn] = lb.Scheme == "internet-facing"
            for s in g.lb_subnets[lb.LoadBalancerArn]:
                g.edges.append((lb.LoadBalancerArn, s, "", broken(lb.LoadBalancerArn, s)))
        g.lbs[vid] = arns
    return g


def _mid(rid: str) -> str:
    """A Mermaid node id: short, stable, only letters, digits and underscores."""
    if rid.startswith("arn:"):  # the ARN's final id: unchanged by redaction, unlike names
        rid = "arn_" + rid.rsplit("/", 1)[-1]
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", rid)


def _mlabel(text: str, limit: int = 120) -> str:
    """A quoted Mermaid label: nothing in ``text`` can close the quotes, the node or the
    Markdown fence around the diagram (control characters, newlines, ``"``, ``|``, backticks)."""
    return (
        html.escape(clean(text, limit), quote=True)
        .replace("&quot;", "#quot;")
        .replace("&#x27;", "#39;")
        .replace("|", "#124;")
        .replace("`", "#96;")
    )


def mermaid(topo: Topology, d: Diagnosis) -> str:
    """A Mermaid flowchart of the VPCs in the diagnosis."""
    g = _graph(topo, d)
    out = ["flowchart TB", '  internet(("Internet"))']
    for vid, label in g.vpcs:
        out.append(f'  subgraph {_mid(vid)}["VPC {_mlabel(label)}"]')
        out.append("    direction TB")
        for gw in g.gateways.get(vid, []):
            kind = target_kind(gw)
            if kind == "nat":
                out.append(f'    {_mid(gw)}[/"{_mlabel(g.labels[gw])}"/]')
            elif kind == "igw":
                out.append(f'    {_mid(gw)}{{{{"{_mlabel(g.labels[gw])}"}}}}')
            else:
                out.append(f'    {_mid(gw)}["{_mlabel(g.labels[gw])}"]')
        for arn in g.lbs.get(vid, []):
            out.append(f'    {_mid(arn)}[["{_mlabel(g.labels[arn])}"]]')
        for az, subnets in sorted(g.azs.get(vid, {}).items()):
            out.append(f'    subgraph {_mid(vid + az)}["{_mlabel(az)}"]')
            for sid in subnets:
                text = "<br/>".join(_mlabel(x) for x in (g.labels[sid], sid, g.roles[sid]))
                out.append(f'      {_mid(sid)}["{text}"]')
            out.append("    end")
        if g.omitted.get(vid):
            out.append(f'    {_mid(vid + "more")}["… {g.omitted[vid]} more subnets"]')
        out.append("  end")
    links: list[bool] = []
    for vid, _ in g.vpcs:
        for gw in g.gateways.get(vid, []):
            if target_kind(gw) == "igw":
                out.append(f"  internet --- {_mid(gw)}")
                links.append(False)
        for arn in g.lbs.get(vid, []):
            if g.lb_public.get(arn):
                out.append(f"  internet --> {_mid(arn)}")
                links.append(False)
    for a, b, label, bad in g.edges:
        if label == "in":
            out.append(f"  {_mid(a)} -. in .- {_mid(b)}")
        elif label:
            out.append(f'  {_mid(a)} -->|"{label}"| {_mid(b)}')
        else:
            out.append(f"  {_mid(a)} --> {_mid(b)}")
        links.append(bad)
    out += [
        "  classDef public fill:#e3f6e8,stroke:#2e7d32",
        "  classDef private fill:#e6eefc,stroke:#1e4fa3",
        "  classDef isolated fill:#f0f0f0,stroke:#666",
        "  classDef unknown fill:#fff8e1,stroke:#b28704",
        "  classDef broken stroke:#d32f2f,stroke-width:3px",
    ]
    for role in ("public", "private", "isolated", "unknown"):
        ids = [_mid(s) for s, r in g.roles.items() if r == role]
        if ids:
            out.append(f"  class {','.join(ids)} {role}")
    broken = [_mid(x) for x in g.labels if x in g.broken_nodes]
    if broken:
        out.append(f"  class {','.join(broken)} broken")
    bad_links = [str(i) for i, b in enumerate(links) if b]
    if bad_links:
        out.append(f"  linkStyle {','.join(bad_links)} stroke:#d32f2f,stroke-width:3px")
    return "\n".join(out) + "\n"


_FILL = {"public": "#e3f6e8", "private": "#e6eefc", "isolated": "#f0f0f0", "unknown": "#fff8e1"}


def svg(topo: Topology, d: Diagnosis) -> str:
    """A self-contained SVG of the same picture: AZ columns, subnets by role, gateways."""
    g = _graph(topo, d)
    box_w, box_h, gap = 230, 58, 14
    parts: list[str] = []
    y = 20
    pos: dict[str, tuple[float, float]] = {}
    width = 0
    for vid, label in g.vpcs:
        azs = sorted(g.azs.get(vid, {}).items())
        cols = max(1, len(azs))
        vpc_w = cols * (box_w + gap) + gap
        top = y
        y += 34
        # gateways and load balancers in a row above the AZs
        row = g.gateways.get(vid, []) + g.lbs.get(vid, [])
        x = gap + 10
        for item in row:
            pos[item] = (x + 10 + box_w / 2, y + box_h - 14)
            bad = item in g.broken_nodes
            parts.append(
                f'<rect x="{x + 10}" y="{y}" width="{box_w}" height="{box_h - 14}" rx="10" '
                f'fill="#fffde7" stroke="{"#d32f2f" if bad else "#8d6e63"}" '
                f'stroke-width="{3 if bad else 1.5}"/>'
                f'<text x="{x + 18}" y="{y + 27}" font-size="11">'
                f"{html.escape(_short(g.labels[item], 38))}</text>"
            )
            x += box_w + gap
        width = max(width, x + 20, vpc_w + 40)
        y += box_h + 10
        rows = max((len(s) for _, s in azs), default=0)
        for c, (az, subnets) in enumerate(azs):
            cx = gap + 20 + c * (box_w + gap)
            parts.append(
                f'<text x="{cx}" y="{y + 14}" font-size="13" font-weight="bold">'
                f"{html.escape(clean(az, 60))}</text>"
            )
            for r, sid in enumerate(subnets):
                sy = y + 24 + r * (box_h + gap)
                role = g.roles[sid]
                bad = sid in g.broken_nodes
                pos[sid] = (cx + box_w / 2, sy)
                parts.append(
                    f'<rect x="{cx}" y="{sy}" width="{box_w}" height="{box_h}" rx="6" '
                    f'fill="{_FILL.get(role, "#fff")}" stroke="{"#d32f2f" if bad else "#555"}" '
                    f'stroke-width="{3 if bad else 1}"/>'
                    f'<text x="{cx + 8}" y="{sy + 18}" font-size="12" font-weight="bold">'
                    f"{html.escape(_short(g.labels[sid], 30))}</text>"
                    f'<text x="{cx + 8}" y="{sy + 34}" font-size="11">'
                    f"{html.escape(clean(sid, 40))}</text>"
                    f'<text x="{cx + 8}" y="{sy + 50}" font-size="11" fill="#333">'
                    f"{html.escape(clean(role, 20))}</text>"
                )
        y += 24 + rows * (box_h + gap) + 10
        parts.insert(
            0,
            f'<rect x="10" y="{top}" width="{max(vpc_w, width - 20)}" height="{y - top}" '
            f'rx="12" fill="none" stroke="#1565c0" stroke-width="2"/>'
            f'<text x="24" y="{top + 22}" font-size="14" font-weight="bold">VPC '
            f"{html.escape(clean(label))}</text>",
        )
        y += 20
    lines = []
    for a, b, label, bad in g.edges:
        if a in pos and b in pos and label != "in":
            (x1, y1), (x2, y2) = pos[a], pos[b]
            lines.append(
                f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                f'stroke="{"#d32f2f" if bad else "#90a4ae"}" stroke-width="{3 if bad else 1}" '
                f'stroke-dasharray="{"" if bad else "4 3"}" marker-end="url(#arrow)"/>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'viewBox="0 0 {width} {y}" font-family="sans-serif">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#607d8b"/></marker>'
        "</defs>" + "".join(lines) + "".join(parts) + "</svg>"
    )


def _short(text: str, n: int) -> str:
    return clean(text, n)
