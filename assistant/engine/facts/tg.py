"""Target group facts: target health and whether targets let the load balancer in."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LS, B, Fact, N, S, declare, producer
from assistant.policy import (
    sg_match,
)
from assistant.topology import (
    Topology,
)


@producer("tg")
def tg_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    lbs = {lb.LoadBalancerArn: lb for lb in snap.LoadBalancers}
    for tg in snap.TargetGroups:
        descs = snap.TargetHealth.get(tg.TargetGroupArn)
        health_known = descs is not None
        descs = descs or []
        unhealthy, unused = [], []
        healthy = 0
        for d in descs:
            th = d.TargetHealth
            why = f"{th.Reason}: {th.Description}" if th.Reason else (th.Description or "")
            text = f"{d.Target.Id} {th.State}" + (f" ({why})" if why else "")
            if th.State == "healthy":
                healthy += 1
            elif th.State in ("unhealthy", "unavailable"):
                unhealthy.append(text)
            elif th.State == "unused":
                unused.append(text)
        # Does each target's security group let the load balancer in on the target port?
        my_lbs = [lbs[a] for a in tg.LoadBalancerArns if a in lbs]
        lb_groups = sorted({g for lb in my_lbs for g in lb.SecurityGroups})
        lb_cidrs = sorted(
            {
                topo.subnets[s].CidrBlock
                for lb in my_lbs
                for s in lb.subnet_ids
                if s in topo.subnets and topo.subnets[s].CidrBlock
            }
        )
        # Without every load balancer subnet, an allow by address range cannot be ruled out.
        cidrs_complete = all(
            s in topo.subnets and topo.subnets[s].CidrBlock for lb in my_lbs for s in lb.subnet_ids
        )
        blocked_targets: list[str] = []
        blocked_groups: list[str] = []
        checkable = (
            bool(my_lbs)
            and snap.has("SecurityGroups")
            and tg.TargetType == "instance"
            and (bool(lb_groups) or bool(lb_cidrs))
        )
        memo: dict[tuple, bool] = {}
        if checkable:
            for d in descs:
                inst = topo.instances.get(d.Target.Id)
                if inst is None or inst.State.Name != "running":
                    continue
                gids = topo.groups_of[inst.InstanceId]
                groups = [topo.sgs[g] for g in gids if g in topo.sgs]
                if len(groups) != len(gids):
                    continue
                port = d.Target.Port or tg.Port or 0
                ports = {port}
                if tg.HealthCheckPort and tg.HealthCheckPort.isdigit():
                    ports.add(int(tg.HealthCheckPort))
                key = (tuple(gids), tuple(sorted(ports)))
                if key not in memo:
                    memo[key] = all(
                        bool(sg_match(groups, True, "tcp", p, peer_groups=lb_groups))
                        or (
                            bool(lb_cidrs)
                            and all(sg_match(groups, True, "tcp", p, c) for c in lb_cidrs)
                        )
                        for p in ports
                    )
                ok = memo[key]
                if not ok and not cidrs_complete:
                    continue  # unknown: a subnet range we cannot see might allow it
                if not ok:
                    blocked_targets.append(inst.InstanceId)
                    for g in gids[:1]:
                        if g not in blocked_groups:
                            blocked_groups.append(g)
        if not (unhealthy or unused or blocked_targets):
            continue
        yield {
            "rid": tg.TargetGroupArn,
            "tg_arn": tg.TargetGroupArn,
            "tg_name": tg.TargetGroupName,
            "vpc_id": tg.VpcId or "",
            "port": tg.Port or "",
            "protocol": tg.Protocol or "",
            "lb_arns": tg.LoadBalancerArns,
            "first_lb_arn": tg.LoadBalancerArns[0]
            if tg.LoadBalancerArns
            else "<load balancer arn>",
            "lb_names": [lb.LoadBalancerName for lb in my_lbs],
            "attached_to_lb": bool(tg.LoadBalancerArns),
            "health_known": health_known,
            "target_count": len(descs),
            "healthy_count": healthy,
            "unhealthy": unhealthy,
            "unhealthy_count": len(unhealthy),
            "unused": unused,
            "unused_count": len(unused),
            "lb_groups": lb_groups,
            "lb_group": lb_groups[0] if lb_groups else "",
            "lb_cidrs": lb_cidrs,
            "lb_ip_ranges": ",".join(f"{{CidrIp={c}}}" for c in lb_cidrs),
            "blocked_targets": blocked_targets,
            "blocked_count": len(blocked_targets),
            "blocked_groups": blocked_groups,
        }


declare(
    "tg",
    "One per target group with unhealthy or unused targets, or targets that block its LB.",
    {
        "tg_arn": (S, "the target group"),
        "tg_name": (S, "its name"),
        "vpc_id": (S, "its VPC"),
        "port": (int | str, "its port"),
        "protocol": (S, "its protocol"),
        "lb_arns": (LS, "its load balancers"),
        "first_lb_arn": (S, "the first of them, or a placeholder"),
        "lb_names": (LS, "their names"),
        "attached_to_lb": (B, "it is attached to a load balancer"),
        "health_known": (B, "its target health was read"),
        "target_count": (N, "registered targets"),
        "healthy_count": (N, "healthy ones"),
        "unhealthy": (LS, "unhealthy or unavailable targets with their reasons"),
        "unhealthy_count": (N, "how many"),
        "unused": (LS, "unused targets with their reasons"),
        "unused_count": (N, "how many"),
        "lb_groups": (LS, "its load balancers' security groups"),
        "lb_group": (S, "the first of them"),
        "lb_cidrs": (LS, "its load balancers' subnet ranges"),
        "lb_ip_ranges": (S, "those as --ip-permissions IpRanges"),
        "blocked_targets": (
            LS,
            "running targets whose groups let the load balancer in neither by group nor by "
            "the subnet ranges (left out when a range is unknown)",
        ),
        "blocked_count": (N, "how many"),
        "blocked_groups": (LS, "the first group of each"),
    },
)
