"""Transit gateway hops: the ingress attachment's associated route table decides.

A subnet can send to a VPC attachment only if the attachment has a subnet in its AZ; the
attachment subnets' network ACLs apply on the way in and out of the transit gateway; the route
table associated with the attachment the packet *enters* by is searched by longest prefix
(``blackhole`` drops); the reply is routed again by the destination's subnet and by the table
of the destination's attachment, and may take another way (asymmetric). TGW peering carries
static routes only. VPN and Direct Connect attachments are the edge of the analysis.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from assistant.models.snapshot import (
    Route,
    TransitGatewayRoute,
    TransitGatewayVpcAttachment,
)
from assistant.policy import INTERNET_V4
from assistant.topology import subnet_label, target_kind
from assistant.trace.base import HopBase, catalogue_rule
from assistant.trace.endpoints import Endpoint
from assistant.trace.model import FAIL, PASS, RETURN, UNKNOWN, Hop

GONE = ("deleted", "deleting", "failed", "failing", "rejected")
MAX_TGW_HOPS = 3  # transit gateways crossed through TGW peering before giving up


@dataclass
class TgwIndex:
    """The transit gateway collections indexed for lookups."""

    vpc_att: dict[tuple[str, str], TransitGatewayVpcAttachment] = field(default_factory=dict)
    vpc_att_by_id: dict[str, TransitGatewayVpcAttachment] = field(default_factory=dict)
    assoc: dict[str, str] = field(default_factory=dict)  # attachment id -> TGW route table id
    assoc_known: bool = False
    listed: set[str] = field(default_factory=set)  # in describe-transit-gateway-attachments
    kind: dict[str, str] = field(default_factory=dict)  # attachment id -> vpc/peering/vpn/...
    state: dict[str, str] = field(default_factory=dict)
    resource: dict[str, str] = field(default_factory=dict)  # attachment id -> vpc-/vpn-/tgw-
    tgw_of: dict[str, str] = field(default_factory=dict)  # attachment id -> its TGW
    peer_tgw: dict[tuple[str, str], str] = field(default_factory=dict)  # (att, tgw) -> other
    routes: dict[str, list[tuple[ipaddress.IPv4Network, TransitGatewayRoute]]] = field(
        default_factory=dict
    )


def build_tgw_index(snap) -> TgwIndex:
    ix = TgwIndex()
    for a in snap.TransitGatewayVpcAttachments:
        if a.VpcId and a.TransitGatewayId and (a.State or "available") not in GONE:
            ix.vpc_att[(a.TransitGatewayId, a.VpcId)] = a
        ix.vpc_att_by_id[a.TransitGatewayAttachmentId] = a
        ix.kind[a.TransitGatewayAttachmentId] = "vpc"
        ix.state[a.TransitGatewayAttachmentId] = a.State or "available"
        if a.VpcId:
            ix.resource[a.TransitGatewayAttachmentId] = a.VpcId
        if a.TransitGatewayId:
            ix.tgw_of[a.TransitGatewayAttachmentId] = a.TransitGatewayId
    for g in snap.TransitGatewayAttachments:
        aid = g.TransitGatewayAttachmentId
        ix.listed.add(aid)
        ix.kind.setdefault(aid, g.ResourceType or "")
        ix.state.setdefault(aid, g.State or "available")
        if g.ResourceId:
            ix.resource.setdefault(aid, g.ResourceId)
        if g.TransitGatewayId:
            ix.tgw_of.setdefault(aid, g.TransitGatewayId)
        if g.Association and g.Association.TransitGatewayRouteTableId:
            if (g.Association.State or "associated") in ("associated", "associating"):
                ix.assoc[aid] = g.Association.TransitGatewayRouteTableId
    if snap.has("TransitGatewayAttachments"):
        ix.assoc_known = True
    for rtb, refs in snap.TransitGatewayRouteTableAssociations.items():
        ix.assoc_known = True
        for ref in refs:
            if ref.TransitGatewayAttachmentId and (ref.State or "associated") in (
                "associated",
                "associating",
            ):
                ix.assoc[ref.TransitGatewayAttachmentId] = rtb
    for p in snap.TransitGatewayPeeringAttachments:
        aid = p.TransitGatewayAttachmentId
        ix.kind[aid] = "peering"
        ix.state[aid] = p.State or "available"
        req, acc = p.RequesterTgwInfo.TransitGatewayId, p.AccepterTgwInfo.TransitGatewayId
        if req and acc:
            ix.peer_tgw[(aid, req)] = acc
            ix.peer_tgw[(aid, acc)] = req
    for rtb, routes in snap.TransitGatewayRoutes.items():
        rows = []
        for r in routes:
            if not r.DestinationCidrBlock:
                continue
            try:
                net = ipaddress.ip_network(r.DestinationCidrBlock, strict=False)
            except ValueError:
                continue
            if isinstance(net, ipaddress.IPv4Network):
                rows.append((net, r))
        rows.sort(key=lambda x: -x[0].prefixlen)
        ix.routes[rtb] = rows
    return ix


def _att_target(r: TransitGatewayRoute) -> tuple[str, str, str]:
    """(attachment id, resource type, resource id) of a route's first attachment."""
    if not r.TransitGatewayAttachments:
        return "", "", ""
    a = r.TransitGatewayAttachments[0]
    return a.TransitGatewayAttachmentId or "", a.ResourceType or "", a.ResourceId or ""


