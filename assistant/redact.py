"""Redaction for help-desk bundles: stable pseudonyms, nothing that maps them back.

Replaced: account ids (also inside ARNs), public IP addresses and public CIDRs, tag values,
security group names and descriptions, load balancer and target group names (also inside
ARNs and DNS names). Kept: resource ids (vpc-, subnet-, ...), private addresses and CIDRs (so
routing means the same), protocol, ports and states. Where a rule reads intent from a name or
tag (private, public, app, db, ...), the pseudonym keeps those words, so the diagnosis of the
bundle is the diagnosis of the original with pseudonyms in place of the originals.

The same value always maps to the same pseudonym under one key. The key (a random secret and
the table back to the originals) stays with the customer in ``--redaction-key FILE``; the
bundle records only that it is redacted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.models.snapshot import Snapshot
from assistant.topology import intent_words

KEY_VERSION = 1
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_KEEP_TAG_KEYS_VERBATIM = {"aws:cloudformation:logical-id"}
_KEEP_VALUES = {"default", ""}


class RedactionKey:
    """A secret and the table from pseudonyms back to originals (kept by the customer)."""

    def __init__(self, secret: bytes | None = None, table: dict[str, str] | None = None):
        self.secret = secret or secrets.token_bytes(32)
        self.table: dict[str, str] = dict(table or {})
        self._forward = {v: k for k, v in self.table.items()}

    @classmethod
    def load(cls, path: Path) -> RedactionKey:
        """Read a key file, or start a new key if the file does not exist yet."""
        if not path.exists():
            return cls()
        try:
            doc = json.loads(path.read_text())
            if doc.get("version") != KEY_VERSION:
                raise ValueError(f"unsupported key version {doc.get('version')!r}")
            return cls(bytes.fromhex(doc["secret"]), doc.get("table", {}))
        except (ValueError, KeyError, TypeError) as e:
            raise UserError(f"{path}: not a vpc-helper redaction key ({e})") from None

    def save(self, path: Path) -> None:
        """Write the key file readable by its owner only, atomically."""
        tmp = path.with_name(f".{path.name}.tmp")
        doc = {"version": KEY_VERSION, "secret": self.secret.hex(), "table": self.table}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self.secret, f"{kind}\0{value}".encode(), hashlib.sha256).digest()

    def pseudonym(self, kind: str, value: str, make) -> str:
        """The pseudonym of ``value`` (made once, then reused)."""
        if value in self._forward:
            return self._forward[value]
        p = make(self._digest(kind, value))
        n = 1
        while p in self.table and self.table[p] != value:  # vanishingly rare collision
            p = make(self._digest(kind, f"{value}\0{n}"))
            n += 1
        self.table[p] = value
        self._forward[value] = p
        return p

    # -- kinds of value ----------------------------------------------------------------
    def account(self, value: str) -> str:
        return self.pseudonym(
            "acct", value, lambda d: "9" + str(int.from_bytes(d[:8]))[-11:].zfill(11)
        )

    def name(self, value: str) -> str:
        """A tag value or name: the intent words it holds, then a pseudonym."""
        if value in _KEEP_VALUES:
            return value

        def make(d: bytes) -> str:
            words = intent_words(value)
            # A decimal suffix: hex digits could spell an intent word such as "db".
            suffix = str(int.from_bytes(d[:4]))[-6:].zfill(6)
            return "-".join([*words, suffix]) if words else f"name-{suffix}"

        return self.pseudonym("name", value, make)

    def text(self, value: str) -> str:
        return self.pseudonym("text", value, lambda d: f"text-{int.from_bytes(d[:4])}")

    def public_ip(self, value: str) -> str:
        def make(d: bytes) -> str:
            n = int.from_bytes(d[:4]) % (1 << 17)  # 198.18.0.0/15, reserved for testing
            return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + n))

        return self.pseudonym("ip", value, make)

    def public_ipv6(self, value: str) -> str:
        def make(d: bytes) -> str:
            base = int(ipaddress.IPv6Address("2001:db8::"))
            return str(ipaddress.IPv6Address(base + int.from_bytes(d[:8])))

        return self.pseudonym("ip6", value, make)


def _is_public_ip(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return ip.is_global


def _cidr(key: RedactionKey, value: str) -> str:
    """A public CIDR keeps its prefix length; private ranges and 0.0.0.0/0, ::/0 are kept."""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return value
    if net.prefixlen == 0 or not net.network_address.is_global:
        return value
    if net.version == 4:
        return f"{key.public_ip(str(net.network_address))}/{net.prefixlen}"
    return f"{key.public_ipv6(str(net.network_address))}/{net.prefixlen}"


_IP_FIELDS = {"PublicIp", "PublicIpAddress", "CarrierIp", "CustomerOwnedIp"}
_CIDR_FIELDS = {"CidrIp", "CidrIpv6", "CidrBlock", "Ipv6CidrBlock"}
_ACCOUNT_FIELDS = {
    "OwnerId",
    "IpOwnerId",
    "UserId",
    "account_id",
    "account",  # each resource's account (the loader and the collector fill it)
    "NetworkInterfaceOwnerId",
    "RequesterId",
}
_NAME_FIELDS = {"GroupName", "LoadBalancerName", "TargetGroupName"}
_TEXT_FIELDS = {"Description", "FailureMessage"}


def _walk(node: Any, key: RedactionKey, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("Tags", "TagSet") and isinstance(v, list):
                out[k] = [
                    {
                        "Key": t.get("Key"),
                        "Value": t.get("Value")
                        if t.get("Key") in _KEEP_TAG_KEYS_VERBATIM
                        else key.name(str(t.get("Value", ""))),
                    }
                    for t in v
                    if isinstance(t, dict)
                ]
            elif isinstance(v, str) and k in _IP_FIELDS and _is_public_ip(v):
                out[k] = key.public_ip(v) if ":" not in v else key.public_ipv6(v)
            elif isinstance(v, str) and k in _CIDR_FIELDS:
                out[k] = _cidr(key, v)
            elif isinstance(v, str) and k in _ACCOUNT_FIELDS and _ACCOUNT.fullmatch(v):
                out[k] = key.account(v)
            elif isinstance(v, str) and k in _NAME_FIELDS:
                out[k] = names.setdefault(v, key.name(v)) if v not in _KEEP_VALUES else v
            elif isinstance(v, str) and k in _TEXT_FIELDS:
                out[k] = key.text(v) if v else v
            else:
                out[k] = _walk(v, key, names)
        return out
    if isinstance(node, list):
        return [_walk(x, key, names) for x in node]
    if isinstance(node, str):
        return _strings(node, key, names)
    return node


def _strings(value: str, key: RedactionKey, names: dict[str, str]) -> str:
    """ARNs, DNS names and other free strings: account ids and known names inside them."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6 and _ACCOUNT.fullmatch(parts[4] or ""):
            parts[4] = key.account(parts[4])
        if len(parts) == 6:
            segs = parts[5].split("/")
            # loadbalancer/app/NAME/hash, targetgroup/NAME/hash, listener/app/NAME/...
            for i, seg in enumerate(segs):
                if i > 0 and seg in names:
                    segs[i] = names[seg]
            if segs[0] == "targetgroup" and len(segs) > 1 and segs[1] not in names.values():
                segs[1] = names.setdefault(segs[1], key.name(segs[1]))
            if segs[0] in ("loadbalancer", "listener") and len(segs) > 2:
                if segs[2] not in names.values():
                    segs[2] = names.setdefault(segs[2], key.name(segs[2]))
            parts[5] = "/".join(segs)
        return ":".join(parts)
    if value.endswith(".elb.amazonaws.com"):
        head, _, rest = value.partition(".")
        return f"{key.name(head)}.{rest}"
    return value


