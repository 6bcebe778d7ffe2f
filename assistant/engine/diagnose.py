"""From a snapshot to a diagnosis: facts in, findings and what was not checked out."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from assistant.engine.facts import facts_for, unknown_references
from assistant.engine.host import RuleEngine
from assistant.engine.rules import FIELD, Rule
from assistant.gcpause import gc_paused
from assistant.models.finding import (
    Diagnosis,
    Finding,
    FixStep,
    NotCheckedItem,
    Severity,
    SubnetSummary,
)
from assistant.models.registry import BY_COLLECTION, command_for, rules_needing
from assistant.models.snapshot import Snapshot
from assistant.sources.files import dangling_references
from assistant.topology import Topology

_default: RuleEngine | None = None
_default_lock = threading.Lock()

# The AWS CLI command that gives each collection (from the registry).
COMMAND_FOR = {coll: command_for(coll) for coll in BY_COLLECTION}


def default_engine() -> RuleEngine:
    """The process's engine over the installed rule catalogue (built once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RuleEngine()
        return _default


def reset_default_engine() -> None:
    """Forget the process's engine (the rule directories changed); rebuilt on next use."""
    global _default
    with _default_lock:
        _default = None


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """A template as (literal text, field or None, spec) parts, parsed once per text."""
    parts: list[tuple[str, str | None, str | None]] = []
    pos = 0
    for m in FIELD.finditer(text):
        parts.append((text[pos : m.start()], m.group(1), m.group(2)))
        pos = m.end()
    parts.append((text[pos:], None, None))
    return tuple(parts)


def _fill(text: str, fact: dict[str, Any], item: Any = None) -> str:
    """Fill ``{field}`` (lists joined with commas) and ``{field:sp}`` (joined with spaces, for
    CLI arguments) from the fact. Other braces (Terraform, JSON) are left as written; a field
    the fact lacks shows as ``<field>``."""
    out: list[str] = []
    for literal, key, spec in _template(text):
        out.append(literal)
        if key is None:
            continue
        if key == "item" and item is not None:
            value = item
        elif key in fact:
            value = fact[key]
        else:
            out.append(f"<{key}>")
            continue
        if isinstance(value, list):
            out.append((" " if spec == "sp" else ", ").join(map(str, value)) or "none")
        else:
            out.append(str(value))
    return "".join(out)


def _paragraphs(text: str) -> str:
    """Reflow a template's text: one line per paragraph."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip())


def render_finding(rule: Rule, fact: dict[str, Any], severity: Severity) -> Finding:
    """A finding from a rule and the fact it matched, with the fact's ids filled in."""
    steps: list[FixStep] = []
    for spec in rule.fix:
        if spec.when and not fact.get(spec.when):
            continue
        if spec.unless and fact.get(spec.unless):
            continue
        items = fact.get(spec.foreach) if spec.foreach else [None]
        if not isinstance(items, list):
            items = [items]
        for item in items or []:
            steps.append(
                FixStep(
                    action=_fill(spec.action, fact, item),
                    console=_fill(spec.console, fact, item) if spec.console else None,
                    # a filled command of several lines (one per range, ...) is several
                    cli=[x for c in spec.cli for x in _fill(c, fact, item).split("\n") if x],
                    terraform=_fill(spec.terraform, fact, item) if spec.terraform else None,
                )
            )
    resources: dict[str, None] = {}  # insertion-ordered, without repeats
    for field in rule.resources:
        v = fact.get(field)
        for x in v if isinstance(v, list) else [v]:
            if x:
                resources[str(x)] = None
    return Finding(
        rule=rule.id,
        severity=severity,
        title=_fill(rule.title, fact),
        vpc_id=fact.get("vpc_id") or None,
        resources=list(resources),
        evidence=[_fill(e, fact) for e in rule.evidence],
        explanation=_paragraphs(_fill(rule.explanation, fact)),
        cannot_know=rule.cannot_know.strip() if rule.cannot_know else None,
        fix=steps,
        check=_fill(rule.check, fact) if rule.check else None,
        references=list(rule.references),
    )


