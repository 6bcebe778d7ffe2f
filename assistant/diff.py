"""Before and after: which findings a change fixed or introduced, and the changes behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from assistant.engine import diagnose
from assistant.models.finding import Diagnosis, Finding
from assistant.models.snapshot import Snapshot
from assistant.render.markdown import md_code, md_text
from assistant.render.safe import clean

# Collections compared, with the id field and a word for the resource.
_COMPARED: dict[str, tuple[str, str]] = {
    "Vpcs": ("VpcId", "VPC"),
    "Subnets": ("SubnetId", "subnet"),
    "RouteTables": ("RouteTableId", "route table"),
    "InternetGateways": ("InternetGatewayId", "internet gateway"),
    "EgressOnlyInternetGateways": ("EgressOnlyInternetGatewayId", "egress-only gateway"),
    "NatGateways": ("NatGatewayId", "NAT gateway"),
    "Addresses": ("AllocationId", "Elastic IP"),
    "VpcEndpoints": ("VpcEndpointId", "VPC endpoint"),
    "VpcPeeringConnections": ("VpcPeeringConnectionId", "peering connection"),
    "Instances": ("InstanceId", "instance"),
    "SecurityGroups": ("GroupId", "security group"),
    "NetworkAcls": ("NetworkAclId", "network ACL"),
    "LoadBalancers": ("LoadBalancerArn", "load balancer"),
    "Listeners": ("ListenerArn", "listener"),
    "TargetGroups": ("TargetGroupArn", "target group"),
    "FlowLogs": ("FlowLogId", "flow log"),
}
# Fields that change without meaning anything for connectivity (tags are compared apart).
_IGNORED = {"NetworkInterfaces", "AvailableIpAddressCount", "Tags", "TagSet", "Placement"}


def identity(f: Finding) -> tuple[str, tuple[str, ...]]:
    """A finding's identity across runs: its rule and the set of resources it names."""
    return (f.rule, tuple(sorted(set(f.resources))))


def _not_run(d: Diagnosis) -> set[str]:
    """Rules the diagnosis could not evaluate (their data was missing or unreadable)."""
    return {r for n in d.not_checked for r in n.rules}


@dataclass
class DiffResult:
    fixed: list[Finding] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)
    # Findings on one side whose rule could not run on the other: neither fixed nor introduced.
    not_comparable: list[Finding] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    before: Diagnosis | None = None
    after: Diagnosis | None = None

    def to_dict(self) -> dict[str, Any]:
        def brief(f: Finding) -> dict[str, Any]:
            return {
                "rule": f.rule,
                "severity": f.severity.value,
                "title": f.title,
                "resources": sorted(f.resources),
            }

        return {
            "fixed": [brief(f) for f in self.fixed],
            "introduced": [brief(f) for f in self.introduced],
            "unchanged": [brief(f) for f in self.unchanged],
            "not_comparable": [brief(f) for f in self.not_comparable],
            "changes": self.changes,
        }


def _item_text(name: str, item: Any) -> str:
    """A compact description of one list item (a route, a rule, an entry...)."""
    if not isinstance(item, dict):
        return str(item)
    if name == "Routes":
        dest = (
            item.get("DestinationCidrBlock")
            or item.get("DestinationIpv6CidrBlock")
            or item.get("DestinationPrefixListId")
        )
        target = next(
            (
                v
                for k, v in item.items()
                if v and k.endswith("Id") and not k.startswith("Destination")
            ),
            None,
        ) or item.get("GatewayId")
        state = item.get("State")
        return f"{dest} -> {target}" + (f" ({state})" if state and state != "active" else "")
    if name in ("IpPermissions", "IpPermissionsEgress"):
        proto = item.get("IpProtocol")
        ports = "all" if proto == "-1" else f"{item.get('FromPort')}-{item.get('ToPort')}"
        peers = [r.get("CidrIp") for r in item.get("IpRanges", [])]
        peers += [r.get("CidrIpv6") for r in item.get("Ipv6Ranges", [])]
        peers += [g.get("GroupId") for g in item.get("UserIdGroupPairs", [])]
        proto_name = {"-1": "all", "6": "tcp", "17": "udp"}.get(proto, proto)
        return f"{proto_name} {ports} {'from' if name == 'IpPermissions' else 'to'} " + ", ".join(
            p for p in peers if p
        )
    if name == "Entries":
        pr = item.get("PortRange") or {}
        ports = f" {pr.get('From')}-{pr.get('To')}" if pr else ""
        return (
            f"{'outbound' if item.get('Egress') else 'inbound'} rule {item.get('RuleNumber')}"
            f" {item.get('RuleAction')} proto {item.get('Protocol')}{ports} "
            f"{item.get('CidrBlock') or item.get('Ipv6CidrBlock')}"
        )
    if name == "Associations":
        if item.get("Main"):
            return "main association"
        return f"association with {item.get('SubnetId') or item.get('GatewayId')}"
    if name == "Attachments":
        return f"attachment to {item.get('VpcId')} ({item.get('State')})"
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()


def _normal(item: Any) -> bytes:
    if isinstance(item, dict):
        item = {
            k: v
            for k, v in item.items()
            if k not in ("RouteTableAssociationId", "NetworkAclAssociationId", "AssociationState")
        }
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)


def _tags(item: dict[str, Any]) -> dict[str, str]:
    tags = item.get("Tags") or item.get("TagSet") or []
    return {str(t.get("Key")): str(t.get("Value", "")) for t in tags if isinstance(t, dict)}


