"""The ``tgw_return`` producer against its former, pair-by-pair self.

Oracle: the producer as it was before it grouped VPCs by their wide routes (kept below,
unchanged) asks every (destination, source) pair and every (table, sender) pair directly. Over
generated regions (random VPC ranges that overlap, more-specific routes, peering and local
routes that cover one VPC, blackholes, VPCs attached to several transit gateways) the new
producer must give the same facts, field for field, in the same order, with and without the
engine's sieve.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.engine.diagnose import default_engine
from assistant.engine.facts._base import Fact, Sieve
from assistant.engine.facts.network import (
    _attachments,
    _first,
    _first_cover,
    _Lpm,
    _sources_text,
    _tgw_index,
    tgw_return_facts,
)
from assistant.sources.builder import Builder
from assistant.topology import Topology, target_kind


def _route_commands(verb: str, table: str, cidrs: list[str], tgw: str) -> str:
    """One ``aws ec2 <verb>`` per CIDR, one per line (as the former producer wrote them)."""
    return "\n".join(
        f"aws ec2 {verb} --route-table-id {table} --destination-cidr-block {c} "
        f"--transit-gateway-id {tgw}"
        for c in cidrs
    )


def old_tgw_return(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """The producer as it was: ``senders`` by one ``_first_cover`` per pair of attachments,
    the replies by one per (group of tables, sender)."""
    ix = _tgw_index(topo.snapshot)
    atts = _attachments(ix)
    lpm = _Lpm.of(topo)
    kinds: dict[str, str] = {}
    nets: dict[str, ipaddress.IPv4Network | None] = {
        a.VpcId or "": _first(topo.vpcs[a.VpcId].CidrBlock) if a.VpcId in topo.vpcs else None
        for a in atts
    }
    ranges = {
        v: (str(n), int(n.network_address), n.prefixlen) for v, n in nets.items() if n is not None
    }
    contents: dict[str, list[Any]] = {}
    for a in atts:
        v = a.VpcId or ""
        if v not in contents and v in ranges:
            cids = dict.fromkeys(lpm.cid(t) for t in lpm.tables(topo, v))
            contents[v] = [lpm.by_length(c) for c in cids]
    for dst in atts:
        tgw, d_vpc = dst.TransitGatewayId or "", dst.VpcId or ""
        if d_vpc not in ranges or d_vpc not in topo.vpcs:
            continue
        _, d_addr, d_plen = ranges[d_vpc]
        senders = [
            (src.VpcId or "", ranges[src.VpcId or ""])
            for src in atts
            if src is not dst
            and src.TransitGatewayId == tgw
            and (src.VpcId or "") in ranges
            and any(
                (r := _first_cover(c, d_addr, d_plen)) is not None and r[3] == tgw
                for c in contents[src.VpcId or ""]
            )
        ]
        if not senders:
            continue
        senders.sort(key=lambda x: x[0])
        sender_vpcs = [v for v, _ in senders]
        for cid, tables in lpm.groups(lpm.tables(topo, d_vpc, set(dst.SubnetIds))):
            routes = lpm.by_length(cid)
            astray: list[tuple[str, str, str, str, bool]] = []
            for s_vpc, (s_cidr, s_addr, s_plen) in senders:
                r = _first_cover(routes, s_addr, s_plen)
                target = r[3] if r is not None else ""
                if target not in kinds:
                    kinds[target] = target_kind(target) if target else "none"
                kind = kinds[target]
                if kind in ("none", "igw", "nat"):
                    astray.append((s_vpc, s_cidr, target, kind, r is not None and r[4] == s_cidr))
            src_vpcs = [a[0] for a in astray]
            src_cidrs = [a[1] for a in astray]
            replies = list(dict.fromkeys(f"{a[3]} {a[2]}" if a[2] else "nowhere" for a in astray))
            add = list(dict.fromkeys(a[1] for a in astray if not a[4]))
            replace = list(dict.fromkeys(a[1] for a in astray if a[4]))
            known = {
                "vpc_id": d_vpc,
                "tgw_id": tgw,
                "senders": sender_vpcs,
                "sender_count": len(sender_vpcs),
                "src_vpcs": src_vpcs,
                "src_cidrs": src_cidrs,
                "src_count": len(src_vpcs),
                "src_text": _sources_text(src_vpcs, src_cidrs),
                "reply_targets": list(dict.fromkeys(a[2] for a in astray)),
                "reply_kinds": list(dict.fromkeys(a[3] for a in astray)),
                "reply_text": ", ".join(replies),
                "no_return": bool(astray),
                "add_cidrs": add,
                "replace_cidrs": replace,
            }
            if sieve is not None and not sieve.could("tgw_return", **known):
                continue
            for t, subnets in tables:
                yield {
                    "rid": f"{t}:{tgw}",
                    "route_table_id": t,
                    "subnets": subnets,
                    **known,
                    "add_cli": _route_commands("create-route", t, add, tgw),
                    "replace_cli": _route_commands("replace-route", t, replace, tgw),
                    "add_cidrs_hcl": "[" + ", ".join(f'"{c}"' for c in add) + "]",
                }


# VPC ranges drawn from a small pool, so that they repeat, nest and overlap.
VPC_CIDRS = [
    "10.0.0.0/16",
    "10.1.0.0/16",
    "10.2.0.0/16",
    "10.0.0.0/12",
    "10.1.128.0/17",
    "10.3.0.0/24",
    "172.16.0.0/16",
    "192.168.0.0/20",
]
# Route destinations: the VPC ranges, wider and narrower networks, the default route.
DESTS = VPC_CIDRS + [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.0.0.0/14",
    "10.0.0.0/15",
    "10.2.0.0/15",
    "10.1.0.0/24",
    "172.16.0.0/12",
]
N_TGWS = 3
KEYS = {
    "tgw": "TransitGatewayId",
    "nat": "NatGatewayId",
    "pcx": "VpcPeeringConnectionId",
    "eni": "NetworkInterfaceId",
}


@st.composite
def regions(draw: st.DrawFn) -> Builder:
    """A region of 2-6 VPCs with random tables and attachments to up to 3 TGWs."""
    b = Builder(seed=f"oracle-{draw(st.integers(0, 10**6))}")
    tgws = [b.transit_gateway(name=f"tgw{k}") for k in range(N_TGWS)]
    vpcs = []
    for v in range(draw(st.integers(2, 6))):
        cidr = draw(st.sampled_from(VPC_CIDRS))
        vpc = b.vpc(cidr, name=f"vpc{v}")
        vpcs.append(vpc)
        base = ipaddress.ip_network(cidr).network_address
        igw = b.igw(vpc)
        tables = [b.main_route_table(vpc)]
        tables += [b.route_table(vpc) for _ in range(draw(st.integers(0, 2)))]
        subnets = []
        for k in range(draw(st.integers(1, 4))):
            s = b.subnet(vpc, f"{base + 16 * k}/28", "ab"[k % 2])
            subnets.append(s)
            b.associate(draw(st.sampled_from(tables)), s)
        targets = [*tgws, igw, "nat-0aa", "nat-0bb", "pcx-0cc", "eni-0dd", "local"]
        for rt in tables:
            # Most tables have a default route (to the first TGW, the internet or a NAT).
            default = draw(st.sampled_from([tgws[0], tgws[0], igw, "nat-0aa", None]))
            if default:
                b.route(rt, "0.0.0.0/0", default)
            for _ in range(draw(st.integers(0, 4))):
                dest = draw(st.sampled_from(DESTS))
                target = draw(st.sampled_from(targets))
                state = draw(st.sampled_from(["active", "active", "blackhole"]))
                if draw(st.booleans()):
                    b.route(rt, dest, target, state=state)
                else:  # appended as is: it may repeat a destination (the local one too)
                    table = b.find("RouteTables", "RouteTableId", rt)
                    key = KEYS.get(target.split("-")[0], "GatewayId")
                    table["Routes"].append(
                        {"DestinationCidrBlock": dest, key: target, "State": state}
                    )
        attach = st.sampled_from([tgws[0], tgws[0], *tgws])
        for tgw in draw(st.lists(attach, min_size=1, max_size=3)):
            att_subnets = draw(st.lists(st.sampled_from(subnets), max_size=2, unique=True))
            b.tgw_attach(tgw, vpc, att_subnets)
    return b


def _project(facts: list[Fact]) -> list[Fact]:
    """The fields the former producer made."""
    keys = {
        "rid", "route_table_id", "subnets", "vpc_id", "tgw_id", "senders", "sender_count",
        "src_vpcs", "src_cidrs", "src_count", "src_text", "reply_targets", "reply_kinds",
        "reply_text", "no_return", "add_cidrs", "replace_cidrs", "add_cli", "replace_cli",
        "add_cidrs_hcl",
    }  # fmt: skip
    return [{k: v for k, v in f.items() if k in keys} for f in facts]


SIEVE = default_engine().sieve()


@settings(derandomize=True, max_examples=150, deadline=None)
@given(regions())
def test_same_facts_as_pair_by_pair(b: Builder):
    topo = Topology(b.snapshot())
    old = list(old_tgw_return(topo))
    assert _project(list(tgw_return_facts(topo))) == old
    assert _project(list(tgw_return_facts(topo, sieve=SIEVE))) == list(
        old_tgw_return(topo, sieve=SIEVE)
    )


def test_the_oracle_is_not_vacuous():
    """Over the same examples, facts with senders, lost replies of every kind, routes to add
    and to replace, summary routes offered and refused all occur (so the comparisons above
    compare something)."""
    seen: set[str] = set()

    @settings(derandomize=True, max_examples=150, deadline=None)
    @given(regions())
    def collect(b: Builder):
        topo = Topology(b.snapshot())
        for f in tgw_return_facts(topo):
            if len(f["add_cidrs"]) > 1:
                seen.add("summary" if f["add_summary"] else "no summary")
        for f in old_tgw_return(topo):
            seen.add("fact")
            seen.update(f"kind:{k}" for k in f["reply_kinds"])
            if f["add_cidrs"]:
                seen.add("add")
            if f["replace_cidrs"]:
                seen.add("replace")
            if len(f["src_vpcs"]) > 1 and f["no_return"]:
                seen.add("several lost")

    collect()
    assert {"fact", "kind:igw", "kind:nat", "kind:none", "add", "replace", "several lost"} <= seen
    assert {"summary", "no summary"} <= seen


PRIVATE_BLOCKS = [
    ipaddress.ip_network(c)
    for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
]


def _entry(cidr: str, target: str) -> tuple[int, int, int, str, str]:
    n = ipaddress.ip_network(cidr)
    return int(n.network_address), int(n.netmask), n.prefixlen, target, cidr


@settings(derandomize=True, max_examples=150, deadline=None)
@given(regions())
def test_a_summary_route_stands_for_the_routes_to_add(b: Builder):
    """Added to its table, the summary route sends every range of add_cidrs to the TGW and
    changes the route of no other VPC range of the snapshot that was not lost anyway (to an
    internet gateway or nowhere); it is the smallest network over those ranges, in one private
    block, and not inside one of the table's local routes."""
    topo = Topology(b.snapshot())
    lpm = _Lpm.of(topo)
    vpc_ranges = {
        (int(n.network_address), n.prefixlen)
        for v in topo.vpcs.values()
        if (n := _first(v.CidrBlock)) is not None
    }
    for f in tgw_return_facts(topo):
        summary = f["add_summary"]
        if not summary:
            assert f["add_summary_cli"] == ""
            continue
        net = ipaddress.ip_network(summary)
        adds = [ipaddress.ip_network(c) for c in f["add_cidrs"]]
        assert len(adds) >= 2 and all(a.subnet_of(net) for a in adds)
        assert not all(a.subnet_of(h) for h in net.subnets(1) for a in adds)  # the smallest
        assert any(net.subnet_of(p) for p in PRIVATE_BLOCKS)
        routes = lpm.by_length(lpm.cid(f["route_table_id"]))
        assert not any(
            e[3] == "local" and net.subnet_of(ipaddress.ip_network(e[4], strict=False))
            for e in routes
        )
        after = tuple(sorted((*routes, _entry(summary, f["tgw_id"])), key=lambda e: -e[2]))
        for a in adds:
            r = _first_cover(after, int(a.network_address), a.prefixlen)
            assert r is not None and r[3] == f["tgw_id"]
        asked = {(int(a.network_address), a.prefixlen) for a in adds}
        for u in vpc_ranges - asked:  # unchanged, unless it was lost (internet gateway, none)
            before = _first_cover(routes, *u)
            if before is None or target_kind(before[3]) == "igw":
                continue
            assert _first_cover(after, *u) == before
        assert f["add_summary_cli"] == (
            f"aws ec2 create-route --route-table-id {f['route_table_id']} "
            f"--destination-cidr-block {summary} --transit-gateway-id {f['tgw_id']}"
        )
