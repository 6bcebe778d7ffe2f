"""The durable-rules engine behind a small interface: load rules, diagnose a snapshot.

Each engine owns its own durable-rules host (never the process-global one) with its timer
threads switched off, so every action runs synchronously on the caller's thread. Each
diagnosis runs under its own session id, and calls into one engine are serialised.

Only facts that can match some rule go into durable-rules: each rule variant's match is also
compiled into a conservative Python screen that says "cannot match" only when it is sure (an
equality or comparison between values of the same plain type that fails, also between two
fields of the fact, a kind no rule matches); anything it is unsure of (type mixes, missing
fields, existence tests) passes. durable-rules still decides every match; the screen only
spares it the facts (most subnets of a healthy region) that no rule could fire on.

The screen only combines its tests with and/or and takes a missing field as unsure, so it can
also be asked about a fact not built yet from the fields known so far: ``sieve()`` hands that
question to the fact producers, which then skip building what no rule can match.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from durable.engine import Host

from assistant.engine.facts._base import Sieve
from assistant.engine.rules import Rule, compile_conditions, load_rules
from assistant.errors import UserError

CATCH_ALL = "__every_fact"
# 5,000 facts a session broke the C core at 10k subnets (MessageObservedException, double free).
SESSION_FACTS = 2000


class EngineError(UserError):
    """A rule action failed, or the engine reported an error."""


def _condition_fields(conditions: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for field, value in conditions.items():
        if field == "any":
            for group in value:
                out |= _condition_fields(group)
        else:
            out.add(field)
    return out


Screen = Callable[[dict[str, Any]], bool]
_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<=", "$neq": "!="}
_TYPES = {bool: "bool", int: "_NUM", float: "_NUM", str: "str"}
_UNSURE = "True"


def _ref_leaf(field: str, op: str, ref: str) -> str:
    """Python source for a comparison with another field of the fact (``{"$m": ref}``):
    False only if both fields hold strings (equality tests) or both numbers and the
    comparison fails; anything else (a missing field, a type mix, booleans) is unsure."""
    if op in ("==", "!="):
        same = "(type(_x) is str and type(_y) is str or type(_x) in _NUM and type(_y) in _NUM)"
    else:
        same = "(type(_x) in _NUM and type(_y) in _NUM)"
    return f"(not ((_x := f.get({field!r}), _y := f.get({ref!r})) and {same}) or _x {op} _y)"


def _leaf(field: str, op: str, value: Any) -> str:
    """Python source: False only if the fact's field is of the value's plain type and the
    comparison fails (a missing field or a type mix is unsure, so True)."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$m"), str):
        return _ref_leaf(field, op, value["$m"])
    kind = _TYPES.get(type(value))
    if kind is None or (kind == "str" and op not in ("==", "!=")):
        return _UNSURE  # a string order, a list, another operand: unsure
    test = f"type(_x := f.get({field!r}))"
    test += " not in _NUM" if kind == "_NUM" else f" is not {kind}"
    return f"({test} or _x {op} {value!r})"


def _source(expr: Any) -> str:
    if not isinstance(expr, dict) or len(expr) != 1:
        return _UNSURE
    ((key, value),) = expr.items()
    if key in ("$and", "$or") and isinstance(value, list):
        parts = [_source(e) for e in value]
        if key == "$or":
            return _UNSURE if _UNSURE in parts or not parts else f"({' or '.join(parts)})"
        parts = [x for x in parts if x != _UNSURE]
        return f"({' and '.join(parts)})" if parts else _UNSURE
    if key in _OPS and isinstance(value, dict) and len(value) == 1:
        ((field, operand),) = value.items()
        return _leaf(field, _OPS[key], operand)
    if key.startswith("$"):
        return _UNSURE  # $ex, $nex, $m, ...: unsure
    return _leaf(key, "==", value)


def _expr_fields(expr: Any) -> set[str]:
    """Every field a durable-rules match expression names (tested, compared with, or tested for
    existence): a superset of what its screen reads."""
    out: set[str] = set()
    if isinstance(expr, dict):
        for key, value in expr.items():
            if key in ("$and", "$or") and isinstance(value, list):
                for e in value:
                    out |= _expr_fields(e)
            elif key == "$m" and isinstance(value, str):
                out.add(value)
            elif key.startswith("$"):
                out |= _expr_fields(value)
            else:
                out.add(key)
                out |= _expr_fields(value)
    return out


def _compile(sources: list[str]) -> Screen:
    body = _UNSURE if _UNSURE in sources or not sources else " or ".join(sources)
    # Sources hold only field names and literals, each written with repr().
    return eval(f"lambda f: bool({body})", {"_NUM": (int, float)})  # noqa: S307


def screen(expr: Any) -> Screen:
    """A conservative Python test of a durable-rules match expression: False only when the
    fact certainly cannot match."""
    return _compile([_source(expr)])


class _QuietHost(Host):
    """A durable-rules host without background dispatch threads."""

    def __init__(self, definitions: dict[str, Any], actions: dict[str, Any]):
        self._named_actions = actions
        super().__init__()
        self.register_rulesets(definitions)

    def _run(self) -> None:  # no timer threads: actions run on the caller's thread
        return None

    def get_action(self, action_name: str) -> Any:
        return self._named_actions[action_name]


