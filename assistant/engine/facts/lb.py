"""Load balancer facts: placement, listeners, security groups, targets by AZ."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LN, LS, B, Fact, N, S, declare, producer
from assistant.engine.facts._common import YOUR_TARGET_GROUP
from assistant.models.snapshot import SecurityGroup
from assistant.policy import (
    INTERNET_V4,
    permission_covers,
    sg_match,
)
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    Topology,
    subnet_label,
)


def _lb_listener_check(groups: list[SecurityGroup], port: int) -> str:
    """open (from anywhere), restricted (only from narrower ranges) or blocked."""
    if sg_match(groups, True, "tcp", port, INTERNET_V4) or sg_match(
        groups, True, "tcp", port, "::/0"
    ):
        return "open"
    sources = {r.CidrIp for g in groups for p in g.IpPermissions for r in p.IpRanges}
    sources |= {r.CidrIpv6 for g in groups for p in g.IpPermissions for r in p.Ipv6Ranges}
    if any(sg_match(groups, True, "tcp", port, c) for c in sorted(sources)):
        return "restricted"
    prefix_lists = [
        p for g in groups for p in g.IpPermissions if p.PrefixListIds
    ]  # e.g. CloudFront's managed prefix list: not an address range sg_match can test
    for p in prefix_lists:
        if permission_covers(p, "tcp", port):
            return "restricted"
    return "blocked"


@producer("lb")
def lb_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    listeners: dict[str, list] = {}
    for lis in snap.Listeners:
        listeners.setdefault(lis.LoadBalancerArn, []).append(lis)
    tgs_of_lb: dict[str, list[str]] = {}
    for tg in snap.TargetGroups:
        for arn in tg.LoadBalancerArns:
            tgs_of_lb.setdefault(arn, []).append(tg.TargetGroupArn)
    for lb in snap.LoadBalancers:
        subnets = lb.subnet_ids
        non_public = [s for s in subnets if topo.role(s) in (PRIVATE, ISOLATED)]
        unknown_subnets = [s for s in subnets if topo.role(s) not in (PUBLIC, PRIVATE, ISOLATED)]
        azs = [z.ZoneName for z in lb.AvailabilityZones]
        candidates = []
        for az in azs:
            c = topo.public_subnet_in(lb.VpcId or "", az)
            if c and c not in candidates:
                candidates.append(c)
        yield {
            "rid": lb.LoadBalancerArn,
            "lb_arn": lb.LoadBalancerArn,
            "lb_name": lb.LoadBalancerName,
            "vpc_id": lb.VpcId or "",
            "scheme": lb.Scheme,
            "lb_type": lb.Type,
            "subnets": subnets,
            "subnet_count": len(subnets),
            "non_public_subnets": non_public,
            "non_public_labels": [subnet_label(topo, s) for s in non_public],
            "non_public_count": len(non_public),
            "unknown_role_subnets": unknown_subnets,
            "public_subnet_candidates": candidates,
            "groups": lb.SecurityGroups,
            "dns_name": lb.DNSName or "",
            **_lb_extra(topo, lb, listeners.get(lb.LoadBalancerArn, []), tgs_of_lb),
        }


_LB_TYPE_NAMES = {"application": "an Application", "network": "a Network", "gateway": "a Gateway"}


def _cross_zone(snap, lb) -> tuple[str, str]:
    """(on / off / default-on / default-off / unknown, the same said with its source).

    Read from the collected attribute ``load_balancing.cross_zone.enabled`` (or the
    load balancer's ``CrossZoneEnabled``); when neither was read, AWS's documented default
    for the type (on for Application, off for Network and Gateway Load Balancers), said as an
    assumption; unknown for other types.
    """
    raw = snap.LoadBalancerAttributes.get(lb.LoadBalancerArn, {}).get(
        "load_balancing.cross_zone.enabled"
    )
    if raw is not None:
        on = str(raw).strip().lower() == "true"
    elif lb.CrossZoneEnabled is not None:
        on = bool(lb.CrossZoneEnabled)
    else:
        kind = _LB_TYPE_NAMES.get(lb.Type or "")
        if kind is None:
            return "unknown", "unknown (its attributes were not read)"
        default = "on" if lb.Type == "application" else "off"
        return (
            f"default-{default}",
            f"{default} by default for {kind} Load Balancer (assumed: its attributes were not "
            "read)",
        )
    state = "on" if on else "off"
    return state, f"{state} (read from its attributes)"


def _lb_extra(topo: Topology, lb, lis: list, tgs_of_lb: dict[str, list[str]]) -> Fact:
    snap = topo.snapshot
    groups = [topo.sgs[g] for g in lb.SecurityGroups if g in topo.sgs]
    ports = sorted({x.Port for x in lis})
    checks = {}
    if lb.Scheme == "internet-facing" and groups and snap.has("SecurityGroups"):
        checks = {p: _lb_listener_check(groups, p) for p in ports}
    blocked = [p for p, c in checks.items() if c == "blocked"]
    restricted = [p for p, c in checks.items() if c == "restricted"]
    https = [x.Port for x in lis if x.Protocol in ("HTTPS", "TLS")]
    http_forward = [
        x.Port
        for x in lis
        if x.Protocol == "HTTP"
        and not any(
            a.Type == "redirect" and a.RedirectConfig and a.RedirectConfig.Protocol == "HTTPS"
            for a in x.DefaultActions
        )
    ]
    # AZs with registered targets, from target health (the AZ of each target).
    target_azs: set[str] = set()
    health_known = snap.has("TargetHealth")
    for arn in tgs_of_lb.get(lb.LoadBalancerArn, []):
        for d in snap.TargetHealth.get(arn, []):
            az = d.Target.AvailabilityZone
            if not az:
                inst = topo.instances.get(d.Target.Id)
                az = topo.az_of(inst.SubnetId or "") if inst else ""
            if az and az != "all":
                target_azs.add(az)
    lb_azs = [z.ZoneName for z in lb.AvailabilityZones if z.ZoneName]
    cross, cross_text = _cross_zone(snap, lb)
    empty = (
        [a for a in lb_azs if a not in target_azs]
        if health_known and target_azs and lb.Type in ("application", "network")
        else []
    )
    return {
        "listener_ports": ports,
        "listeners_known": snap.has("Listeners"),
        "blocked_listener_ports": blocked,
        "blocked_count": len(blocked),
        "restricted_listener_ports": restricted,
        "restricted_count": len(restricted),
        "restricted_listener_ports_text": (
            f" (only narrower ranges: {', '.join(map(str, restricted))})" if restricted else ""
        ),
        "first_blocked_port": (blocked or restricted or [""])[0],
        "first_group": lb.SecurityGroups[0] if lb.SecurityGroups else "",
        "is_alb": lb.Type == "application",
        "has_listeners": bool(lis),
        "has_https": bool(https),
        "no_https_text": "" if https else " and has no HTTPS listener",
        "http_forward_ports": http_forward,
        "http_forward_count": len(http_forward),
        "http_port": http_forward[0] if http_forward else 80,
        "http_listener_arn": next((x.ListenerArn for x in lis if x.Port in http_forward[:1]), ""),
        "cross_zone": cross,
        "cross_zone_text": cross_text,
        "lb_azs": lb_azs,
        "target_azs": sorted(target_azs),
        "empty_azs": empty,
        "empty_az_count": len(empty),
        "target_groups": tgs_of_lb.get(lb.LoadBalancerArn, []),
        "first_target_group": (tgs_of_lb.get(lb.LoadBalancerArn) or [YOUR_TARGET_GROUP])[0],
    }


declare(
    "lb",
    "One per load balancer: placement, listeners, security groups, targets by AZ.",
    {
        "lb_arn": (S, "the load balancer"),
        "lb_name": (S, "its name"),
        "vpc_id": (S, "its VPC"),
        "scheme": (S, "internet-facing / internal"),
        "lb_type": (S, "application / network / gateway"),
        "subnets": (LS, "its subnets"),
        "subnet_count": (N, "how many"),
        "non_public_subnets": (LS, "of them, subnets known to be private or isolated"),
        "non_public_labels": (LS, "those for texts"),
        "non_public_count": (N, "how many"),
        "unknown_role_subnets": (LS, "subnets whose role is unknown (not in the input)"),
        "public_subnet_candidates": (LS, "public subnets in its AZs"),
        "groups": (LS, "its security groups"),
        "dns_name": (S, "its DNS name"),
        "listener_ports": (LN, "its listener ports"),
        "listeners_known": (B, "listeners were read"),
        "blocked_listener_ports": (LN, "listener ports its groups do not accept from anywhere"),
        "blocked_count": (N, "how many"),
        "restricted_listener_ports": (LN, "listener ports accepted only from narrower ranges"),
        "restricted_count": (N, "how many"),
        "restricted_listener_ports_text": (S, "those for texts"),
        "first_blocked_port": (int | str, "the first blocked (or restricted) port"),
        "first_group": (S, "its first security group"),
        "is_alb": (B, "it is an Application Load Balancer"),
        "has_listeners": (B, "it has listeners"),
        "has_https": (B, "it has an HTTPS/TLS listener"),
        "no_https_text": (S, "' and has no HTTPS listener' for texts"),
        "http_forward_ports": (LN, "HTTP listeners that forward instead of redirecting"),
        "http_forward_count": (N, "how many"),
        "http_port": (N, "the first of them"),
        "http_listener_arn": (S, "that listener"),
        "cross_zone": (
            S,
            "on/off (read from load_balancing.cross_zone.enabled), default-on/default-off "
            "(not read: AWS's default for the type), unknown",
        ),
        "cross_zone_text": (S, "the same with its source, for texts"),
        "lb_azs": (LS, "AZs it is enabled in"),
        "target_azs": (LS, "AZs of its registered targets"),
        "empty_azs": (LS, "its AZs without a registered target"),
        "empty_az_count": (N, "how many"),
        "target_groups": (LS, "its target groups"),
        "first_target_group": (S, "the first of them, or a placeholder"),
    },
)
