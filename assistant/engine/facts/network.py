"""Facts for paths between VPCs: transit gateways, peering, gateway endpoints and VPN.

They ask the questions the trace asks hop by hop, for every pair of VPCs at once, so that a
trace's blocking hop finds its finding (and fix) in the scan of the same snapshot. Missing data
is never a finding: a transit gateway table whose routes are not in the snapshot, or a peering
connection absent from it, yields no fact.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import ipaddress
import itertools
import operator
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from assistant.engine.facts._base import LS, B, Fact, N, S, Sieve, declare, producer
from assistant.models.snapshot import RouteTable, TransitGatewayVpcAttachment
from assistant.topology import PRIVATE, Topology, target_kind

if TYPE_CHECKING:
    from assistant.models.snapshot import Snapshot
    from assistant.trace.tgw import TgwIndex


def _tgw_index(snapshot: Snapshot) -> TgwIndex:
    """The tracer's transit gateway index (imported when a scan first needs it: the tracer
    package is not needed to start)."""
    from assistant.trace.tgw import build_tgw_index

    return build_tgw_index(snapshot)


ANY = "0.0.0.0/0"


# The matcher of the last topology facts were made for (a weak reference: never kept alive).
_LAST: list[tuple[weakref.ref[Topology], _Lpm]] = []


@functools.lru_cache(maxsize=65536)
def _first(cidr: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


# A VPC route as integers for longest-prefix matching: (network, netmask, prefix length,
# target, destination CIDR).
Entry = tuple[int, int, int, str, str]


@functools.lru_cache(maxsize=65536)
def _cidr_ints(cidr: str) -> tuple[int, int, int] | None:
    """(network, netmask, prefix length) of an IPv4 CIDR, None if it is not one."""
    n = _first(cidr)
    return None if n is None else (int(n.network_address), int(n.netmask), n.prefixlen)


def _compiled(rt: RouteTable) -> tuple[Entry, ...]:
    """``rt``'s CIDR routes (IPv4) as ``Entry`` tuples, in the table's order."""
    out = []
    for r in rt.Routes:
        cidr = r.DestinationCidrBlock
        ints = _cidr_ints(cidr) if cidr else None
        if ints is not None:
            out.append((*ints, r.target, str(cidr)))
    return tuple(out)


def _lpm_int(routes: tuple[Entry, ...], addr: int, plen: int) -> Entry | None:
    """The most specific of ``routes`` that covers all of the network ``addr``/``plen``."""
    best, best_len = None, -1
    for e in routes:
        if e[2] <= plen and (addr & e[1]) == e[0] and e[2] > best_len:
            best, best_len = e, e[2]
    return best


def _first_cover(routes: tuple[Entry, ...], addr: int, plen: int) -> Entry | None:
    """``_lpm_int`` over routes sorted most specific first: the first that covers."""
    for e in routes:
        if e[2] <= plen and (addr & e[1]) == e[0]:
            return e
    return None


class _Lpm:
    """Longest-prefix matches in VPC route tables, by table id or by content: tables with the
    same routes (targets and destinations) share one content id, and each (content,
    destination) is looked up once."""

    def __init__(self, route_tables: dict[str, RouteTable]):
        self.route_tables = route_tables
        self.content_of: dict[str, int] = {}  # table id -> the id of its routes' content
        self.contents: dict[tuple[Entry, ...], int] = {}
        self.compiled: list[tuple[Entry, ...]] = []
        self.memo: dict[tuple[int, int, int], Entry | None] = {}
        self._tables: dict[str, dict[str, list[str]]] = {}
        self._by_length: dict[int, tuple[Entry, ...]] = {}

    def tables(
        self, topo: Topology, vpc_id: str, skip: set[str] | None = None
    ) -> dict[str, list[str]]:
        """``_vpc_tables`` of ``topo`` (the topology this matcher was made for), computed
        once per VPC."""
        out = self._tables.get(vpc_id)
        if out is None:
            out = self._tables[vpc_id] = _vpc_tables(topo, vpc_id, set())
        if not skip:
            return out
        return {t: kept for t, subs in out.items() if (kept := [x for x in subs if x not in skip])}

    def cid(self, t: str) -> int:
        """The id of table ``t``'s routes' content."""
        cid = self.content_of.get(t)
        if cid is None:
            routes = _compiled(self.route_tables[t])
            cid = self.contents.get(routes)
            if cid is None:
                cid = self.contents[routes] = len(self.compiled)
                self.compiled.append(routes)
            self.content_of[t] = cid
        return cid

    def by_length(self, cid: int) -> tuple[Entry, ...]:
        """The routes of content ``cid``, most specific first (table order among equals), for
        ``_first_cover``."""
        out = self._by_length.get(cid)
        if out is None:
            out = self._by_length[cid] = tuple(sorted(self.compiled[cid], key=lambda e: -e[2]))
        return out

    def by_content(self, cid: int, net: ipaddress.IPv4Network) -> Entry | None:
        """The best route for ``net`` of the tables whose content is ``cid``."""
        addr, plen = int(net.network_address), net.prefixlen
        k = (cid, addr, plen)
        hit = self.memo.get(k, ())
        if hit == ():
            hit = self.memo[k] = _lpm_int(self.compiled[cid], addr, plen)
        return hit

    @classmethod
    def of(cls, topo: Topology) -> _Lpm:
        """The matcher of ``topo``, shared by the producers of one scan."""
        last = _LAST[0] if _LAST else None
        if last is not None and last[0]() is topo:
            return last[1]
        lpm = cls(topo.route_tables)
        _LAST[:] = [(weakref.ref(topo, lambda _: _LAST.clear()), lpm)]
        return lpm

    def groups(self, tables: dict[str, list[str]]) -> list[tuple[int, list[tuple[str, list[str]]]]]:
        """``tables`` (id -> subnets) grouped by content, each group sorted by table id."""
        out: dict[int, list[tuple[str, list[str]]]] = {}
        for t, subnets in sorted(tables.items()):
            out.setdefault(self.cid(t), []).append((t, subnets))
        return list(out.items())


def _tgw_lpm(ix: TgwIndex, rtb: str, net: ipaddress.IPv4Network) -> tuple[str, str]:
    """("unknown" | "none" | "blackhole" | "ok", route destination) in a TGW route table."""
    rows = ix.routes.get(rtb)
    if rows is None:
        return "unknown", ""
    for n, r in rows:
        if net.subnet_of(n):
            if r.State == "blackhole":
                return "blackhole", str(n)
            if not r.TransitGatewayAttachments:
                return "unknown", str(n)  # an active route that names no attachment
            return "ok", str(n)
    return "none", ""


def _vpc_tables(topo: Topology, vpc_id: str, skip: set[str]) -> dict[str, list[str]]:
    """Route table id -> the subnets of the VPC that use it (except ``skip``)."""
    out: dict[str, list[str]] = {}
    for v in topo.views_by_vpc.get(vpc_id, []):
        if v.route_table is not None and v.subnet_id not in skip:
            out.setdefault(v.route_table.RouteTableId, []).append(v.subnet_id)
    return out


def _attachments(ix: TgwIndex) -> list[TransitGatewayVpcAttachment]:
    return sorted(ix.vpc_att.values(), key=lambda a: a.TransitGatewayAttachmentId)


@producer("tgw_route", sieved=True)
def tgw_route_facts(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """For each VPC attachment and each destination its VPC sends to the transit gateway
    (another VPC of the snapshot, or the internet), what the associated TGW table does.

    The TGW table's answer comes first (one lookup per table and destination); the VPC's route
    tables are searched, once per group of tables with the same routes, only when the answer is
    known and (with a ``sieve``) some rule could match it."""
    ix = _tgw_index(topo.snapshot)
    lpm = _Lpm.of(topo)
    atts = _attachments(ix)
    first_att: dict[tuple[str | None, str | None], str] = {}
    for a in atts:
        first_att.setdefault((a.VpcId, a.TransitGatewayId), a.TransitGatewayAttachmentId)
    others: list[tuple[str, str, ipaddress.IPv4Network]] = []
    for other in sorted(topo.vpcs.values(), key=lambda v: v.VpcId):
        net = _first(other.CidrBlock)
        if net is not None:
            others.append((other.VpcId, other.CidrBlock, net))
    tgw_memo: dict[tuple[str, str], tuple[str, str]] = {}
    for att in atts:
        aid, tgw, vpc = att.TransitGatewayAttachmentId, att.TransitGatewayId or "", att.VpcId or ""
        rtb = ix.assoc.get(aid)
        if rtb is None:
            continue
        groups = lpm.groups(lpm.tables(topo, vpc))
        dests = [("", ANY, _first(ANY))] + [d for d in others if d[0] != vpc]
        for dst_vpc, cidr, net in dests:
            assert net is not None
            k = (rtb, cidr)
            if k not in tgw_memo:
                tgw_memo[k] = _tgw_lpm(ix, rtb, net)
            status, matched = tgw_memo[k]
            if status == "unknown":
                continue
            known = {
                "attachment_id": aid,
                "tgw_id": tgw,
                "tgw_route_table_id": rtb,
                "vpc_id": vpc,
                "dst_vpc": dst_vpc,
                "dst_cidr": cidr,
                "internet": not dst_vpc,
                "status": status,
                "matched": matched,
                "dst_attachment": first_att.get((dst_vpc, tgw), ""),
            }
            if sieve is not None and not sieve.could("tgw_route", **known):
                continue
            using = []
            for cid, tables in groups:
                r = lpm.by_content(cid, net)
                if r is not None and r[3] == tgw and (dst_vpc or r[4] == ANY):
                    using += [t for t, _ in tables]
            if not using:
                continue
            using.sort()
            for t in using if not dst_vpc else using[:1]:
                yield {
                    "rid": f"{aid}:{dst_vpc or 'internet'}:{t if not dst_vpc else ''}",
                    **known,
                    "route_table_id": t,
                    "route_tables": using,
                }


@producer("tgw_attachment")
def tgw_attachment_facts(topo: Topology) -> Iterator[Fact]:
    """VPC attachments: associated with a route table? which subnets route to the TGW from an
    AZ the attachment has no subnet in?"""
    ix = _tgw_index(topo.snapshot)
    if not ix.assoc_known:
        return
    # Route tables sending to each transit gateway, by VPC (one pass, not one per attachment).
    to_tgw: dict[tuple[str, str], list[str]] = {}
    for tgw_id in {a.TransitGatewayId or "" for a in ix.vpc_att.values()}:
        for rt, _ in topo.routes_to.get(tgw_id, []):
            to_tgw.setdefault((tgw_id, rt.VpcId), []).append(rt.RouteTableId)
    for att in _attachments(ix):
        aid, tgw, vpc = att.TransitGatewayAttachmentId, att.TransitGatewayId or "", att.VpcId or ""
        users = sorted(
            {s for rt_id in to_tgw.get((tgw, vpc), []) for s in topo.subnets_using(rt_id)}
        )
        azs = sorted({topo.az_of(s) for s in att.SubnetIds})
        known = all(s in topo.subnets for s in att.SubnetIds)
        # Its association is known only when describe-transit-gateway-attachments lists it.
        if aid in ix.listed or aid in ix.assoc:
            yield {
                "rid": aid,
                "attachment_id": aid,
                "tgw_id": tgw,
                "vpc_id": vpc,
                "subnet_id": "",
                "az": "",
                "associated": aid in ix.assoc,
                "in_use": bool(users),
                "missing_az": False,
                "subnets_using": users,
                "attachment_azs": azs,
                "attachment_subnets": list(att.SubnetIds),
                "tables": sorted(ix.routes),
            }
        if not known:
            continue
        for s in users:
            az = topo.az_of(s)
            if az and az not in azs:
                yield {
                    "rid": f"{aid}:{s}",
                    "attachment_id": aid,
                    "tgw_id": tgw,
                    "vpc_id": vpc,
                    "subnet_id": s,
                    "az": az,
                    "associated": aid in ix.assoc,
                    "in_use": True,
                    "missing_az": True,
                    "attachment_azs": azs,
                    "attachment_subnets": list(att.SubnetIds),
                    "subnets_using": [s],
                    "tables": [],
                }


SHOWN_SOURCES = 3  # source VPCs named in a tgw_return fact's text before "and N more"
FEW = 4  # a route covering at most this many attached VPCs' ranges is matched pair by pair
ASTRAY = ("none", "igw", "nat")  # where a reply is lost
# Private blocks a summary return route may lie in (it then never captures internet traffic).
SUMMARY_BLOCKS = tuple(
    _cidr_ints(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

Range = tuple[int, int]  # (network, prefix length) of an attached VPC's range
_RANGE = operator.itemgetter(4)  # a Sender's range
# A candidate sender: its attachment, VPC, routing group, CIDR and range.
Sender = tuple[TransitGatewayVpcAttachment, str, int, str, Range]


def _sources_text(vpcs: list[str], cidrs: list[str]) -> str:
    """``vpc-a (10.1.0.0/16), vpc-b (10.2.0.0/16) and 97 more``."""
    named = [f"{v} ({c})" for v, c in zip(vpcs[:SHOWN_SOURCES], cidrs[:SHOWN_SOURCES], strict=True)]
    text = ", ".join(named)
    if len(vpcs) > SHOWN_SOURCES:
        text += f" and {len(vpcs) - SHOWN_SOURCES} more"
    return text


def _ranges_text(cidrs: list[str], by: Callable[[str], Range]) -> str:
    """``10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16 and 97 more``: the first by address (``by``)."""
    text = ", ".join(heapq.nsmallest(SHOWN_SOURCES, cidrs, key=by))
    if len(cidrs) > SHOWN_SOURCES:
        text += f" and {len(cidrs) - SHOWN_SOURCES} more"
    return text


def _route_commands(verb: str, table: str, cidrs: list[str], tgw: str) -> str:
    """One ``aws ec2 <verb>`` per CIDR, one per line."""
    if not cidrs:
        return ""
    head = f"aws ec2 {verb} --route-table-id {table} --destination-cidr-block "
    tail = f" --transit-gateway-id {tgw}"
    return head + f"{tail}\n{head}".join(cidrs) + tail


def _covers(e: tuple[int, int, int], addr: int, plen: int) -> bool:
    """Route (network, netmask, prefix length) ``e`` covers all of ``addr``/``plen``."""
    return e[2] <= plen and (addr & e[1]) == e[0]


def _add_or_replace(
    used: list[Entry | None], rs: list[Entry | None], cidrs: list[str]
) -> tuple[list[str], list[str], int]:
    """The source ranges (``cidrs``, sent by routes ``used``; ``rs`` those routes without
    repeats) to add a route for and those whose own route to replace, and the longest prefix
    of the routes followed by the former (-1: none)."""
    if {r[4] for r in rs if r is not None}.isdisjoint(cidrs):  # no range has its own route
        return (
            list(dict.fromkeys(cidrs)),
            [],
            max((-1 if r is None else r[2] for r in rs), default=-1),
        )
    add: dict[str, None] = {}
    replace: dict[str, None] = {}
    now = -1
    for r, c in zip(used, cidrs, strict=True):
        if r is not None and r[4] == c:
            replace[c] = None
        else:
            add[c] = None
            now = max(now, -1 if r is None else r[2])
    return list(add), list(replace), now


class _Others:
    """The snapshot's VPC ranges, by address."""

    def __init__(self, topo: Topology):
        found = (_cidr_ints(v.CidrBlock) for v in topo.vpcs.values() if v.CidrBlock)
        self.ranges = sorted({(u[0], u[2]) for u in found if u is not None})
        self.addrs = [u[0] for u in self.ranges]
        self.end = {u: u[0] + (1 << (32 - u[1])) - 1 for u in self.ranges}  # last address
        self._inside: dict[Range, frozenset[Range]] = {}

    def inside(self, net: int, plen: int) -> frozenset[Range]:
        """Those inside ``net``/``plen``."""
        out = self._inside.get((net, plen))
        if out is None:
            lo = bisect.bisect_left(self.addrs, net)
            hi = bisect.bisect_left(self.addrs, net + (1 << (32 - plen)))
            out = self._inside[(net, plen)] = frozenset(
                u for u in self.ranges[lo:hi] if u[1] >= plen
            )
        return out


