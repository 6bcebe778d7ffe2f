"""Network ACL facts: custom ACLs in use and what they let in from the internet."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import LN, LS, B, Fact, N, S, declare, producer
from assistant.engine.facts._common import _free_rule_number
from assistant.models.snapshot import NetworkAcl
from assistant.policy import (
    INTERNET_V4,
)
from assistant.topology import (
    Topology,
    subnet_label,
)


@producer("nacl")
def nacl_facts(topo: Topology) -> Iterator[Fact]:
    """Custom network ACLs in use: what they let in from the whole internet."""
    for acl in topo.snapshot.NetworkAcls:
        if acl.IsDefault:
            continue
        subnets = [a.SubnetId for a in acl.Associations if a.SubnetId]
        if not subnets:
            continue
        open_ports: list[int] = []
        entries: list[str] = []
        specific = False
        allow_nums: list[int] = []
        for port in (22, 3389):
            seg = acl_segments_one(acl, port)
            if seg is not None and seg.allowed and seg.entry is not None:
                open_ports.append(port)
                entries.append(seg.describe(acl.NetworkAclId))
                allow_nums.append(seg.entry.RuleNumber)
                lo, hi = (
                    (seg.entry.PortRange.From or 0, seg.entry.PortRange.To or 65535)
                    if seg.entry.PortRange and seg.entry.Protocol not in ("-1", "all")
                    else (0, 65535)
                )
                if (lo, hi) != (0, 65535) and hi - lo < 1024:
                    specific = True
        if not open_ports:
            continue
        yield {
            "rid": acl.NetworkAclId,
            "nacl_id": acl.NetworkAclId,
            "vpc_id": acl.VpcId,
            "name": acl.name,
            "subnets": subnets,
            "subnet_labels": [subnet_label(topo, x) for x in subnets],
            "admin_open_ports": open_ports,
            "admin_open": bool(open_ports),
            "admin_open_by": entries,
            "admin_specific": specific,
            "deny_rule_number": _free_rule_number(acl, False, min(allow_nums))
            if allow_nums
            else 100,
            "first_admin_port": open_ports[0] if open_ports else "",
        }


def acl_segments_one(acl: NetworkAcl, port: int):
    """How the ACL decides inbound TCP ``port`` from the whole internet."""
    from assistant.policy import acl_decision

    return acl_decision(acl, False, "tcp", port, INTERNET_V4)


declare(
    "nacl",
    "One per custom network ACL in use that lets an admin port in from the internet.",
    {
        "nacl_id": (S, "the network ACL"),
        "vpc_id": (S, "its VPC"),
        "name": (S, "its Name tag"),
        "subnets": (LS, "subnets using it"),
        "subnet_labels": (LS, "those for texts"),
        "admin_open_ports": (LN, "admin ports (TCP 22, 3389) it allows from 0.0.0.0/0"),
        "admin_open": (
            B,
            "Flag (first-match ACL evaluation): some admin port is allowed from anywhere",
        ),
        "admin_open_by": (LS, "the allowing entries"),
        "admin_specific": (B, "an allowing entry names a narrow port range (not all traffic)"),
        "deny_rule_number": (N, "a free rule number before the allowing entry"),
        "first_admin_port": (int | str, "the first open admin port"),
    },
)
