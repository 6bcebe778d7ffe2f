"""Decide intents with the trace, exhaustively.

For every source class and destination class the intent selects (see
:mod:`assistant.intents.select`), and for every port interval the configuration cannot tell
apart, one trace answers for every endpoint pair and every port it stands for. Port intervals
come from the boundaries of every port range that security group rules, network ACL entries and
listeners name: between two boundaries every port meets the same rules, so one port decides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from assistant.intents.model import FORBID, Intent
from assistant.intents.select import Catalog, Member
from assistant.models.finding import Diagnosis
from assistant.models.snapshot import Snapshot
from assistant.policy import proto_number, sg_match
from assistant.trace.endpoints import LB, Endpoint
from assistant.trace.model import (
    FAIL,
    FORWARD,
    NOT_REACHABLE,
    PASS,
    REACHABLE,
    RETURN,
    UNDECIDED,
    Hop,
)
from assistant.trace.model import Trace as TraceResult
from assistant.trace.tracer import Tracer

HOLDS, VIOLATED, UNDECIDED_STATUS = "holds", "violated", "undecided"
EXAMPLES = 5
_RULE_LINK_PORTS = (22, 80, 443, 3389)  # ports the trace's rule links single out
# Hops whose verdict does not depend on the destination port: routes, gateways, addresses,
# the instance's state. (Reply hops through network ACLs check the ephemeral ports 1024-65535
# whatever the destination port.) When one of them blocks, every port is blocked.
_PORT_FREE_STEPS = frozenset(
    {
        "instance state",
        "public IP",
        "internet gateway",
        "route table",
        "route table (reply)",
        "NAT gateway",
        "NAT gateway's route table",
    }
)


def blocked_on_every_port(t: TraceResult) -> bool:
    """Whether the trace fails at a hop that would fail on any destination port."""
    return any(
        h.status == FAIL
        and (
            h.step in _PORT_FREE_STEPS
            or (h.direction == RETURN and h.step.startswith(("network ACL", "route table")))
        )
        for h in t.hops
    )


@dataclass
class Pair:
    """A source and destination (one of many alike) and the ports where the intent breaks."""

    source: str
    destination: str
    protocol: str
    ports: list[tuple[int, int]]

    def text(self) -> str:
        ports = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in self.ports)
        return f"{self.source} -> {self.destination} on {self.protocol} {ports}"


@dataclass
class FixSuggestion:
    """The hop to change: the one that lets a forbidden flow through, or blocks a required one."""

    hop: Hop
    action: str
    cli: list[str] = field(default_factory=list)
    rule: str | None = None  # catalogue rule whose finding's fix applies


@dataclass
class IntentResult:
    """The verdict on one intent, with the evidence."""

    intent: Intent
    status: str = HOLDS
    pairs: int = 0  # endpoint pairs the intent covers
    broken: int = 0  # of those, the pairs that break it on some port
    undecided: int = 0  # pairs the snapshot cannot decide (and none broke it)
    traces: int = 0  # traces run
    examples: list[Pair] = field(default_factory=list)
    evidence: TraceResult | None = None
    fix: FixSuggestion | None = None
    notes: list[str] = field(default_factory=list)


def port_boundaries(snapshot: Snapshot) -> list[int]:
    """Where a port range of some rule starts or ends (+1): the ports in between behave alike."""
    cuts: set[int] = {1, 65536}
    for g in snapshot.SecurityGroups:
        for p in [*g.IpPermissions, *g.IpPermissionsEgress]:
            if proto_number(p.IpProtocol) in ("6", "17"):
                lo, hi = p.port_range()
                cuts |= {lo, hi + 1}
    for a in snapshot.NetworkAcls:
        for e in a.Entries:
            if e.PortRange is not None and proto_number(e.Protocol) in ("6", "17"):
                lo = e.PortRange.From if e.PortRange.From is not None else 0
                hi = e.PortRange.To if e.PortRange.To is not None else 65535
                cuts |= {lo, hi + 1}
    for lis in snapshot.Listeners:
        if lis.Port:
            cuts |= {lis.Port, lis.Port + 1}
    for p in _RULE_LINK_PORTS:
        cuts |= {p, p + 1}
    return sorted(c for c in cuts if 1 <= c <= 65536)


def split(lo: int, hi: int, cuts: list[int]) -> list[tuple[int, int]]:
    """[lo, hi] cut at every boundary inside it."""
    edges = [lo] + [c for c in cuts if lo < c <= hi] + [hi + 1]
    return [(a, b - 1) for a, b in itertools.pairwise(edges) if b > a]


class Checker:
    """Checks intents against one snapshot; indexes and traces are built once and reused."""

    def __init__(self, snapshot: Snapshot, diagnosis: Diagnosis | None = None):
        self.snapshot = snapshot
        self.tracer = Tracer(snapshot)
        self.catalog = Catalog(snapshot, self.tracer.resolver)
        self.cuts = port_boundaries(snapshot)
        self._diagnosis = diagnosis
        self._by_vpc: dict[tuple[str, ...], Diagnosis] = {}

    def diagnosis(self, vpc_ids: list[str]) -> Diagnosis:
        """The scan's findings, for their fix steps: the whole diagnosis when one was given,
        else a scan of the VPCs the evidence crosses only (much cheaper on a large account)."""
        if self._diagnosis is not None:
            return self._diagnosis
        key = tuple(sorted(set(vpc_ids)))
        if key not in self._by_vpc:
            from assistant.engine import diagnose

            self._by_vpc[key] = diagnose(self.snapshot, vpc_ids=list(key) or None)
        return self._by_vpc[key]

    def check(self, intents: list[Intent]) -> list[IntentResult]:
        return [self.check_one(i) for i in intents]

    def check_one(self, intent: Intent) -> IntentResult:
        res = IntentResult(intent)
        forbid = intent.kind == FORBID
        where = intent.ref
        srcs = self.catalog.select(intent.source, f"{where}.from", exhaustive_internet=forbid)
        dsts = self.catalog.select(intent.dest, f"{where}.to", exhaustive_internet=forbid)
        lbs = [x for x in srcs if isinstance(x, Member) and x.ep.kind == LB]
        if lbs:
            res.notes.append(
                f"{len(lbs)} load balancer(s) in `from` are left out: a load balancer is only "
                "traced as a destination (its targets are traced through it)"
            )
            srcs = [x for x in srcs if x not in lbs]
        if not srcs or not dsts:
            side = "from" if not srcs else "to"
            res.notes.append(f"`{side}` selects no endpoint in the snapshot")
            if not forbid:
                res.status = UNDECIDED_STATUS
            return res
        self._note_lb_targets(res, dsts)
        src_classes = _classes(srcs)
        dst_classes = _classes(dsts)
        first_bad: tuple[TraceResult, Endpoint, Endpoint] | None = None
        first_unknown: TraceResult | None = None
        for (_, s_members), (_, d_members) in itertools.product(
            src_classes.items(), dst_classes.items()
        ):
            a, b, n = _representatives(s_members, d_members)
            if n == 0 or a is None or b is None:
                continue
            if a.outside and b.outside:
                continue
            res.pairs += n
            bad_ports: dict[str, list[tuple[int, int]]] = {}
            unknown = False
            for proto in intent.protocols:
                intervals = [iv for lo, hi in intent.ports for iv in split(lo, hi, self.cuts)]
                for plo, phi, t in self._decide(a, b, proto, intervals, res):
                    broke = t.verdict == REACHABLE if forbid else t.verdict == NOT_REACHABLE
                    if broke:
                        bad_ports.setdefault(t.protocol, []).append((plo, phi))
                        if first_bad is None:
                            first_bad = (t, a, b)
                    elif t.verdict == UNDECIDED:
                        unknown = True
                        first_unknown = first_unknown or t
            if bad_ports:
                res.broken += n
                for proto_name, ports in bad_ports.items():
                    for sa, db in _member_pairs(s_members, d_members):
                        if len(res.examples) >= EXAMPLES:
                            break
                        res.examples.append(Pair(_label(sa), _label(db), proto_name, _merge(ports)))
            elif unknown:
                res.undecided += n
        if res.broken:
            res.status = VIOLATED
            assert first_bad is not None
            t, a, b = first_bad
            res.evidence = t
            res.fix = self._fix(t, a, b, forbid)
        elif res.undecided:
            res.status = UNDECIDED_STATUS
            res.evidence = first_unknown
            res.notes.append(
                f"{res.undecided} pair(s) cannot be decided from the snapshot (hops marked ?)"
            )
        return res

    def _note_lb_targets(self, res: IntentResult, dsts: list[Member | Endpoint]) -> None:
        """Say which destinations also sit behind a load balancer: a flow through it is judged
        when the intent names the load balancer (its listeners, groups and targets are traced
        then), not here."""
        ids = {x.ep.id for x in dsts if isinstance(x, Member)}
        behind: dict[str, set[str]] = {}
        names = {lb.LoadBalancerArn: lb.LoadBalancerName for lb in self.snapshot.LoadBalancers}
        arn_of_tg = {
            tg.TargetGroupArn: [names.get(a, a) for a in tg.LoadBalancerArns]
            for tg in self.snapshot.TargetGroups
        }
        for tg_arn, descs in self.snapshot.TargetHealth.items():
            for d in descs:
                if d.Target.Id in ids:
                    for lb in arn_of_tg.get(tg_arn, []):
                        behind.setdefault(lb, set()).add(d.Target.Id)
        if behind:
            lbs = ", ".join(sorted(behind))
            n = len(set().union(*behind.values()))
            res.notes.append(
                f"{n} destination(s) are targets of load balancer {lbs}: flows through it are "
                f'checked when `to` names it (to = "{sorted(behind)[0]}")'
            )

    def _decide(
        self,
        a: Endpoint,
        b: Endpoint,
        proto: str,
        intervals: list[tuple[int, int]],
        res: IntentResult,
    ) -> list[tuple[int, int, TraceResult]]:
        """One trace per port interval; once a trace is blocked at a hop no port can pass,
        that trace decides every interval left."""
        out = []
        for n, (lo, hi) in enumerate(intervals):
            t = self.tracer.trace_endpoints(a, b, lo, proto)
            res.traces += 1
            if b.kind != LB and blocked_on_every_port(t):
                out += [(x, y, t) for x, y in intervals[n:]]
                break
            out.append((lo, hi, t))
        return out

    # -- the hop to change -------------------------------------------------------------------
    def _fix(self, t: TraceResult, src: Endpoint, dst: Endpoint, forbid: bool) -> FixSuggestion:
        from assistant.trace.fixes import attach_fixes

        if any(h.rule for h in t.hops):
            attach_fixes(t, self.diagnosis([v for v in (src.vpc_id, dst.vpc_id) if v]))
        if forbid:
            hop = _allowing_hop(t)
            fix = FixSuggestion(
                hop, f"{hop.step} at {hop.where} lets it through: {hop.detail}", rule=hop.rule
            )
            if hop.step == "security group ingress":
                self._revoke(fix, t, src, dst)
            return fix
        hop = t.blocked[0]
        return FixSuggestion(
            hop, f"{hop.step} at {hop.where} blocks it: {hop.detail}", rule=hop.rule
        )

    def _revoke(self, fix: FixSuggestion, t: TraceResult, src: Endpoint, dst: Endpoint) -> None:
        """The exact rule of the destination's group that lets the flow in, and its removal."""
        groups = [self.tracer.topo.sgs[g] for g in dst.group_ids or [] if g in self.tracer.topo.sgs]
        m = sg_match(groups, True, proto_number(t.protocol), t.port, src.peer, src.group_ids or ())
        if m is None:
            return
        p = m.permission
        lo, hi = p.port_range()
        proto = "all" if proto_number(p.IpProtocol) == "-1" else p.IpProtocol
        args = f"--group-id {m.group.GroupId} --protocol {proto}"
        if proto != "all":
            args += f" --port {lo}" if lo == hi else f" --port {lo}-{hi}"
        if m.source.startswith("sg-"):
            args += f" --source-group {m.source}"
        else:
            args += f" --cidr {m.source}"
        fix.action = (
            f"Remove (or narrow) the rule of {m.group.GroupId} that lets this in: "
            f"{m.describe(True)}"
        )
        fix.cli = [f"aws ec2 revoke-security-group-ingress {args}"]


