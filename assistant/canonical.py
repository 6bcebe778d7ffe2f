"""One order for a snapshot: the same configuration gives the same diagnosis, byte for byte.

AWS returns lists in no promised order, and files written by hand or by other tools shuffle
them further. Everything downstream (which subnet a fix names first, the order of resources in
a finding, edges in a diagram) follows list order, so the snapshot is put in a canonical order
first: every collection by its ids, and every nested list whose order carries no meaning by
its content.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel

from assistant.models.snapshot import COLLECTIONS, Snapshot

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
def _id_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        f for f in cls.model_fields if f.endswith(("Id", "Arn")) or f in ("Key", "Cidr", "Id")
    )


def _ids(item: Any) -> tuple:
    if isinstance(item, BaseModel):
        return tuple(str(getattr(item, f, None) or "") for f in _id_fields(type(item)))
    return (str(item),) if isinstance(item, str | int | float | bool) else ()


def _content(item: Any) -> bytes:
    if isinstance(item, BaseModel):
        item = item.model_dump(mode="json")
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS, default=str)


def _sort(items: list[Any], name: str = "") -> list[Any]:
    """Items by their ids; by their whole content only where ids do not tell them apart."""
    if len(items) < 2:
        return items
    ids = [_ids(x) for x in items]
    first = _PRIMARY_FIRST.get(name)
    lead = [first(x) for x in items] if first else [()] * len(items)
    if all(ids) and len(set(ids)) == len(ids):
        keys = [(a, b) for a, b in zip(lead, ids, strict=True)]
    else:
        keys = [(a, b, _content(x)) for a, b, x in zip(lead, ids, items, strict=True)]
    return [x for _, x in sorted(zip(keys, items, strict=True), key=lambda kx: kx[0])]


def _sorted_model(item: BaseModel) -> BaseModel:
    """``item`` with its nested lists sorted (a copy only where something moved)."""
    update: dict[str, Any] = {}
    for name in type(item).model_fields:
        value = getattr(item, name, None)
        if isinstance(value, list) and value and name not in _KEEP_ORDER:
            inner = [_sorted_model(x) if isinstance(x, BaseModel) else x for x in value]
            ordered = _sort(inner, name)
            if any(a is not b for a, b in zip(ordered, value, strict=True)):
                update[name] = ordered
        elif isinstance(value, BaseModel):
            inner_model = _sorted_model(value)
            if inner_model is not value:
                update[name] = inner_model
    return item.model_copy(update=update) if update else item


def canonical(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every collection and nested list in a canonical order."""
    update: dict[str, Any] = {}
    for coll in COLLECTIONS:
        value = getattr(snapshot, coll)
        if isinstance(value, list):
            update[coll] = _sort([_sorted_model(x) for x in value], coll)
        elif isinstance(value, dict):
            update[coll] = {
                k: (
                    _sort([_sorted_model(x) for x in v], coll)
                    if isinstance(v, list)
                    else dict(sorted(v.items()))
                    if isinstance(v, dict)
                    else v
                )
                for k, v in sorted(value.items())
            }
    update["provided"] = sorted(set(snapshot.provided))
    return snapshot.model_copy(update=update)
