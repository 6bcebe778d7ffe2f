"""One order for a snapshot: the same configuration gives the same diagnosis, byte for byte.

AWS returns lists in no promised order, and files written by hand or by other tools shuffle
them further. Everything downstream (which subnet a fix names first, the order of resources in
a finding, edges in a diagram) follows list order, so the snapshot is put in a canonical order
first: every collection by its ids, and every nested list whose order carries no meaning by
its content.
"""

from __future__ import annotations

import re
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


# Lists in a resource where the first item is read as the primary one (an instance's interfaces,
# a NAT gateway's addresses): the primary stays first. The snapshot's own collections of the same
# names are ordered by ids alone.
_PRIMARY_FIRST = {
    "NetworkInterfaces": _device_index,
    "NatGatewayAddresses": lambda x: (getattr(x, "IsPrimary", None) is not True,),
}


@cache
def _id_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields that name an item (ids, ARNs, keys, destinations), its own id first."""
    return tuple(f for f in cls.model_fields if f.endswith(("Id", "Arn")) or f in _NAMING)


@cache
def _id_getter(cls: type[BaseModel]) -> Callable[[Any], Any] | None:
    """Reads the fields that name an item in one call."""
    fields = _id_fields(cls)
    return attrgetter(*fields) if fields else None


# Ids written with these characters only: each sorts above the closing quote of its repr.
_PLAIN = re.compile(r"[A-Za-z0-9._:/-]+")


def _plain_first_ids(items: list[Any]) -> list[str] | None:
    """The first id of each item, when they alone give the order ``_ids`` gives: one model
    class, every first id a distinct text of plain characters (letters, digits, ``._:/-``).

    ``_ids`` compares ``repr((first, ...))`` texts. Two plain texts that differ do so at a
    character both reprs hold at the same place, or one ends first: there its repr has the
    closing quote, which sorts below every plain character, as the shorter text sorts first.
    So the first ids decide, and the rest of the ids are never read (the costly part of
    ordering hundreds of thousands of resources). None when this does not hold."""
    cls = type(items[0])
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return None
    fields = _id_fields(cls)
    if not fields:
        return None
    name = fields[0]
    plain = _PLAIN.fullmatch
    out: list[str] = []
    for x in items:
        if type(x) is not cls:
            return None
        v = x.__dict__.get(name)
        if type(v) is not str or plain(v) is None:
            return None
        out.append(v)
    return out if len(set(out)) == len(out) else None


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


_BUSY: set[type] = set()


def _holds_list(ann: Any) -> bool:
    """Whether a value of type ``ann`` can hold a list somewhere inside it."""
    args = [ann, *get_args(ann)]
    for a in args:
        if get_origin(a) in (list, dict) or a in (list, dict):
            return True
        if isinstance(a, type) and issubclass(a, BaseModel) and a not in _BUSY:
            if _nested_fields(a):
                return True
    return False


@cache
def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` that can hold a list, at any depth (the rest are skipped)."""
    _BUSY.add(cls)
    try:
        return tuple(
            name for name, info in cls.model_fields.items() if _holds_list(info.annotation)
        )
    finally:
        _BUSY.discard(cls)


_NESTED: dict[type, tuple[str, ...]] = {}


def _nested(cls: type) -> tuple[str, ...]:
    """``_nested_fields`` of a model class, () for anything else (one dict lookup)."""
    found = _NESTED.get(cls)
    if found is None:
        found = _NESTED[cls] = (
            _nested_fields(cls) if isinstance(cls, type) and issubclass(cls, BaseModel) else ()
        )
    return found


def _ids_of(items: list[Any]) -> list[str]:
    """``_ids`` of every item; one getter for a list of one model class (the usual case)."""
    cls = type(items[0])
    if issubclass(cls, BaseModel) and all(type(x) is cls for x in items):
        get = _id_getter(cls)
        return [repr(get(x)) for x in items] if get else [""] * len(items)
    return [_ids(x) for x in items]


# Orders of lists sorted by their items' ids alone (one model class, unique ids, no primary
# item), remembered by (class, the ids' values): a region repeats few such lists (the same tag
# keys on every instance), so most are put in order without computing a sort key.
Memo = dict[tuple[Any, ...], tuple[int, ...] | None]
MAX_REMEMBERED = 100_000


def _memo_key(items: list[Any]) -> tuple[Any, ...] | None:
    """(class, each item's id values) when ``items`` are of one model class with ids."""
    cls = type(items[0])
    get = _id_getter(cls) if issubclass(cls, BaseModel) else None
    if get is None or not all(type(x) is cls for x in items):
        return None
    key = (cls, *map(get, items))
    try:
        hash(key)
    except TypeError:  # an unhashable id value
        return None
    return key