def _allowing_hop(t: TraceResult) -> Hop:
    """The forward hop that lets the flow through and is the narrowest to close: the
    destination's security group, else a network ACL, else the last forward hop that passed."""
    forward = [h for h in t.hops if h.status == PASS and h.direction == FORWARD]
    for prefix in ("security group ingress", "network ACL inbound", "security group"):
        found = [h for h in forward if h.step.startswith(prefix)]
        if found:
            return found[-1]
    return forward[-1] if forward else t.hops[-1]


def _label(x: Member | Endpoint) -> str:
    return x.ep.label if isinstance(x, Member) else x.label


def _endpoint(x: Member | Endpoint) -> Endpoint:
    return x.ep if isinstance(x, Member) else x


def _classes(items: list[Member | Endpoint]) -> dict[tuple, list[Member | Endpoint]]:
    out: dict[tuple, list[Member | Endpoint]] = {}
    for x in items:
        key = x.key if isinstance(x, Member) else ("internet", x.id)
        out.setdefault(key, []).append(x)
    return out


def _same(a: Member | Endpoint, b: Member | Endpoint) -> bool:
    return _endpoint(a).id == _endpoint(b).id


def _representatives(
    srcs: list[Member | Endpoint], dsts: list[Member | Endpoint]
) -> tuple[Endpoint | None, Endpoint | None, int]:
    """A pair of distinct endpoints standing for the class pair, and how many pairs it covers."""
    dst_ids = {_endpoint(d).id for d in dsts}
    both = sum(1 for s in srcs if _endpoint(s).id in dst_ids)
    n = len(srcs) * len(dsts) - both
    for s in srcs:
        for d in dsts:
            if not _same(s, d):
                return _endpoint(s), _endpoint(d), n
    return None, None, 0


def _member_pairs(srcs: list[Member | Endpoint], dsts: list[Member | Endpoint]):
    for s in srcs:
        for d in dsts:
            if not _same(s, d):
                yield s, d


def _merge(ports: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(ports):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(a, b) for a, b in out]


def check_intents(
    snapshot: Snapshot, intents: list[Intent], diagnosis: Diagnosis | None = None
) -> list[IntentResult]:
    """Every intent's verdict on the snapshot."""
    return Checker(snapshot, diagnosis).check(intents)


__all__ = [
    "HOLDS",
    "UNDECIDED_STATUS",
    "VIOLATED",
    "Checker",
    "IntentResult",
    "check_intents",
    "port_boundaries",
    "split",
]
