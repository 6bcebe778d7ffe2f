"""Intents as written: ``[[forbid]]`` and ``[[require]]`` tables in a TOML file.

    [[forbid]]                       # nothing outside may reach the databases, on any port
    from = "internet"
    to = { tag = { tier = "db" } }
    ports = "all"

Each intent has ``from`` and ``to`` selectors (see :mod:`assistant.intents.select`), ``port``
or ``ports`` (a number, ``"lo-hi"``, ``"all"`` or a list of those), an optional ``protocol``
(``tcp`` by default, ``udp`` or ``all``) and an optional ``name``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError

FORBID, REQUIRE = "forbid", "require"
KINDS = (FORBID, REQUIRE)
ALL_PORTS = (1, 65535)
PROTOCOLS = {"tcp": ("6",), "udp": ("17",), "all": ("6", "17")}
_KEYS = {"from", "to", "port", "ports", "protocol", "name", "description"}
SELECTOR_KEYS = {
    "tag",
    "subnet_tag",
    "vpc_tag",
    "sg_tag",
    "id",
    "subnet",
    "vpc",
    "sg",
    "cidr",
    "lb",
    "name",
}


class IntentError(UserError):
    """An intents file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Intent:
    """One reachability intent."""

    kind: str  # forbid / require
    number: int  # 1-based among the intents of its kind in the file
    source: Any  # the `from` selector as written
    dest: Any  # the `to` selector as written
    ports: tuple[tuple[int, int], ...]
    protocol: str  # tcp / udp / all
    name: str = ""
    file: str = ""

    @property
    def ref(self) -> str:
        """Where the intent is written: ``FILE [[forbid]] #2``."""
        return f"{self.file} [[{self.kind}]] #{self.number}"

    @property
    def protocols(self) -> tuple[str, ...]:
        return PROTOCOLS[self.protocol]

    def ports_text(self) -> str:
        if self.ports == (ALL_PORTS,):
            return "all ports"
        parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ports]
        return ("port " if len(parts) == 1 and "-" not in parts[0] else "ports ") + ", ".join(parts)

    def describe(self) -> str:
        """One line: ``forbid internet -> {tag: tier=db} on tcp all ports``."""
        proto = "tcp and udp" if self.protocol == "all" else self.protocol
        return (
            f"{self.kind} {selector_text(self.source)} -> {selector_text(self.dest)} "
            f"on {proto} {self.ports_text()}"
        )


def selector_text(sel: Any) -> str:
    """A selector as a short line of text."""
    if isinstance(sel, str):
        return sel
    if isinstance(sel, list):
        return " or ".join(selector_text(s) for s in sel)
    if isinstance(sel, dict):
        parts = []
        for k, v in sel.items():
            if isinstance(v, dict):
                inner = ", ".join(f"{a}={b}" for a, b in v.items())
                parts.append(f"{k} {inner}")
            else:
                parts.append(f"{k} {selector_text(v) if isinstance(v, list) else v}")
        return "{" + "; ".join(parts) + "}"
    return str(sel)


def parse_port(value: Any, where: str) -> list[tuple[int, int]]:
    """``443``, ``"443"``, ``"8000-8100"``, ``"all"`` or a list of those -> port intervals."""
    if isinstance(value, list):
        if not value:
            raise IntentError(f"{where}: an empty list of ports")
        return [iv for v in value for iv in parse_port(v, where)]
    if isinstance(value, bool):
        raise IntentError(f"{where}: {value!r} is not a port")
    if isinstance(value, int):
        lo = hi = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in ("all", "any", "*"):
            return [ALL_PORTS]
        lo_s, _, hi_s = text.partition("-")
        try:
            lo = int(lo_s)
            hi = int(hi_s) if hi_s else lo
        except ValueError:
            raise IntentError(
                f"{where}: {value!r} is not a port (a number, 'lo-hi' or 'all')"
            ) from None
    else:
        raise IntentError(f"{where}: {value!r} is not a port (a number, 'lo-hi' or 'all')")
    if not (1 <= lo <= hi <= 65535):
        raise IntentError(f"{where}: {value!r}: ports run from 1 to 65535, low to high")
    return [(lo, hi)]