def _summary(routes: tuple[Entry, ...], add: list[Range], now: int, others: _Others) -> str:
    """The one route that can stand for the routes to add for the VPC ranges ``add``, which
    the table sends by routes of prefix length ``now`` at most (-1: no route); '' when none
    can.

    It is the smallest network covering every range, and it must be safe and mean the same:
    at least two ranges; inside one private block (it never captures internet traffic);
    strictly more specific than each route it must win against; not inside (or equal to) one
    of the table's local routes (the VPC's own addresses keep going to the VPC); and every
    other VPC range of the snapshot inside it keeps a more specific route of its own, or is
    now sent where a private address is lost anyway (an internet gateway, or nowhere): the
    summary never takes a range from a route that may deliver it (a private NAT gateway).
    """
    if len(add) < 2:
        return ""
    lo = min(map(operator.itemgetter(0), add))
    hi = max(map(others.end.__getitem__, add))
    plen = 32 - (lo ^ hi).bit_length()
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    net = lo & mask
    if not any(b is not None and _covers(b, net, plen) for b in SUMMARY_BLOCKS):
        return ""
    if now >= plen:
        return ""  # the table's present route would still win (or has this very destination)
    for e in routes:
        if e[3] == "local" and _covers(e, net, plen):
            return ""  # inside the VPC's own range: its local route must keep winning
    for u in others.inside(net, plen).difference(add):  # other VPCs' ranges inside it
        r = _first_cover(routes, *u)
        if r is not None and r[2] <= plen and target_kind(r[3]) != "igw":
            return ""  # the summary would take it from a route that may deliver it (a NAT)
    return f"{ipaddress.IPv4Address(net)}/{plen}"