def redact(snapshot: Snapshot, key: RedactionKey | None = None) -> Snapshot:
    """A redacted copy of the snapshot; ``key`` collects the table back to the originals."""
    key = key or RedactionKey()
    doc = snapshot.model_dump(mode="json")
    names: dict[str, str] = {}
    # Names first, so ARNs that embed them use the same pseudonyms.
    for lb in doc.get("LoadBalancers", []):
        if lb.get("LoadBalancerName"):
            names.setdefault(lb["LoadBalancerName"], key.name(lb["LoadBalancerName"]))
    for tg in doc.get("TargetGroups", []):
        if tg.get("TargetGroupName"):
            names.setdefault(tg["TargetGroupName"], key.name(tg["TargetGroupName"]))
    meta = {
        k: doc.pop(k)
        for k in (
            "provided",
            "not_checked",
            "format",
            "version",
            "source",
            "collected_at",
            "region",
        )
    }
    health = doc.pop("TargetHealth", {})
    out = _walk(doc, key, names)
    out["TargetHealth"] = {_strings(k, key, names): _walk(v, key, names) for k, v in health.items()}
    out.update(meta)
    out["source"] = "redacted bundle"
    out["redacted"] = True
    return Snapshot.model_validate(out)


def unredact_text(text: str, key: RedactionKey) -> str:
    """Put the originals back into a rendered report (longest pseudonyms first)."""
    if not key.table:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in sorted(key.table, key=len, reverse=True)))
    return pattern.sub(lambda m: key.table[m.group(0)], text)


def redact_keeping_key(snapshot: Snapshot, key_path: Path | None) -> Snapshot:
    """Redact with the key in ``key_path`` (created if missing) and save the key there."""
    key = RedactionKey.load(key_path) if key_path else RedactionKey()
    bundle = redact(snapshot, key)
    if key_path:
        key.save(key_path)
    return bundle
