"""Follow one flow through the snapshot, hop by hop, forward and back.

Security groups are stateful (the reply is allowed when the request was); network ACLs are
not, so the reply is checked on the ephemeral ports 1024-65535. Traffic between two addresses
of the same subnet does not cross its network ACL. Everything the snapshot cannot tell is an
``unknown`` hop that says why. VPC peering, transit gateways (and their peering), gateway
endpoints and centralised egress are followed; VPN / Direct Connect beyond the gateway, Network
Firewall and Gateway Load Balancer appliances are named but not followed.
"""

from __future__ import annotations

import ipaddress

from assistant.errors import UserError
from assistant.models.snapshot import (
    Route,
    Snapshot,
)
from assistant.policy import (
    PROTO_NAMES,
    proto_number,
)
from assistant.render.safe import clean
from assistant.topology import (
    Topology,
    target_kind,
)
from assistant.trace.base import (
    NOT_FOLLOWED,
    OTHER_PROTOCOLS,
    TRACE_RULES,
    catalogue_rule,
    flow_text,
)
from assistant.trace.endpoint import EndpointHops
from assistant.trace.endpoints import (
    INSTANCE,
    LB,
    NAT,
    Endpoint,
    Resolver,
)
from assistant.trace.igw import IgwHops
from assistant.trace.lb import LoadBalancerHops
from assistant.trace.model import (
    FAIL,
    INFO,
    PASS,
    UNKNOWN,
    Hop,
    Trace,
    verdict_of,
)
from assistant.trace.nacl import NaclHops
from assistant.trace.nat import NatHops
from assistant.trace.peering import PeeringHops
from assistant.trace.route import RouteHops
from assistant.trace.sg import SecurityGroupHops
from assistant.trace.tgw import TgwHops
from assistant.trace.vpn import VpnHops

__all__ = ["TRACE_RULES", "Tracer", "catalogue_rule", "trace"]