class RuleEngine:
    """A durable-rules ruleset compiled from the rule catalogue."""

    RULESET = "vpc_helper"

    def __init__(self, rules: Iterable[Rule] | None = None):
        self.rules: tuple[Rule, ...] = tuple(rules if rules is not None else load_rules())
        self.kinds = sorted({str(m["kind"]) for r in self.rules for m in r.match})
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._matches: list[tuple[str, int, dict[str, Any]]] | None = None
        self._errors: list[str] = []
        definitions: dict[str, Any] = {}
        actions: dict[str, Any] = {}
        for rule in self.rules:
            for i, variant in enumerate(rule.variants):
                name = f"{rule.id}#{i}"
                definitions[name] = {
                    "all": [{"m": compile_conditions(variant.conditions)}],
                    "run": name,
                }
                actions[name] = self._action(rule.id, i)
        # Every fact must match some rule, or durable-rules defers actions to a timer thread.
        definitions[CATCH_ALL] = {
            "all": [{"m": {"$ex": {"kind": 1}}}],
            "pri": 1000,
            "run": CATCH_ALL,
        }
        actions[CATCH_ALL] = lambda c: None
        self._host = _QuietHost({self.RULESET: definitions}, actions)
        # Only the fields some rule tests go into the engine; matches return the whole fact.
        self.match_fields = {"kind", "rid"}
        for rule in self.rules:
            for variant in rule.variants:
                self.match_fields |= _condition_fields(variant.conditions)
        # Per fact kind, one screen over the variants that can match it (None: any kind).
        self.screened = True
        sources: dict[str | None, list[str]] = {}
        fields: dict[str | None, set[str]] = {}
        for rule in self.rules:
            for variant in rule.variants:
                kind = variant.conditions.get("kind")
                kinds = kind if isinstance(kind, list) else [kind]
                if not all(isinstance(k, str) for k in kinds):
                    kinds = [None]
                expr = compile_conditions(variant.conditions)
                for k in kinds:
                    sources.setdefault(k, []).append(_source(expr))
                    fields.setdefault(k, set()).update(_expr_fields(expr))
        self._screens: dict[str | None, Screen] = {k: _compile(v) for k, v in sources.items()}
        self._screen_fields = {k: frozenset(v) for k, v in fields.items()}

    def screen_fields(self, kind: str) -> frozenset[str]:
        """The fields ``can_match`` may read on a fact of ``kind``: two facts of that kind that
        agree on these fields are both kept or both dropped."""
        return self._screen_fields.get(kind, frozenset()) | self._screen_fields.get(
            None, frozenset()
        )

    def sieve(self) -> Sieve | None:
        """What fact producers may skip before building facts (None when unscreened)."""
        return Sieve(self.can_match, self.screen_fields) if self.screened else None

    def can_match(self, fact: dict[str, Any]) -> bool:
        """Whether some rule could match the fact (False only when certainly not)."""
        test = self._screens.get(fact.get("kind"))
        if test is not None and test(fact):
            return True
        anykind = self._screens.get(None)
        return anykind is not None and anykind(fact)

    def _action(self, rule_id: str, variant: int):
        def fire(c) -> None:
            try:
                if self._matches is not None:
                    self._matches.append((rule_id, variant, {"id": c.m._d["id"]}))
            except Exception as e:  # surfaced after the run, never swallowed
                self._errors.append(f"{rule_id}: {type(e).__name__}: {e}")

        return fire

    def run(self, facts: Iterable[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
        """Assert the facts; return (rule id, variant, fact) per match.

        Every rule matches a single fact, so the facts can go through several sessions:
        one durable-rules session holds only some tens of thousands of facts (beyond that
        its C core fails), so each session gets at most ``SESSION_FACTS``.
        """
        with self._lock:
            self._matches, self._errors = [], []
            seen: set[str] = set()
            unique = []
            for f in facts:
                key = f"{f['kind']}:{f['rid']}"
                if key in seen:
                    continue
                seen.add(key)
                if self.screened and not self.can_match(f):
                    continue
                unique.append((key, f))
            try:
                for start in range(0, len(unique), SESSION_FACTS):
                    sid = f"d{next(self._sids)}"
                    batch = [
                        {
                            **{k: v for k, v in f.items() if k in self.match_fields},
                            "sid": sid,
                            "id": key,
                        }
                        for key, f in unique[start : start + SESSION_FACTS]
                    ]
                    try:
                        self._host.assert_facts(self.RULESET, batch)
                        state = self._host.get_state(self.RULESET, sid)
                        if state.get("exception"):
                            self._errors.append(str(state["exception"]))
                    finally:
                        self._host.delete_state(self.RULESET, sid)
                if self._errors:
                    raise EngineError("; ".join(self._errors))
                matches = self._matches
            finally:
                self._matches = None
            full = dict(unique)
            return [(rule_id, v, dict(full[m["id"]])) for rule_id, v, m in matches]
