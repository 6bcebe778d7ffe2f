"""Rules as data: one TOML file per rule under ``rules/``, validated on load.

A rule file holds its id, title, severity, what it matches, the explanation, what it could
not know, the fix steps and references. The match is a list of variants; each variant is a
table of conditions on one fact:

    field = value            equal
    field = [a, b]           any of
    field = { gt = 0 }       compare: gt, ge, lt, le, ne; { exists = true }
    any = [ {...}, {...} ]   at least one of these groups holds

Texts are templates: ``{field}`` is filled from the fact that matched (a list joined with
commas; ``{field:sp}`` joins with spaces for CLI arguments). Other braces are literal.

Teams add their own rules with ``--rules DIR`` (or ``VPC_HELPER_RULES``, several directories
separated by ``os.pathsep``): the same schema, loaded after the built-in catalogue. A user rule
whose id is a built-in one is refused unless its file says ``override = true``; every rule
knows where it came from (``origin``: ``built-in`` or the directory it was read from).
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import UserError
from assistant.models.finding import Severity

BUILT_IN = "built-in"
ENV_RULES = "VPC_HELPER_RULES"
_OPS = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte", "ne": "$neq"}


class RuleError(UserError):
    """A rule file that cannot be used; the message names the file."""


class StepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    action: str
    console: str | None = None
    cli: list[str] = Field(default_factory=list)
    terraform: str | None = None
    when: str | None = None  # include the step only if this fact field is truthy
    unless: str | None = None  # include the step only if this fact field is falsy
    foreach: str | None = None  # repeat for each item of this list field, as {item}

    @field_validator("cli", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Variant(BaseModel):
    conditions: dict[str, Any]
    severity: Severity | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    severity: Severity
    area: str
    summary: str
    needs: list[str] = Field(default_factory=list)
    match: list[dict[str, Any]]
    resources: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    explanation: str
    cannot_know: str | None = None
    fix: list[StepSpec] = Field(default_factory=list)
    check: str | None = None
    references: list[str] = Field(default_factory=list)
    path: str | None = None
    override: bool = False  # replaces the built-in rule of the same id
    origin: str = BUILT_IN  # "built-in", or the directory the rule was read from

    @property
    def variants(self) -> list[Variant]:
        out = []
        for m in self.match:
            m = dict(m)
            sev = m.pop("severity", None)
            out.append(Variant(conditions=m, severity=Severity.parse(sev) if sev else None))
        return out

    def fact_kind(self) -> str:
        return str(self.match[0].get("kind", ""))


def _cond(field: str, value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {"$or": [{field: v} for v in value]}
    if isinstance(value, dict):
        parts = []
        for op, v in value.items():
            if op == "exists":
                parts.append({"$ex" if v else "$nex": {field: 1}})
            elif op in _OPS:
                parts.append({_OPS[op]: {field: v}})
            else:
                raise RuleError(f"unknown operator {op!r} for {field!r}")
        return parts[0] if len(parts) == 1 else {"$and": parts}
    return {field: value}


def compile_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """Translate a variant's conditions into a durable-rules match expression."""
    parts = []
    for field, value in conditions.items():
        if field == "any":
            parts.append({"$or": [compile_conditions(g) for g in value]})
        else:
            parts.append(_cond(field, value))
    return parts[0] if len(parts) == 1 else {"$and": parts}


FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(sp))?\}")


def template_fields(text: str) -> set[str]:
    """The fact fields a template text uses (``{field}`` or ``{field:sp}``)."""
    return {m.group(1) for m in FIELD.finditer(text)}


def _validate(rule: Rule, path: Path) -> None:
    if not rule.match or any("kind" not in m for m in rule.match):
        raise RuleError(f"{path}: every match variant needs a 'kind'")
    for m in rule.match:
        try:
            compile_conditions({k: v for k, v in m.items() if k != "severity"})
        except RuleError as e:
            raise RuleError(f"{path}: {e}") from None