def _not_checked(
    snapshot: Snapshot, rules: tuple[Rule, ...], topo: Topology | None = None
) -> list[NotCheckedItem]:
    missing: dict[str, list[str]] = {}
    for r in rules:
        for need in r.needs:
            if not snapshot.has(need):
                missing.setdefault(need, []).append(r.id)
    explained = {nc.what for nc in snapshot.not_checked}  # e.g. a read that was denied
    out = []
    for coll, ids in sorted(missing.items()):
        if coll in explained:
            continue
        cmd = COMMAND_FOR.get(coll, coll)
        out.append(
            NotCheckedItem(
                what=coll,
                reason=f"no {cmd} output in the snapshot; these rules were not evaluated",
                rules=sorted(ids),
            )
        )
    named = topo.instance_subnets if topo is not None else None
    for nc in list(snapshot.not_checked) + dangling_references(snapshot, named):
        ids = nc.rules
        reason = nc.reason
        if not ids and nc.what in BY_COLLECTION:  # a read that failed: the rules it affects
            ids = rules_needing(nc.what, rules)
            if ids:
                reason = f"{reason}; these rules were not evaluated"
        out.append(NotCheckedItem(what=nc.what, reason=reason, rules=ids, action=nc.action))
    return out


def focus(snapshot: Snapshot, vpc_ids: list[str]) -> Snapshot:
    """A copy of the snapshot holding only what belongs to the given VPCs."""
    keep = set(vpc_ids)
    s = snapshot.model_copy()
    vpcs = [v for v in snapshot.Vpcs if v.VpcId in keep]
    if vpcs and all(v.EnableDnsSupport is not None for v in vpcs):
        # DNS attributes were read for every VPC in focus (others may lack them)
        s.provided = list(dict.fromkeys([*snapshot.provided, "VpcAttributes"]))
    subnets = {x.SubnetId for x in snapshot.Subnets if x.VpcId in keep}
    s.Vpcs = [v for v in snapshot.Vpcs if v.VpcId in keep]
    s.Subnets = [x for x in snapshot.Subnets if x.VpcId in keep]
    s.RouteTables = [x for x in snapshot.RouteTables if x.VpcId in keep]
    s.InternetGateways = [
        g
        for g in snapshot.InternetGateways
        if not g.Attachments or any(a.VpcId in keep for a in g.Attachments)
    ]
    s.EgressOnlyInternetGateways = [
        g
        for g in snapshot.EgressOnlyInternetGateways
        if any(a.VpcId in keep for a in g.Attachments)
    ]
    s.NatGateways = [n for n in snapshot.NatGateways if n.VpcId in keep or n.SubnetId in subnets]
    s.VpcEndpoints = [e for e in snapshot.VpcEndpoints if e.VpcId in keep]
    s.VpcPeeringConnections = [
        p
        for p in snapshot.VpcPeeringConnections
        if p.AccepterVpcInfo.VpcId in keep or p.RequesterVpcInfo.VpcId in keep
    ]
    s.TransitGatewayAttachments = [
        t for t in snapshot.TransitGatewayAttachments if t.ResourceId in keep
    ]
    s.TransitGatewayVpcAttachments = [
        t for t in snapshot.TransitGatewayVpcAttachments if t.VpcId in keep
    ]
    # The hub of the VPCs in focus is kept whole: its tables decide where their traffic goes.
    tgws = {t.TransitGatewayId for t in s.TransitGatewayAttachments if t.TransitGatewayId}
    tgws |= {t.TransitGatewayId for t in s.TransitGatewayVpcAttachments if t.TransitGatewayId}
    s.TransitGateways = [t for t in snapshot.TransitGateways if t.TransitGatewayId in tgws]
    s.TransitGatewayPeeringAttachments = [
        p
        for p in snapshot.TransitGatewayPeeringAttachments
        if p.RequesterTgwInfo.TransitGatewayId in tgws or p.AccepterTgwInfo.TransitGatewayId in tgws
    ]
    s.TransitGatewayRouteTables = [
        t for t in snapshot.TransitGatewayRouteTables if t.TransitGatewayId in tgws
    ]
    tables = {t.TransitGatewayRouteTableId for t in s.TransitGatewayRouteTables}
    for coll in (
        "TransitGatewayRouteTableAssociations",
        "TransitGatewayRouteTablePropagations",
        "TransitGatewayRoutes",
    ):
        setattr(s, coll, {k: v for k, v in getattr(snapshot, coll).items() if k in tables})
    s.VpnGateways = [
        g for g in snapshot.VpnGateways if any(a.VpcId in keep for a in g.VpcAttachments)
    ]
    vgws = {g.VpnGatewayId for g in s.VpnGateways}
    s.VpnConnections = [
        c
        for c in snapshot.VpnConnections
        if c.VpnGatewayId in vgws or (c.TransitGatewayId and c.TransitGatewayId in tgws)
    ]
    s.Instances = [i for i in snapshot.Instances if i.VpcId in keep or i.SubnetId in subnets]
    s.NetworkInterfaces = [
        e for e in snapshot.NetworkInterfaces if e.VpcId in keep or e.SubnetId in subnets
    ]
    s.SecurityGroups = [g for g in snapshot.SecurityGroups if g.VpcId in keep]
    s.NetworkAcls = [a for a in snapshot.NetworkAcls if a.VpcId in keep]
    s.LoadBalancers = [lb for lb in snapshot.LoadBalancers if lb.VpcId in keep]
    arns = {lb.LoadBalancerArn for lb in s.LoadBalancers}
    s.Listeners = [x for x in snapshot.Listeners if x.LoadBalancerArn in arns]
    s.TargetGroups = [t for t in snapshot.TargetGroups if t.VpcId in keep]
    tgs = {t.TargetGroupArn for t in s.TargetGroups}
    s.TargetHealth = {k: v for k, v in snapshot.TargetHealth.items() if k in tgs}
    s.LoadBalancerAttributes = {
        k: v for k, v in snapshot.LoadBalancerAttributes.items() if k in arns
    }
    s.TargetGroupAttributes = {k: v for k, v in snapshot.TargetGroupAttributes.items() if k in tgs}
    s.FlowLogs = [f for f in snapshot.FlowLogs if f.ResourceId in keep | subnets]
    used = {e.AllocationId for n in s.NatGateways for e in n.NatGatewayAddresses}
    inst = {i.InstanceId for i in s.Instances}
    s.Addresses = [
        a
        for a in snapshot.Addresses
        if a.AllocationId in used
        or a.InstanceId in inst
        or not (a.InstanceId or a.NetworkInterfaceId or a.AssociationId)
    ]
    return s


