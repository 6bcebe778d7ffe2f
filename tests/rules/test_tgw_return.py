"""tgw.no-return-route: one finding per route table (and transit gateway), listing the source
VPCs whose replies the table sends astray, with one summary route to add when one can stand
for theirs, else one route to add (or to replace) per range."""

from __future__ import annotations

import ipaddress

from assistant.engine import diagnose
from assistant.sources.builder import Builder, hub_and_spoke
from tests.trace.network_scenarios import _drop_route

RULE = "tgw.no-return-route"


def _hub(spokes: int, seed: str):
    b = Builder(seed=seed)
    h = hub_and_spoke(b, spokes=spokes)
    _drop_route(b, h["egress_public_rt"], "10.0.0.0/8")  # the NAT's table forgets the spokes
    return b, h


def _small_hub(seed: str, spokes: list[str], egress: str = "10.0.0.0/16"):
    """An egress VPC whose public table sends everything to the internet gateway (no route
    back to the spokes), and spokes with the given ranges sending everything to the TGW."""
    b = Builder(seed=seed)
    tgw = b.transit_gateway()
    e = b.vpc(egress, name="egress")
    igw = b.igw(e)
    pub = b.route_table(e, name="egress-public")
    b.route(pub, "0.0.0.0/0", igw)
    nets = ipaddress.ip_network(egress).subnets(new_prefix=28)
    sub, att_sub = str(next(nets)), str(next(nets))
    b.associate(pub, b.subnet(e, sub, "a"))
    b.tgw_attach(tgw, e, [b.subnet(e, att_sub, "a")])
    for k, cidr in enumerate(spokes):
        v = b.vpc(cidr, name=f"spoke{k}")
        rt = b.route_table(v)
        b.route(rt, "0.0.0.0/0", tgw)
        s = b.subnet(v, str(next(ipaddress.ip_network(cidr).subnets(new_prefix=28))), "a")
        b.associate(rt, s)
        b.tgw_attach(tgw, v, [s])
    return b, {"tgw": tgw, "pub": pub, "igw": igw, "egress": e}


def _mine(snap):
    return [f for f in diagnose(snap).findings if f.rule == RULE]


def _commands(finding) -> list[str]:
    return [c for step in finding.fix for c in step.cli]


def _destinations(finding) -> list[str]:
    return sorted(c.split("--destination-cidr-block ")[1].split()[0] for c in _commands(finding))


def _route(rt: str, cidr: str, tgw: str, verb: str = "create-route") -> str:
    return (
        f"aws ec2 {verb} --route-table-id {rt} --destination-cidr-block {cidr} "
        f"--transit-gateway-id {tgw}"
    )


def test_one_finding_per_table_lists_every_source_with_one_summary_route():
    b, h = _hub(4, "ret-4")
    (f,) = _mine(b.snapshot())
    spokes = [s["vpc"] for s in h["spokes"]]
    assert f.resources[:2] == [h["egress_public_rt"], h["egress_vpc"]]
    assert set(f.resources[2:]) == set(spokes)
    assert "4 VPC(s)" in f.title and "and 1 more" in f.title
    # 10.1-10.4.0.0/16 have no route: 10.0.0.0/13 covers them (and the VPC's own 10.0.0.0/16,
    # whose local route is more specific and keeps winning).
    assert _commands(f) == [_route(h["egress_public_rt"], "10.0.0.0/13", h["tgw"])]
    (step,) = f.fix
    assert "10.0.0.0/13" in step.action and "4 source ranges" in step.action
    assert "10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16 and 1 more" in step.action
    assert step.terraform and '"10.0.0.0/13"' in step.terraform


def test_a_source_with_its_own_route_elsewhere_is_replaced_not_added():
    b, h = _hub(3, "ret-replace")
    b.route(h["egress_public_rt"], "10.2.0.0/16", h["igw"])  # exact route, wrong target
    (f,) = _mine(b.snapshot())
    cmds = _commands(f)
    assert [c for c in cmds if "replace-route" in c] == [
        _route(h["egress_public_rt"], "10.2.0.0/16", h["tgw"], "replace-route")
    ]
    # 10.1 and 10.3 have no route: 10.0.0.0/14 stands for both; 10.2.0.0/16 keeps its own
    # (more specific) route, pointed at the TGW by the replace.
    assert [c for c in cmds if "create-route" in c] == [
        _route(h["egress_public_rt"], "10.0.0.0/14", h["tgw"])
    ]


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


