"""The fact registry: producers by kind, the constants facts share, and ``facts_for``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

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


# -- vocabulary ------------------------------------------------------------------------------
# Every fact kind and field, declared once: its type and one line of meaning. A field marked
# "Flag" is a derived yes/no a rule cannot yet compose from other fields; its line says why.
VOCABULARY: dict[str, type[BaseModel]] = {}
# Field types, short for the declarations.
S, B, N = str, bool, int
LS, LN = list[str], list[int]
_COMMON = {
    "kind": (str, "the fact kind (this table's name)"),
    "rid": (str, "the fact's key, unique within its kind (the resource id)"),
}


def declare(kind: str, doc: str, fields: dict[str, tuple[Any, str]]) -> type[BaseModel]:
    """Declare the fields of a fact kind (``{name: (type, meaning)}``) as a pydantic model."""
    spec = {
        name: (typ, Field(description=text)) for name, (typ, text) in {**_COMMON, **fields}.items()
    }
    model = create_model(  # type: ignore[call-overload]
        f"{''.join(p.title() for p in kind.split('_'))}Fact",
        __config__=ConfigDict(extra="forbid", strict=True),
        __doc__=doc,
        **spec,
    )
    VOCABULARY[kind] = model
    return model


def type_text(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not hasattr(annotation, "__args__") else None
    return text or str(annotation).replace("typing.", "")


def vocabulary_text(kinds: Iterable[str] | None = None) -> str:
    """The vocabulary as text: per kind its meaning, then one line per field."""
    out: list[str] = []
    for kind in sorted(kinds or VOCABULARY):
        model = VOCABULARY[kind]
        out.append(f"{kind}: {(model.__doc__ or '').strip()}")
        width = max(len(n) for n in model.model_fields)
        for name, f in model.model_fields.items():
            out.append(f"  {name:<{width}}  {type_text(f.annotation):<9}  {f.description}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
