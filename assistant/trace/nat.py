"""NAT gateway hops: a private subnet's way out to the internet."""

from __future__ import annotations

from collections.abc import Callable

from assistant.models.snapshot import (
    Route,
)
from assistant.policy import (
    INTERNET_V4,
    INTERNET_V6,
)
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    subnet_label,
    target_kind,
)
from assistant.trace.base import (
    NAT_PROTOCOLS,
    HopBase,
    catalogue_rule,
    flow_text,
)
from assistant.trace.endpoints import (
    Endpoint,
)
from assistant.trace.model import (
    FAIL,
    INFO,
    PASS,
    UNKNOWN,
    Hop,
)


class NatHops(HopBase):
    def _via_nat(
        self,
        src: Endpoint,
        dst: Endpoint,
        nat_id: str,
        rt_id: str | None,
        via: Route,
        back: Callable[[], list[Hop]] | None = None,
    ) -> list[Hop]:
        """Out through a NAT gateway to the internet and back. ``back`` gives the reply's way
        from the NAT gateway's subnet to the source when the source is in another VPC
        (centralised egress through a transit gateway); by default it is the local route."""
        assert src.subnet_id and src.ip
        nat = self.topo.nats.get(nat_id)
        dst_label = dst.label if dst.ip else "the internet"
        if nat is None:
            why = (
                "no describe-nat-gateways output in the snapshot"
                if not self.snapshot.has("NatGateways")
                else f"{nat_id} is not in the snapshot (deleted?)"
            )
            return [Hop(step="NAT gateway", status=UNKNOWN, where=nat_id, detail=why)]
        res = [nat_id] + ([rt_id] if rt_id else []) + [src.subnet_id]
        if self.proto not in NAT_PROTOCOLS:
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"a NAT gateway passes only TCP, UDP and ICMP: "
                    f"{flow_text(self.proto, self.port)} sent to {nat_id} is dropped",
                    resources=[nat_id],
                )
            ]
        if nat.State != "available":
            extra = f" ({nat.FailureCode}: {nat.FailureMessage})" if nat.FailureCode else ""
            gone = nat.State == "deleted"  # the scan counts a deleted target as a blackhole
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} is {nat.State}{extra}: it forwards nothing",
                    rule=catalogue_rule("egress.route-blackhole" if gone else "nat.not-available")
                    if via.State == "active"
                    else None,
                    resources=res,
                )
            ]
        if nat.ConnectivityType != "public":
            # The rule covers a private NAT gateway used as the way to the internet: some
            # route table sends 0.0.0.0/0 to it and its own subnet cannot forward further.
            nat_view = self.topo.view(nat.SubnetId or "")
            onward = target_kind(nat_view.default_target) if nat_view else "none"
            default_to_it = any(
                r.destination in (INTERNET_V4, INTERNET_V6)
                for _, r in self.topo.routes_to.get(nat_id, [])
            )
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} is a private NAT gateway: it has no public IP and "
                    "cannot reach the internet",
                    rule=catalogue_rule("nat.no-elastic-ip")
                    if default_to_it and onward in ("igw", "none")
                    else None,
                    resources=[nat_id, src.subnet_id],
                )
            ]
        if not nat.public_ips:
            return [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=nat_id,
                    detail=f"{nat_id} has no public IP (Elastic IP): it cannot translate "
                    "addresses for the internet",
                    rule=catalogue_rule("nat.no-elastic-ip"),
                    resources=[nat_id, src.subnet_id],
                )
            ]
        nat_sub = nat.SubnetId or ""
        hops = [
            Hop(
                step="NAT gateway",
                status=PASS,
                where=nat_id,
                detail=f"{nat_id} is available, public IP {', '.join(nat.public_ips)}, "
                f"in {subnet_label(self.topo, nat_sub)}",
                resources=[nat_id],
            )
        ]
        same = nat_sub == src.subnet_id
        if not same:
            hops.append(self._acl(nat_sub, False, src.ip, src.label))
        route_hop, route, rt = self._route(nat_sub, dst.ip, dst_label)
        route_hop.step = "NAT gateway's route table"
        hops.append(route_hop)
        if route is None or route.State == "blackhole":
            if route is None and route_hop.status == FAIL:
                route_hop.rule = self._nat_placement_rule(nat_sub)
                route_hop.resources = [nat_id, nat_sub]
                route_hop.detail += f": {nat_id} has no way out"
            return hops
        kind = target_kind(route.target)
        if kind != "igw":
            route_hop.status = FAIL
            route_hop.detail += (
                f": {subnet_label(self.topo, nat_sub)} is not public (its route for "
                f"{dst_label} goes to {route.target}, not to an internet gateway), so "
                f"{nat_id} cannot reach the internet"
            )
            route_hop.rule = self._nat_placement_rule(nat_sub)
            route_hop.resources = [nat_id, nat_sub]
            return hops
        hops.append(
            self._igw(
                route.target,
                nat.VpcId or src.vpc_id or "",
                rt.RouteTableId if rt else None,
                [nat_sub],
            )
        )
        hops.append(self._acl(nat_sub, True, dst.peer, dst_label))
        hops.append(
            Hop(
                step="internet",
                status=INFO,
                where="internet",
                detail=f"reaches {dst_label} from {nat_id}'s public IP",
            )
        )
        hops.append(self._acl_reply(nat_sub, False, dst.peer, dst_label))
        if not same:
            hops.append(self._acl_reply(nat_sub, True, src.ip, src.label))
        if back is not None:
            return hops + back()
        if not same:
            hops.append(self._local_reply(nat_sub, src))
            hops.append(self._acl_reply(src.subnet_id, False, dst.peer, dst_label))
        return hops

    def _nat_placement_rule(self, nat_subnet: str) -> str | None:
        """nat.in-private-subnet, when the NAT gateway's subnet is not public."""
        if self.topo.role(nat_subnet) in (PRIVATE, ISOLATED):
            return catalogue_rule("nat.in-private-subnet")
        return None
