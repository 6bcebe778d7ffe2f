"""Missing is unknown: less input never adds a finding of medium or higher.

For the demo and every rule scenario, deleting a whole collection (not read, or read but
filtered to nothing), or keeping only a random subset of a collection other resources refer
to, may remove findings, lower their severity or add ``not_checked`` entries; it never adds a
medium-or-higher finding. A finding of the reduced input is accounted for when the full input
has a finding of the same rule, at least as severe, naming every resource it names.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine import diagnose
from assistant.models.finding import Diagnosis, Finding
from assistant.models.snapshot import COLLECTIONS, Snapshot
from assistant.sources.demo import demo_snapshot
from tests.rules.scenarios import CASES, SEVERITIES


def _scenarios() -> dict[str, object]:
    out: dict[str, object] = {"demo": demo_snapshot}
    for rid, (fires, misses) in CASES.items():
        for kind, fns in (("fire", fires), ("miss", misses)):
            for i, fn in enumerate(fns):
                out.setdefault(f"{rid}:{kind}{i}", fn)
    for rid, fn, sev in SEVERITIES:
        out.setdefault(f"{rid}:{sev}", fn)
    # the same scenario function listed under several rules is run once
    seen: set[int] = set()
    unique = {}
    for name, fn in out.items():
        if id(fn) not in seen:
            seen.add(id(fn))
            unique[name] = fn
    return unique


SCENARIOS = _scenarios()
NAMES = sorted(SCENARIOS)
# Collections other resources refer to by id (routes, subnets, groups, attachments).
REFERRED = (
    "InternetGateways",
    "NatGateways",
    "Instances",
    "NetworkInterfaces",
    "Subnets",
    "SecurityGroups",
    "VpcPeeringConnections",
    "TransitGateways",
    "TargetGroups",
)
_full: dict[str, Diagnosis] = {}


def _snap(name: str) -> Snapshot:
    return SCENARIOS[name]()  # type: ignore[operator]


def _baseline(name: str) -> Diagnosis:
    if name not in _full:
        _full[name] = diagnose(_snap(name))
    return _full[name]


def _accounted(f: Finding, full: Diagnosis) -> bool:
    return any(
        g.rule == f.rule
        and g.severity.rank >= f.severity.rank
        and set(f.resources) <= set(g.resources)
        for g in full.findings
    )


def _new_findings(full: Diagnosis, reduced: Diagnosis) -> list[str]:
    return [
        f"{f.severity.value} {f.rule} {f.resources}"
        for f in reduced.findings
        if f.severity.rank >= 2 and not _accounted(f, full)
    ]


def _drop(snap: Snapshot, coll: str, provided: bool) -> Snapshot:
    s = snap.model_copy(deep=True)
    value = getattr(s, coll)
    setattr(s, coll, type(value)())
    if not provided:
        s.provided = [p for p in s.provided if p != coll]
    return s


@pytest.mark.parametrize("name", NAMES)
def test_deleting_a_collection_adds_no_finding(name):
    full = _baseline(name)
    snap = _snap(name)
    for coll in COLLECTIONS:
        if not getattr(snap, coll, None) and coll not in snap.provided:
            continue
        for provided in (False, True):
            reduced = diagnose(_drop(snap, coll, provided))
            new = _new_findings(full, reduced)
            how = "filtered to nothing" if provided else "not read"
            assert not new, f"{name}: {coll} {how} adds {new}"


def _keep(snap: Snapshot, coll: str, mask: list[bool]) -> Snapshot:
    s = snap.model_copy(deep=True)
    value = getattr(s, coll)
    if isinstance(value, dict):
        keys = sorted(value)
        setattr(s, coll, {k: value[k] for k, keep in zip(keys, mask, strict=False) if keep})
    else:
        setattr(s, coll, [x for x, keep in zip(value, mask, strict=False) if keep])
    return s


@pytest.mark.parametrize("coll", REFERRED)
@settings(derandomize=True, max_examples=25, deadline=None)
@given(data=st.data())
def test_a_subset_of_a_referred_collection_adds_no_finding(coll, data):
    candidates = [n for n in NAMES if len(getattr(_snap(n), coll, None) or ()) > 0]
    if not candidates:
        return
    name = data.draw(st.sampled_from(candidates), label="scenario")
    snap = _snap(name)
    n = len(getattr(snap, coll))
    mask = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="keep")
    reduced = diagnose(_keep(snap, coll, mask))
    new = _new_findings(_baseline(name), reduced)
    assert not new, f"{name}: keeping {mask} of {coll} adds {new}"


def test_missing_targets_are_named_in_not_checked():
    """The four reproductions of the issue: each becomes not_checked, never a finding."""
    demo = demo_snapshot()
    full = diagnose(demo)
    for coll in ("InternetGateways", "NatGateways"):
        d = diagnose(_drop(demo, coll, provided=True))
        assert not _new_findings(full, d)
        assert any("route targets not in the snapshot" in n.what for n in d.not_checked), coll
    subnet = next(s for lb in demo.LoadBalancers for s in lb.subnet_ids)
    s = demo.model_copy(deep=True)
    s.Subnets = [x for x in s.Subnets if x.SubnetId != subnet]
    d = diagnose(s)
    assert not [f for f in d.findings if f.rule == "ingress.lb-in-private-subnets"]
    assert any(subnet in n.what and n.rules for n in d.not_checked)


def test_nat_instance_missing_from_instances_is_no_blackhole():
    from tests.rules.scenarios import nat_instance

    snap = nat_instance(False)
    target = next(r.InstanceId for rt in snap.RouteTables for r in rt.Routes if r.InstanceId)
    s = snap.model_copy(deep=True)
    s.Instances = [i for i in s.Instances if i.InstanceId != target]
    d = diagnose(s)
    assert not [f for f in d.findings if f.rule == "egress.route-blackhole"]
    assert any(target in n.what for n in d.not_checked)
    # a NAT instance present but terminated is gone
    s2 = snap.model_copy(deep=True)
    for i in s2.Instances:
        if i.InstanceId == target:
            i.State.Name = "terminated"
    assert [f for f in diagnose(s2).findings if f.rule == "egress.route-blackhole"]


def test_diagnosis_says_how_much_was_not_checked():
    demo = demo_snapshot()
    assert diagnose(demo).rules_not_evaluated == []
    only_routes = demo.model_copy(deep=True)
    only_routes.provided = ["RouteTables"]
    d = diagnose(only_routes)
    assert d.rules_total >= 30 and d.mostly_unchecked
    assert set(d.rules_not_evaluated) >= {"nat.in-private-subnet", "exposure.sg-open-admin-port"}
