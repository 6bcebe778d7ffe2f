"""Facts for paths between VPCs: transit gateways, peering, gateway endpoints and VPN.

They ask the questions the trace asks hop by hop, for every pair of VPCs at once, so that a
trace's blocking hop finds its finding (and fix) in the scan of the same snapshot. Missing data
is never a finding: a transit gateway table whose routes are not in the snapshot, or a peering
connection absent from it, yields no fact.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator
from typing import Any

from assistant.engine.facts._base import LS, B, Fact, N, S, declare, producer
from assistant.models.snapshot import RouteTable, TransitGatewayVpcAttachment
from assistant.topology import PRIVATE, Topology, target_kind
from assistant.trace.tgw import TgwIndex, build_tgw_index

ANY = "0.0.0.0/0"


@functools.lru_cache(maxsize=65536)
def _first(cidr: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def _lpm(rt: RouteTable, net: ipaddress.IPv4Network):
    """The route of ``rt`` (CIDR routes only) that covers all of ``net``, most specific."""
    best, best_len = None, -1
    for r in rt.Routes:
        if not r.DestinationCidrBlock:
            continue
        covers = _covers(r.DestinationCidrBlock, net)
        if covers > best_len:
            best, best_len = r, covers
    return best


def _compiled(rt: RouteTable) -> list[tuple[int, int, int, Any]]:
    """``rt``'s CIDR routes as (network, netmask, prefix length, route) integers, for
    ``_lpm_int`` over many destinations."""
    out = []
    for r in rt.Routes:
        n = _first(r.DestinationCidrBlock) if r.DestinationCidrBlock else None
        if n is not None:
            out.append((int(n.network_address), int(n.netmask), n.prefixlen, r))
    return out


def _lpm_int(routes: list[tuple[int, int, int, Any]], addr: int, plen: int) -> Any:
    """``_lpm`` over ``_compiled`` routes, for the network ``addr``/``plen``."""
    best, best_len = None, -1
    for n_addr, mask, n_len, r in routes:
        if n_len <= plen and (addr & mask) == n_addr and n_len > best_len:
            best, best_len = r, n_len
    return best


class _Lpm:
    """``_lpm`` by route table id, each table's routes compiled once (for many destinations)."""

    def __init__(self, topo: Topology):
        self.topo = topo
        self.content_of: dict[str, int] = {}  # table id -> the id of its routes' content
        self.contents: dict[tuple, int] = {}
        self.compiled: dict[int, list[tuple[int, int, int, Any]]] = {}
        self.memo: dict[tuple[int, int, int], Any] = {}

    def __call__(self, t: str, net: ipaddress.IPv4Network) -> Any:
        """The best route of table ``t`` for ``net``; tables with the same routes (targets
        and destinations) give the same answer, so it is computed once for them."""
        cid = self.content_of.get(t)
        if cid is None:
            routes = _compiled(self.topo.route_tables[t])
            key = tuple((a, m, n, r.target, r.DestinationCidrBlock) for a, m, n, r in routes)
            cid = self.content_of[t] = self.contents.setdefault(key, len(self.contents))
            self.compiled.setdefault(cid, routes)
        addr, plen = int(net.network_address), net.prefixlen
        k = (cid, addr, plen)
        if k not in self.memo:
            self.memo[k] = _lpm_int(self.compiled[cid], addr, plen)
        return self.memo[k]


@functools.lru_cache(maxsize=65536)
def _covers(dest: str, net: ipaddress.IPv4Network) -> int:
    """The prefix length of ``dest`` if it covers all of ``net``, else -1 (few distinct pairs
    over a whole region: cached)."""
    n = _first(dest)
    return n.prefixlen if n is not None and net.subnet_of(n) else -1


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


@producer("tgw_route")
def tgw_route_facts(topo: Topology) -> Iterator[Fact]:
    """For each VPC attachment and each destination its VPC sends to the transit gateway
    (another VPC of the snapshot, or the internet), what the associated TGW table does."""
    ix = build_tgw_index(topo.snapshot)
    lpm = _Lpm(topo)
    for att in _attachments(ix):
        aid, tgw, vpc = att.TransitGatewayAttachmentId, att.TransitGatewayId or "", att.VpcId or ""
        rtb = ix.assoc.get(aid)
        if rtb is None:
            continue
        tables = _vpc_tables(topo, vpc, set())
        dests: list[tuple[str, str, ipaddress.IPv4Network]] = [("", ANY, _first(ANY))]  # type: ignore[list-item]
        for other in sorted(topo.vpcs.values(), key=lambda v: v.VpcId):
            net = _first(other.CidrBlock)
            if other.VpcId != vpc and net is not None:
                dests.append((other.VpcId, other.CidrBlock, net))
        for dst_vpc, cidr, net in dests:
            using = sorted(
                t
                for t in tables
                if (r := lpm(t, net)) is not None
                and r.target == tgw
                and (dst_vpc or r.DestinationCidrBlock == ANY)
            )
            if not using:
                continue
            status, matched = _tgw_lpm(ix, rtb, net)
            if status == "unknown":
                continue
            for t in using if not dst_vpc else using[:1]:
                yield {
                    "rid": f"{aid}:{dst_vpc or 'internet'}:{t if not dst_vpc else ''}",
                    "attachment_id": aid,
                    "tgw_id": tgw,
                    "tgw_route_table_id": rtb,
                    "vpc_id": vpc,
                    "dst_vpc": dst_vpc,
                    "dst_cidr": cidr,
                    "internet": not dst_vpc,
                    "status": status,
                    "matched": matched,
                    "route_table_id": t,
                    "route_tables": using,
                    "dst_attachment": next(
                        (
                            a.TransitGatewayAttachmentId
                            for a in _attachments(ix)
                            if a.VpcId == dst_vpc and a.TransitGatewayId == tgw
                        ),
                        "",
                    ),
                }