def _sort_in_place(
    items: list[Any], name: str, memo: Memo | None = None, nested: bool = True
) -> None:
    """``items`` in canonical order, in place (nothing is written when nothing moves): by
    their ids (a primary item first, see ``_PRIMARY_FIRST``), and by their whole content only
    where ids do not tell them apart. With a ``memo``, orders decided by ids alone are
    remembered there and reused. A collection of the snapshot itself (not ``nested`` in a
    resource) has no primary item."""
    first = _PRIMARY_FIRST.get(name) if nested else None
    key = None
    if memo is not None and first is None:
        key = _memo_key(items)
        if key is not None and key in memo:
            known = memo[key]
            if known is not None:
                items[:] = [items[i] for i in known]
            return
    ids = _plain_first_ids(items) if key is None else None
    if ids is not None:
        unique = True  # ordered by these alone, as by the whole ids (see _plain_first_ids)
    else:
        ids = [repr(v) for v in key[1:]] if key is not None else _ids_of(items)
        unique = all(ids) and len(set(ids)) == len(ids)
    keys: list[Any]
    if first is None and unique:
        keys = ids
    else:
        lead = [first(x) for x in items] if first else [()] * len(items)
        if unique:
            keys = list(zip(lead, ids, strict=True))
        else:
            keys = [(a, b, _content(x)) for a, b, x in zip(lead, ids, items, strict=True)]
    if keys is ids and all(a < b for a, b in zip(ids, ids[1:], strict=False)):
        order = None  # already in order (the usual case for lists of a few items)
    else:
        order = tuple(sorted(range(len(items)), key=keys.__getitem__))
        if all(i == k for k, i in enumerate(order)):
            order = None
    if memo is not None and key is not None and unique and len(memo) < MAX_REMEMBERED:
        memo[key] = order
    if order is not None:
        items[:] = [items[i] for i in order]


def _order_model(item: BaseModel, memo: Memo) -> None:
    """Sort ``item``'s nested lists, and theirs, in place."""
    d = item.__dict__
    for name in _nested(type(item)):
        value = d.get(name)
        if type(value) is list:
            if not value or name in _KEEP_ORDER:
                continue
            for x in value:
                if _nested(type(x)):
                    _order_model(x, memo)
            if len(value) > 1:
                _sort_in_place(value, name, memo)
        elif value is not None and _nested(type(value)):
            _order_model(value, memo)


class ListOrder:
    """The canonical order for a walk that puts each record's own lists in order itself, its
    nested records first (the loader's, see ``models.compact``): which fields, and how one list
    is sorted (orders decided by ids alone remembered for this walk)."""

    def __init__(self) -> None:
        self._memo: Memo = {}

    @staticmethod
    def fields(cls: type) -> tuple[str, ...]:
        """The fields of ``cls`` whose lists the canonical order sorts."""
        return tuple(n for n in _nested(cls) if n not in _KEEP_ORDER)

    def sort(self, items: list[Any], name: str) -> None:
        """``items`` (field ``name``, two or more) in canonical order, in place."""
        _sort_in_place(items, name, self._memo)


def _ordered(items: list[Any], name: str, memo: Memo) -> list[Any]:
    """``items`` (the same list) with their nested lists and themselves in canonical order."""
    for x in items:
        if _nested(type(x)):
            _order_model(x, memo)
    if len(items) > 1:
        _sort_in_place(items, name, nested=False)
    return items


def canonical(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every collection and nested list in a canonical order.

    Lists are sorted in place (each sort key computed once per item, no model copies): the
    snapshot given is the one returned, in canonical order.
    """
    with gc_paused():  # many small keys over a large heap: collection passes would dominate
        return _canonical(snapshot)


def _canonical(snapshot: Snapshot) -> Snapshot:
    inner_done = snapshot.nested_in_order
    memo: Memo = {}
    for coll in COLLECTIONS:
        value = getattr(snapshot, coll)
        if isinstance(value, list):
            if coll in inner_done:  # each resource's own lists were ordered as it was read
                if len(value) > 1:
                    _sort_in_place(value, coll, nested=False)
            else:
                _ordered(value, coll, memo)
        elif isinstance(value, dict):
            ordered = {
                k: (
                    _ordered(v, coll, memo)
                    if isinstance(v, list)
                    else dict(sorted(v.items()))
                    if isinstance(v, dict)
                    else v
                )
                for k, v in sorted(value.items())
            }
            setattr(snapshot, coll, ordered)
    snapshot.provided = sorted(set(snapshot.provided))
    snapshot.nested_in_order = set()
    return snapshot
