"""VPC peering hops: active connections only, routes on both sides, no transitive routing.

The peer VPC must hold the destination (a peering never forwards to a third network); the
destination subnet's route table must send the reply back through the same connection.
Overlapping ranges are decided by the most specific route, like any other route. A peer VPC of
another account or region that is not in the snapshot is unknown beyond the connection.
"""

from __future__ import annotations

import ipaddress

from assistant.models.snapshot import Route, VpcPeeringConnection
from assistant.topology import target_kind
from assistant.trace.base import HopBase, catalogue_rule
from assistant.trace.endpoints import Endpoint
from assistant.trace.model import FAIL, PASS, RETURN, UNKNOWN, Hop

GONE = ("deleted", "deleting", "failed", "rejected", "expired")


class PeeringHops(HopBase):
    def _peering(self, pcx_id: str) -> VpcPeeringConnection | None:
        ix = self.__dict__.get("_pcx_ix")
        if ix is None:
            ix = self.__dict__["_pcx_ix"] = {
                p.VpcPeeringConnectionId: p for p in self.snapshot.VpcPeeringConnections
            }
        return ix.get(pcx_id)

    def _via_peering(
        self, src: Endpoint, dst: Endpoint, pcx_id: str, rt_id: str | None, via: Route
    ) -> list[Hop]:
        """Across the peering connection the source's route chose, and back."""
        assert src.subnet_id and src.ip
        dst_label = dst.label if dst.ip or not dst.outside else "the internet"
        pcx = self._peering(pcx_id)
        if pcx is None:
            why = (
                "no describe-vpc-peering-connections output in the snapshot"
                if not self.snapshot.has("VpcPeeringConnections")
                else f"{pcx_id} is not in the snapshot (another account or region?)"
            )
            return [Hop(step="VPC peering", status=UNKNOWN, where=pcx_id, detail=why)]
        code = (pcx.Status or {}).get("Code", "active")
        if code != "active":
            return [
                Hop(
                    step="VPC peering",
                    status=FAIL,
                    where=pcx_id,
                    detail=f"{pcx_id} is {code}: it carries no traffic (BAD_STATE)",
                    rule=catalogue_rule("peering.not-active"),
                    resources=[pcx_id] + ([rt_id] if rt_id else []),
                )
            ]
        req, acc = pcx.RequesterVpcInfo, pcx.AccepterVpcInfo
        if req.VpcId == src.vpc_id:
            mine, other = req, acc
        elif acc.VpcId == src.vpc_id:
            mine, other = acc, req
        else:
            return [
                Hop(
                    step="VPC peering",
                    status=FAIL,
                    where=pcx_id,
                    detail=f"{pcx_id} joins {req.VpcId} and {acc.VpcId}, not {src.vpc_id}",
                    resources=[pcx_id],
                )
            ]
        cross = []
        if other.OwnerId and mine.OwnerId and other.OwnerId != mine.OwnerId:
            cross.append(f"account {other.OwnerId}")
        if other.Region and mine.Region and other.Region != mine.Region:
            cross.append(f"region {other.Region}")
        where_to = f"{other.VpcId}" + (f" ({', '.join(cross)})" if cross else "")
        in_peer = False
        if dst.ip:
            a = ipaddress.ip_address(dst.ip)
            for c in other.cidrs():
                try:
                    if a in ipaddress.ip_network(c, strict=False):
                        in_peer = True
                except ValueError:
                    continue
        hops = [
            Hop(
                step="VPC peering",
                status=PASS,
                where=pcx_id,
                detail=f"{pcx_id} is active, to {where_to}",
                resources=[pcx_id],
            )
        ]
        if dst.vpc_id != other.VpcId:
            if dst.vpc_id is None and in_peer:
                hops.append(
                    Hop(
                        step="peer VPC",
                        status=UNKNOWN,
                        where=other.VpcId or pcx_id,
                        detail=f"{dst_label} is in {where_to}, which is not in the snapshot: "
                        "its network ACLs, security groups and route back are unknown",
                    )
                )
                return hops
            hops.append(
                Hop(
                    step="peer VPC",
                    status=FAIL,
                    where=pcx_id,
                    detail=f"{dst_label} is not in {other.VpcId}: a peering connection only "
                    "delivers to the peer VPC, never beyond it (no transitive routing)",
                    resources=[pcx_id],
                )
            )
            return hops
        if not dst.subnet_id or not dst.ip:
            hops.append(
                Hop(
                    step="destination",
                    status=FAIL,
                    where=dst.vpc_id or "",
                    detail=f"no subnet of {dst.vpc_id} holds {dst.ip}",
                )
            )
            return hops
        same_region = not (other.Region and mine.Region and other.Region != mine.Region)
        hops += self._state(dst)
        hops.append(self._acl(dst.subnet_id, False, src.ip, src.label))
        hops.append(self._sg(dst, True, src.ip, src.label, src.group_ids if same_region else []))
        hops.append(self._acl_reply(dst.subnet_id, True, src.ip, src.label))
        back, route, rt = self._route(dst.subnet_id, src.ip, src.label, RETURN)
        hops.append(back)
        if route is None:
            if back.status == FAIL:
                back.detail += f": the reply has no route back through {pcx_id}"
                one_sided = not any(
                    t.VpcId == dst.vpc_id for t, _ in self.topo.routes_to.get(pcx_id, [])
                )
                if one_sided:  # what the scan's rule checks: no table of the VPC routes back
                    back.rule = catalogue_rule("peering.missing-return-route")
                    back.resources = [pcx_id, dst.vpc_id or ""]
            return hops
        if route.State == "blackhole":
            return hops
        if route.target != pcx_id:
            kind = target_kind(route.target)
            if kind in ("igw", "nat", "local"):
                back.status = FAIL
                back.detail += (
                    f": the reply to {src.ip} goes to {route.target}, not back through "
                    f"{pcx_id}, and never arrives"
                )
            else:
                back.status = UNKNOWN
                back.detail += (
                    f": the reply goes to {route.target}, not back through {pcx_id} "
                    "(asymmetric, not followed)"
                )
            return hops
        hops.append(self._acl_reply(src.subnet_id, False, dst.ip, dst.label))
        return hops
