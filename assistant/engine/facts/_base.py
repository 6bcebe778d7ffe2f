"""The fact registry: producers by kind, the constants facts share, and ``facts_for``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from assistant.topology import Topology

Fact = dict[str, Any]
Producer = Callable[[Topology], Iterable[Fact]]
PRODUCERS: dict[str, Producer] = {}

TARGET_FLAGS = {
    "igw": "--gateway-id",
    "vgw": "--gateway-id",
    "vpce": "--vpc-endpoint-id",
    "eigw": "--egress-only-internet-gateway-id",
    "nat": "--nat-gateway-id",
    "tgw": "--transit-gateway-id",
    "pcx": "--vpc-peering-connection-id",
    "instance": "--instance-id",
    "eni": "--network-interface-id",
    "lgw": "--local-gateway-id",
    "cagw": "--carrier-gateway-id",
}
PROTOCOLS = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
WEB_PORTS = (80, 443)
# Route targets some route rule looks at (any target counts when the route is a blackhole).
ROUTE_RULE_KINDS = ("igw", "nat", "instance", "eni")
# Database and cache ports that should never face the internet.
DB_PORTS = {
    1433: "SQL Server",
    1434: "SQL Server browser",
    1521: "Oracle",
    2379: "etcd",
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    5984: "CouchDB",
    6379: "Redis",
    7000: "Cassandra",
    8086: "InfluxDB",
    9042: "Cassandra CQL",
    9200: "Elasticsearch/OpenSearch",
    9300: "Elasticsearch transport",
    11211: "Memcached",
    27017: "MongoDB",
    27018: "MongoDB",
    28015: "RethinkDB",
}


def producer(kind: str) -> Callable[[Producer], Producer]:
    """Register a fact producer for ``kind``."""

    def deco(fn: Producer) -> Producer:
        PRODUCERS[kind] = fn
        return fn

    return deco


def facts_for(topo: Topology, kinds: Iterable[str] | None = None) -> Iterator[Fact]:
    """All facts of the given kinds (default: every registered kind)."""
    for kind in kinds or PRODUCERS:
        for fact in PRODUCERS[kind](topo):
            fact["kind"] = kind
            yield fact
