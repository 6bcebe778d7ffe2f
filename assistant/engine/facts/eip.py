"""Elastic IP facts: unattached addresses."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.engine.facts._base import B, Fact, S, declare, producer
from assistant.topology import (
    Topology,
)


@producer("eip")
def eip_facts(topo: Topology) -> Iterator[Fact]:
    for a in topo.snapshot.Addresses:
        attached = bool(a.AssociationId or a.InstanceId or a.NetworkInterfaceId)
        if not a.AllocationId or attached:
            continue  # only an unattached address can matter to a rule
        yield {
            "rid": a.AllocationId,
            "allocation_id": a.AllocationId,
            "public_ip": a.PublicIp or "",
            "name": a.name,
            "name_text": f", {a.name}" if a.name else "",
            "vpc_id": "",
            "attached": attached,
        }


declare(
    "eip",
    "One per Elastic IP not associated with anything.",
    {
        "allocation_id": (S, "the address's allocation"),
        "public_ip": (S, "the address"),
        "name": (S, "its Name tag"),
        "name_text": (S, "', name' for texts"),
        "vpc_id": (S, "always '' (addresses belong to no VPC)"),
        "attached": (B, "it is associated (always false here)"),
    },
)
