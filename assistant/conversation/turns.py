"""What the conversation exchanges: turns with text, choices, findings and tree updates.

Plain dataclasses, not pydantic models: the chat's first screen builds turns and must not pay
for importing pydantic (see bench/tui_startup.py). They keep the part of the pydantic API the
rest of the code uses (keyword construction, ``model_dump``) and dump exactly as the pydantic
models did, so transcripts saved before and after are the same.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

# A Finding and a Trace ride along as they are: the chat's first screen must not pay for
# importing the models, the rules or the tracer (see bench/tui_startup.py).

ROLES = ("assistant", "user")


def _dump_value(value: Any, **kw: Any) -> Any:
    """A value as ``model_dump`` gives it: nested models dumped with the same options."""
    if isinstance(value, list):
        return [_dump_value(v, **kw) for v in value]
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return value.model_dump(**kw)
    return value


class _Dumps:
    """``model_dump`` as pydantic v2 does it for these fields: keys in declaration order;
    ``exclude_defaults`` drops a field equal to its default (``[]`` for the list fields),
    ``exclude_none`` a field that is ``None``; nested values get the same options."""

    __slots__ = ()

    def model_dump(
        self,
        *,
        mode: Literal["json", "python"] = "python",
        exclude_defaults: bool = False,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        kw = {"mode": mode, "exclude_defaults": exclude_defaults, "exclude_none": exclude_none}
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if exclude_none and value is None:
                continue
            if exclude_defaults:
                if f.default_factory is not MISSING:
                    default = f.default_factory()
                else:
                    default = f.default
                if default is not MISSING and value == default:
                    continue
            out[f.name] = _dump_value(value, **kw)
        return out


def _own_list(value: Any, name: str, item: type | None = None) -> list:
    """A list field's value, copied (as pydantic's validation did: the caller's list is not
    shared); a dict item becomes an ``item`` as pydantic built it; anything else is refused."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list, not {type(value).__name__}")
    if item is None:
        return list(value)
    out = [item(**v) if isinstance(v, dict) else v for v in value]
    if not all(isinstance(v, item) for v in out):
        raise TypeError(f"{name} must hold {item.__name__} objects")
    return out


def _need_str(value: Any, name: str, optional: bool = False) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")


@dataclass(kw_only=True, slots=True)
class Choice(_Dumps):
    """A quick reply: ``key`` is what the session receives, ``label`` what the user reads."""

    key: str
    label: str

    def __post_init__(self) -> None:
        _need_str(self.key, "key")
        _need_str(self.label, "label")


@dataclass(kw_only=True, slots=True)
class Turn(_Dumps):
    """One message in the chat.

    ``kind`` says how to show it: ``text``, ``question`` (with why/how-to), ``finding`` (one
    finding in full), ``diagnosis`` (the findings list), ``trace`` (a path), ``intents`` (the
    verdicts of ``--intents FILE``), ``progress`` or ``error``.
    ``updates`` names the side-panel parts that changed with this turn (``tree``, ``findings``).
    """

    role: Literal["assistant", "user"]
    text: str
    kind: str = "text"
    choices: list[Choice] = field(default_factory=list)
    question: str | None = None
    why: str | None = None
    console: str | None = None
    command: str | None = None
    finding: Any = None  # an assistant.models.finding.Finding
    trace: Any = None  # an assistant.trace.model.Trace: a path, hop by hop, with its fixes
    updates: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")
        _need_str(self.text, "text")
        _need_str(self.kind, "kind")
        for name in ("question", "why", "console", "command"):
            _need_str(getattr(self, name), name, optional=True)
        self.choices = _own_list(self.choices, "choices", Choice)
        self.updates = _own_list(self.updates, "updates")


@dataclass(kw_only=True, slots=True)
class TreeNode(_Dumps):
    """A node of the VPC tree in the side panel."""

    label: str
    badge: str | None = None  # public / private / isolated / unknown for subnets
    children: list[TreeNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        _need_str(self.label, "label")
        _need_str(self.badge, "badge", optional=True)
        self.children = _own_list(self.children, "children", TreeNode)
