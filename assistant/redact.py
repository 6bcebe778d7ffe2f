"""Redaction for help-desk bundles: stable pseudonyms, nothing that maps them back.

Replaced: account ids (in fields, ARNs and free text such as AccessDenied messages), IAM user,
role and session names inside ARNs, every value of a public-IP field (whatever its range),
public addresses and CIDRs wherever they sit (route destinations, security group and NACL
rules, the VPC's IPv6 range, instance and ENI IPv6 addresses, peering CIDR sets, TGW routes,
prefix list entries, VPN outside addresses), tag values, security group names and
descriptions, load balancer and target group names (also inside ARNs and DNS names). Kept:
resource ids (vpc-, subnet-, ...), private and other non-global addresses (so routing means the
same), protocol, ports and states.

Public addresses map prefix-preservingly, as in Crypto-PAn: a keyed bit flip at each node of
the address tree, so two addresses that share a k-bit prefix still share exactly k bits, and a
CIDR keeps its length and its containment in every other CIDR. Flips happen only inside
blocks that hold no special-purpose (private, shared, documentation, loopback, multicast...)
address, so a global address stays global and a private one is unchanged. Where a rule reads
intent from a name or tag (private, public, app, db, ...), the pseudonym keeps those words, so
the bundle diagnoses and traces as the original with pseudonyms in place of the originals.

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
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from assistant.errors import UserError
from assistant.models.finding import Diagnosis
from assistant.models.snapshot import Snapshot
from assistant.topology import intent_words

KEY_VERSION = 1
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
# A 12-digit account id inside free text: not part of a longer word or id.
_ACCOUNT_IN_TEXT = re.compile(r"(?<![\w-])[0-9]{12}(?![\w-])")
# An ARN inside free text (an error message, a description).
_ARN_IN_TEXT = re.compile(r"arn:[\w-]+:[\w-]*:[\w-]*:[0-9]{12}:[^\s\"',;()\[\]{}<>]+")
_ENCODED_MESSAGE = re.compile(r"(Encoded authorization failure message:\s*)(\S+)")
_IAM_KINDS = {"user", "role", "assumed-role", "group", "federated-user", "instance-profile"}
M = TypeVar("M", bound=BaseModel)

# Blocks holding any address that is not globally routable; public addresses are permuted only
# inside blocks that hold none of these, so they stay public and these stay as they are.
_SPECIAL_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
    )
]
_SPECIAL_V6 = [
    ipaddress.ip_network(n)
    for n in (
        "::/3",
        "4000::/2",
        "8000::/1",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "3fff::/20",
    )
]


@lru_cache(maxsize=4096)
def _special_free(version: int, prefix: int, length: int) -> bool:
    """Whether the block of ``length`` leading bits ``prefix`` holds no special address."""
    bits = 32 if version == 4 else 128
    cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    net = cls((prefix << (bits - length), length))
    return not any(net.overlaps(s) for s in (_SPECIAL_V4 if version == 4 else _SPECIAL_V6))


_KEEP_TAG_KEYS_VERBATIM = {"aws:cloudformation:logical-id"}
_KEEP_VALUES = {"default", ""}


class RedactionKey:
    """A secret and the table from pseudonyms back to originals (kept by the customer)."""

    def __init__(self, secret: bytes | None = None, table: dict[str, str] | None = None):
        self.secret = secret or secrets.token_bytes(32)
        self.table: dict[str, str] = dict(table or {})
        self._forward = {v: k for k, v in self.table.items()}
        self._flips: dict[tuple[int, int, int], int] = {}

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
        """Write the key file readable by its owner only, atomically.

        The content goes to a new temporary file beside it, created exclusively (O_EXCL) with
        mode 0600 from the start, then renamed over ``path``: no moment where another user can
        read it, and no following a link planted under a predictable name.
        """
        doc = {"version": KEY_VERSION, "secret": self.secret.hex(), "table": self.table}
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def check(self, bundle: Snapshot, path: Path | str = "key") -> None:
        """Raise a UserError unless this key made ``bundle`` (knows all its pseudonyms)."""
        if not bundle.redacted:
            raise UserError(f"{path}: the snapshot is not a redacted bundle; no key applies to it")
        seen = _pseudonyms(bundle)
        unknown = sorted(p for p in seen if p not in self.table)
        if unknown:
            raise UserError(
                f"{path}: wrong redaction key for this bundle "
                f"({len(unknown)} of {len(seen)} pseudonyms are not in it)"
            )

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

    def iam(self, value: str) -> str:
        """An IAM user, role or session name."""
        return self.pseudonym("iam", value, lambda d: f"principal-{int.from_bytes(d[:4])}")

    def _flip(self, version: int, prefix: int, length: int) -> int:
        key = (version, prefix, length)
        bit = self._flips.get(key)
        if bit is None:
            bit = self._digest("pp", f"{version}/{length}/{prefix:x}")[0] & 1
            self._flips[key] = bit
        return bit

    def permute(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
        """The prefix-preserving pseudonym of ``addr`` (unchanged if it is not global)."""
        version, bits = addr.version, addr.max_prefixlen
        value = int(addr)
        out = 0
        for i in range(bits):
            prefix = value >> (bits - i)  # the original's first i bits
            bit = (value >> (bits - i - 1)) & 1
            if _special_free(version, prefix, i):
                bit ^= self._flip(version, prefix, i)
            out = (out << 1) | bit
        return str(ipaddress.ip_address(out) if version == 4 else ipaddress.IPv6Address(out))

    def address(self, value: str) -> str:
        """A global address permuted prefix-preservingly; others kept; non-addresses kept."""
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return value
        mapped = self.permute(addr)
        if mapped != str(addr):
            self.table.setdefault(mapped, str(addr))
            self._forward.setdefault(str(addr), mapped)
        return mapped

    def public_ip(self, value: str) -> str:
        """A public-IP field: always hidden, whatever the value's range."""
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return self.text(value) if value else value
        if addr.is_global and str(addr) != self.permute(addr):
            return self.address(value)

        def make(d: bytes) -> str:  # a non-global "public" value: a documentation address
            if addr.version == 4:
                n = int.from_bytes(d[:4]) % (1 << 17)  # 198.18.0.0/15, reserved for testing
                return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + n))
            base = int(ipaddress.IPv6Address("2001:db8::"))
            return str(ipaddress.IPv6Address(base + int.from_bytes(d[:8])))

        return self.pseudonym("ip", value, make)

    public_ipv6 = public_ip