def _tag_changes(word: str, rid: str, x: dict[str, Any], y: dict[str, Any]) -> list[str]:
    """Tag edits on one resource: a rename of its Name is a change a reader must see."""
    tx, ty = _tags(x), _tags(y)
    out = []
    for k in sorted(set(tx) | set(ty)):
        if k not in ty:
            out.append(f"{word} {rid}: tag {k} removed (was {tx[k]!r})")
        elif k not in tx:
            out.append(f"{word} {rid}: tag {k} added ({ty[k]!r})")
        elif tx[k] != ty[k]:
            out.append(f"{word} {rid}: tag {k} {tx[k]!r} -> {ty[k]!r}")
    return out


def config_changes(a: Snapshot, b: Snapshot) -> list[str]:
    """The configuration changes between two snapshots, one line each."""
    out: list[str] = []
    for coll, (id_key, word) in _COMPARED.items():
        if a.has(coll) != b.has(coll):
            side = "before" if a.has(coll) else "after"
            out.append(f"{coll}: read only in the {side} snapshot; not compared")
            continue
        if not (a.has(coll) and b.has(coll)):
            continue
        before = {
            getattr(x, id_key): x.model_dump(mode="json", exclude_none=True)
            for x in getattr(a, coll)
        }
        after = {
            getattr(x, id_key): x.model_dump(mode="json", exclude_none=True)
            for x in getattr(b, coll)
        }
        for rid in sorted(set(after) - set(before)):
            out.append(f"{word} {rid} added")
        for rid in sorted(set(before) - set(after)):
            out.append(f"{word} {rid} removed")
        for rid in sorted(set(before) & set(after)):
            x, y = before[rid], after[rid]
            out += _tag_changes(word, rid, x, y)
            for k in sorted(set(x) | set(y)):
                if k in _IGNORED or x.get(k) == y.get(k):
                    continue
                vx, vy = x.get(k), y.get(k)
                if isinstance(vx, list) or isinstance(vy, list):
                    old = {_normal(i): i for i in vx or []}
                    new = {_normal(i): i for i in vy or []}
                    for n in sorted(new.keys() - old.keys()):
                        out.append(f"{word} {rid}: {k} added {_item_text(k, new[n])}")
                    for n in sorted(old.keys() - new.keys()):
                        out.append(f"{word} {rid}: {k} removed {_item_text(k, old[n])}")
                elif isinstance(vx, dict) or isinstance(vy, dict):
                    out.append(f"{word} {rid}: {k} changed")
                else:
                    out.append(f"{word} {rid}: {k} {vx} -> {vy}")
    return out


def diff(a: Snapshot, b: Snapshot, vpc_ids: list[str] | None = None) -> DiffResult:
    """Diagnose both snapshots and compare: fixed, introduced, unchanged, and why."""
    da, db = diagnose(a, vpc_ids=vpc_ids), diagnose(b, vpc_ids=vpc_ids)
    ka = {identity(f): f for f in da.findings}
    kb = {identity(f): f for f in db.findings}
    blind_a, blind_b = _not_run(da), _not_run(db)
    gone = [f for k, f in ka.items() if k not in kb]
    new = [f for k, f in kb.items() if k not in ka]

    def order(fs: list[Finding]) -> list[Finding]:
        return sorted(fs, key=lambda f: (-f.severity.rank, identity(f)))

    return DiffResult(
        fixed=order([f for f in gone if f.rule not in blind_b]),
        introduced=order([f for f in new if f.rule not in blind_a]),
        unchanged=order([f for k, f in kb.items() if k in ka]),
        not_comparable=order(
            [f for f in gone if f.rule in blind_b] + [f for f in new if f.rule in blind_a]
        ),
        changes=config_changes(a, b),
        before=da,
        after=db,
    )


def render_diff_text(r: DiffResult) -> str:
    lines = []
    for label, items in _sections(r):
        lines.append(f"{label} ({len(items)})")
        for f in items:
            lines.append(f"  {f.severity.value.upper():<8} {clean(f.rule)}  {clean(f.title, 1000)}")
        lines.append("")
    lines.append(f"Configuration changes ({len(r.changes)})")
    lines += [f"  {clean(c, 1000)}" for c in r.changes] or ["  none"]
    lines.append("")
    verdict = "introduced new findings" if r.introduced else "introduced no new findings"
    tail = (
        f"Summary: {len(r.fixed)} fixed, {len(r.introduced)} introduced, "
        f"{len(r.unchanged)} unchanged"
    )
    if r.not_comparable:
        tail += f", {len(r.not_comparable)} not comparable (data on one side only)"
    lines.append(f"{tail}; the change {verdict}")
    return "\n".join(lines) + "\n"


def _sections(r: DiffResult) -> list[tuple[str, list[Finding]]]:
    out = [("Fixed", r.fixed), ("Introduced", r.introduced), ("Unchanged", r.unchanged)]
    if r.not_comparable:
        out.append(("Not comparable", r.not_comparable))
    return out


def render_diff_markdown(r: DiffResult) -> str:
    out = ["# VPC diagnosis: before and after", ""]
    out.append(
        f"**Summary:** {len(r.fixed)} fixed, {len(r.introduced)} introduced, "
        f"{len(r.unchanged)} unchanged"
        + (f", {len(r.not_comparable)} not comparable." if r.not_comparable else ".")
    )
    out.append("")
    for label, items in _sections(r):
        out += [f"## {label} ({len(items)})", ""]
        out += [
            f"- **{f.severity.value.upper()}** {md_code(f.rule)}: {md_text(f.title)}" for f in items
        ]
        out.append("")
    out += [f"## Configuration changes ({len(r.changes)})", ""]
    out += [f"- {md_text(c)}" for c in r.changes] or ["- none"]
    return "\n".join(out) + "\n"
