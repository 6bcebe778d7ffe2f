"""Paths between accounts of one organisation-wide read, traced in the combined snapshot.

moto does not share transit gateways through RAM, so each account's view is cut from a
built hub-and-spoke as AWS shows it: the hub account owns the transit gateway, its route
tables and every attachment; a spoke account in another account sees the shared gateway and
its own VPC's attachment only. The views are combined exactly as `--accounts` combines the
accounts it read.
"""

from __future__ import annotations

from assistant.engine import diagnose
from assistant.engine.diagnose import focus
from assistant.models.snapshot import COLLECTIONS, Snapshot
from assistant.sources.builder import Builder, hub_and_spoke
from assistant.sources.org import Account, _Result, annotate, combine
from assistant.trace import REACHABLE, Tracer

HUB, SPOKE = "111111111111", "222222222222"


def _view(snap: Snapshot, vpcs: list[str], account: str, owns_tgw: bool) -> Snapshot:
    """What a read inside ``account`` returns: its VPCs, and the hub as RAM shows it."""
    s = focus(snap, vpcs).model_copy(deep=True)
    if owns_tgw:  # the owner lists every attachment to its gateway, whoever's VPC
        s.TransitGatewayAttachments = [x.model_copy() for x in snap.TransitGatewayAttachments]
    else:  # a member sees the shared gateway, not its route tables
        s.TransitGatewayRouteTables = []
        s.TransitGatewayRouteTableAssociations = {}
        s.TransitGatewayRouteTablePropagations = {}
        s.TransitGatewayRoutes = {}
    for coll in COLLECTIONS:
        items = getattr(s, coll)
        for x in items if isinstance(items, list) else []:
            if hasattr(x, "account"):
                x.account = HUB if coll == "TransitGateways" else account
    s.account_id = account
    return s


def _org() -> tuple[Snapshot, dict, list[_Result]]:
    b = Builder(seed="org-shared-tgw")
    h = hub_and_spoke(b, spokes=2)
    full = b.snapshot()
    spoke = h["spokes"][1]["vpc"]
    hub_vpcs = [v.VpcId for v in full.Vpcs if v.VpcId != spoke]
    views = [
        _Result(Account(HUB, "network"), _view(full, hub_vpcs, HUB, owns_tgw=True)),
        _Result(Account(SPOKE, "payments"), _view(full, [spoke], SPOKE, owns_tgw=False)),
    ]
    return full, h, views


def test_a_transit_gateway_shared_with_another_account_is_traced_across_accounts():
    full, h, views = _org()
    src, dst = h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0]
    assert Tracer(full).trace(src, dst, 443).verdict == REACHABLE  # the oracle: one account
    both = combine(views, ["us-east-1"])
    assert len(both.TransitGateways) == 1  # seen from both accounts: one gateway
    for a, z in ((src, dst), (dst, src)):
        t = Tracer(both).trace(a, z, 443)
        assert t.verdict == REACHABLE, [(x.step, x.detail) for x in t.hops]
        assert any("transit gateway" in x.step for x in t.hops)
    # near miss: the spoke account alone has no route tables of the gateway: never reachable
    alone = combine(views[1:], ["us-east-1"])
    assert Tracer(alone).trace(dst, "10.1.1.10", 443).verdict != REACHABLE


def test_findings_of_the_combined_read_name_their_account():
    _, h, views = _org()
    both = combine(views, ["us-east-1"])
    assert [a.Id for a in both.accounts] == [HUB, SPOKE]
    d = annotate(diagnose(both), both)
    assert d.findings, "the built hub has findings (flow logs at least)"
    spoke_vpc = h["spokes"][1]["vpc"]
    for f in d.findings:
        assert f.account in (HUB, SPOKE)
        if f.vpc_id:
            assert (f.account == SPOKE) == (f.vpc_id == spoke_vpc), f
    by = {a.account: a for a in d.accounts}
    assert by[SPOKE].vpcs == 1 and by[HUB].vpcs == len(both.Vpcs) - 1
    assert sum(sum(a.counts.values()) for a in d.accounts) == len(d.findings)


def test_an_account_not_read_is_a_line_and_takes_nothing_else_away():
    _, h, views = _org()
    lost = _Result(Account("333333333333", "sandbox"), reason="could not assume role: denied")
    with_lost = combine([*views, lost], ["us-east-1"])
    without = combine(views, ["us-east-1"])
    (line,) = [n for n in with_lost.not_checked if n.what == "account 333333333333"]
    assert "denied" in line.reason
    assert with_lost.accounts[-1].status == "not checked"
    d1, d2 = diagnose(with_lost), diagnose(without)
    assert [(f.rule, f.resources) for f in d1.findings] == [
        (f.rule, f.resources) for f in d2.findings
    ]