def _cidr(key: RedactionKey, value: str) -> str:
    """A CIDR's address permuted prefix-preservingly (its length kept): containment holds."""
    addr, sep, length = value.partition("/")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return value
    return key.address(addr) + sep + length


_IP_FIELDS = {
    "PublicIp",
    "PublicIpAddress",
    "CarrierIp",
    "CustomerOwnedIp",
    "OutsideIpAddress",
    "PublicDnsName",
}
_ADDRESS_FIELDS = {"Ipv6Address", "PrivateIpAddress", "PrivateIp"}
_CIDR_FIELDS = {
    "CidrIp",
    "CidrIpv6",
    "CidrBlock",
    "Ipv6CidrBlock",
    "DestinationCidrBlock",
    "DestinationIpv6CidrBlock",
    "Cidr",
}
_ACCOUNT_FIELDS = {
    "account",  # every resource's own account (models.snapshot.Located)
    "OwnerId",
    "IpOwnerId",
    "UserId",
    "account_id",
    "NetworkInterfaceOwnerId",
    "RequesterId",
    "TransitGatewayOwnerId",
    "ResourceOwnerId",
    "VpcOwnerId",
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
            elif isinstance(v, str) and k == "PublicDnsName":
                out[k] = _public_dns(key, v)
            elif isinstance(v, str) and k in _IP_FIELDS:
                out[k] = key.public_ip(v)
            elif isinstance(v, str) and k in _ADDRESS_FIELDS:
                out[k] = key.address(v)
            elif isinstance(v, str) and k in _CIDR_FIELDS:
                out[k] = _cidr(key, v)
            elif k == "Cidrs" and isinstance(v, list):
                out[k] = [_cidr(key, c) if isinstance(c, str) else c for c in v]
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


def _public_dns(key: RedactionKey, value: str) -> str:
    """ec2-52-1-2-3.compute-1.amazonaws.com: the address inside it, as the address field."""
    m = re.match(r"ec2-(\d+)-(\d+)-(\d+)-(\d+)(\..*)$", value)
    if not m:
        return key.text(value) if value else value
    ip = key.public_ip(".".join(m.groups()[:4]))
    return f"ec2-{ip.replace('.', '-')}{m.group(5)}"


def _iam_arn(key: RedactionKey, arn: str) -> str:
    """An ARN inside free text: its account and, for IAM and STS, the principal's names."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    parts[4] = key.account(parts[4]) if _ACCOUNT.fullmatch(parts[4]) else parts[4]
    if parts[2] in ("iam", "sts"):
        segs = parts[5].split("/")
        if segs[0] in _IAM_KINDS:
            segs[1:] = [key.iam(x) if x else x for x in segs[1:]]
        parts[5] = "/".join(segs)
    return ":".join(parts)


def redact_text(value: str, key: RedactionKey) -> str:
    """Free text (an error message): ARNs, IAM names, account ids, encoded messages."""
    value = _ARN_IN_TEXT.sub(lambda m: _iam_arn(key, m.group(0)), value)
    value = _ENCODED_MESSAGE.sub(lambda m: m.group(1) + key.text(m.group(2)), value)
    return _ACCOUNT_IN_TEXT.sub(lambda m: key.account(m.group(0)), value)


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
    return redact_text(value, key)


# Collections that are dicts keyed by an ARN (whose names and account are redacted too).
_KEYED_BY_ARN = ("TargetHealth", "LoadBalancerAttributes", "TargetGroupAttributes")


def _pseudonyms(bundle: Snapshot) -> set[str]:
    """Values in a bundle that redaction always replaces: tag values, names, accounts."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("Tags", "TagSet") and isinstance(v, list):
                    out.update(
                        str(t.get("Value"))
                        for t in v
                        if isinstance(t, dict)
                        and t.get("Key") not in _KEEP_TAG_KEYS_VERBATIM
                        and t.get("Value") not in _KEEP_VALUES
                    )
                elif isinstance(v, str) and (
                    (k in _ACCOUNT_FIELDS and _ACCOUNT.fullmatch(v))
                    or (k in _NAME_FIELDS and v not in _KEEP_VALUES)
                ):
                    out.add(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(bundle.model_dump(mode="json", exclude={"not_checked"}))
    return out


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
        k: doc.pop(k) for k in ("provided", "format", "version", "source", "collected_at", "region")
    }
    not_checked = [
        {k: redact_text(v, key) if isinstance(v, str) else v for k, v in nc.items()}
        for nc in doc.pop("not_checked", [])
    ]
    keyed = {k: doc.pop(k, {}) for k in _KEYED_BY_ARN}
    out = _walk(doc, key, names)
    for k, table in keyed.items():
        out[k] = {_strings(a, key, names): _walk(v, key, names) for a, v in table.items()}
    out.update(meta)
    out["not_checked"] = not_checked
    out["source"] = "redacted bundle"
    out["redacted"] = True
    return Snapshot.model_validate(out)


def unredact_text(text: str, key: RedactionKey, escape=None) -> str:
    """Put the originals back into text (longest pseudonyms first).

    ``escape`` is applied to each original as it goes in: the originals are untrusted text, so
    a rendered report must be unredacted with its own escaping (or, better, rendered from
    ``unredact_model`` output so every renderer escapes them as usual).
    """
    return _unredactor(key, escape)(text)


def _unredactor(key: RedactionKey, escape=None):
    """A function that puts the originals back into one string (the pattern built once)."""
    if not key.table:
        return lambda text: text
    # Whole tokens only: a pseudonym inside a longer word or number is not that pseudonym.
    alts = "|".join(re.escape(p) for p in sorted(key.table, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alts})(?!\w)")
    table = key.table
    escape = escape or (lambda s: s)
    return lambda text: pattern.sub(lambda m: escape(table[m.group(0)]), text)


def unredact_model(model: M, key: RedactionKey) -> M:
    """A copy of a snapshot or diagnosis with the originals back in every string field."""
    put_back = _unredactor(key)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return put_back(node)
        if isinstance(node, list):
            return [walk(x) for x in node]
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        return node

    return type(model).model_validate(walk(model.model_dump(mode="json")))


def redact_keeping_key(snapshot: Snapshot, key_path: Path | None) -> Snapshot:
    """Redact with the key in ``key_path`` (created if missing) and save the key there."""
    key = RedactionKey.load(key_path) if key_path else RedactionKey()
    bundle = redact(snapshot, key)
    if key_path:
        key.save(key_path)
    return bundle


def unredact_with_key_file(
    bundle: Snapshot, diagnosis: Diagnosis, key_file: str | Path
) -> tuple[Snapshot, Diagnosis]:
    """The bundle and its diagnosis with the originals back, after checking the key fits."""
    path = Path(key_file)
    if not path.is_file():
        raise UserError(f"{path}: no such redaction key file")
    key = RedactionKey.load(path)
    key.check(bundle, path)
    return unredact_model(bundle, key), unredact_model(diagnosis, key)
