"""Security group egress facts: instances that need the internet, by group set."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LN, LS, WEB_PORTS, B, Fact, N, S, declare, producer
from assistant.policy import (
    INTERNET_V4,
    sg_match,
)
from assistant.topology import (
    PRIVATE,
    PUBLIC,
    Topology,
)


@producer("sg_egress")
def sg_egress_facts(topo: Topology) -> Iterator[Fact]:
    """Instances that need the internet, grouped by their set of security groups."""
    if not topo.snapshot.has("SecurityGroups"):
        return
    # Which sets of groups block web egress is decided once per distinct set; instances are
    # looked at only when some set does (usually none: then no instance is visited at all).
    groups_of = topo.groups_of
    blocks: dict[tuple[str, ...], bool] = {}
    for raw in {tuple(g) for g in groups_of.values()}:
        gids = tuple(sorted(raw))
        groups = [topo.sgs[g] for g in gids if g in topo.sgs]
        blocks[raw] = bool(groups) and len(groups) == len(gids) and bool(_blocked(groups))
    if not any(blocks.values()):
        return
    combos: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for sid, digests in topo.digests_by_subnet.items():
        role = topo.role(sid)
        if role not in (PRIVATE, PUBLIC):
            continue
        for d in digests:
            if not d.running or not blocks.get(tuple(d.groups), True):
                continue  # its groups let web out: nothing for a rule to find
            if role == PUBLIC and not d.public:
                continue
            key = (d.inst.VpcId or "", tuple(sorted(d.groups)))
            combos.setdefault(key, []).append(d.inst.InstanceId)
    for (vpc_id, gids), insts in combos.items():
        insts.sort()
        groups = [topo.sgs[g] for g in gids if g in topo.sgs]
        if len(groups) != len(gids) or not groups:
            continue  # a group we cannot see might allow it
        blocked = _blocked(groups)
        if not blocked:
            continue  # nothing for a rule to find
        yield {
            "rid": f"{vpc_id}:{'+'.join(gids)}",
            "vpc_id": vpc_id,
            "groups": list(gids),
            "group_names": [f"{g.GroupId} ({g.GroupName})" for g in groups],
            "first_group": gids[0],
            "instances": insts[:20],
            "instance_count": len(insts),
            "blocked_ports": blocked,
            "blocked_count": len(blocked),
            "all_web_blocked": len(blocked) == len(WEB_PORTS),
        }


def _blocked(groups: list) -> list[int]:
    """The web ports no group of the set lets out to the internet (IPv4 or IPv6)."""
    return [
        p
        for p in WEB_PORTS
        if not sg_match(groups, False, "tcp", p, INTERNET_V4)
        and not sg_match(groups, False, "tcp", p, "::/0")
    ]


declare(
    "sg_egress",
    "One per set of security groups whose instances need the internet but cannot send web.",
    {
        "vpc_id": (S, "the VPC"),
        "groups": (LS, "the set of groups"),
        "group_names": (LS, "those with names"),
        "first_group": (S, "the first of them"),
        "instances": (LS, "instances using exactly this set (up to 20)"),
        "instance_count": (N, "how many"),
        "blocked_ports": (LN, "web ports (80, 443) no group lets out"),
        "blocked_count": (N, "how many"),
        "all_web_blocked": (B, "both web ports are blocked (blocked_count = 2)"),
    },
)