def load_rule(path: Path, origin: str = BUILT_IN) -> Rule:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{path}: not valid TOML ({e})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RuleError(f"{path}: cannot read ({e})") from None
    data.setdefault("area", path.parent.name)
    data.pop("origin", None)  # where a rule comes from is the loader's to say
    try:
        rule = Rule.model_validate({**data, "path": str(path), "origin": origin})
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(map(str, err["loc"])) or "(top level)"
        raise RuleError(f"{path}: {where}: {err['msg']}") from None
    if path.stem != rule.id:
        raise RuleError(f"{path}: file name must be the rule id ({rule.id}.toml)")
    _validate(rule, path)
    return rule


def rules_dir() -> Path:
    """The rule catalogue: installed with the package, or ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "_rules", here.parent / "rules"):
        if cand.is_dir():
            return cand
    raise RuleError("rule catalogue not found (expected rules/ beside the package)")


def rule_files(base: Path) -> list[Path]:
    """The rule files under ``base`` (fixture folders ``<id>.fire/`` and ``<id>.pass/`` hold
    snapshots, not rules)."""
    return sorted(
        p
        for p in base.rglob("*.toml")
        if not any(part.endswith((".fire", ".pass")) for part in p.relative_to(base).parts[:-1])
    )


def _load_dir(base: Path, origin: str) -> list[Rule]:
    rules = [load_rule(p, origin) for p in rule_files(base)]
    seen: dict[str, str] = {}
    for r in rules:
        if r.id in seen:
            raise RuleError(f"{r.path}: rule id {r.id} is also defined in {seen[r.id]}")
        seen[r.id] = str(r.path)
    return rules


_extra_dirs: tuple[str, ...] = ()


def use_rule_dirs(dirs: list[str] | tuple[str, ...] | None) -> None:
    """Add the user's rule directories to what :func:`load_rules` returns from now on (the
    default engine is rebuilt on next use). ``None`` or empty: the built-in catalogue only."""
    global _extra_dirs
    new = tuple(str(d) for d in dirs or ())
    if new == _extra_dirs:
        return
    _extra_dirs = new
    import importlib

    importlib.import_module("assistant.engine.diagnose").reset_default_engine()


def rule_dirs_from(option: list[str] | None) -> list[str]:
    """The user's rule directories: the ``--rules`` options, else ``VPC_HELPER_RULES``."""
    if option:
        return list(option)
    env = os.environ.get(ENV_RULES, "")
    return [d for d in env.split(os.pathsep) if d.strip()]


def check_rule_dir(directory: str) -> Path:
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise RuleError(f"{directory}: rules directory not found")
    if not rule_files(path):
        raise RuleError(f"{directory}: no rule files (*.toml) in this directory")
    return path


@lru_cache(maxsize=8)
def _catalogue(directory: str | None, extra: tuple[str, ...]) -> tuple[Rule, ...]:
    base = Path(directory) if directory else rules_dir()
    by_id = {r.id: r for r in _load_dir(base, BUILT_IN)}
    for d in extra:
        path = check_rule_dir(d)
        if path.resolve() == base.resolve():
            continue  # the built-in catalogue named again
        for r in _load_dir(path, str(d)):
            old = by_id.get(r.id)
            if old is not None and old.origin == BUILT_IN and not r.override:
                raise RuleError(
                    f"{r.path}: id: {r.id} is a built-in rule ({old.path}); "
                    "choose another id, or write `override = true` to replace it"
                )
            if old is not None and old.origin != BUILT_IN:
                raise RuleError(f"{r.path}: id: {r.id} is also defined in {old.path}")
            by_id[r.id] = r
    return tuple(sorted(by_id.values(), key=lambda r: r.id))


def load_rules(
    directory: str | None = None, extra: tuple[str, ...] | None = None
) -> tuple[Rule, ...]:
    """Every rule, sorted by id: the built-in catalogue (or ``directory``) and then the user's
    rule directories (``extra``, by default those set by :func:`use_rule_dirs`)."""
    return _catalogue(directory, _extra_dirs if extra is None else tuple(extra))


def get_rule(rule_id: str) -> Rule | None:
    for r in load_rules():
        if r.id == rule_id:
            return r
    return None
