"""One order for a snapshot: the same configuration gives the same diagnosis, byte for byte.

AWS returns lists in no promised order, and files written by hand or by other tools shuffle
them further. Everything downstream (which subnet a fix names first, the order of resources in
a finding, edges in a diagram) follows list order, so the snapshot is put in a canonical order
first: every collection by its ids, and every nested list whose order carries no meaning by
its content.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import attrgetter
from typing import Any, get_args, get_origin

import orjson
from pydantic import BaseModel

from assistant.gcpause import gc_paused
from assistant.models.snapshot import COLLECTIONS, Snapshot

# Fields that name an item besides its ids.
_NAMING = {"Key", "Cidr", "CidrBlock", "CidrIp", "CidrIpv6", "DestinationCidrBlock"}
_NAMING |= {"DestinationIpv6CidrBlock", "RuleNumber", "Egress", "Ipv6Address", "PublicIp"}

# Nested lists whose order means something are left alone (none in the model today: NACL
# entries are ordered by RuleNumber and listener actions by Order, not by position).
_KEEP_ORDER: set[str] = set()


def _device_index(x: Any) -> tuple:
    att = getattr(x, "Attachment", None)
    idx = getattr(att, "DeviceIndex", None)
    return (idx is None, idx or 0)


# Lists where the first item is read as the primary one: the primary stays first.
_PRIMARY_FIRST = {
    "NetworkInterfaces": _device_index,
    "NatGatewayAddresses": lambda x: (getattr(x, "IsPrimary", None) is not True,),
}


@cache
def _id_getter(cls: type[BaseModel]) -> Callable[[Any], Any] | None:
    """Reads the fields that name an item (ids, ARNs, keys, destinations) in one call."""
    fields = [f for f in cls.model_fields if f.endswith(("Id", "Arn")) or f in _NAMING]
    return attrgetter(*fields) if fields else None


def _ids(item: Any) -> str:
    """A sortable text of what names ``item`` ("" when nothing does)."""
    if isinstance(item, BaseModel):
        get = _id_getter(type(item))
        return repr(get(item)) if get else ""
    return repr(item) if isinstance(item, str | int | float | bool) else ""


def _content(item: Any) -> bytes:
    if isinstance(item, BaseModel):
        item = item.model_dump(mode="json")
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS, default=str)


def _sort(items: list[Any], name: str = "") -> list[Any]:
    """Items by their ids; by their whole content only where ids do not tell them apart."""
    if len(items) < 2:
        return items
    first = _PRIMARY_FIRST.get(name)
    ids = [_ids(x) for x in items]
    if first is None and all(ids) and len(set(ids)) == len(ids):  # the usual case
        order = sorted(range(len(items)), key=ids.__getitem__)
        return [items[i] for i in order]
    lead = [first(x) for x in items] if first else [()] * len(items)
    if all(ids) and len(set(ids)) == len(ids):
        keys: list[tuple] = [(a, b) for a, b in zip(lead, ids, strict=True)]
    else:
        keys = [(a, b, _content(x)) for a, b, x in zip(lead, ids, items, strict=True)]
    order = sorted(range(len(items)), key=keys.__getitem__)
    return [items[i] for i in order]


@cache
def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` that can hold a list or another model (the rest are skipped)."""
    out = []
    for name, info in cls.model_fields.items():
        ann = info.annotation
        args = [ann, *get_args(ann)]
        if any(
            get_origin(a) in (list, dict)
            or a in (list, dict)
            or (isinstance(a, type) and issubclass(a, BaseModel))
            for a in args
        ):
            out.append(name)
    return tuple(out)


def _walk(x: Any) -> Any:
    """``x`` with its nested lists sorted, if it is a model that can hold any."""
    return _sorted_model(x) if isinstance(x, BaseModel) and _nested_fields(type(x)) else x


def _sorted_model(item: BaseModel) -> BaseModel:
    """``item`` with its nested lists sorted (a copy only where something moved)."""
    update: dict[str, Any] = {}
    for name in _nested_fields(type(item)):
        value = getattr(item, name, None)
        if isinstance(value, list) and value and name not in _KEEP_ORDER:
            inner = [_walk(x) for x in value]
            ordered = _sort(inner, name)
            if any(a is not b for a, b in zip(ordered, value, strict=True)):
                update[name] = ordered
        elif isinstance(value, BaseModel):
            inner_model = _walk(value)
            if inner_model is not value:
                update[name] = inner_model
    return item.model_copy(update=update) if update else item


def canonical(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every collection and nested list in a canonical order."""
    with gc_paused():  # many small keys over a large heap: collection passes would dominate
        return _canonical(snapshot)


def _canonical(snapshot: Snapshot) -> Snapshot:
    update: dict[str, Any] = {}
    for coll in COLLECTIONS:
        value = getattr(snapshot, coll)
        if isinstance(value, list):
            update[coll] = _sort([_walk(x) for x in value], coll)
        elif isinstance(value, dict):
            update[coll] = {
                k: (
                    _sort([_walk(x) for x in v], coll)
                    if isinstance(v, list)
                    else dict(sorted(v.items()))
                    if isinstance(v, dict)
                    else v
                )
                for k, v in sorted(value.items())
            }
    update["provided"] = sorted(set(snapshot.provided))
    return snapshot.model_copy(update=update)