def merge_intervals(ivs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def check_selector(sel: Any, where: str) -> None:
    """The selector's shape (what it selects is decided against a snapshot)."""
    if isinstance(sel, str):
        if not sel.strip():
            raise IntentError(f"{where}: empty selector")
        return
    if isinstance(sel, list):
        if not sel:
            raise IntentError(f"{where}: an empty list selects nothing")
        for i, s in enumerate(sel):
            check_selector(s, f"{where}[{i}]")
        return
    if isinstance(sel, dict):
        if not sel:
            raise IntentError(f"{where}: an empty table selects nothing")
        for k, v in sel.items():
            if k not in SELECTOR_KEYS:
                known = ", ".join(sorted(SELECTOR_KEYS))
                raise IntentError(f"{where}.{k}: unknown selector (use one of: {known})")
            if k.endswith("tag"):
                if not isinstance(v, dict) or not v:
                    raise IntentError(f'{where}.{k}: give a table of tags, e.g. {{ tier = "db" }}')
                for tk, tv in v.items():
                    ok = isinstance(tv, str) or (
                        isinstance(tv, list) and tv and all(isinstance(x, str) for x in tv)
                    )
                    if not ok:
                        raise IntentError(f"{where}.{k}.{tk}: a tag value is text (or a list)")
            elif not (
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            ):
                raise IntentError(f"{where}.{k}: give text or a list of text")
        return
    raise IntentError(f"{where}: {sel!r} is not a selector (text, a list or a table)")


def parse_intents(data: dict[str, Any], file: str = "<intents>") -> list[Intent]:
    """Validate a parsed intents document; errors name the file and the field."""
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise IntentError(
            f"{file}: {unknown[0]}: unknown table (an intents file holds [[forbid]] and "
            "[[require]] tables)"
        )
    out: list[Intent] = []
    for kind in KINDS:
        items = data.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise IntentError(f"{file}: {kind}: write each as a [[{kind}]] table")
        for n, item in enumerate(items, 1):
            where = f"{file}: {kind}[{n}]"
            bad = sorted(set(item) - _KEYS)
            if bad:
                raise IntentError(
                    f"{where}.{bad[0]}: unknown field (use from, to, port or ports, protocol, name)"
                )
            for key in ("from", "to"):
                if key not in item:
                    raise IntentError(f"{where}.{key}: missing")
                check_selector(item[key], f"{where}.{key}")
            if "port" in item and "ports" in item:
                raise IntentError(f"{where}: give port or ports, not both")
            if "port" not in item and "ports" not in item:
                raise IntentError(f"{where}.ports: missing (a port, 'lo-hi', a list, or 'all')")
            pkey = "port" if "port" in item else "ports"
            ports = merge_intervals(parse_port(item[pkey], f"{where}.{pkey}"))
            proto = str(item.get("protocol", "tcp")).lower()
            proto = {"-1": "all", "6": "tcp", "17": "udp"}.get(proto, proto)
            if proto not in PROTOCOLS:
                raise IntentError(f"{where}.protocol: {item['protocol']!r} (use tcp, udp or all)")
            name = item.get("name", item.get("description", ""))
            out.append(
                Intent(
                    kind=kind,
                    number=n,
                    source=item["from"],
                    dest=item["to"],
                    ports=ports,
                    protocol=proto,
                    name=str(name),
                    file=file,
                )
            )
    if not out:
        raise IntentError(f"{file}: no [[forbid]] or [[require]] intents")
    return out


def load_intents(path: str | Path) -> list[Intent]:
    """Read and validate an intents file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IntentError(f"{p}: no such intents file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IntentError(f"{p}: cannot read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise IntentError(f"{p}: not valid TOML ({e})") from None
    return parse_intents(data, str(p))