def subnet_summaries(topo: Topology) -> list[SubnetSummary]:
    out = []
    for sid, v in sorted(topo.views.items(), key=lambda kv: (kv[1].subnet.VpcId, kv[0])):
        out.append(
            SubnetSummary(
                subnet_id=sid,
                vpc_id=v.subnet.VpcId,
                name=v.subnet.name,
                availability_zone=v.subnet.AvailabilityZone,
                cidr=v.subnet.CidrBlock,
                role=v.role,
                route_table_id=v.route_table.RouteTableId if v.route_table else None,
                default_route_target=v.default_target or None,
            )
        )
    return out


def diagnose(
    snapshot: Snapshot,
    vpc_ids: list[str] | None = None,
    engine: RuleEngine | None = None,
    facts: list[dict[str, Any]] | None = None,
    keep_topology: bool = False,
) -> Diagnosis:
    """Run every rule over the snapshot (or over the given facts) and collect findings.

    ``keep_topology``: the diagnosis keeps the topology it was made on (``d.topology``), for
    a report that draws it; otherwise it is freed with the diagnosis' other working data."""
    with gc_paused():
        return _diagnose(snapshot, vpc_ids, engine, facts, keep_topology)


def _diagnose(
    snapshot: Snapshot,
    vpc_ids: list[str] | None,
    engine: RuleEngine | None,
    facts: list[dict[str, Any]] | None,
    keep_topology: bool,
) -> Diagnosis:
    engine = engine or default_engine()
    if vpc_ids:
        snapshot = focus(snapshot, vpc_ids)
    topo = Topology(snapshot)
    # Streamed into the engine, which keeps only the facts some rule can match.
    matches = engine.run(
        facts if facts is not None else facts_for(topo, engine.kinds, sieve=engine.sieve())
    )
    by_id = {r.id: r for r in engine.rules}
    best: dict[tuple[str, str], tuple[Severity, dict[str, Any]]] = {}
    for rule_id, variant, fact in matches:
        rule = by_id[rule_id]
        if not all(snapshot.has(need) for need in rule.needs):
            continue  # reported as not checked: a match on missing data is no finding
        sev = rule.variants[variant].severity or rule.severity
        key = (rule_id, f"{fact['kind']}:{fact['rid']}")
        if key not in best or sev.rank > best[key][0].rank:
            best[key] = (sev, fact)
    findings = [render_finding(by_id[rid], fact, sev) for (rid, _), (sev, fact) in best.items()]
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, f.resources))
    skipped = sorted(r.id for r in engine.rules if not all(snapshot.has(n) for n in r.needs))
    d = Diagnosis(
        findings=findings,
        subnets=subnet_summaries(topo),
        not_checked=_not_checked(snapshot, engine.rules, topo) + unknown_references(topo),
        rules_total=len(engine.rules),
        rules_not_evaluated=skipped,
        vpc_ids=sorted(topo.vpcs) or sorted({s.VpcId for s in snapshot.Subnets}),
        account_id=snapshot.account_id,
        region=snapshot.region,
        source=snapshot.source,
    )
    if keep_topology:
        d._topology = topo
    return d
