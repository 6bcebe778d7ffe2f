"""Load balancer hops: listener, its security groups, subnets and targets."""

from __future__ import annotations

from assistant.errors import UserError
from assistant.models.snapshot import (
    Listener,
    LoadBalancer,
    TargetGroup,
    TargetHealthDescription,
)
from assistant.policy import (
    INTERNET_V4,
    sg_match,
)
from assistant.topology import (
    subnet_label,
    target_kind,
)
from assistant.trace.base import (
    OPEN_SOURCES,
    HopBase,
    catalogue_rule,
)
from assistant.trace.endpoints import (
    INSTANCE,
    LB,
    Endpoint,
)
from assistant.trace.model import (
    FAIL,
    FORWARD,
    INFO,
    PASS,
    RETURN,
    UNKNOWN,
    Hop,
    verdict_of,
)


class LoadBalancerHops(HopBase):
    def _lb_front(self, lb: LoadBalancer) -> list[Hop]:
        hops = []
        state = lb.State.Code
        hops.append(
            Hop(
                step="load balancer",
                status=PASS if state == "active" else FAIL,
                where=lb.LoadBalancerName,
                detail=f"{lb.LoadBalancerName} ({lb.Type}) is {state}, scheme {lb.Scheme}",
                resources=[lb.LoadBalancerArn],
            )
        )
        return hops

    def _listener(self, lb: LoadBalancer) -> tuple[Hop, list[Listener]]:
        mine = [x for x in self.snapshot.Listeners if x.LoadBalancerArn == lb.LoadBalancerArn]
        if not mine and not self.snapshot.has("Listeners"):
            return Hop(
                step="listener",
                status=UNKNOWN,
                where=lb.LoadBalancerName,
                detail="no describe-listeners output in the snapshot",
            ), []
        on_port = [x for x in mine if x.Port == self.port]
        if not on_port:
            ports = ", ".join(str(x.Port) for x in sorted(mine, key=lambda x: x.Port)) or "none"
            return Hop(
                step="listener",
                status=FAIL,
                where=lb.LoadBalancerName,
                detail=f"{lb.LoadBalancerName} has no listener on port {self.port} "
                f"(listeners: {ports})",
                rule=catalogue_rule("ingress.no-https-listener")
                if self.port == 443
                and lb.Scheme == "internet-facing"
                and lb.Type == "application"
                and mine
                and not any(x.Protocol == "HTTPS" for x in mine)
                else None,
                resources=[lb.LoadBalancerArn],
            ), []
        lis = on_port[0]
        acts = ", ".join(a.Type for a in lis.DefaultActions) or "no action"
        return Hop(
            step="listener",
            status=PASS,
            where=f"{lb.LoadBalancerName}:{lis.Port}",
            detail=f"{lis.Protocol} listener on port {lis.Port}: {acts} ({lis.ListenerArn})",
            resources=[lis.ListenerArn, lb.LoadBalancerArn],
        ), on_port

    def _lb_sg(
        self,
        lb: LoadBalancer,
        dst: Endpoint,
        peer: str,
        label: str,
        groups: list[str] | None = None,
    ) -> Hop | None:
        if not lb.SecurityGroups:
            if lb.Type == "application":
                return Hop(
                    step="security group ingress",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="the load balancer's security groups are not in the snapshot",
                )
            return Hop(
                step="security group ingress",
                status=INFO,
                where=lb.LoadBalancerName,
                detail=f"{lb.Type} load balancer without security groups: nothing to check",
            )
        named = None
        if lb.Scheme == "internet-facing" and self.proto == "6" and self._is_internet(peer):
            has_listener = any(
                x.LoadBalancerArn == lb.LoadBalancerArn and x.Port == self.port
                for x in self.snapshot.Listeners
            )
            lb_groups = [self.topo.sgs[g] for g in lb.SecurityGroups if g in self.topo.sgs]
            open_port = any(sg_match(lb_groups, True, "6", self.port, src) for src in OPEN_SOURCES)
            if has_listener and lb_groups and not open_port:
                named = "ingress.lb-sg-blocks-listener"
        return self._sg(
            dst,
            True,
            peer,
            label,
            groups,
            rule=named,
            ties=[lb.LoadBalancerArn, *lb.SecurityGroups],
        )

    def _internet_to_lb(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        lb = dst.lb
        assert lb is not None
        self._client = src
        label = src.label if src.ip else "the internet"
        hops = self._lb_front(lb)
        if lb.Scheme != "internet-facing":
            hops.append(
                Hop(
                    step="scheme",
                    status=FAIL,
                    where=lb.LoadBalancerName,
                    detail=f"{lb.LoadBalancerName} is {lb.Scheme}: it has no public address",
                    resources=[lb.LoadBalancerArn],
                )
            )
            return hops
        lis_hop, listeners = self._listener(lb)
        hops.append(lis_hop)
        sg = self._lb_sg(lb, dst, src.peer, label)
        if sg:
            hops.append(sg)
        # The load balancer's subnets: at least one must be public with ACLs that let the
        # request in and the reply out.
        tries = []
        for sid in lb.subnet_ids:
            sub_hops = []
            role = self.topo.role(sid)
            sub_hops.append(self._acl(sid, False, src.peer, label))
            sub_hops.append(self._acl_reply(sid, True, src.peer, label))
            sub_hops += self._reply_to_internet(sid, lb.VpcId or "", src)
            tries.append((sid, role, sub_hops))
        if not tries:
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="the load balancer lists no subnets in the snapshot",
                )
            )
            return hops
        good = [t for t in tries if verdict_of(t[2]) == "reachable"]
        roles = ", ".join(f"{subnet_label(self.topo, s)}: {r}" for s, r, _ in tries)
        if good:
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=PASS,
                    where=lb.LoadBalancerName,
                    detail=f"{len(good)} of {len(tries)} subnets take the request "
                    f"({roles}); following {good[0][0]}",
                )
            )
            chosen = good
        else:
            public = [t for t in tries if t[1] == "public"]
            unknown = [t for t in tries if t[1] == "unknown" or verdict_of(t[2]) == "unknown"]
            rule = None if public or unknown else catalogue_rule("ingress.lb-in-private-subnets")
            hops.append(
                Hop(
                    step="load balancer subnets",
                    status=INFO if public else UNKNOWN if unknown else FAIL,
                    where=lb.LoadBalancerName,
                    detail=f"no subnet of the load balancer takes the request ({roles})",
                    rule=rule,
                    resources=[lb.LoadBalancerArn],
                )
            )
            shown = public[0] if public else tries[0]
            hops += shown[2]
            return hops
        targets = self._lb_targets(lb, listeners[0], [t[0] for t in chosen]) if listeners else []
        return hops + _in_order(chosen[0][2], targets)

    def _vpc_to_lb(self, src: Endpoint, dst: Endpoint) -> list[Hop]:
        lb = dst.lb
        assert lb is not None
        self._client = src
        hops = self._state(src) + self._lb_front(lb)
        if lb.Scheme == "internet-facing":
            hops.append(
                Hop(
                    step="scheme",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="from inside the VPC an internet-facing load balancer is "
                    "reached through its public addresses (out through NAT or the "
                    "internet gateway and back in): not analysed",
                )
            )
            return hops
        if not src.subnet_id or not src.ip:
            return hops + [
                Hop(
                    step="source",
                    status=UNKNOWN,
                    where=src.id,
                    detail=f"{src.label} has no subnet or address in the snapshot",
                )
            ]
        lis_hop, listeners = self._listener(lb)
        hops.append(lis_hop)
        tries = []
        for sid in lb.subnet_ids:
            sub = self.topo.subnets.get(sid)
            if sub is None:
                continue
            node = Endpoint(
                LB,
                lb.LoadBalancerArn,
                f"{lb.LoadBalancerName} in {sid}",
                vpc_id=lb.VpcId,
                subnet_id=sid,
                ip=sub.CidrBlock,
                group_ids=list(lb.SecurityGroups),
            )
            sub_hops = [self._sg(src, False, sub.CidrBlock, node.label, node.group_ids)]
            if sid != src.subnet_id:
                sub_hops.append(self._acl(src.subnet_id, True, sub.CidrBlock, node.label))
                r_hop, route, _ = self._route(src.subnet_id, sub.CidrBlock, node.label)
                sub_hops.append(r_hop)
                if route is not None and target_kind(route.target) != "local":
                    r_hop.status = UNKNOWN
                    r_hop.detail += ": not delivered locally, not analysed"
                sub_hops.append(self._acl(sid, False, src.ip, src.label))
            sg = self._lb_sg(lb, node, src.ip, src.label, src.group_ids)
            if sg:
                sub_hops.append(sg)
            if sid != src.subnet_id:
                sub_hops.append(self._acl_reply(sid, True, src.ip, src.label))
                sub_hops.append(self._acl_reply(src.subnet_id, False, sub.CidrBlock, node.label))
            tries.append((sid, sub_hops))
        if not tries:
            return hops + [
                Hop(
                    step="load balancer subnets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="none of the load balancer's subnets is in the snapshot",
                )
            ]
        good = [t for t in tries if verdict_of(t[1]) == "reachable"]
        if not good:
            return hops + tries[0][1]
        targets = self._lb_targets(lb, listeners[0], [t[0] for t in good]) if listeners else []
        return hops + _in_order(good[0][1], targets)

    def _lb_targets(self, lb: LoadBalancer, listener: Listener, lb_subnets: list[str]) -> list[Hop]:
        actions = listener.DefaultActions
        fwd = [a for a in actions if a.Type == "forward"]
        if not fwd:
            kinds = ", ".join(a.Type for a in actions) or "none"
            return [
                Hop(
                    step="listener action",
                    status=INFO,
                    where=listener.ListenerArn,
                    detail=f"the listener answers itself ({kinds}); no target is involved",
                )
            ]
        arns = [arn for a in fwd for arn in a.target_group_arns()]
        tgs = {t.TargetGroupArn: t for t in self.snapshot.TargetGroups}
        attempts: list[tuple[str, list[Hop]]] = []
        summary: list[str] = []
        for arn in arns:
            tg = tgs.get(arn)
            if tg is None:
                return [
                    Hop(
                        step="target group",
                        status=UNKNOWN,
                        where=arn,
                        detail=f"target group {arn} is not in the snapshot",
                    )
                ]
            if arn not in self.snapshot.TargetHealth:
                return [
                    Hop(
                        step="target group",
                        status=UNKNOWN,
                        where=tg.TargetGroupName,
                        detail=f"no describe-target-health output for {tg.TargetGroupName}: "
                        "its targets are unknown",
                    )
                ]
            descs = self.snapshot.TargetHealth[arn]
            if not descs:
                return [
                    Hop(
                        step="target group",
                        status=FAIL,
                        where=tg.TargetGroupName,
                        detail=f"{tg.TargetGroupName} has no registered targets",
                        resources=[arn],
                    )
                ]
            for d in descs:
                tport = d.Target.Port or tg.Port or self.port
                tid = d.Target.Id
                try:
                    target = self.resolver.resolve(tid)
                except UserError:
                    summary.append(f"{tid}: not in the snapshot")
                    continue
                for sid in lb_subnets:
                    attempts.append((tid, self._lb_to_target(lb, tg, sid, target, tport, d)))
                ok = any(verdict_of(h) == "reachable" for t, h in attempts if t == tid)
                summary.append(
                    f"{tid}: {'reachable' if ok else 'not reachable'}, {d.TargetHealth.State}"
                )
        if not attempts:
            return [
                Hop(
                    step="targets",
                    status=UNKNOWN,
                    where=lb.LoadBalancerName,
                    detail="; ".join(summary) or "no target could be resolved",
                )
            ]
        good = [a for a in attempts if verdict_of(a[1]) == "reachable"]
        best = good[0] if good else attempts[0]
        head = Hop(
            step="targets",
            status=PASS if good else INFO,
            where=lb.LoadBalancerName,
            detail="; ".join(summary) + f" (following {best[0]})",
        )
        return [head] + best[1]

    def _lb_to_target(
        self,
        lb: LoadBalancer,
        tg: TargetGroup,
        lb_subnet: str,
        target: Endpoint,
        tport: int,
        desc: TargetHealthDescription,
    ) -> list[Hop]:
        sub = self.topo.subnets.get(lb_subnet)
        lb_cidr = sub.CidrBlock if sub else INTERNET_V4
        lb_label = f"{lb.LoadBalancerName} nodes in {lb_subnet} ({lb_cidr})"
        hops = self._state(target)
        st = desc.TargetHealth.State
        reason = (
            f" ({desc.TargetHealth.Reason}: {desc.TargetHealth.Description})"
            if desc.TargetHealth.Reason
            else ""
        )
        status = PASS if st == "healthy" else UNKNOWN if st in ("initial", "unavailable") else FAIL
        hops.append(
            Hop(
                step="target health",
                status=status,
                where=tg.TargetGroupName,
                detail=f"{target.id} in {tg.TargetGroupName} is {st}{reason}",
                rule=catalogue_rule("ingress.targets-unhealthy")
                if st in ("unhealthy", "unused")
                else None,
                resources=[tg.TargetGroupArn],
            )
        )
        if not target.subnet_id or not target.ip:
            hops.append(
                Hop(
                    step="target",
                    status=UNKNOWN,
                    where=target.id,
                    detail=f"{target.label} has no subnet or address in the snapshot",
                )
            )
            return hops
        t_label = f"{target.label} port {tport}"
        if lb.SecurityGroups:
            node = Endpoint(
                LB,
                lb.LoadBalancerArn,
                lb_label,
                vpc_id=lb.VpcId,
                subnet_id=lb_subnet,
                ip=lb_cidr,
                group_ids=list(lb.SecurityGroups),
            )
            out = self._sg(node, False, target.ip, t_label, target.group_ids or [], tport)
            out.step = "load balancer security group egress"
            hops.append(out)
        # The address the target sees: the client's, when the load balancer preserves it.
        client = getattr(self, "_client", None)
        keep = self._preserves_client_ip(lb, tg) and client is not None
        peer, peer_label = (client.peer, client.label) if keep else (lb_cidr, lb_label)
        peer_groups = (client.group_ids or []) if keep else list(lb.SecurityGroups)
        if keep:
            hops.append(
                Hop(
                    step="client IP preservation",
                    status=INFO,
                    where=tg.TargetGroupName,
                    detail=f"{lb.LoadBalancerName} keeps the client's address: {target.id} "
                    f"sees {peer_label}, not the load balancer's subnet",
                )
            )
        if target.subnet_id != lb_subnet:
            hops.append(self._acl(lb_subnet, True, target.ip, t_label, tport))
            r_hop, route, _ = self._route(lb_subnet, target.ip, target.label)
            if route is not None and target_kind(route.target) != "local":
                r_hop.status = UNKNOWN
                r_hop.detail += ": not delivered locally, not analysed"
            hops.append(r_hop)
            hops.append(self._acl(target.subnet_id, False, peer, peer_label, tport))
        sg = self._sg(
            target,
            True,
            peer,
            peer_label,
            peer_groups,
            tport,
            rule="ingress.target-sg-blocks-lb"
            if not keep
            and target.kind == INSTANCE
            and tg.TargetType == "instance"
            and target.state == "running"
            else None,
            ties=[tg.TargetGroupArn, target.id],
        )
        hops.append(sg)
        if target.subnet_id != lb_subnet:
            hops.append(self._acl_reply(target.subnet_id, True, peer, peer_label))
            hops.append(self._acl_reply(lb_subnet, False, target.ip, target.label))
        return hops

    def _preserves_client_ip(self, lb: LoadBalancer, tg: TargetGroup) -> bool:
        """Whether targets see the client's address: the target group attribute when the
        snapshot has it; else AWS's default (NLB: on for instance targets, off for IP targets
        over TCP/TLS; ALB: never)."""
        if lb.Type != "network":
            return False
        attrs = self.snapshot.TargetGroupAttributes.get(tg.TargetGroupArn, {})
        val = attrs.get("preserve_client_ip.enabled")
        if val is not None:
            return val.lower() == "true"
        return tg.TargetType == "instance" or (tg.Protocol or "").upper() in ("UDP", "TCP_UDP")


def _in_order(front: list[Hop], back: list[Hop]) -> list[Hop]:
    """Hops to the load balancer, then to the target, then the target's reply, then the load
    balancer's reply."""
    fwd = [h for h in front if h.direction == FORWARD]
    ret = [h for h in front if h.direction == RETURN]
    return (
        fwd
        + [h for h in back if h.direction == FORWARD]
        + [h for h in back if h.direction == RETURN]
        + ret
    )
