"""The fact registry: producers by kind, the constants facts share, and ``facts_for``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from assistant.topology import Topology

Fact = dict[str, Any]
Producer = Callable[[Topology], Iterable[Fact]]
PRODUCERS: dict[str, Producer] = {}
# Kinds whose producer takes ``sieve=`` and skips, before building them, facts no rule can match.
SIEVED: set[str] = set()


class Sieve:
    """What the loaded rules can match, for producers that would otherwise build many facts no
    rule matches (the engine's screen, see ``RuleEngine.can_match``).

    ``could(kind, **known)`` answers for every fact of ``kind`` that has the ``known`` field
    values, whatever its other fields hold: the screen takes a missing field as "unsure" and
    only ever combines its tests with and/or, so a fact it drops with some fields missing it
    drops with any values in them. False means no such fact can match; a rule testing a field
    the producer leaves out keeps the answer True. Answers are cached by the values the
    screen reads.
    """

    def __init__(self, can_match: Callable[[Fact], bool], fields: Callable[[str], frozenset[str]]):
        self.can_match = can_match
        self._fields = fields
        self._read: dict[str, tuple[str, ...]] = {}
        self._memo: dict[tuple[str, tuple[Any, ...]], bool] = {}

    def could(self, kind: str, **known: Any) -> bool:
        """Whether some fact of ``kind`` with these field values could match a rule."""
        names = self._read.get(kind)
        if names is None:
            names = self._read[kind] = tuple(sorted(self._fields(kind) - {"kind"}))
        get = known.get
        values = tuple([get(f, _MISSING) for f in names])
        try:
            # True == 1 == 1.0, but the screen tells them apart: the types are in the key
            key = (kind, values, tuple(map(type, values)))
            hit = self._memo.get(key)
        except TypeError:  # an unhashable value (a list): ask without caching
            key, hit = None, None
        if hit is None:
            hit = self.can_match({"kind": kind, **{f: known[f] for f in names if f in known}})
            if key is not None:
                self._memo[key] = hit
        return hit


_MISSING = object()


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


def producer(kind: str, sieved: bool = False) -> Callable[[Producer], Producer]:
    """Register a fact producer for ``kind`` (``sieved``: it takes an optional ``sieve=``)."""

    def deco(fn: Producer) -> Producer:
        PRODUCERS[kind] = fn
        if sieved:
            SIEVED.add(kind)
        return fn

    return deco


def facts_for(
    topo: Topology, kinds: Iterable[str] | None = None, sieve: Sieve | None = None
) -> Iterator[Fact]:
    """The facts of the given kinds (default: every registered kind): all of them, or with a
    ``sieve`` only those some loaded rule could match (a superset of what the engine keeps)."""
    for kind in kinds or PRODUCERS:
        fn = PRODUCERS[kind]
        made = fn(topo, sieve=sieve) if sieve is not None and kind in SIEVED else fn(topo)  # type: ignore[call-arg]
        for fact in made:
            fact["kind"] = kind
            yield fact


# -- vocabulary ------------------------------------------------------------------------------
# Every fact kind and field, declared once: its type and one line of meaning. A field marked
# "Flag" is a derived yes/no a rule cannot yet compose from other fields; its line says why.


class _Vocabulary(Mapping[str, type[BaseModel]]):
    """Fact kind -> its declared model, each built when first asked for (a scan needs none:
    building them all would add some 50 ms to every start)."""

    def __init__(self) -> None:
        self._specs: dict[str, tuple[str, dict[str, tuple[Any, str]]]] = {}
        self._models: dict[str, type[BaseModel]] = {}

    def add(self, kind: str, doc: str, fields: dict[str, tuple[Any, str]]) -> None:
        self._specs[kind] = (doc, fields)
        self._models.pop(kind, None)

    def __getitem__(self, kind: str) -> type[BaseModel]:
        model = self._models.get(kind)
        if model is None:
            doc, fields = self._specs[kind]
            spec = {
                name: (typ, Field(description=text))
                for name, (typ, text) in {**_COMMON, **fields}.items()
            }
            model = self._models[kind] = create_model(  # type: ignore[call-overload]
                f"{''.join(p.title() for p in kind.split('_'))}Fact",
                __config__=ConfigDict(extra="forbid", strict=True),
                __doc__=doc,
                **spec,
            )
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


VOCABULARY = _Vocabulary()
# Field types, short for the declarations.
S, B, N = str, bool, int
LS, LN = list[str], list[int]
_COMMON = {
    "kind": (str, "the fact kind (this table's name)"),
    "rid": (str, "the fact's key, unique within its kind (the resource id)"),
}


def declare(kind: str, doc: str, fields: dict[str, tuple[Any, str]]) -> None:
    """Declare the fields of a fact kind (``{name: (type, meaning)}``); ``VOCABULARY[kind]``
    is its pydantic model (strict, no other field)."""
    VOCABULARY.add(kind, doc, fields)


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
