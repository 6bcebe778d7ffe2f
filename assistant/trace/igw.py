"""Internet gateway hops: out through an IGW with a public IP, and in from the internet."""

from __future__ import annotations

from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    looks_backend,
    target_kind,
)
from assistant.trace.base import (
    HopBase,
    catalogue_rule,
)
from assistant.trace.endpoints import (
    INSTANCE,
    Endpoint,
)
from assistant.trace.model import (
    FAIL,
    INFO,
    PASS,
    RETURN,
    UNKNOWN,
    Hop,
)


class IgwHops(HopBase):
    def _igw(self, igw_id: str, vpc_id: str, rt_id: str | None, subnets: list[str]) -> Hop:
        attached = self.topo.igw_attached(igw_id, vpc_id)
        if attached is None:
            return Hop(
                step="internet gateway",
                status=UNKNOWN,
                where=igw_id,
                detail=f"{igw_id} is not in the snapshot (no describe-internet-gateways "
                "output), so its attachment is unknown",
            )
        if not attached and igw_id not in self.topo.igws:
            # Absent from the input is unknown, not gone: the list may be filtered, or the
            # gateway may belong to another account (AWS itself marks a deleted target's route
            # as a blackhole, which the route hop reports).
            return Hop(
                step="internet gateway",
                status=UNKNOWN,
                where=igw_id,
                detail=f"{igw_id} is not in the describe-internet-gateways output, so its "
                "attachment is unknown",
            )
        if not attached:
            gone = False
            return Hop(
                step="internet gateway",
                status=FAIL,
                where=igw_id,
                detail=f"{igw_id} no longer exists"
                if gone
                else f"{igw_id} is not attached to {vpc_id}",
                rule=catalogue_rule("egress.route-blackhole" if gone else "igw.not-attached"),
                resources=[igw_id] + ([rt_id] if rt_id else []) + subnets,
            )
        return Hop(
            step="internet gateway",
            status=PASS,
            where=igw_id,
            detail=f"{igw_id} is attached to {vpc_id}",
            resources=[igw_id],
        )

    def _via_igw(self, src: Endpoint, dst: Endpoint, igw_id: str, rt_id: str | None) -> list[Hop]:
        assert src.subnet_id
        hops = [self._igw(igw_id, src.vpc_id or "", rt_id, [src.subnet_id])]
        if src.public_ips:
            hops.append(
                Hop(
                    step="public IP",
                    status=PASS,
                    where=src.id,
                    detail=f"{src.label} has public IP {', '.join(src.public_ips)}: "
                    f"{igw_id} translates its address",
                )
            )
        else:
            hops.append(
                Hop(
                    step="public IP",
                    status=FAIL,
                    where=src.id,
                    detail=f"{src.label} has no public IP or Elastic IP: {igw_id} drops its "
                    "traffic (only addresses with a public IP pass an internet gateway)",
                    rule=catalogue_rule("egress.igw-route-without-public-ip")
                    if src.kind == INSTANCE
                    and src.state == "running"
                    and self.topo.role(src.subnet_id) == PUBLIC
                    else None,
                    resources=[src.subnet_id, src.id] + ([rt_id] if rt_id else []),
                )
            )
        dst_label = dst.label if dst.ip else "the internet"
        hops.append(
            Hop(
                step="internet",
                status=INFO,
                where="internet",
                detail=f"reaches {dst_label} through {igw_id}",
            )
        )
        hops.append(self._acl_reply(src.subnet_id, False, dst.peer, dst_label))
        return hops

    def _inbound(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        hops = self._state(dst)
        src_label = src.label if src.ip else "the internet"
        if not dst.vpc_id:
            return hops + [
                Hop(
                    step="destination",
                    status=UNKNOWN,
                    where=dst.id,
                    detail=f"{dst.label} has no VPC in the snapshot",
                )
            ]
        igw = self.topo.attached_igw(dst.vpc_id)
        if igw is None:
            if not self.snapshot.has("InternetGateways"):
                hops.append(
                    Hop(
                        step="internet gateway",
                        status=UNKNOWN,
                        where=dst.vpc_id,
                        detail="no describe-internet-gateways output in the snapshot",
                    )
                )
            elif any(
                target_kind(t) == "igw" and t not in self.topo.igws
                for t, pairs in self.topo.routes_to.items()
                for rt, _ in pairs
                if rt.VpcId == dst.vpc_id
            ):
                hops.append(
                    Hop(
                        step="internet gateway",
                        status=UNKNOWN,
                        where=dst.vpc_id,
                        detail=f"routes of {dst.vpc_id} point at an internet gateway that is "
                        "not in the describe-internet-gateways output: its attachment is unknown",
                    )
                )
            else:
                hops.append(
                    Hop(
                        step="internet gateway",
                        status=FAIL,
                        where=dst.vpc_id,
                        detail=f"no internet gateway is attached to {dst.vpc_id}",
                    )
                )
                return hops
        else:
            hops.append(
                Hop(
                    step="internet gateway",
                    status=PASS,
                    where=igw,
                    detail=f"{igw} is attached to {dst.vpc_id}",
                    resources=[igw],
                )
            )
        if dst.public_ips:
            hops.append(
                Hop(
                    step="public IP",
                    status=PASS,
                    where=dst.id,
                    detail=f"{', '.join(dst.public_ips)} maps to {dst.label}",
                    rule=self._backend_exposed(dst),
                    resources=[dst.id, dst.subnet_id or ""],
                )
            )
        else:
            hops.append(
                Hop(
                    step="public IP",
                    status=FAIL,
                    where=dst.id,
                    detail=f"{dst.label} has no public IP or Elastic IP: nothing on "
                    "the internet can address it",
                    rule=self._no_public_ip_rule(dst),
                    resources=[dst.id],
                )
            )
        if not dst.subnet_id or not dst.ip:
            hops.append(
                Hop(
                    step="destination",
                    status=UNKNOWN,
                    where=dst.id,
                    detail=f"{dst.label} has no subnet in the snapshot",
                )
            )
            return hops
        hops.append(self._acl(dst.subnet_id, False, src.peer, src_label))
        hops.append(self._sg(dst, True, src.peer, src_label, from_internet=True))
        hops.append(self._acl_reply(dst.subnet_id, True, src.peer, src_label))
        hops += self._reply_to_internet(dst.subnet_id, dst.vpc_id, src)
        return hops

    def _backend_exposed(self, dst: Endpoint) -> str | None:
        """exposure.backend-in-public-subnet for a load-balancer target, or an instance whose
        tags say app/db/backend, that the internet addresses directly in a public subnet."""
        inst = self.topo.instances.get(dst.id) if dst.kind == INSTANCE else None
        if inst is None or self.topo.role(dst.subnet_id or "") != PUBLIC:
            return None
        if looks_backend(inst) or inst.InstanceId in self.topo.lb_targets:
            return catalogue_rule("exposure.backend-in-public-subnet")
        return None

    def _no_public_ip_rule(self, dst: Endpoint) -> str | None:
        """For a running instance that accepts this web port from the internet and is no
        load-balancer target: the rule for its subnet (public: it lacks a public IP; private:
        it needs a load balancer in front)."""
        inst = self.topo.instances.get(dst.id) if dst.kind == INSTANCE else None
        if inst is None or inst.State.Name != "running" or self.proto != "6":
            return None
        if inst.InstanceId in self.topo.lb_targets or dst.group_ids is None:
            return None
        if self.port not in self._open_webports_text(dst.group_ids):
            return None
        role = self.topo.role(dst.subnet_id or "")
        if role == PUBLIC and not inst.ipv6_addresses:
            return catalogue_rule("ingress.public-instance-without-public-ip")
        if role in (PRIVATE, ISOLATED):
            return catalogue_rule("ingress.app-unreachable-in-private-subnet")
        return None

    def _reply_to_internet(self, subnet_id: str, vpc_id: str, peer: Endpoint) -> list[Hop]:
        """The reply's route from a subnet back to the internet: must be an attached IGW."""
        label = peer.label if peer.ip else "the internet"
        hop, route, rt = self._route(subnet_id, peer.ip, label, RETURN)
        if route is None or route.State == "blackhole":
            return [hop]
        kind = target_kind(route.target)
        if kind == "igw":
            attached = self._igw(route.target, vpc_id, rt.RouteTableId if rt else None, [subnet_id])
            attached.direction = RETURN
            return [hop, attached]
        hop.status = FAIL
        hop.detail += (
            f": replies leave through {route.target}, not the internet gateway that "
            "received the request, so the connection never completes"
        )
        return [hop]
