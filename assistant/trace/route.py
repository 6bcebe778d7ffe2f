"""Route table hops: longest prefix match in the subnet's route table."""

from __future__ import annotations

import ipaddress

from assistant.models.snapshot import (
    Route,
    RouteTable,
)
from assistant.policy import (
    INTERNET_V4,
    INTERNET_V6,
)
from assistant.topology import (
    ISOLATED,
    subnet_label,
    target_kind,
)
from assistant.trace.base import (
    OPEN_SOURCES,
    HopBase,
    catalogue_rule,
)
from assistant.trace.endpoints import (
    Endpoint,
)
from assistant.trace.model import (
    FAIL,
    FORWARD,
    PASS,
    RETURN,
    UNKNOWN,
    Hop,
)


class RouteHops(HopBase):
    def _nets(self, rt: RouteTable) -> list[tuple[ipaddress.IPv4Network, Route]]:
        """The table's IPv4 routes, most specific first; a prefix-list route counts once per
        CIDR of the list (when the list's contents are in the snapshot), and loses a tie
        against a plain CIDR route."""
        nets = self._rt_nets.get(rt.RouteTableId)
        if nets is None:
            rows: list[tuple[ipaddress.IPv4Network, bool, Route]] = []
            for r in rt.Routes:
                cidrs = [r.DestinationCidrBlock] if r.DestinationCidrBlock else []
                if r.DestinationPrefixListId:
                    cidrs = self._prefix_list_cidrs(r.DestinationPrefixListId) or []
                for c in cidrs:
                    try:
                        net = ipaddress.ip_network(c, strict=False)
                    except ValueError:
                        continue
                    if isinstance(net, ipaddress.IPv4Network):
                        rows.append((net, bool(r.DestinationPrefixListId), r))
            rows.sort(key=lambda x: (-x[0].prefixlen, x[1]))
            nets = [(n, r) for n, _, r in rows]
            self._rt_nets[rt.RouteTableId] = nets
        return nets

    def _prefix_list_cidrs(self, pl_id: str) -> list[str] | None:
        """The CIDRs of a prefix list (AWS-managed or customer-managed); None when unknown."""
        cache = self.__dict__.setdefault("_pl_cache", {})
        if pl_id not in cache:
            found: list[str] | None = None
            for pl in self.snapshot.PrefixLists:
                if pl.PrefixListId == pl_id:
                    found = list(pl.Cidrs)
            if pl_id in self.snapshot.PrefixListEntries:
                found = [e.Cidr for e in self.snapshot.PrefixListEntries[pl_id]]
            cache[pl_id] = found
        return cache[pl_id]

    def _route(
        self, subnet_id: str, dest: str | None, dest_label: str, direction: str = FORWARD
    ) -> tuple[Hop, Route | None, RouteTable | None]:
        """Longest prefix match in the subnet's route table for ``dest`` (None: any internet
        address, which only a 0.0.0.0/0 route covers)."""
        step = "route table" if direction == FORWARD else "route table (reply)"
        view = self.topo.view(subnet_id)
        if view is None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=subnet_id,
                    detail=f"subnet {subnet_id} is not in the snapshot",
                    direction=direction,
                ),
                None,
                None,
            )
        rt = view.route_table
        if rt is None:
            why = (
                "no describe-route-tables output in the snapshot"
                if not self.snapshot.has("RouteTables")
                else f"no route table is associated with {subnet_id} and {view.subnet.VpcId} "
                "has no main route table in the snapshot"
            )
            return (
                Hop(step=step, status=UNKNOWN, where=subnet_id, detail=why, direction=direction),
                None,
                None,
            )
        nets = self._nets(rt)
        if dest is None:
            target_net = ipaddress.IPv4Network(INTERNET_V4)
        else:
            target_net = ipaddress.ip_network(dest, strict=False)
        best = None
        for net, r in nets:
            if target_net.version == net.version and target_net.subnet_of(net):
                best = (net, r)
                break
        how = "explicitly associated" if view.explicit else "main route table"
        where = f"{rt.RouteTableId} ({how}, {subnet_label(self.topo, subnet_id)})"
        res = [rt.RouteTableId, subnet_id]
        # A gateway endpoint's list (S3, DynamoDB) holds only the service's public ranges: a
        # private destination is never in it, even when the list's contents were not read.
        private_dest = dest is not None and target_net.is_private
        pls = [
            r
            for r in rt.Routes
            if r.DestinationPrefixListId
            and self._prefix_list_cidrs(r.DestinationPrefixListId) is None
            and not (private_dest and r.target.startswith("vpce-"))
        ]
        caveat = ""
        if pls and (best is None or target_kind(best[1].target) != "local"):
            pl_text = ", ".join(
                f"{r.DestinationPrefixListId} -> {r.target} (prefix list, contents unknown)"
                for r in pls
            )
            caveat = f"; also {pl_text}"
        if best is None and caveat and dest is not None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=where,
                    detail=f"{rt.RouteTableId} has no CIDR route that covers {dest_label}"
                    f"{caveat}: whether {dest} is in a prefix list is unknown",
                    direction=direction,
                    resources=res,
                ),
                None,
                rt,
            )
        if best is None:
            internet = dest is None or not self._in_any_vpc(dest)
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=where,
                    detail=f"{rt.RouteTableId} has no route that covers {dest_label}" + caveat,
                    direction=direction,
                    rule=catalogue_rule("egress.no-default-route")
                    if internet and direction == FORWARD and view.role == ISOLATED
                    else None,
                    resources=res,
                ),
                None,
                rt,
            )
        net, r = best
        shown = r.destination
        if r.DestinationPrefixListId:
            shown = f"{r.DestinationPrefixListId} (prefix list, holds {net})"
        line = f"{rt.RouteTableId}: {shown} -> {r.target} ({r.State})"
        if r.State == "blackhole":
            return (
                Hop(
                    step=step,
                    status=FAIL,
                    where=where,
                    detail=f"{line}: the target no longer exists, traffic to {dest_label} is "
                    "dropped",
                    direction=direction,
                    rule=catalogue_rule("egress.route-blackhole"),
                    resources=[rt.RouteTableId, r.target, subnet_id],
                ),
                r,
                rt,
            )
        if caveat and dest is not None:
            return (
                Hop(
                    step=step,
                    status=UNKNOWN,
                    where=where,
                    detail=f"{line}, longest prefix match for {dest_label}{caveat}: if {dest} "
                    "is in a prefix list, its route applies instead",
                    direction=direction,
                    resources=res,
                ),
                r,
                rt,
            )
        more = ""
        if dest is None:
            specific = [
                f"{n} -> {x.target}"
                for n, x in nets
                if n.prefixlen > 0 and target_kind(x.target) != "local"
            ]
            if specific:
                more = "; parts of the internet go elsewhere: " + ", ".join(specific)
        return (
            Hop(
                step=step,
                status=PASS,
                where=where,
                detail=f"{line}, longest prefix match for {dest_label}{more}{caveat}",
                direction=direction,
                resources=res,
            ),
            r,
            rt,
        )

    def _in_any_vpc(self, ip: str) -> bool:
        a = ipaddress.ip_address(ip)
        return any(a in net for net, _ in self.resolver.vpc_nets)

    def _is_internet(self, peer: str) -> bool:
        """Whether a peer address (or CIDR) lies outside every VPC of the snapshot."""
        if peer in OPEN_SOURCES:
            return True
        try:
            net = ipaddress.ip_network(peer, strict=False)
        except ValueError:
            return False
        return not any(
            net.version == vnet.version and net.overlaps(vnet)  # type: ignore[arg-type]
            for vnet, _ in self.resolver.vpc_nets
        )

    def _local_reply(self, subnet_id: str, to: Endpoint) -> Hop:
        """The reply's route back to an address of the VPC: the local route, unless a more
        specific route sends it elsewhere (not analysed)."""
        back, route, _rt = self._route(subnet_id, to.ip, to.label, RETURN)
        if route is not None and target_kind(route.target) != "local" and back.status != FAIL:
            back.status = UNKNOWN
            back.detail += (
                f": the reply is sent to {route.target}, not delivered locally: not analysed"
            )
        return back

    def _source_dest_check(self, target: str, kind: str) -> bool | None:
        """The source/destination check of an instance or interface route target."""
        if kind == "instance":
            inst = self.topo.instances.get(target)
            if inst is None:
                return None
            if inst.SourceDestCheck is not None:
                return inst.SourceDestCheck
            return inst.NetworkInterfaces[0].SourceDestCheck if inst.NetworkInterfaces else None
        eni = self.topo.enis.get(target)
        return eni.SourceDestCheck if eni is not None else None

    def _source_dest_hop(
        self, route: Route, rt_id: str | None, subnet_id: str, dst_label: str
    ) -> Hop:
        """A route to an instance or interface (a NAT instance, an appliance) whose
        source/destination check is on: it drops traffic not addressed to itself."""
        default = route.destination in (INTERNET_V4, INTERNET_V6)
        return Hop(
            step="next hop",
            status=FAIL,
            where=route.target,
            detail=f"traffic to {dst_label} is sent to {route.target}, whose source/destination "
            "check is on: it drops traffic that is not addressed to itself",
            rule=catalogue_rule("nat.instance-source-dest-check") if default else None,
            resources=[route.target, subnet_id] + ([rt_id] if rt_id else []),
        )