# -- when one summary route cannot stand for the routes to add: one route per range ------------


def test_one_range_gets_its_own_route():
    b, h = _hub(3, "ret-one")
    for k in (1, 3):
        b.route(h["egress_public_rt"], f"10.{k}.0.0/16", h["tgw"])
    (f,) = _mine(b.snapshot())
    (step,) = f.fix
    assert step.cli == [_route(h["egress_public_rt"], "10.2.0.0/16", h["tgw"])]
    assert "for each of 10.2.0.0/16" in step.action  # not offered as a summary of one range


def test_no_summary_outside_a_private_block():
    # 10.1.0.0/16 and 11.1.0.0/16 are covered by 10.0.0.0/7, half of it public: it would
    # capture internet traffic (10.0.0.0/7 is more specific than the table's 0.0.0.0/0).
    b, h = _small_hub("ret-public", ["10.1.0.0/16", "11.1.0.0/16"])
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["10.1.0.0/16", "11.1.0.0/16"]
    # Near miss: within one private block (172.16.0.0/12), one route.
    b, h = _small_hub("ret-private", ["172.17.0.0/16", "172.16.0.0/16"])
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["172.16.0.0/15"]


def test_no_summary_unless_more_specific_than_the_route_it_must_win_against():
    spokes = ["10.1.0.0/16", "10.2.0.0/16"]  # summary 10.0.0.0/14
    b, h = _small_hub("ret-wins", spokes)
    b.route(h["pub"], "10.0.0.0/14", h["igw"])  # as specific as the summary: it exists
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == spokes
    # Near miss: the table's route is one bit wider: the summary wins.
    b, h = _small_hub("ret-wins", spokes)
    b.route(h["pub"], "10.0.0.0/13", h["igw"])
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["10.0.0.0/14"]


def test_no_summary_inside_the_vpcs_own_range():
    # The egress VPC's local route is 10.0.0.0/12; a more specific route sends 10.0.0.0/13 to
    # a NAT gateway, so the overlapping spokes' replies are lost. Their summary, 10.1.0.0/23,
    # would lie inside the VPC's own range, against its local route.
    spokes = ["10.1.0.0/24", "10.1.1.0/24"]
    b, h = _small_hub("ret-local", spokes, egress="10.0.0.0/12")
    b.route(h["pub"], "10.0.0.0/13", "nat-0123456789abcdef0")
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == spokes
    # Near miss: the same spokes outside the VPC's range get their summary.
    b, h = _small_hub("ret-local-miss", spokes, egress="10.16.0.0/12")
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["10.1.0.0/23"]


def test_no_summary_that_takes_another_vpcs_range_from_a_route_that_may_deliver_it():
    spokes = ["10.1.0.0/16", "10.3.0.0/16"]  # summary 10.0.0.0/14, over 10.2.0.0/16 too
    b, h = _small_hub("ret-other", spokes)
    b.vpc("10.2.0.0/16", name="not-attached")
    b.route(h["pub"], "0.0.0.0/0", "nat-0123456789abcdef0")  # a private NAT may carry it
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == spokes
    # Near miss: sent to the internet gateway, the range is lost anyway: summarised.
    b.route(h["pub"], "0.0.0.0/0", h["igw"])
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["10.0.0.0/14"]
    # Near miss: that VPC has a route of its own (a peering), more specific: it keeps it.
    b.route(h["pub"], "0.0.0.0/0", "nat-0123456789abcdef0")
    b.route(h["pub"], "10.2.0.0/16", "pcx-0123456789abcdef0")
    (f,) = _mine(b.snapshot())
    assert _destinations(f) == ["10.0.0.0/14"]
