"""Subnet roles: the one function that decides public / private / isolated."""

from __future__ import annotations

import pytest

from assistant.sources.builder import Builder
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    UNKNOWN,
    Topology,
    intent_of,
    intent_words,
    target_kind,
)


def _vpc(b: Builder):
    vpc = b.vpc("10.0.0.0/16", name="v")
    igw = b.igw(vpc)
    return vpc, igw


def test_explicit_association_to_igw_is_public():
    b = Builder()
    vpc, igw = _vpc(b)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == PUBLIC


def test_nat_default_route_is_private_not_public():
    b = Builder()
    vpc, igw = _vpc(b)
    pub = b.subnet(vpc, "10.0.0.0/24", "a")
    prv = b.subnet(vpc, "10.0.1.0/24", "a")
    prt = b.route_table(vpc)
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub)
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    topo = Topology(b.snapshot())
    assert topo.role(prv) == PRIVATE
    assert topo.role(pub) == PUBLIC


def test_no_default_route_is_isolated():
    b = Builder()
    vpc, _ = _vpc(b)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    assert Topology(b.snapshot()).role(s) == ISOLATED


def test_main_route_table_of_the_same_vpc_only():
    """A subnet without association uses the main table of *its* VPC, not another VPC's."""
    b = Builder()
    vpc1, igw1 = _vpc(b)
    vpc2 = b.vpc("10.1.0.0/16", name="other")
    # VPC 1's main table is public; VPC 2's main table has no default route.
    b.route(b.main_route_table(vpc1), "0.0.0.0/0", igw1)
    s2 = b.subnet(vpc2, "10.1.1.0/24", "a")
    s1 = b.subnet(vpc1, "10.0.1.0/24", "a")
    topo = Topology(b.snapshot())
    assert topo.role(s1) == PUBLIC
    assert topo.role(s2) == ISOLATED
    rt, explicit = topo.effective_route_table(topo.subnets[s2])
    assert rt.RouteTableId == b.main_route_table(vpc2) and not explicit


def test_explicit_association_beats_main_table():
    b = Builder()
    vpc, igw = _vpc(b)
    b.route(b.main_route_table(vpc), "0.0.0.0/0", igw)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == ISOLATED


def test_all_routes_count_not_only_the_first_table():
    """The subnet's own table decides even when another table in the VPC is listed first."""
    b = Builder()
    vpc, igw = _vpc(b)
    first = b.route_table(vpc)  # listed first, no default route, associated elsewhere
    other = b.subnet(vpc, "10.0.2.0/24", "a")
    b.associate(first, other)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "10.50.0.0/16", igw)  # a more specific route first in the list
    b.route(rt, "0.0.0.0/0", igw)
    b.associate(rt, s)
    topo = Topology(b.snapshot())
    assert topo.role(s) == PUBLIC
    assert topo.role(other) == ISOLATED


def test_detached_igw_is_not_public():
    b = Builder()
    vpc, _ = _vpc(b)
    loose = b.igw(None)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", loose)
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == ISOLATED


def test_igw_attached_to_another_vpc_is_not_public():
    b = Builder()
    vpc, _ = _vpc(b)
    vpc2, igw2 = b.vpc("10.9.0.0/16"), None
    igw2 = b.igw(vpc2)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw2)
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == ISOLATED


def test_egress_only_gateway_is_not_public_but_ipv6_igw_is():
    b = Builder()
    vpc = b.vpc("10.0.0.0/16", ipv6="2600:1f18:1:100::/56")
    igw = b.igw(vpc)
    eigw = b.eigw(vpc)
    s1 = b.subnet(vpc, "10.0.1.0/24", "a", ipv6="2600:1f18:1:101::/64")
    s2 = b.subnet(vpc, "10.0.2.0/24", "a", ipv6="2600:1f18:1:102::/64")
    rt1 = b.route_table(vpc)
    b.route(rt1, "::/0", eigw)
    b.associate(rt1, s1)
    rt2 = b.route_table(vpc)
    b.route(rt2, "::/0", igw)
    b.associate(rt2, s2)
    topo = Topology(b.snapshot())
    assert topo.role(s1) == ISOLATED
    assert topo.role(s2) == PUBLIC


@pytest.mark.parametrize(
    "target",
    [
        "tgw-0123456789abcdef0",
        "pcx-0123456789abcdef0",
        "vgw-0123456789abcdef0",
        "eni-0123456789abcdef0",
    ],
)
def test_other_default_targets_are_private(target):
    b = Builder()
    vpc, _ = _vpc(b)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", target)
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == PRIVATE


def test_no_route_tables_sent_means_unknown():
    b = Builder()
    vpc, _ = _vpc(b)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    files = {k: v for k, v in b.cli_files().items() if not k.startswith("route-tables")}
    from assistant.sources.files import snapshot_from_outputs

    assert Topology(snapshot_from_outputs(files)).role(s) == UNKNOWN


def test_blackhole_igw_route_is_not_public():
    b = Builder()
    vpc, igw = _vpc(b)
    s = b.subnet(vpc, "10.0.1.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw, state="blackhole")
    b.associate(rt, s)
    assert Topology(b.snapshot()).role(s) == ISOLATED


def test_target_kinds():
    assert target_kind("igw-1") == "igw"
    assert target_kind("eigw-1") == "eigw"
    assert target_kind("nat-1") == "nat"
    assert target_kind("local") == "local"
    assert target_kind("i-1") == "instance"
    assert target_kind("") == "none"


@pytest.mark.parametrize(
    ("name", "intent"),
    [
        ("happy", ""),
        ("mapping", ""),
        ("ledger", ""),
        ("snapshot-apply", ""),
        ("shop-public-app-a", "public"),
        ("PublicAppSubnet", "public"),
        ("shop-private-app-b", "private"),
        ("PrivateSubnet1", "private"),
        ("app-1", "private"),
        ("db1", "isolated"),
        ("DBSubnetA", "isolated"),
        ("intra-a", "isolated"),
        ("private-db", "private"),
        ("dmz", "public"),
    ],
)
def test_intent_reads_whole_words_and_public_wins_over_app(name, intent):
    assert intent_of(name) == intent


def test_intent_words_read_as_the_original():
    """Redaction keeps only intent words: the kept words must say what the name said."""
    for name in ("shop-public-app-a", "happy-db", "PrivateAppB", "mapping", "edge-ingress"):
        assert intent_of("-".join(intent_words(name))) == intent_of(name), name