@producer("tgw_attachment")
def tgw_attachment_facts(topo: Topology) -> Iterator[Fact]:
    """VPC attachments: associated with a route table? which subnets route to the TGW from an
    AZ the attachment has no subnet in?"""
    ix = build_tgw_index(topo.snapshot)
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


@producer("tgw_return")
def tgw_return_facts(topo: Topology) -> Iterator[Fact]:
    """For each VPC that sends another VPC's range to a transit gateway, the route tables of
    that other VPC (except its attachment subnets') and where they send the replies."""
    ix = build_tgw_index(topo.snapshot)
    atts = _attachments(ix)
    # The tables of each attachment's VPC outside its own subnets, computed once (not per source).
    d_tables: dict[str, list[tuple[str, list[str]]]] = {}
    lpm = _Lpm(topo)
    kinds: dict[str, str] = {}
    for src in atts:
        tgw, s_vpc = src.TransitGatewayId or "", src.VpcId or ""
        s_net = _first(topo.vpcs[s_vpc].CidrBlock) if s_vpc in topo.vpcs else None
        if s_net is None:
            continue
        s_cidr = str(s_net)
        s_tables = _vpc_tables(topo, s_vpc, set())
        for dst in atts:
            d_vpc = dst.VpcId or ""
            if dst is src or dst.TransitGatewayId != tgw or d_vpc not in topo.vpcs:
                continue
            d_net = _first(topo.vpcs[d_vpc].CidrBlock)
            if d_net is None:
                continue
            sends = any((r := lpm(t, d_net)) is not None and r.target == tgw for t in s_tables)
            if not sends:
                continue
            key = dst.TransitGatewayAttachmentId
            if key not in d_tables:
                d_tables[key] = sorted(_vpc_tables(topo, d_vpc, set(dst.SubnetIds)).items())
            for t, subnets in d_tables[key]:
                r = lpm(t, s_net)
                target = r.target if r is not None else ""
                if target not in kinds:
                    kinds[target] = target_kind(target) if target else "none"
                kind = kinds[target]
                yield {
                    "rid": f"{t}:{s_vpc}",
                    "route_table_id": t,
                    "vpc_id": d_vpc,
                    "src_vpc": s_vpc,
                    "src_cidr": s_cidr,
                    "tgw_id": tgw,
                    "subnets": subnets,
                    "reply_target": target,
                    "reply_kind": kind,
                    "no_return": kind in ("none", "igw", "nat"),
                    "replace": r is not None and r.DestinationCidrBlock == s_cidr,
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


@producer("gateway_endpoint")
def gateway_endpoint_facts(topo: Topology) -> Iterator[Fact]:
    """Gateway endpoints and the private route tables of their VPC that lack their route."""
    for ep in sorted(topo.snapshot.VpcEndpoints, key=lambda e: e.VpcEndpointId):
        if ep.VpcEndpointType != "Gateway" or (ep.State or "available").lower() != "available":
            continue
        vpc = ep.VpcId or ""
        for t, subnets in sorted(_vpc_tables(topo, vpc, set()).items()):
            if not any(topo.role(s) == PRIVATE for s in subnets):
                continue
            rt = topo.route_tables[t]
            pl = next(
                (r.DestinationPrefixListId for r in rt.Routes if r.target == ep.VpcEndpointId),
                None,
            )
            yield {
                "rid": f"{ep.VpcEndpointId}:{t}",
                "vpce_id": ep.VpcEndpointId,
                "service": ep.ServiceName,
                "vpc_id": vpc,
                "route_table_id": t,
                "subnets": subnets,
                "has_route": pl is not None or t in ep.RouteTableIds,
                "default_target": (topo.views[subnets[0]].default_target if subnets else ""),
            }


@producer("vpn")
def vpn_facts(topo: Topology) -> Iterator[Fact]:
    """VPN connections with their tunnel status and the routes that use them."""
    snap = topo.snapshot
    ix = build_tgw_index(snap)
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
    "One per route table of a destination VPC reached through a TGW: where it sends the "
    "replies to the source VPC.",
    {
        "tgw_id": (S, "the transit gateway"),
        "vpc_id": (S, "the destination VPC (owner of the route table)"),
        "route_table_id": (S, "the destination VPC's route table"),
        "src_vpc": (S, "the VPC that sends through the TGW"),
        "src_cidr": (S, "its range"),
        "subnets": (LS, "the subnets using the route table"),
        "reply_target": (S, "where the table sends the source's range ('' when nowhere)"),
        "reply_kind": (S, "kind of that target: tgw, pcx, igw, nat, none, ..."),
        "no_return": (B, "the replies do not go back through a TGW or peering"),
        "replace": (B, "a route for exactly the source's range exists (replace, not add)"),
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
