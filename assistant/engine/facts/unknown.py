"""What the facts took as unknown because the input does not hold it."""

from __future__ import annotations

from assistant.models.finding import NotCheckedItem
from assistant.topology import (
    ISOLATED,
    PRIVATE,
    PUBLIC,
    Topology,
    target_kind,
)

# Route target kinds whose absence from the input leaves a route's state unknown, with the
# collection and command that would have held them.
_TARGET_SOURCES = {
    "igw": ("igws", "InternetGateways", "describe-internet-gateways"),
    "nat": ("nats", "NatGateways", "describe-nat-gateways"),
    "instance": ("instances", "Instances", "describe-instances"),
    "eni": ("enis", "NetworkInterfaces", "describe-network-interfaces"),
}


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def unknown_references(topo: Topology) -> list[NotCheckedItem]:
    """What the facts took as unknown because the input does not hold it.

    A route target or a load balancer subnet absent from the input is neither gone nor
    private: the rules give no finding about it, and this says what was missing.
    """
    out: list[NotCheckedItem] = []
    missing: dict[str, list[str]] = {}
    for target in topo.routes_to:
        kind = target_kind(target)
        if kind in _TARGET_SOURCES and target not in getattr(topo, _TARGET_SOURCES[kind][0]):
            missing.setdefault(kind, []).append(target)
    for kind, ids in sorted(missing.items()):
        _, coll, cmd = _TARGET_SOURCES[kind]
        why = "not read" if not topo.snapshot.has(coll) else f"not in the {cmd} output"
        out.append(
            NotCheckedItem(
                what=f"route targets not in the snapshot: {_shown(sorted(ids))}",
                reason=f"{why}: their state is unknown, so routes to them are not judged "
                "(only AWS's own blackhole state or a deleted target counts as gone)",
                rules=["egress.route-blackhole", "igw.not-attached", "nat.not-available"]
                if kind != "eni"
                else ["egress.route-blackhole", "nat.instance-source-dest-check"],
            )
        )
    lb_unknown = sorted(
        {
            s
            for lb in topo.snapshot.LoadBalancers
            for s in lb.subnet_ids
            if topo.role(s) not in (PUBLIC, PRIVATE, ISOLATED)
        }
    )
    if lb_unknown:
        out.append(
            NotCheckedItem(
                what=f"load balancer subnets of unknown role: {_shown(lb_unknown)}",
                reason="the subnet or its route table is not in the snapshot, so whether the "
                "load balancer sits in a public subnet there was not checked",
                rules=["ingress.lb-in-private-subnets"],
            )
        )
    return out
