"""Helpers several fact kinds share: ACL checks, web exposure, fix-step references."""

from __future__ import annotations

import itertools

from assistant.engine.facts._base import WEB_PORTS, Fact
from assistant.models.snapshot import NetworkAcl, SecurityGroup
from assistant.policy import (
    INTERNET_V4,
    acl_blocked,
    sg_match,
)
from assistant.topology import (
    PUBLIC,
    Topology,
)


def _dest_flag(dest: str) -> str:
    if dest.startswith("pl-"):
        return "--destination-prefix-list-id"
    return "--destination-ipv6-cidr-block" if ":" in dest else "--destination-cidr-block"


def _name(resource) -> str:
    return resource.name if resource is not None else ""


def _free_rule_number(acl: NetworkAcl, egress: bool, before: int | None) -> int:
    """An unused rule number that is evaluated before ``before`` (a new allow goes there)."""
    used = {e.RuleNumber for e in acl.Entries if e.Egress == egress}
    if before is None or before >= 32767:
        n = 100
        while n in used:
            n += 1
        return n
    for n in itertools.chain([before - k for k in (10, 5, 1)], range(before - 1, 0, -1)):
        if n > 0 and n not in used:
            return n
    return 1


def _second_free(acl: NetworkAcl, egress: bool, first: int) -> int:
    """Another unused rule number just before ``first`` (for a second port beside it)."""
    used = {e.RuleNumber for e in acl.Entries if e.Egress == egress} | {first}
    for n in itertools.chain(range(first - 1, 0, -1), range(first + 1, 32767)):
        if n not in used:
            return n
    return first


# What fix steps show where the value is the user's to give (nothing the input holds fits).
YOUR_PUBLIC_SUBNET = "<your public subnet id>"
YOUR_TARGET_GROUP = "<your target group arn>"


def _public_lb_refs(topo: Topology, vpc_id: str) -> Fact:
    """An internet-facing load balancer of the VPC (its ARN and security group), and one
    public subnet per AZ for a new one, as fix steps use them."""
    lb = next(
        (
            x
            for x in topo.snapshot.LoadBalancers
            if x.VpcId == vpc_id and x.Scheme == "internet-facing"
        ),
        None,
    )
    per_az = topo.subnets_by_az(vpc_id, PUBLIC)
    return {
        "public_lb_arn": lb.LoadBalancerArn if lb else "",
        "lb_group_ref": (lb.SecurityGroups[0] if lb and lb.SecurityGroups else "")
        or "<your load balancer security group id>",
        "public_subnets_by_az": " ".join(per_az[a] for a in sorted(per_az))
        or "<your public subnet ids, one per AZ>",
    }


def _acl_content(acl: NetworkAcl) -> tuple:
    """What decides traffic in an ACL: its entries (ACLs with equal entries decide alike)."""
    return tuple(
        sorted(
            (
                e.RuleNumber,
                e.Egress,
                str(e.Protocol),
                e.RuleAction,
                e.CidrBlock or "",
                e.Ipv6CidrBlock or "",
                e.PortRange.From if e.PortRange else None,
                e.PortRange.To if e.PortRange else None,
            )
            for e in acl.Entries
        )
    )


class _AclCheck:
    """One network ACL's decisions on what internet egress and web ingress need (cached)."""

    def __init__(self, acl: NetworkAcl, memo: dict | None = None):
        self.acl = acl
        self._memo: dict[tuple, tuple[list[str], int, list[int]]] = {}
        self._shared = memo if memo is not None else {}
        self._content = _acl_content(acl)

    def blocked(
        self, egress: bool, ports: tuple[tuple[int, int], ...]
    ) -> tuple[list[str], int, list[int]]:
        """(what blocks, a free rule number before it, the first port of each blocked range)."""
        key = (egress, ports)
        if key not in self._memo:
            shared_key = (self._content, egress, ports)
            if shared_key not in self._shared:
                found_by_range = [
                    (lo, acl_blocked(self.acl, egress, "tcp", lo, hi, INTERNET_V4))
                    for lo, hi in ports
                ]
                self._shared[shared_key] = found_by_range
            segs = []
            hit: list[int] = []
            for lo, found in self._shared[shared_key]:
                if found:
                    hit.append(lo)
                    segs += found
            texts = list(dict.fromkeys(seg.describe(self.acl.NetworkAclId) for seg in segs))
            nums = [seg.entry.RuleNumber for seg in segs if seg.entry is not None]
            before = min(nums) if nums else None
            self._memo[key] = (texts, _free_rule_number(self.acl, egress, before), hit)
        return self._memo[key]


def _group_allows_web(sg: SecurityGroup) -> list[int]:
    """The web ports (80, 443) a group accepts from anywhere on the internet."""
    return [
        p
        for p in WEB_PORTS
        if sg_match([sg], True, "tcp", p, INTERNET_V4) or sg_match([sg], True, "tcp", p, "::/0")
    ]


class _WebOpen:
    """Which web ports an instance's groups accept from the internet (cached per group)."""

    def __init__(self, topo: Topology):
        self.topo = topo
        self._memo: dict[str, list[int]] = {}

    def ports(self, group_ids: list[str]) -> list[int]:
        out: set[int] = set()
        for g in group_ids:
            if g not in self._memo:
                sg = self.topo.sgs.get(g)
                self._memo[g] = _group_allows_web(sg) if sg is not None else []
            out.update(self._memo[g])
        return sorted(out)


def _lb_web_ports(topo: Topology) -> dict[str, list[int]]:
    """Public subnet id -> the listener ports internet-facing load balancers serve there."""
    ports_by_lb: dict[str, set[int]] = {}
    for lis in topo.snapshot.Listeners:
        ports_by_lb.setdefault(lis.LoadBalancerArn, set()).add(lis.Port)
    out: dict[str, set[int]] = {}
    for lb in topo.snapshot.LoadBalancers:
        if lb.Scheme != "internet-facing":
            continue
        ports = ports_by_lb.get(lb.LoadBalancerArn) or set(WEB_PORTS)
        for sid in lb.subnet_ids:
            out.setdefault(sid, set()).update(ports)
    return {k: sorted(v) for k, v in out.items()}


def _ranges(ports: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple((p, p) for p in ports)


def _target_state(topo: Topology, target: str, kind: str, vpc_id: str) -> str:
    """available/pending/failed/deleting, attached/detached, running/stopped, gone, or unknown.

    Missing is unknown, never gone: a target absent from the input (not read, or filtered out
    of the describe output) is ``unknown``; only a target present in a deleted or terminated
    state is ``gone`` (AWS's own ``State: blackhole`` is the route's ``state``).
    """
    if kind == "nat":
        nat = topo.nats.get(target)
        if nat is None:
            return "unknown"
        return "gone" if nat.State == "deleted" else nat.State
    if kind == "igw":
        attached = topo.igw_attached(target, vpc_id)
        if attached is None:
            return "unknown"
        return "attached" if attached else "detached"
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None:
            return "unknown"
        return "gone" if inst.State.Name == "terminated" else inst.State.Name
    return "unknown"