class Tracer(
    SecurityGroupHops,
    NaclHops,
    RouteHops,
    IgwHops,
    NatHops,
    LoadBalancerHops,
    TgwHops,
    PeeringHops,
    EndpointHops,
    VpnHops,
):
    """Traces over one snapshot; build once, then call :meth:`trace` as often as needed.

    Each hop kind lives in its own module (route, nacl, sg, nat, igw, lb, tgw, peering,
    endpoint, vpn); this driver picks the path and strings their hops together."""

    def __init__(self, snapshot: Snapshot, topology: Topology | None = None):
        self.snapshot = snapshot
        self.topo = topology or Topology(snapshot)
        # one map of the instances by id, for the resolver and the hops alike
        self.resolver = Resolver(snapshot, self.topo.instances)
        self._rt_nets: dict[str, list[tuple[ipaddress.IPv4Network, Route]]] = {}
        self._served: dict[str, set[int]] = {}

    def trace(
        self, source: str, destination: str, port: int | None, protocol: str = "tcp"
    ) -> Trace:
        """Can ``source`` reach ``destination`` on ``protocol``/``port``? Hop by hop.

        ``protocol`` is tcp, udp, icmp (``port`` is then the ICMP type, echo by default), a
        protocol number or name (47 / gre) or all (-1); ports apply to tcp and udp only."""
        proto = parse_protocol(protocol)
        if proto in ("6", "17"):
            if port is None:
                raise UserError(f"--port is needed for {PROTO_NAMES[proto]}")
            if not 1 <= port <= 65535:
                raise UserError(f"port {port}: must be between 1 and 65535")
        elif proto == "1":
            port = 8 if port is None else port
            if not 0 <= port <= 255:
                raise UserError(f"ICMP type {port}: must be between 0 and 255")
        else:
            port = 0  # no ports: the protocol alone decides
        src = self.resolver.resolve(source)
        dst = self.resolver.resolve(destination)
        return self.trace_endpoints(src, dst, port, proto)

    def trace_endpoints(self, src: Endpoint, dst: Endpoint, port: int, proto: str = "6") -> Trace:
        if src.kind == LB:
            raise UserError("a load balancer can only be the destination of a trace (--to)")
        if src.outside and dst.outside:
            raise UserError("both ends are outside the VPCs: one end must be in the snapshot")
        if dst.kind == LB and proto not in ("6", "17"):
            raise UserError(
                f"a load balancer listens on tcp or udp ports: {flow_text(proto, port)} "
                "cannot be traced to it"
            )
        self.proto = proto
        self.proto_name = PROTO_NAMES.get(proto) or OTHER_PROTOCOLS.get(proto) or proto
        self.port = port
        self.icmp = (port, 0) if proto == "1" else None
        t = Trace(
            source=src.info(),
            destination=dst.info(),
            protocol=self.proto_name,
            port=port,
        )
        if src.kind == NAT:
            raise UserError("a NAT gateway only translates; trace from the instance behind it")
        if dst.kind == NAT:
            hops = [
                Hop(
                    step="NAT gateway",
                    status=FAIL,
                    where=dst.id,
                    detail=f"{dst.by_public_ip or dst.id} is the public IP of NAT gateway "
                    f"{dst.id}: it only translates connections started from inside, and drops "
                    "unsolicited inbound traffic",
                    resources=[dst.id],
                )
            ]
        elif src.outside:
            hops = self._internet_to_lb(src, dst) if dst.kind == LB else self._inbound(src, dst)
        elif dst.kind == LB:
            hops = self._vpc_to_lb(src, dst)
        else:
            hops = self._outbound(src, dst)
        t.hops = hops
        t.verdict = verdict_of(hops)
        t.notes = self._notes(src, dst)
        return t

    def _notes(self, src: Endpoint, dst: Endpoint) -> list[str]:
        notes = []
        if src.outside or dst.outside:
            other = src if src.outside else dst
            if other.ip is None:
                notes.append(
                    "'internet' stands for any address outside the VPC: only routes, ACL "
                    "entries and group rules for 0.0.0.0/0 decide; routes for parts of the "
                    "internet are listed (trace a specific address to follow them)"
                )
        notes.append("IPv4 only; security groups are stateful, network ACLs are checked both ways")
        return notes

    def _state(self, ep: Endpoint) -> list[Hop]:
        if ep.kind != INSTANCE:
            return []
        ok = ep.state == "running"
        return [
            Hop(
                step="instance state",
                status=PASS if ok else FAIL,
                where=ep.id,
                detail=f"{ep.label} is {ep.state}",
                resources=[ep.id],
            )
        ]

    def _outbound(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        hops = self._state(src)
        if not src.subnet_id or not src.ip:
            hops.append(
                Hop(
                    step="source",
                    status=UNKNOWN,
                    where=src.id,
                    detail=f"{src.label} has no subnet or address in the snapshot",
                )
            )
            return hops
        dst_label = dst.label if dst.ip or not dst.outside else "the internet"
        no_egress = "sg.no-egress" if dst.outside and self._web_egress_rule_applies(src) else None
        hops.append(
            self._sg(
                src,
                False,
                dst.peer,
                dst_label,
                dst.group_ids or [],
                rule=no_egress,
                ties=src.group_ids,
            )
        )
        if not dst.outside and dst.subnet_id == src.subnet_id:
            hops.append(
                Hop(
                    step="same subnet",
                    status=INFO,
                    where=src.subnet_id,
                    detail="both ends are in one subnet: no route table or network ACL is crossed",
                )
            )
            return hops + self._state(dst) + [self._sg(dst, True, src.ip, src.label, src.group_ids)]
        hops.append(self._acl(src.subnet_id, True, dst.peer, dst_label))
        route_hop, route, rt = self._route(src.subnet_id, dst.ip, dst_label)
        hops.append(route_hop)
        if route is None or route.State == "blackhole":
            return hops
        kind = target_kind(route.target)
        rt_id = rt.RouteTableId if rt else None
        if kind == "local":
            return hops + self._arrive(src, dst)
        if kind in ("instance", "eni") and self._source_dest_check(route.target, kind) is True:
            return hops + [self._source_dest_hop(route, rt_id, src.subnet_id, dst_label)]
        if kind == "pcx":
            return hops + self._via_peering(src, dst, route.target, rt_id, route)
        if kind == "tgw":
            return hops + self._via_tgw(src, dst, route.target, rt_id, route)
        if kind == "vgw":
            return hops + [self._via_vgw(route.target, dst_label)]
        if kind == "vpce" and route.DestinationPrefixListId:
            return hops + self._via_gateway_endpoint(src, dst, route.target, rt_id, route)
        if kind in ("igw", "nat") and dst.outside and dst.ip and _never_routed(dst.ip):
            hops.append(
                Hop(
                    step="internet",
                    status=FAIL,
                    where=route.target,
                    detail=f"{dst.ip} is a private address in no VPC reachable from here: "
                    f"sent to {route.target}, it is dropped (the internet does not route "
                    "private addresses)",
                )
            )
            return hops
        if not dst.outside:
            hops.append(
                Hop(
                    step="next hop",
                    status=UNKNOWN,
                    where=route.target,
                    detail=f"traffic to {dst_label} is sent to {route.target}, not delivered "
                    "inside the VPC: not analysed",
                )
            )
            return hops
        if kind == "igw":
            return hops + self._via_igw(src, dst, route.target, rt_id)
        if kind == "nat":
            return hops + self._via_nat(src, dst, route.target, rt_id, route)
        what = NOT_FOLLOWED.get(kind, "target")
        hops.append(
            Hop(
                step="next hop",
                status=UNKNOWN,
                where=route.target,
                detail=f"traffic goes to {what} {route.target}: not analysed "
                "(what lies beyond it is not in this snapshot's path model)",
            )
        )
        return hops

    def _arrive(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        """Delivery by the local route to a destination in the same VPC, and the reply."""
        assert src.ip and src.subnet_id
        if dst.vpc_id != src.vpc_id:
            return [
                Hop(
                    step="next hop",
                    status=FAIL,
                    where=src.vpc_id or "",
                    detail=f"{dst.ip} falls in the local range of {src.vpc_id}, but "
                    f"{dst.label} is in {dst.vpc_id} (overlapping CIDRs): the traffic "
                    "never leaves the VPC",
                )
            ]
        if not dst.subnet_id:
            return [
                Hop(
                    step="delivery",
                    status=FAIL,
                    where=dst.vpc_id or "",
                    detail=f"no subnet of {dst.vpc_id} holds {dst.ip}",
                )
            ]
        hops = self._state(dst)
        hops.append(self._acl(dst.subnet_id, False, src.ip, src.label))
        hops.append(self._sg(dst, True, src.ip, src.label, src.group_ids))
        hops.append(self._acl_reply(dst.subnet_id, True, src.ip, src.label))
        hops.append(self._local_reply(dst.subnet_id, src))
        hops.append(self._acl_reply(src.subnet_id, False, dst.ip or "", dst.label))
        return hops


def parse_protocol(protocol: str | int) -> str:
    """The protocol number of ``tcp``/``udp``/``icmp``/``gre``/``47``/``all``/``-1``.

    Raises UserError for anything else (and for icmpv6: the trace is IPv4 only)."""
    p = str(protocol).strip().lower()
    names = {v: k for k, v in OTHER_PROTOCOLS.items()}
    proto = names.get(p) or proto_number(p)
    if proto == "58":
        raise UserError("protocol icmpv6: the trace follows IPv4 only (use icmp)")
    if proto == "-1" or (proto.isdigit() and 0 <= int(proto) <= 255):
        return str(int(proto)) if proto != "-1" else proto
    raise UserError(
        f"protocol {clean(str(protocol), 40)!r}: use tcp, udp, icmp, all, a name such as gre, "
        "or a number 0-255"
    )


def _never_routed(ip: str) -> bool:
    """A private (RFC 1918), shared (RFC 6598) or link-local address: the internet drops it."""
    a = ipaddress.ip_address(ip)
    return any(a in n for n in _PRIVATE_NETS)


_PRIVATE_NETS = tuple(
    ipaddress.ip_network(c)
    for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
)


def trace(
    snapshot: Snapshot, source: str, destination: str, port: int | None, protocol: str = "tcp"
) -> Trace:
    """One trace over a snapshot (builds the indexes; use :class:`Tracer` for many)."""
    return Tracer(snapshot).trace(source, destination, port, protocol)
