"""Facts: what the rules match on, derived from a snapshot through its topology.

One module per fact kind (subnet, route, nat, instance, sg_open, sg_default, sg_egress, nacl,
lb, tg, vpc, eip, peering), each with its producer and its declared vocabulary (see
``vocabulary``; ``vpc-helper rules --facts`` prints it). Facts carry what the rules test
(roles, states, counts, the properties of related resources) and what the texts need (ids,
names, candidate fixes). Only what some rule needs is asserted: an instance becomes a fact
only where an instance rule could apply (it has a public IP, or sits in a public subnet).
In a scan, the producers of the largest kinds (subnet, route, gateway_endpoint, tgw_route,
tgw_return) are also handed the engine's ``Sieve`` and skip, before building them, the facts
no loaded rule can match; called without one they make every fact the vocabulary describes.
"""

from __future__ import annotations

from assistant.engine.facts import (  # noqa: F401  (each registers its producer)
    eip,
    instance,
    lb,
    nacl,
    nat,
    network,
    peering,
    route,
    sg_default,
    sg_egress,
    sg_open,
    subnet,
    tg,
    vpc,
)
from assistant.engine.facts._base import (
    DB_PORTS,
    OPEN_CIDRS,
    PRODUCERS,
    PROTOCOLS,
    ROUTE_RULE_KINDS,
    TARGET_FLAGS,
    VOCABULARY,
    WEB_PORTS,
    Fact,
    Producer,
    facts_for,
    producer,
    vocabulary_text,
)
from assistant.engine.facts.unknown import unknown_references

__all__ = [
    "DB_PORTS",
    "OPEN_CIDRS",
    "PRODUCERS",
    "PROTOCOLS",
    "ROUTE_RULE_KINDS",
    "TARGET_FLAGS",
    "VOCABULARY",
    "WEB_PORTS",
    "Fact",
    "Producer",
    "facts_for",
    "producer",
    "unknown_references",
    "vocabulary_text",
]
