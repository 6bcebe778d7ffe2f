"""Share what is repeated across many resources, so a large region fits in less memory.

A region's 50,000 instances carry the same few tags (``Tier=web``), security group
references, states and zones over and over, and every pydantic model keeps its own set of
the field names it was given. After validation, ``Compactor`` makes records that are equal
and hold only plain values (a tag, a group reference, a state) one shared object, and models
with the same given fields share one such set. Only records inside a resource are shared,
never the resources (the loader still sets their region and account). Nothing changes for a
reader: values, ``model_dump`` and equality are the same. The product never changes a nested
record in place (a shared tag edited for one instance would change for all);
``tests/core/test_streamed_load.py`` holds that.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel

_SCALARS = (str, int, float, bool, type(None))
# Per model class: the fields holding models (name, holds a list, the model class of the
# items or None), and whether every field is a plain value (the record can be shared when
# equal).
_Plan = tuple[tuple[tuple[str, bool, type | None], ...], bool]


class Order(Protocol):
    """The canonical order (``assistant.canonical.ListOrder``): the fields of a class whose
    lists it sorts, and how it sorts one list (two or more items, named by its field)."""

    def fields(self, cls: type) -> tuple[str, ...]: ...

    def sort(self, items: list[Any], name: str) -> None: ...


_PLANS: dict[type, _Plan] = {}
_SAMPLE = 64  # records of a class looked at before choosing which text fields to share


def _kind(annotation: Any) -> str:
    """``model``, ``models`` (a list of models), ``scalar`` or ``other``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "other"
    if origin is typing.Literal:
        return "scalar"
    if origin is list:
        args = typing.get_args(annotation)
        return "models" if args and _kind(args[0]) == "model" else "other"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "model"
        if issubclass(annotation, _SCALARS):
            return "scalar"
    return "other"


