"""tgw.no-return-route: one finding per route table (and transit gateway), listing the source
VPCs whose replies the table sends astray, with one route to add (or to replace) per range."""

from __future__ import annotations

from assistant.engine import diagnose
from assistant.sources.builder import Builder, hub_and_spoke
from tests.trace.network_scenarios import _drop_route

RULE = "tgw.no-return-route"


def _hub(spokes: int, seed: str):
    b = Builder(seed=seed)
    h = hub_and_spoke(b, spokes=spokes)
    _drop_route(b, h["egress_public_rt"], "10.0.0.0/8")  # the NAT's table forgets the spokes
    return b, h


def _mine(snap):
    return [f for f in diagnose(snap).findings if f.rule == RULE]


def _commands(finding) -> list[str]:
    return [c for step in finding.fix for c in step.cli]


def test_one_finding_per_table_lists_every_source():
    b, h = _hub(4, "ret-4")
    (f,) = _mine(b.snapshot())
    spokes = [s["vpc"] for s in h["spokes"]]
    assert f.resources[:2] == [h["egress_public_rt"], h["egress_vpc"]]
    assert set(f.resources[2:]) == set(spokes)
    assert "4 VPC(s)" in f.title and "and 1 more" in f.title
    cmds = _commands(f)
    assert sorted(cmds) == sorted(
        f"aws ec2 create-route --route-table-id {h['egress_public_rt']} --destination-cidr-block "
        f"10.{k}.0.0/16 --transit-gateway-id {h['tgw']}"
        for k in range(1, 5)
    )


def test_a_source_with_its_own_route_elsewhere_is_replaced_not_added():
    b, h = _hub(3, "ret-replace")
    b.route(h["egress_public_rt"], "10.2.0.0/16", h["igw"])  # exact route, wrong target
    (f,) = _mine(b.snapshot())
    cmds = _commands(f)
    assert [c for c in cmds if "replace-route" in c] == [
        f"aws ec2 replace-route --route-table-id {h['egress_public_rt']} --destination-cidr-block "
        f"10.2.0.0/16 --transit-gateway-id {h['tgw']}"
    ]
    added = sorted(
        c.split("--destination-cidr-block ")[1].split()[0] for c in cmds if "create" in c
    )
    assert added == ["10.1.0.0/16", "10.3.0.0/16"]


def test_sources_whose_replies_come_back_are_not_listed():
    b, h = _hub(3, "ret-partial")
    for k in (1, 3):
        b.route(h["egress_public_rt"], f"10.{k}.0.0/16", h["tgw"])
    (f,) = _mine(b.snapshot())
    assert f.resources[2:] == [h["spokes"][1]["vpc"]]
    assert "1 VPC(s)" in f.title


def test_near_miss_every_reply_comes_back():
    b, h = _hub(3, "ret-miss")
    b.route(h["egress_public_rt"], "10.0.0.0/8", h["tgw"])
    assert _mine(b.snapshot()) == []