class TgwHops(HopBase):
    @property
    def _tgw(self) -> TgwIndex:
        ix = self.__dict__.get("_tgw_ix")
        if ix is None:
            ix = self.__dict__["_tgw_ix"] = build_tgw_index(self.snapshot)
        return ix

    # -- pieces ---------------------------------------------------------------------------
    def _tgw_lookup(
        self, rtb: str, dest: str | None
    ) -> tuple[str, tuple[ipaddress.IPv4Network, TransitGatewayRoute] | None]:
        """Longest prefix match in a TGW route table: ("unknown"|"found"|"none", match)."""
        rows = self._tgw.routes.get(rtb)
        if rows is None:
            return "unknown", None
        target = ipaddress.IPv4Network(dest if dest else INTERNET_V4, strict=False)
        for net, r in rows:
            if target.subnet_of(net):
                return "found", (net, r)
        return "none", None

    def _attachment_subnet(
        self, att: TransitGatewayVpcAttachment, az: str
    ) -> tuple[str | None, bool]:
        """The attachment's subnet in ``az`` and whether the AZs of its subnets are all known."""
        known = True
        for s in att.SubnetIds:
            saz = self.topo.az_of(s)
            if not saz:
                known = False
            elif saz == az:
                return s, True
        return None, known

    def _vpc_attachment_hop(
        self, tgw_id: str, vpc_id: str, direction: str
    ) -> tuple[Hop | None, TransitGatewayVpcAttachment | None]:
        att = self._tgw.vpc_att.get((tgw_id, vpc_id))
        step = "transit gateway attachment" + (" (reply)" if direction == RETURN else "")
        if att is not None:
            return None, att
        gone = [
            a
            for a in self.snapshot.TransitGatewayVpcAttachments
            if a.TransitGatewayId == tgw_id and a.VpcId == vpc_id
        ]
        if gone:
            a = gone[0]
            return Hop(
                step=step,
                status=FAIL,
                where=a.TransitGatewayAttachmentId,
                detail=f"the attachment of {vpc_id} to {tgw_id} is {a.State} (BAD_STATE)",
                direction=direction,
                resources=[a.TransitGatewayAttachmentId],
            ), None
        why = (
            "no describe-transit-gateway-vpc-attachments output in the snapshot"
            if not self.snapshot.has("TransitGatewayVpcAttachments")
            else f"no attachment of {vpc_id} to {tgw_id} is in the snapshot (another account?)"
        )
        return Hop(step=step, status=UNKNOWN, where=tgw_id, detail=why, direction=direction), None

    def _az_rule_hop(
        self, att: TransitGatewayVpcAttachment, subnet_id: str, direction: str
    ) -> tuple[Hop, str | None]:
        """A subnet sends to the TGW only through the attachment's subnet in its own AZ."""
        az = self.topo.az_of(subnet_id)
        aid = att.TransitGatewayAttachmentId
        step = "transit gateway AZ" + (" (reply)" if direction == RETURN else "")
        sub, known = self._attachment_subnet(att, az)
        if sub is not None:
            return Hop(
                step=step,
                status=PASS,
                where=aid,
                detail=f"{aid} has {subnet_label(self.topo, sub)} in {az}, the AZ of {subnet_id}",
                direction=direction,
                resources=[aid],
            ), sub
        if not az or not known:
            return Hop(
                step=step,
                status=UNKNOWN,
                where=aid,
                detail=f"the AZ of {subnet_id} or of a subnet of {aid} is not in the snapshot",
                direction=direction,
            ), None
        azs = sorted({self.topo.az_of(s) for s in att.SubnetIds})
        return Hop(
            step=step,
            status=FAIL,
            where=aid,
            detail=f"{aid} has no subnet in {az} (only {', '.join(azs) or 'none'}): "
            f"traffic from {subnet_id} cannot enter the transit gateway "
            "(NO_ATTACHMENT_IN_AZ)",
            direction=direction,
            rule=catalogue_rule("tgw.no-attachment-in-az"),
            resources=[subnet_id, aid],
        ), None

    def _tgw_table_hop(
        self, tgw_id: str, aid: str, dest: str | None, dest_label: str, direction: str
    ) -> tuple[Hop, TransitGatewayRoute | None, str | None]:
        """The route of the table associated with the ingress attachment ``aid``."""
        step = "transit gateway route table" + (" (reply)" if direction == RETURN else "")
        rtb = self._tgw.assoc.get(aid)
        if rtb is None:
            if not self._tgw.assoc_known or aid not in self._tgw.listed:
                return (
                    Hop(
                        step=step,
                        status=UNKNOWN,
                        where=aid,
                        detail="the route table associations of the transit gateway are not in "
                        "the snapshot (describe-transit-gateway-attachments)",
                        direction=direction,
                    ),
                    None,
                    None,
                )
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=aid,
                    detail=f"{aid} is associated with no route table of {tgw_id}: the transit "
                    "gateway drops what enters by it (NO_ROUTE_TABLE_ASSOCIATION)",
                    direction=direction,
                    rule=catalogue_rule("tgw.attachment-not-associated"),
                    resources=[aid],
                ),
                None,
                rtb,
            )
        found, m = self._tgw_lookup(rtb, dest)
        if found == "unknown":
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=rtb,
                    detail=f"the routes of {rtb} are not in the snapshot "
                    "(search-transit-gateway-routes)",
                    direction=direction,
                ),
                None,
                rtb,
            )
        if m is None:
            default = dest is None
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=rtb,
                    detail=f"{rtb} (associated with {aid}) has no route that covers {dest_label} "
                    "(CANNOT_ROUTE)",
                    direction=direction,
                    rule=catalogue_rule(
                        "tgw.no-default-route" if default else "tgw.no-route-to-destination"
                    ),
                    resources=[rtb],
                ),
                None,
                rtb,
            )
        net, r = m
        tatt, ttype, tres = _att_target(r)
        line = f"{rtb}: {net} -> {tatt or 'nothing'}"
        if tres:
            line += f" ({ttype} {tres})"
        line += f", {r.Type or 'static'}, {r.State}"
        if r.State != "blackhole" and not tatt:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=rtb,
                    detail=f"{line}: the route is {r.State} but names no attachment, so where "
                    f"it sends {dest_label} is unknown",
                    direction=direction,
                ),
                None,
                rtb,
            )
        if r.State == "blackhole":
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=rtb,
                    detail=f"{line}: traffic to {dest_label} is dropped (BLACKHOLE_ROUTE)",
                    direction=direction,
                    rule=catalogue_rule("tgw.blackhole-route"),
                    resources=[rtb, aid],
                ),
                r,
                rtb,
            )
        return (
            Hop(
                step=step,
                status=PASS,
                where=rtb,
                detail=f"{line}, longest prefix match for {dest_label} in the table associated "
                f"with {aid}",
                direction=direction,
                resources=[rtb],
            ),
            r,
            rtb,
        )

    # -- the path -------------------------------------------------------------------------
    def _via_tgw(
        self, src: Endpoint, dst: Endpoint, tgw_id: str, rt_id: str | None, via: Route
    ) -> list[Hop]:
        """From a subnet whose route sends ``dst`` to ``tgw_id``, through the transit gateway
        into the destination VPC (or out of the egress VPC to the internet), and back."""
        assert src.subnet_id and src.ip
        if not src.vpc_id:
            return [
                Hop(
                    step="transit gateway attachment",
                    status=UNKNOWN,
                    where=tgw_id,
                    detail=f"the VPC of {src.label} is not in the snapshot",
                )
            ]
        dst_label = dst.label if dst.ip or not dst.outside else "the internet"
        miss, att = self._vpc_attachment_hop(tgw_id, src.vpc_id, "forward")
        if att is None:
            assert miss is not None
            return [miss]
        hops: list[Hop] = []
        az_hop, in_sub = self._az_rule_hop(att, src.subnet_id, "forward")
        hops.append(az_hop)
        if in_sub is None:
            return hops
        if in_sub != src.subnet_id:
            hops.append(self._acl(in_sub, False, src.ip, src.label))
        aid = att.TransitGatewayAttachmentId
        cur_tgw = tgw_id
        for _ in range(MAX_TGW_HOPS):
            hop, r, rtb = self._tgw_table_hop(cur_tgw, aid, dst.ip, dst_label, "forward")
            if hop.status == FAIL and hop.rule == "tgw.no-default-route":
                hop.resources = [rtb or ""] + ([rt_id] if rt_id else [])
                if via.destination != INTERNET_V4:
                    hop.rule = None  # the rule is about a spoke's default route
            elif hop.status == FAIL and hop.rule == "tgw.no-route-to-destination":
                hop.resources = [rtb or "", aid] + ([dst.vpc_id] if dst.vpc_id else [])
            if cur_tgw != tgw_id:
                hop.rule = None  # a table of a peered transit gateway: no scan rule covers it
            hops.append(hop)
            if r is None or hop.status != PASS:
                return hops
            tatt, ttype, tres = _att_target(r)
            ttype = ttype or self._tgw.kind.get(tatt, "")
            if ttype == "peering":
                nxt = self._tgw.peer_tgw.get((tatt, cur_tgw))
                if nxt is None:
                    hops.append(
                        Hop(
                            step="transit gateway peering",
                            status=UNKNOWN,
                            where=tatt,
                            detail=f"the peering attachment {tatt} is not in the snapshot",
                        )
                    )
                    return hops
                state = self._tgw.state.get(tatt, "available")
                ok = state == "available"
                hops.append(
                    Hop(
                        step="transit gateway peering",
                        status=PASS if ok else FAIL,
                        where=tatt,
                        detail=f"{tatt} joins {cur_tgw} to {nxt} ({state}); the peer "
                        "table must have a static route (peering propagates nothing)",
                        resources=[tatt],
                    )
                )
                if not ok:
                    return hops
                cur_tgw, aid = nxt, tatt
                continue
            if ttype == "vpc":
                return hops + self._tgw_enter(src, dst, cur_tgw, tatt, tres, att, rt_id)
            if ttype == "vpn":
                return hops + [self._vpn_hop(tatt, tres, dst_label)]
            hops.append(
                Hop(
                    step="transit gateway attachment",
                    status=UNKNOWN,
                    where=tatt,
                    detail=f"traffic for {dst_label} leaves by {ttype or 'an'} attachment "
                    f"{tatt}: what lies beyond it (Direct Connect, Connect, Network Firewall, "
                    "GWLB) is not followed",
                )
            )
            return hops
        hops.append(
            Hop(
                step="transit gateway peering",
                status=UNKNOWN,
                where=cur_tgw,
                detail=f"more than {MAX_TGW_HOPS} transit gateways in a row: not followed",
            )
        )
        return hops

    def _tgw_enter(
        self,
        src: Endpoint,
        dst: Endpoint,
        tgw_id: str,
        tatt: str,
        target_vpc: str,
        src_att: TransitGatewayVpcAttachment,
        rt_id: str | None,
    ) -> list[Hop]:
        """Into ``target_vpc`` by its attachment ``tatt``: deliver to ``dst`` there, or, for
        the internet, out through the egress VPC's NAT gateway."""
        assert src.subnet_id and src.ip
        dst_label = dst.label if dst.ip or not dst.outside else "the internet"
        att = self._tgw.vpc_att_by_id.get(tatt)
        if att is None or not att.SubnetIds:
            return [
                Hop(
                    step="transit gateway attachment",
                    status=UNKNOWN,
                    where=tatt,
                    detail=f"the subnets of {tatt} ({target_vpc}) are not in the snapshot",
                )
            ]
        src_az = self.topo.az_of(src.subnet_id)
        dst_az = self.topo.az_of(dst.subnet_id or "") if not dst.outside else ""
        out_sub = (
            self._attachment_subnet(att, src_az)[0]
            or self._attachment_subnet(att, dst_az)[0]
            or att.SubnetIds[0]
        )
        if out_sub not in self.topo.subnets:
            return [
                Hop(
                    step="transit gateway attachment",
                    status=UNKNOWN,
                    where=tatt,
                    detail=f"{out_sub}, the subnet of {tatt}, is not in the snapshot",
                )
            ]
        hops = [
            Hop(
                step="transit gateway attachment",
                status=PASS,
                where=tatt,
                detail=f"enters {target_vpc} by {tatt} in {subnet_label(self.topo, out_sub)}",
                resources=[tatt],
            )
        ]
        if dst.outside:
            return hops + self._tgw_egress(src, dst, tgw_id, att, out_sub, src_att)
        if dst.vpc_id != target_vpc:
            hops.append(
                Hop(
                    step="next hop",
                    status=UNKNOWN,
                    where=tatt,
                    detail=f"the transit gateway delivers {dst_label} to {target_vpc}, but "
                    f"{dst_label} is in {dst.vpc_id}: what {target_vpc} does with it (an "
                    "inspection appliance, a firewall) is not followed",
                    resources=[tatt],
                )
            )
            return hops
        if not dst.subnet_id or not dst.ip:
            hops.append(
                Hop(
                    step="destination",
                    status=FAIL,
                    where=target_vpc,
                    detail=f"no subnet of {target_vpc} holds {dst.ip}",
                )
            )
            return hops
        if out_sub != dst.subnet_id:
            hops.append(self._acl(out_sub, True, dst.ip, dst_label))
        hops += self._state(dst)
        hops.append(self._acl(dst.subnet_id, False, src.ip, src.label))
        hops.append(self._sg(dst, True, src.ip, src.label, []))
        hops.append(self._acl_reply(dst.subnet_id, True, src.ip, src.label))
        hops += self._tgw_return(src, dst.subnet_id, dst.label, dst.ip, tgw_id, att, src_att)
        return hops

    def _tgw_return(
        self,
        src: Endpoint,
        from_subnet: str,
        from_label: str,
        from_ip: str,
        tgw_id: str,
        far_att: TransitGatewayVpcAttachment,
        src_att: TransitGatewayVpcAttachment,
    ) -> list[Hop]:
        """The reply from ``from_subnet`` (in the far VPC) back to ``src`` through the TGW."""
        assert src.ip and src.subnet_id
        back, route, rt = self._route(from_subnet, src.ip, src.label, RETURN)
        if route is None:
            if back.status == FAIL:
                back.detail += (
                    f": the reply has no way back to {src.label} (the request arrived by {tgw_id})"
                )
                back.rule = catalogue_rule("tgw.no-return-route")
                back.resources = [
                    rt.RouteTableId if rt else "",
                    far_att.VpcId or "",
                    src.vpc_id or "",
                ]
            return [back]
        if route.State == "blackhole":
            return [back]
        kind = target_kind(route.target)
        if route.target != tgw_id:
            if kind in ("igw", "nat"):
                back.status = FAIL
                back.detail += (
                    f": the reply to {src.ip} goes to {route.target}, not back to {tgw_id}; "
                    "the internet drops private addresses"
                )
                back.rule = catalogue_rule("tgw.no-return-route")
                back.resources = [
                    rt.RouteTableId if rt else "",
                    far_att.VpcId or "",
                    src.vpc_id or "",
                ]
            else:
                back.status = UNKNOWN
                back.detail += (
                    f": the reply goes to {route.target}, not back to {tgw_id} (asymmetric "
                    "return, not followed)"
                )
            return [back]
        back.detail += f" (symmetric: back to {tgw_id})"
        hops = [back]
        az_hop, in_sub = self._az_rule_hop(far_att, from_subnet, RETURN)
        hops.append(az_hop)
        if in_sub is None:
            return hops
        if in_sub != from_subnet:
            hops.append(self._acl_reply(in_sub, False, from_ip, from_label))
        aid, cur = far_att.TransitGatewayAttachmentId, tgw_id
        for _ in range(MAX_TGW_HOPS):
            hop, r, _rtb = self._tgw_table_hop(cur, aid, src.ip, src.label, RETURN)
            if hop.status == FAIL and hop.rule == "tgw.no-route-to-destination":
                hop.resources = [_rtb or "", aid, src.vpc_id or ""]
            elif hop.status == FAIL and hop.rule == "tgw.no-default-route":
                hop.rule = None
            if cur != tgw_id or cur != src_att.TransitGatewayId:
                hop.rule = None  # a table of a peered transit gateway: no scan rule covers it
            hops.append(hop)
            if r is None or hop.status != PASS:
                return hops
            tatt = _att_target(r)[0]
            nxt = self._tgw.peer_tgw.get((tatt, cur))
            if nxt is not None and self._tgw.state.get(tatt, "available") == "available":
                aid, cur = tatt, nxt  # back across TGW peering (static routes only)
                continue
            break
        else:
            return hops
        if tatt != src_att.TransitGatewayAttachmentId:
            hop.status = UNKNOWN
            hop.detail += (
                f": the reply leaves by {tatt}, not by {src_att.TransitGatewayAttachmentId} "
                f"of {src.vpc_id} (asymmetric, not followed)"
            )
            return hops
        back_sub = self._attachment_subnet(src_att, self.topo.az_of(src.subnet_id))[0]
        if back_sub and back_sub != src.subnet_id:
            hops.append(self._acl_reply(back_sub, True, src.ip, src.label))
        hops.append(self._acl_reply(src.subnet_id, False, from_ip, from_label))
        return hops

    def _tgw_egress(
        self,
        src: Endpoint,
        dst: Endpoint,
        tgw_id: str,
        egress_att: TransitGatewayVpcAttachment,
        out_sub: str,
        src_att: TransitGatewayVpcAttachment,
    ) -> list[Hop]:
        """Centralised egress: the egress VPC's attachment subnet routes to a NAT gateway,
        which leaves by the internet gateway; the NAT subnet routes the spoke back to the
        transit gateway, whose table for the egress attachment knows the spoke."""
        assert src.ip and src.subnet_id
        dst_label = dst.label if dst.ip else "the internet"
        hop, route, rt = self._route(out_sub, dst.ip, dst_label)
        hop.step = "route table (egress VPC)"
        hops = [hop]
        if route is None or route.State == "blackhole":
            return hops
        kind = target_kind(route.target)
        if kind == "nat":
            hops.append(self._acl(out_sub, True, dst.peer, dst_label))
            nat = self.topo.nats.get(route.target)
            nat_sub = nat.SubnetId if nat and nat.SubnetId else out_sub

            def back() -> list[Hop]:
                return self._tgw_return(
                    src, nat_sub, dst_label, dst.peer, tgw_id, egress_att, src_att
                )

            fake_src = Endpoint(
                src.kind,
                src.id,
                src.label,
                vpc_id=egress_att.VpcId,
                subnet_id=out_sub,
                ip=src.ip,
                group_ids=src.group_ids,
                state=src.state,
            )
            nat_hops = self._via_nat(
                fake_src, dst, route.target, rt.RouteTableId if rt else None, route, back
            )
            return hops + nat_hops
        if kind == "igw":
            hop.status = FAIL
            hop.detail += (
                f": {src.label} has a private address only, and {route.target} passes only "
                "addresses with a public IP (centralised egress needs a NAT gateway)"
            )
            return hops
        hops.append(
            Hop(
                step="next hop",
                status=UNKNOWN,
                where=route.target,
                detail=f"the egress VPC sends {dst_label} to {route.target} (a firewall or "
                "appliance): not followed",
            )
        )
        return hops