def _item_class(annotation: Any) -> type | None:
    """The model class of a ``list[Model]`` annotation (None when not exactly one)."""
    args = typing.get_args(annotation)
    item = args[0] if len(args) == 1 else None
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _plan(cls: type[BaseModel]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        fields = cls.model_fields
        kinds = {name: _kind(f.annotation) for name, f in fields.items()}
        nested = tuple(
            (n, k == "models", _item_class(fields[n].annotation) if k == "models" else None)
            for n, k in kinds.items()
            if k in ("model", "models")
        )
        leaf = all(k == "scalar" for k in kinds.values()) and not cls.model_computed_fields
        plan = _PLANS[cls] = (nested, leaf)
    return plan


class Compactor:
    """Shares equal plain records and equal field-name sets among the models it is given."""

    def __init__(self, order: Order | None = None) -> None:
        # ``order``: each resource's and nested record's own lists are also put in canonical
        # order, in the same walk (the loader passes a ``canonical.ListOrder``).
        self._order = order
        self._leaves: dict[tuple[Any, ...], BaseModel] = {}
        self._sets: dict[frozenset[str], set[str]] = {}
        self._strings: dict[str, str] = {}
        # Per model class: one compiled walk over its fields (see ``_walk``).
        self._walks: dict[type, Callable[[BaseModel], None]] = {}

    def resources(self, items: list[Any]) -> None:
        """Compact the records inside each resource of ``items`` (the resources themselves
        stay as they are: the loader still sets their region, account and attributes)."""
        walks = self._walks
        for m in items:
            walk = walks.get(type(m))
            if walk is None:
                if not isinstance(m, BaseModel):
                    continue
                walk = self._walk(type(m))
            walk(m)

    def field_sets(self, items: list[Any]) -> None:
        """Make the resources of ``items`` with the same given fields share one set of their
        names (only once nothing sets their fields any more: setting one adds to the set)."""
        for m in items:
            self._share_set(m)

    def _model(self, m: BaseModel) -> BaseModel:
        """Nested record ``m`` compacted, or the shared record equal to it."""
        cls = type(m)
        if _plan(cls)[1]:  # plain values only: one object per distinct record
            key = (cls, *m.__dict__.values())
            shared = self._leaves.get(key)
            if shared is not None:
                if shared.__pydantic_fields_set__ == m.__pydantic_fields_set__:
                    return shared
            else:
                self._leaves[key] = m
        else:
            (self._walks.get(cls) or self._walk(cls))(m)
        self._share_set(m)
        return m

    def _walk(self, cls: type) -> Callable[[BaseModel], None]:
        """The walk of ``cls``. Until ``_SAMPLE`` of its records were seen it shares no text
        yet; then it is compiled anew with the text fields that repeated in them (a zone, a
        VPC id, an interface type; a record's own ids do not)."""
        plain = self._compile(cls, ())
        seen: list[dict[str, Any]] = []

        def sampling(m: BaseModel) -> None:
            plain(m)
            seen.append(m.__dict__)
            if len(seen) == _SAMPLE:
                d = seen[-1]
                texts = tuple(
                    name
                    for name, value in d.items()
                    if type(value) is str
                    and len({x[name] for x in seen if type(x.get(name)) is str}) <= _SAMPLE // 2
                )
                self._walks[cls] = self._compile(cls, texts)

        self._walks[cls] = sampling
        return sampling

    def _compile(self, cls: type, texts: tuple[str, ...]) -> Callable[[BaseModel], None]:
        """The walk of one model class, written out field by field (no loop over a plan, plain
        records shared without a call: this runs for every record of a large file): the
        ``texts`` fields share one string per distinct text, nested records are compacted,
        and lists put in order when the compactor has an ``Order``."""
        sorted_fields = self._order.fields(cls) if self._order is not None else ()
        nested = {name: (many, item) for name, many, item in _plan(cls)[0]}
        scope: dict[str, Any] = {
            "intern": self._strings.setdefault,
            "model": self._model,
            "leaves": self._leaves,
            "share": self._share_set,
            "sort": self._order.sort if self._order is not None else None,
        }
        src = ["def walk(m):", "    d = m.__dict__"]
        for name in texts:
            src += [
                f"    v = d[{name!r}]",
                "    if type(v) is str:",
                f"        d[{name!r}] = intern(v, v)",
            ]
        for name in cls.model_fields:
            if name not in nested and name not in sorted_fields:
                continue
            src.append(f"    v = d[{name!r}]")
            many, item = nested.get(name, (True, None))
            if name in nested and not many:
                src += ["    if v:", f"        d[{name!r}] = model(v)"]
                continue
            src.append("    if type(v) is list and v:")
            if name in nested and item is not None and _plan(item)[1]:
                c = f"C{len(scope)}"
                scope[c] = item
                src += [
                    "        for i, x in enumerate(v):",
                    f"            if type(x) is {c}:",
                    f"                k = ({c}, *x.__dict__.values())",
                    "                s = leaves.get(k)",
                    "                if s is None:",
                    "                    leaves[k] = x",
                    "                    share(x)",
                    "                elif s.__pydantic_fields_set__ == x.__pydantic_fields_set__:",
                    "                    v[i] = s",
                    "                else:",
                    "                    share(x)",
                    "            else:",
                    "                v[i] = model(x)",
                ]
            elif name in nested:
                src += ["        for i, x in enumerate(v):", "            v[i] = model(x)"]
            if name in sorted_fields:
                src += ["        if len(v) > 1:", f"            sort(v, {name!r})"]
        exec("\n".join(src), scope)  # noqa: S102 (field names of our own models only)
        return scope["walk"]

    def _share_set(self, m: BaseModel) -> None:
        """``m`` keeps the set of field names equal to its own that was seen first."""
        given = m.__pydantic_fields_set__
        names = frozenset(given)
        kept = self._sets.get(names)
        if kept is None:
            self._sets[names] = given
        elif kept is not given:
            object.__setattr__(m, "__pydantic_fields_set__", kept)