class _Ranges:
    """Where route tables send the attached VPCs' ranges, for every range at once.

    A table's routes are split in two. Those covering few of the ranges (a VPC's local route,
    a peering route to one VPC) are set aside: the ranges they cover are matched pair by pair,
    against the whole table. The others (the table's *shape*: 10.0.0.0/8, 0.0.0.0/0, shared
    by most tables whatever their targets) are matched against every range once per shape.
    For a range no set-aside route covers, the first covering route of the shape is the first
    covering route of the table."""

    def __init__(self, lpm: _Lpm, ranges: set[Range]):
        self.lpm = lpm
        self.us = sorted(ranges)
        self.addrs = [u[0] for u in self.us]
        self._cover: dict[Range, tuple[Range, ...] | None] = {}
        self._shapes: dict[tuple[tuple[int, int, int], ...], int] = {}
        self.first: list[dict[Range, int]] = []  # shape -> range -> index of its route, or -1
        self.by_index: list[dict[int, frozenset[Range]]] = []  # shape -> index -> ranges
        self._split: dict[int, tuple[tuple[Entry, ...], int, frozenset[Range]]] = {}

    def covered(self, addr: int, plen: int) -> tuple[Range, ...] | None:
        """The ranges a route to ``addr``/``plen`` covers; None when more than ``FEW``."""
        k = (addr, plen)
        out = self._cover.get(k, ())
        if out == ():
            lo = bisect.bisect_left(self.addrs, addr)
            hi = bisect.bisect_left(self.addrs, addr + (1 << (32 - plen)))
            out = None
            # Ranges starting inside the route but larger than it share its first address:
            # at most 32 of them, so more than FEW + 32 candidates means more than FEW.
            if hi - lo <= FEW + 32:
                cov = tuple(u for u in self.us[lo:hi] if u[1] >= plen)
                out = cov if len(cov) <= FEW else None
            self._cover[k] = out
        return out

    def split(self, cid: int) -> tuple[tuple[Entry, ...], int, frozenset[Range]]:
        """Content ``cid``'s kept routes (most specific first), its shape's id, and the
        ranges its set-aside routes cover."""
        hit = self._split.get(cid)
        if hit is None:
            kept, aside = [], set()
            for e in self.lpm.by_length(cid):
                cov = self.covered(e[0], e[2])
                if cov is None:
                    kept.append(e)
                else:
                    aside.update(cov)
            hit = self._split[cid] = (tuple(kept), self._shape(kept), frozenset(aside))
        return hit

    def _shape(self, kept: list[Entry]) -> int:
        shape = tuple(e[:3] for e in kept)
        sid = self._shapes.get(shape)
        if sid is None:
            sid = self._shapes[shape] = len(self.first)
            first: dict[Range, int] = {}
            groups: dict[int, list[Range]] = {}
            for u in self.us:
                i = next((i for i, e in enumerate(shape) if _covers(e, *u)), -1)
                first[u] = i
                groups.setdefault(i, []).append(u)
            self.first.append(first)
            self.by_index.append({i: frozenset(g) for i, g in groups.items()})
        return sid


@producer("tgw_return", sieved=True)
def tgw_return_facts(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """For each VPC that other VPCs reach through a transit gateway, each of its route tables
    (except its attachment subnets') with the source VPCs whose replies it sends astray.

    One fact per (route table, transit gateway): the sources are listed in the fact, so the
    facts grow with the tables, not with the pairs of VPCs. The work grows with them too when
    VPCs share their routing: "does this VPC send that range to the TGW" is decided once per
    group of VPCs whose tables have the same wide routes (``_Ranges``), and "where does this
    table send the senders' ranges" once per range and shape, the lost ones gathered by shape
    route. Pairs a narrow route (local, peering) covers are matched one by one. With a
    ``sieve``, a group's facts are built only if some rule could match them."""
    ix = _tgw_index(topo.snapshot)
    atts = _attachments(ix)
    lpm = _Lpm.of(topo)
    nets: dict[str, ipaddress.IPv4Network | None] = {
        a.VpcId or "": _first(topo.vpcs[a.VpcId].CidrBlock) if a.VpcId in topo.vpcs else None
        for a in atts
    }
    # Each VPC's range as (cidr, network, prefix length).
    ranges = {
        v: (str(n), int(n.network_address), n.prefixlen) for v, n in nets.items() if n is not None
    }
    rx = _Ranges(lpm, {(r[1], r[2]) for r in ranges.values()})
    tgws = {a.TransitGatewayId or "" for a in atts}
    # Per source VPC: the routes of each content of its tables (most specific first), the
    # group of VPCs sending to the same TGWs by the same wide routes, and the ranges where
    # its narrow routes decide.
    contents: dict[str, list[tuple[Entry, ...]]] = {}
    group_of: dict[str, int] = {}
    groups: dict[frozenset[tuple[int, tuple[str | None, ...]]], int] = {}
    narrow: dict[Range, set[str]] = {}  # range -> the VPCs whose narrow routes cover it
    for a in atts:
        v = a.VpcId or ""
        if v in contents or v not in ranges:
            continue
        cids = list(dict.fromkeys(lpm.cid(t) for t in lpm.tables(topo, v)))
        contents[v] = [lpm.by_length(c) for c in cids]
        sig = set()
        for c in cids:
            kept, sid, aside = rx.split(c)
            sig.add((sid, tuple(e[3] if e[3] in tgws else None for e in kept)))
            for u in aside:
                narrow.setdefault(u, set()).add(v)
        group_of[v] = groups.setdefault(frozenset(sig), len(groups))
    group_sigs = list(groups)
    via: dict[tuple[int, Range], frozenset[str | None]] = {}  # (group, range) -> TGWs

    def tgws_of(g: int, u: Range) -> frozenset[str | None]:
        """The transit gateways group ``g``'s wide routes send range ``u`` to."""
        hit = via.get((g, u))
        if hit is None:
            hit = via[(g, u)] = frozenset(
                mts[i] for sid, mts in group_sigs[g] if (i := rx.first[sid][u]) >= 0
            )
        return hit

    # The candidate senders through each TGW, by VPC id (then attachment), and where each
    # range stands among them.
    pools: dict[str | None, list[Sender]] = {}
    for a in atts:
        v = a.VpcId or ""
        if v in ranges:
            c, addr, plen = ranges[v]
            pools.setdefault(a.TransitGatewayId, []).append((a, v, group_of[v], c, (addr, plen)))
    pool_at: dict[str | None, dict[Range, list[int]]] = {}  # range -> positions in the pool
    vpc_at: dict[str | None, dict[str, list[int]]] = {}  # VPC -> positions in the pool
    pool_groups: dict[str | None, list[int]] = {}  # the group of each candidate
    pool_gset: dict[str | None, set[int]] = {}
    for tgw, pool in pools.items():
        pool.sort(key=lambda p: p[1])
        at, by_vpc = pool_at[tgw], vpc_at[tgw] = {}, {}
        for j, p in enumerate(pool):
            at.setdefault(p[4], []).append(j)
            by_vpc.setdefault(p[1], []).append(j)
        pool_groups[tgw] = [p[2] for p in pool]
        pool_gset[tgw] = set(pool_groups[tgw])
    range_of = {c: (addr, plen) for c, addr, plen in ranges.values()}
    others = _Others(topo)  # every VPC range of the snapshot, for the summary's check
    vpc_of, cidr_of = operator.itemgetter(1), operator.itemgetter(3)

    for dst in atts:
        tgw, d_vpc = dst.TransitGatewayId or "", dst.VpcId or ""
        if d_vpc not in ranges or d_vpc not in topo.vpcs:
            continue
        _, d_addr, d_plen = ranges[d_vpc]
        u_d = (d_addr, d_plen)
        pool = pools.get(tgw, [])
        if not pool:
            continue
        # The VPCs that send this VPC's range to the transit gateway (by VPC id): decided per
        # group, then pair by pair for the VPCs whose narrow routes cover the range.
        through = {g: tgw in tgws_of(g, u_d) for g in pool_gset[tgw]}
        mask = list(map(through.__getitem__, pool_groups[tgw]))
        for v in narrow.get(u_d, ()):
            for j in vpc_at[tgw].get(v, ()):
                mask[j] = any(
                    (r := _first_cover(c, d_addr, d_plen)) is not None and r[3] == tgw
                    for c in contents[v]
                )
        for j in vpc_at[tgw].get(d_vpc, ()):
            if pool[j][0] is dst:
                mask[j] = False
        senders = list(itertools.compress(pool, mask))
        if not senders:
            continue
        sender_vpcs = list(map(vpc_of, senders))
        for cid, tables in lpm.groups(lpm.tables(topo, d_vpc, set(dst.SubnetIds))):
            routes = lpm.by_length(cid)
            kept, sid, aside = rx.split(cid)
            # The routes a reply may follow: the kept ones, those found pair by pair, none.
            found = list(kept)
            index = rx.first[sid]
            lost = rx.by_index[sid]
            cand = set(aside).union(
                *(lost.get(i, ()) for i, e in enumerate(kept) if target_kind(e[3]) in ASTRAY),
                lost.get(-1, ()),
            )
            if len(cand) <= FEW * 4:  # few: only the senders with those ranges
                visit = [
                    pool[j]
                    for j in sorted(j for u in cand for j in pool_at[tgw].get(u, ()))
                    if mask[j]
                ]
            elif len(cand) == len(rx.us):
                visit = senders
            else:
                visit = list(
                    itertools.compress(senders, map(cand.__contains__, map(_RANGE, senders)))
                )
            if aside:
                index = dict(index)
                for u in aside:
                    index[u] = len(found)
                    found.append(_first_cover(routes, *u))
            found.append(None)  # index -1: no route
            astray = [target_kind(r[3] if r is not None else "") in ASTRAY for r in found]
            ri = list(map(index.__getitem__, map(_RANGE, visit)))
            gone = list(itertools.compress(visit, map(astray.__getitem__, ri)))
            used = list(map(found.__getitem__, itertools.compress(ri, map(astray.__getitem__, ri))))
            src_vpcs = list(map(vpc_of, gone))
            src_cidrs = list(map(cidr_of, gone))
            rs = list(dict.fromkeys(used))  # the routes followed, in order
            targets = [r[3] if r is not None else "" for r in rs]
            kinds_ = [target_kind(t) for t in targets]
            replies = [f"{target_kind(t)} {t}" if t else "nowhere" for t in targets]
            add, replace, now = _add_or_replace(used, rs, src_cidrs)
            summary = _summary(routes, [range_of[c] for c in add], now, others)
            known = {
                "vpc_id": d_vpc,
                "tgw_id": tgw,
                "senders": sender_vpcs,
                "sender_count": len(sender_vpcs),
                "src_vpcs": src_vpcs,
                "src_cidrs": src_cidrs,
                "src_count": len(src_vpcs),
                "src_text": _sources_text(src_vpcs, src_cidrs),
                "reply_targets": list(dict.fromkeys(targets)),
                "reply_kinds": list(dict.fromkeys(kinds_)),
                "reply_text": ", ".join(dict.fromkeys(replies)),
                "no_return": bool(gone),
                "add_cidrs": add,
                "add_count": len(add),
                "add_text": _ranges_text(add, range_of.__getitem__),
                "add_summary": summary,
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
                    "add_summary_cli": _route_commands("create-route", t, [summary], tgw)
                    if summary
                    else "",
                    "replace_cli": _route_commands("replace-route", t, replace, tgw),
                    "add_cidrs_hcl": '["' + '", "'.join(add) + '"]' if add else "[]",
                }


@producer("pcx_route")
def pcx_route_facts(topo: Topology) -> Iterator[Fact]:
    """Routes to a peering connection that is in the snapshot but not active."""
    if not topo.snapshot.has("VpcPeeringConnections"):
        return
    pcxs = {p.VpcPeeringConnectionId: p for p in topo.snapshot.VpcPeeringConnections}
    for target, pairs in sorted(topo.routes_to.items()):
        p = pcxs.get(target)
        if p is None or target_kind(target) != "pcx":
            continue
        code = (p.Status or {}).get("Code", "active")
        for rt, r in pairs:
            yield {
                "rid": f"{rt.RouteTableId}:{r.destination}",
                "pcx_id": target,
                "route_table_id": rt.RouteTableId,
                "vpc_id": rt.VpcId,
                "destination": r.destination,
                "status": code,
                "active": code == "active",
                "pending": code == "pending-acceptance",
                "subnets": topo.subnets_using(rt.RouteTableId),
            }


@producer("gateway_endpoint", sieved=True)
def gateway_endpoint_facts(topo: Topology, sieve: Sieve | None = None) -> Iterator[Fact]:
    """Gateway endpoints and the private route tables of their VPC that lack their route
    (with a ``sieve``, only those some rule could match).

    A VPC's private tables are found once for all its endpoints; when no fact of a table that
    has the endpoint's route could match a rule, the sieve is asked once per endpoint, not
    once per table."""
    private: dict[str, list[tuple[str, list[str]]]] = {}
    for ep in sorted(topo.snapshot.VpcEndpoints, key=lambda e: e.VpcEndpointId):
        if ep.VpcEndpointType != "Gateway" or (ep.State or "available").lower() != "available":
            continue
        vpc = ep.VpcId or ""
        tables = private.get(vpc)
        if tables is None:
            tables = private[vpc] = [
                (t, subnets)
                for t, subnets in sorted(_Lpm.of(topo).tables(topo, vpc).items())
                if any(topo.role(s) == PRIVATE for s in subnets)
            ]
        # Tables with a route to the endpoint: those it lists, and those whose first route to
        # it names its prefix list.
        first_pl: dict[str, str | None] = {}
        for rt, r in topo.routes_to.get(ep.VpcEndpointId, []):
            first_pl.setdefault(rt.RouteTableId, r.DestinationPrefixListId)
        routed = set(ep.RouteTableIds) | {t for t, pl in first_pl.items() if pl is not None}
        known = {"vpce_id": ep.VpcEndpointId, "service": ep.ServiceName, "vpc_id": vpc}
        routed_may_match = sieve is None or sieve.could("gateway_endpoint", **known, has_route=True)
        for t, subnets in tables:
            has_route = t in routed
            if has_route and not routed_may_match:
                continue
            if sieve is not None and not sieve.could(
                "gateway_endpoint",
                rid=f"{ep.VpcEndpointId}:{t}",
                **known,
                route_table_id=t,
                has_route=has_route,
            ):
                continue
            yield {
                "rid": f"{ep.VpcEndpointId}:{t}",
                **known,
                "route_table_id": t,
                "subnets": subnets,
                "has_route": has_route,
                "default_target": (topo.views[subnets[0]].default_target if subnets else ""),
            }


@producer("vpn")
def vpn_facts(topo: Topology) -> Iterator[Fact]:
    """VPN connections with their tunnel status and the routes that use them."""
    snap = topo.snapshot
    ix = _tgw_index(snap)
    for vpn in sorted(snap.VpnConnections, key=lambda v: v.VpnConnectionId):
        if (vpn.State or "available") != "available" or not vpn.VgwTelemetry:
            continue
        used: list[str] = []
        if vpn.VpnGatewayId:
            used += sorted({rt.RouteTableId for rt, _ in topo.routes_to.get(vpn.VpnGatewayId, [])})
        atts = {a for a, res in ix.resource.items() if res == vpn.VpnConnectionId}
        for rtb, rows in sorted(ix.routes.items()):
            if any(
                x.TransitGatewayAttachmentId in atts
                for _, r in rows
                for x in r.TransitGatewayAttachments
            ):
                used.append(rtb)
        down = [t for t in vpn.VgwTelemetry if (t.Status or "").upper() == "DOWN"]
        yield {
            "rid": vpn.VpnConnectionId,
            "vpn_id": vpn.VpnConnectionId,
            "gateway": vpn.VpnGatewayId or vpn.TransitGatewayId or "",
            "vpc_id": "",
            "tunnels": len(vpn.VgwTelemetry),
            "tunnels_down": len(down),
            "all_down": len(down) == len(vpn.VgwTelemetry),
            "in_use": bool(used),
            "used_by": used,
            "outside_ips": [t.OutsideIpAddress or "" for t in vpn.VgwTelemetry],
            "status_messages": [t.StatusMessage or "" for t in vpn.VgwTelemetry],
        }


_TGW = {
    "tgw_id": (S, "the transit gateway"),
    "vpc_id": (S, "the VPC of the attachment"),
}

declare(
    "tgw_route",
    "One per VPC attachment and destination its VPC sends to the transit gateway (another VPC "
    "of the snapshot, or the internet): what the attachment's associated TGW table does.",
    {
        **_TGW,
        "attachment_id": (S, "the VPC attachment the traffic enters the TGW by"),
        "tgw_route_table_id": (S, "the TGW route table associated with that attachment"),
        "dst_vpc": (S, "the destination VPC ('' for the internet)"),
        "dst_cidr": (S, "the destination range"),
        "internet": (B, "the destination is the internet (0.0.0.0/0)"),
        "status": (S, "what the TGW table does: 'active', 'blackhole' or 'none' (no route)"),
        "matched": (S, "the TGW route that matched ('' when none)"),
        "route_table_id": (S, "a VPC route table that sends the destination to the TGW"),
        "route_tables": (LS, "every VPC route table that does"),
        "dst_attachment": (S, "the destination VPC's attachment to the same TGW ('' if none)"),
    },
)

declare(
    "tgw_attachment",
    "One per VPC attachment whose association is known, and one per subnet that routes to the "
    "TGW from an AZ where the attachment has no subnet (missing_az).",
    {
        **_TGW,
        "attachment_id": (S, "the VPC attachment"),
        "subnet_id": (S, "the subnet sending from an AZ without attachment ('' on the first kind)"),
        "az": (S, "that subnet's AZ ('' on the first kind)"),
        "associated": (B, "the attachment is associated with a TGW route table"),
        "in_use": (B, "some subnet of the VPC routes to the TGW"),
        "missing_az": (B, "this fact is about a subnet in an AZ the attachment does not cover"),
        "subnets_using": (LS, "the subnets that route to the TGW"),
        "attachment_azs": (LS, "the AZs the attachment has a subnet in"),
        "attachment_subnets": (LS, "the attachment's subnets"),
        "tables": (LS, "the TGW route tables in the snapshot (candidates to associate with)"),
    },
)

declare(
    "tgw_return",
    "One per route table of a VPC that other VPCs reach through a transit gateway (and per "
    "transit gateway): the source VPCs whose replies the table sends astray.",
    {
        "tgw_id": (S, "the transit gateway"),
        "vpc_id": (S, "the destination VPC (owner of the route table)"),
        "route_table_id": (S, "the destination VPC's route table"),
        "subnets": (LS, "the subnets using the route table"),
        "senders": (LS, "the VPCs that send the destination VPC's range to the TGW"),
        "sender_count": (N, "how many"),
        "src_vpcs": (LS, "those whose replies the table sends elsewhere or nowhere"),
        "src_cidrs": (LS, "their ranges, in the same order"),
        "src_count": (N, "how many"),
        "src_text": (S, "the first of them with their ranges, and how many more"),
        "reply_targets": (LS, "where the table sends their replies ('' when nowhere)"),
        "reply_kinds": (LS, "kinds of those targets: igw, nat, none"),
        "reply_text": (S, "those targets as text ('igw igw-0abc', 'nowhere')"),
        "no_return": (B, "some replies do not go back through a TGW or peering"),
        "add_cidrs": (LS, "source ranges the table has no route of their own for (add one)"),
        "add_count": (N, "how many"),
        "add_text": (S, "the first of them by address, and how many more"),
        "add_summary": (
            S,
            "the smallest network covering every range of add_cidrs, when one route to it can "
            "stand for theirs (at least two ranges, inside one private block, more specific "
            "than the routes it must win against, outside the VPC's local ranges, taking no "
            "other VPC's range from a route that may deliver it); '' otherwise",
        ),
        "replace_cidrs": (LS, "source ranges with a route of their own going elsewhere"),
        "add_cli": (S, "one create-route command per range of add_cidrs, one per line"),
        "add_summary_cli": (S, "the create-route command for add_summary ('' without one)"),
        "replace_cli": (S, "one replace-route command per range of replace_cidrs, one per line"),
        "add_cidrs_hcl": (S, "add_cidrs as a Terraform list"),
    },
)

declare(
    "pcx_route",
    "One per route to a VPC peering connection that is in the snapshot.",
    {
        "pcx_id": (S, "the peering connection"),
        "route_table_id": (S, "the route table holding the route"),
        "vpc_id": (S, "the route table's VPC"),
        "destination": (S, "the route's destination"),
        "status": (S, "the connection's status code (active, pending-acceptance, deleted, ...)"),
        "active": (B, "the connection is active"),
        "pending": (B, "the connection waits for acceptance"),
        "subnets": (LS, "the subnets using the route table"),
    },
)

declare(
    "gateway_endpoint",
    "One per available gateway endpoint and route table of its VPC used by a private subnet.",
    {
        "vpce_id": (S, "the gateway endpoint"),
        "service": (S, "its service name (S3, DynamoDB)"),
        "vpc_id": (S, "its VPC"),
        "route_table_id": (S, "a route table used by private subnets"),
        "subnets": (LS, "the subnets using that route table"),
        "has_route": (B, "the table has the endpoint's prefix-list route"),
        "default_target": (S, "where the table sends 0.0.0.0/0"),
    },
)

declare(
    "vpn",
    "One per available VPN connection with tunnel status.",
    {
        "vpn_id": (S, "the VPN connection"),
        "gateway": (S, "its virtual private gateway or transit gateway"),
        "vpc_id": (S, "always '' (a VPN belongs to a gateway)"),
        "tunnels": (N, "how many tunnels"),
        "tunnels_down": (N, "how many are DOWN"),
        "all_down": (B, "every tunnel is DOWN"),
        "in_use": (B, "a route table (VPC or TGW) sends traffic to it"),
        "used_by": (LS, "those route tables"),
        "outside_ips": (LS, "the tunnels' AWS outside addresses"),
        "status_messages": (LS, "the tunnels' status messages"),
    },
)
