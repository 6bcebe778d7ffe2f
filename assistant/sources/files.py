"""Snapshot files: the tool's own JSON, or plain AWS CLI outputs, in any folder tree.

Each AWS CLI output is recognised by its top-level key (the registry in
``assistant.models.registry`` says which), so a help desk can ask a customer for the commands
printed by ``vpc-helper collect-commands`` and read the files as they come. A folder of any
depth (``<account>/<region>/*.json``) is one snapshot: every resource knows its account and
region, from its ARN, its OwnerId or availability zone, or else from the folder path. Files
the tool does not use are skipped and listed; files that cannot be read are listed as
unparsable; only a folder with nothing usable at all is an error.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from assistant.canonical import ListOrder
from assistant.errors import UserError
from assistant.gcpause import gc_paused
from assistant.models.compact import Compactor
from assistant.models.registry import BY_COLLECTION, BY_KEY, ID_KEYS, Row
from assistant.models.registry import collect_commands as _registry_commands
from assistant.models.snapshot import (
    COLLECTIONS,
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    AwsModel,
    Instance,
    NotChecked,
    Snapshot,
    SourceFile,
)


class SnapshotError(UserError):
    """A snapshot input that cannot be read; the message is one line naming the file."""


# Kept for callers that still look a collection's id up here; the registry is the source.
_ID_KEYS = ID_KEYS
_IGNORED_KEYS = {"ResponseMetadata", "NextToken", "NextMarker", "AdditionalRoutesAvailable"}
_REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$")
_REGION_IN = re.compile(r"(?<![a-z0-9-])([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?![0-9])")
_AZ_REGION = re.compile(r"^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)")
_ACCOUNT = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_SHOWN = 5


def collect_commands(region: str | None = None) -> list[str]:
    """The AWS CLI commands whose outputs ``scan --snapshot DIR`` reads, one file each."""
    return _registry_commands(region)


# -- reading bytes -------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file or directory") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a directory") from None
    except OSError as e:
        raise SnapshotError(f"{path}: cannot read ({e.strerror or e})") from None
    return data


def _large_or_bytes(path: Path) -> bytes | _Large:
    """The file's bytes, or a marker to read it in pieces when it is large."""
    try:
        if path.stat().st_size >= _LARGE:
            return _Large()
    except OSError:
        pass
    return _read_bytes(path)


def _decode(path: Path, data: bytes) -> Any:
    """JSON from UTF-8 (with or without BOM) or UTF-16 (what PowerShell redirection writes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(data) >= 2 and (data[0] == 0) != (data[1] == 0)
    ):
        enc = (
            "utf-16"
            if data.startswith((b"\xff\xfe", b"\xfe\xff"))
            else ("utf-16-be" if data[0] == 0 else "utf-16-le")
        )
        try:
            data = data.decode(enc).lstrip("\ufeff").encode()
        except UnicodeError:
            raise SnapshotError(f"{path}: not valid JSON (undecodable UTF-16 text)") from None
    if not data or data.isspace():  # stops at the first other byte (strip() copies it all)
        raise SnapshotError(f"{path}: file is empty")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise SnapshotError(f"{path}: not valid JSON ({e})") from None


def _expand(paths: list[str | Path]) -> list[tuple[Path, Path]]:
    """Every input file with the folder it was found under (``(root, file)``)."""
    out: list[tuple[Path, Path]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files = sorted(
                f
                for f in p.rglob("*")
                if f.suffix.lower() == ".json"
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not files:
                raise SnapshotError(f"{p}: directory holds no .json files")
            out += [(p, f) for f in files]
        elif not p.exists():
            raise SnapshotError(f"{p}: no such file or directory")
        else:
            out.append((p.parent, p))
    return out


# -- where a resource lives ----------------------------------------------------------------


def path_location(path: Path, root: Path | None = None) -> tuple[str | None, str | None]:
    """(region, account) named by the folders between ``root`` and ``path`` (or the stem)."""
    try:
        parts = list(path.relative_to(root).parts[:-1]) if root else list(path.parts[:-1])
    except ValueError:
        parts = list(path.parts[:-1])
    region = account = None
    for part in parts:
        m = _ACCOUNT.search(part)
        if m:
            account = m.group(1)
        r = _REGION_IN.search(part.lower())
        if r:
            region = r.group(1)
    if region is None:
        r = _REGION_IN.search(path.stem.lower())
        region = r.group(1) if r else None
    return region, account


@functools.lru_cache(maxsize=8192)
def _az_region(az: str) -> str | None:
    m = _AZ_REGION.match(az)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=1024)
def _is_account(value: str) -> bool:
    return _ACCOUNT.fullmatch(value) is not None


@functools.lru_cache(maxsize=8192)
def _arn_location(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, str) and value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6:
            region = parts[3] if _REGION.match(parts[3]) else None
            account = parts[4] if _ACCOUNT.fullmatch(parts[4]) else None
            return region, account
    return None, None


_ARN_KEYS = (
    "SubnetArn",
    "LoadBalancerArn",
    "TargetGroupArn",
    "ListenerArn",
    "TransitGatewayArn",
    "PrefixListArn",
    "OutpostArn",
)
_ARN_SET = frozenset(_ARN_KEYS)


def resource_location(raw: Any) -> tuple[str | None, str | None]:
    """(region, account) a resource states itself: ARN, OwnerId, availability zone."""
    if not isinstance(raw, dict):
        return None, None
    region = account = None
    if raw.keys() & _ARN_SET:  # one pass in C; most records have no ARN at all
        for k in _ARN_KEYS:
            v = raw.get(k)
            if isinstance(v, str):
                region, account = _arn_location(v)
                break
    if account is None:
        for k in ("OwnerId", "VpcOwnerId", "ResourceOwnerId"):
            v = raw.get(k)
            if isinstance(v, str) and _is_account(v):
                account = v
                break
    if region is None:
        az = raw.get("AvailabilityZone")
        if not isinstance(az, str):
            placement = raw.get("Placement")
            az = placement.get("AvailabilityZone") if isinstance(placement, dict) else None
        region = _az_region(az) if isinstance(az, str) else None
    return region, account


# -- values that cannot be right -------------------------------------------------------------

_TARGET_PREFIX = {
    "GatewayId": ("igw-", "vgw-", "vpce-", "local"),
    "NatGatewayId": ("nat-",),
    "TransitGatewayId": ("tgw-",),
    "VpcPeeringConnectionId": ("pcx-",),
    "EgressOnlyInternetGatewayId": ("eigw-",),
    "InstanceId": ("i-",),
    "NetworkInterfaceId": ("eni-",),
    "LocalGatewayId": ("lgw-",),
    "CarrierGatewayId": ("cagw-",),
    "CoreNetworkArn": ("arn:",),
    "DestinationPrefixListId": ("pl-",),
}


@functools.lru_cache(maxsize=8192)
def _bad_cidr(value: str | None, version: int | None = None) -> str | None:
    if value is None:
        return None
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is not a CIDR block"
    if version and net.version != version:
        return f"{value!r} is not an IPv{version} CIDR block"
    return None


# Where each collection holds CIDRs: (path parts, value, IP version or None) per item, the
# path joined only for the value shown.
_Check = tuple[tuple[Any, ...], "str | None", "int | None"]


def _vpc_cidrs(x: Any) -> Iterator[_Check]:
    yield ("CidrBlock",), x.CidrBlock or None, 4
    for k, a in enumerate(getattr(x, "CidrBlockAssociationSet", [])):
        yield ("CidrBlockAssociationSet", k, "CidrBlock"), a.CidrBlock, 4
    for k, a in enumerate(x.Ipv6CidrBlockAssociationSet):
        yield ("Ipv6CidrBlockAssociationSet", k, "Ipv6CidrBlock"), a.Ipv6CidrBlock, 6


def _route_cidrs(x: Any) -> Iterator[_Check]:
    for k, r in enumerate(x.Routes):
        yield ("Routes", k, "DestinationCidrBlock"), r.DestinationCidrBlock, 4
        yield ("Routes", k, "DestinationIpv6CidrBlock"), r.DestinationIpv6CidrBlock, 6


def _sg_cidrs(x: Any) -> Iterator[_Check]:
    for side in ("IpPermissions", "IpPermissionsEgress"):
        for k, perm in enumerate(getattr(x, side)):
            for j, rng in enumerate(perm.IpRanges):
                yield (side, k, "IpRanges", j, "CidrIp"), rng.CidrIp, 4
            for j, rng in enumerate(perm.Ipv6Ranges):
                yield (side, k, "Ipv6Ranges", j, "CidrIpv6"), rng.CidrIpv6, 6


def _acl_cidrs(x: Any) -> Iterator[_Check]:
    for k, e in enumerate(x.Entries):
        yield ("Entries", k, "CidrBlock"), e.CidrBlock, 4
        yield ("Entries", k, "Ipv6CidrBlock"), e.Ipv6CidrBlock, 6


_CIDRS = {
    "Vpcs": _vpc_cidrs,
    "Subnets": _vpc_cidrs,
    "RouteTables": _route_cidrs,
    "SecurityGroups": _sg_cidrs,
    "NetworkAcls": _acl_cidrs,
    "TransitGatewayRoutes": lambda x: [(("DestinationCidrBlock",), x.DestinationCidrBlock, None)],
    "PrefixListEntries": lambda x: [(("Cidr",), x.Cidr, None)],
    "PrefixLists": lambda x: [(("Cidrs", k), c, None) for k, c in enumerate(x.Cidrs)],
}


def _bad_target(n: int, x: Any) -> str | None:
    """A route target of route table ``x`` (item ``n``) that cannot be right."""
    for k, r in enumerate(x.Routes):
        d = r.__dict__
        for fld, prefixes in _TARGET_PREFIX.items():
            v = d.get(fld)
            if v is not None and not v.startswith(prefixes):
                return f"{n}.Routes.{k}.{fld}: {v!r} is not a route target ({prefixes[0]}...)"
    return None


def invalid_values(collection: str, items: list[Any]) -> str | None:
    """The first value that cannot be right (``Routes.1.GatewayId: 'banana' is not ...``):
    route targets first, then CIDRs, each in order."""
    cidrs = _CIDRS.get(collection)
    if cidrs is None:  # nothing to check (instances, interfaces, ...)
        return None
    if collection == "RouteTables":
        for n, x in enumerate(items):
            bad = _bad_target(n, x)
            if bad:
                return bad
    for n, x in enumerate(items):
        for where, value, version in cidrs(x):
            if value is None:
                continue
            bad = _bad_cidr(value, version)
            if bad:
                return f"{n}.{'.'.join(map(str, where))}: {bad}"
    return None


# -- one response --------------------------------------------------------------------------


def _describe_validation(where: str, err: ValidationError) -> str:
    e = err.errors()[0]
    loc = ".".join(str(x) for x in e["loc"])
    if not e["loc"] and e["type"] in ("model_type", "model_attributes_type", "dict_type"):
        got = type(e.get("input")).__name__
        return f"{where}: expected a JSON object from an 'aws ... describe-*' command, got a {got}"
    if not e["loc"] and e["type"] == "list_type":
        return f"{where} should be a list"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}.{loc}: {e['msg']}{more}" if loc else f"{where}: {e['msg']}{more}"


def _own_snapshot(path: Path, data: Any) -> Snapshot:
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: a vpc-helper snapshot must be a JSON object")
    version = data.get("version")
    if not isinstance(version, int):
        raise SnapshotError(f"{path}: snapshot has no integer 'version'")
    if version > SNAPSHOT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {version} is newer than this vpc-helper "
            f"understands ({SNAPSHOT_VERSION}); upgrade vpc-helper"
        )
    try:
        snap = Snapshot.model_validate(data)
    except ValidationError as e:
        e0 = e.errors()[0]
        loc = ".".join(str(x) for x in e0["loc"])
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise SnapshotError(f"{path}: {loc}: {e0['msg']}{more}") from None
    for coll in COLLECTIONS:
        items = getattr(snap, coll)
        values = [x for v in items.values() for x in v] if isinstance(items, dict) else items
        if values and not isinstance(values[0], str):
            bad = invalid_values(coll, values)
            if bad:
                raise SnapshotError(f"{path}: invalid input: {coll}.{bad}")
    return snap


class _Reservation(AwsModel):
    Instances: list[Instance] = []


_ADAPTERS: dict[str, TypeAdapter] = {}


def _adapter(row: Row) -> TypeAdapter:
    """A validator for the items of ``row``'s output."""
    if row.collection not in _ADAPTERS:
        from assistant.models import snapshot as m

        item = {
            "Instances": _Reservation,
            "TargetHealth": m.TargetHealthDescription,
            "TransitGatewayRouteTableAssociations": m.TgwRouteTableAttachmentRef,
            "TransitGatewayRouteTablePropagations": m.TgwRouteTableAttachmentRef,
            "TransitGatewayRoutes": m.TransitGatewayRoute,
            "PrefixListEntries": m.PrefixListEntry,
            "LoadBalancerAttributes": _Attribute,
            "TargetGroupAttributes": _Attribute,
        }.get(row.collection)
        if item is None:
            ann = Snapshot.model_fields[row.collection].annotation
            _ADAPTERS[row.collection] = TypeAdapter(ann)
        else:
            _ADAPTERS[row.collection] = TypeAdapter(list[item])
    return _ADAPTERS[row.collection]


class _Attribute(AwsModel):
    Key: str
    Value: str | None = None


_TG_ATTRIBUTES = ("deregistration_delay", "stickiness", "preserve_client_ip", "proxy_protocol")


def _which_row(key: str, doc: dict[str, Any], path: Path) -> Row:
    """The row a top-level key belongs to; two keys are shared by two commands each."""
    rows = BY_KEY[key]
    if len(rows) == 1:
        return rows[0]
    by = {r.collection: r for r in rows}
    stem = path.stem.lower()
    items = doc.get(key) if isinstance(doc.get(key), list) else []
    if key == "PrefixLists":
        if any(isinstance(x, dict) and "Cidrs" in x for x in items):
            return by["PrefixLists"]
        shaped = ("AddressFamily", "MaxEntries", "OwnerId", "PrefixListArn", "Version", "State")
        if any(isinstance(x, dict) and any(k in x for k in shaped) for x in items):
            return by["ManagedPrefixLists"]
        return by["ManagedPrefixLists" if "managed" in stem else "PrefixLists"]
    # "Attributes": describe-load-balancer-attributes or describe-target-group-attributes
    if "LoadBalancerArn" in doc:
        return by["LoadBalancerAttributes"]
    if "TargetGroupArn" in doc:
        return by["TargetGroupAttributes"]
    if stem.startswith(("tg-", "target-group")) or "targetgroup" in stem:
        return by["TargetGroupAttributes"]
    if stem.startswith(("lb-", "load-balancer", "loadbalancer")):
        return by["LoadBalancerAttributes"]
    keys = [x.get("Key", "") for x in items if isinstance(x, dict)]
    tg = any(str(k).startswith(_TG_ATTRIBUTES) for k in keys)
    return by["TargetGroupAttributes" if tg else "LoadBalancerAttributes"]


@dataclass
class _Part:
    """What one response contributes, before it is merged."""

    row: Row
    items: list[Any]
    carried: str | None  # the parent item named inside the output (per-item rows)


@dataclass
class _File:
    path: Path
    shown: str  # the path as the user gave it, relative to the folder
    region: str | None
    account: str | None
    status: str = "read"
    keys: list[str] = field(default_factory=list)
    resources: int = 0
    reason: str | None = None
    error: str | None = None  # the one-line message if the file is all there is
    failed: str | None = None  # the collection it would have given
    parts: list[_Part] = field(default_factory=list)
    own: list[Snapshot] = field(default_factory=list)
    dns: dict[str, dict[str, bool]] = field(default_factory=dict)
    owned: bool = False  # its JSON was parsed here: its dicts may be changed in place
    compactor: Compactor | None = None  # shares repeated records (large outputs)
    ordered: bool = False  # its resources' own lists were put in canonical order as read


def _response(f: _File, doc: Any) -> None:
    """Add one response (a JSON object) of file ``f``; SnapshotError if it cannot be used."""
    if not isinstance(doc, dict):
        raise SnapshotError(
            f"{f.path}: expected a JSON object from an 'aws ... describe-*' command, "
            f"got a {type(doc).__name__}"
        )
    if doc.get("format") == SNAPSHOT_FORMAT:
        f.own.append(_own_snapshot(f.path, doc))
        f.keys.append("format")
        return
    if "VpcId" in doc and ("EnableDnsSupport" in doc or "EnableDnsHostnames" in doc):
        vpc = doc["VpcId"]
        for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
            if attr in doc:
                val = doc[attr]
                val = val.get("Value") if isinstance(val, dict) else val
                if not isinstance(val, bool) or not isinstance(vpc, str):
                    raise SnapshotError(f"{f.path}: {attr}: expected true or false")
                f.dns.setdefault(vpc, {})[attr] = val
                f.keys.append(attr)
        return
    keys = [k for k in doc if k in BY_KEY and doc[k] is not None]
    if any(BY_KEY[k][0].collection == "VpcAttributes" for k in keys):
        raise SnapshotError(f"{f.path}: a describe-vpc-attribute output needs its 'VpcId'")
    if not keys:
        shown = ", ".join([k for k in doc if k not in _IGNORED_KEYS][:4]) or "none"
        raise _Skipped(
            f"{f.path}: not a recognised AWS CLI output (top-level keys: {shown}); "
            "run `vpc-helper collect-commands` for the commands to use",
            shown,
        )
    for key in keys:
        row = _which_row(key, doc, f.path)
        f.failed = row.collection  # until it is read
        raw = doc[key]
        if not isinstance(raw, list):
            raise SnapshotError(f"{f.path}: '{key}' should be a list")
        if row.collection == "Instances":
            raw = [
                dict(r, Instances=[_placed(i, f, r.get("OwnerId")) for i in r["Instances"]])
                if isinstance(r, dict) and isinstance(r.get("Instances"), list)
                else r
                for r in raw
            ]
        elif row.per is None or row.collection == "Listeners":
            raw = [_placed(x, f) for x in raw]
        try:
            items = _adapter(row).validate_python(raw)
        except ValidationError as e:
            raise SnapshotError(_describe_validation(f"{f.path}: {key}", e)) from None
        if row.collection == "Instances":
            items = [i for r in items for i in r.Instances]
        if row.collection in ("LoadBalancerAttributes", "TargetGroupAttributes"):
            items = [{a.Key: a.Value or "" for a in items}] if items else [{}]
        else:
            bad = invalid_values(row.collection, items)
            if bad:
                raise SnapshotError(f"{f.path}: invalid input: {key}.{bad}")
        if f.compactor is None and len(items) >= _SHARE_FROM:  # a large output read whole
            f.compactor = Compactor()
        if f.compactor is not None:
            f.compactor.resources(items)
        carried = doc.get(row.carry) if row.carry else None
        if carried is not None and not isinstance(carried, str):
            raise SnapshotError(f"{f.path}: '{row.carry}' should be a string")
        f.parts.append(_Part(row, items, carried))
        f.failed = None
        f.keys.append(key)
        f.resources += len(items) if row.collection not in _ATTRS else len(items[0])


_ATTRS = ("LoadBalancerAttributes", "TargetGroupAttributes")
_SHARE_FROM = 1000  # resources in a collection


class _Skipped(SnapshotError):
    """A JSON object with no top-level key the tool uses."""

    def __init__(self, message: str, keys: str):
        super().__init__(message)
        self.keys = keys


def _read_file(path: Path, root: Path | None, doc: bytes | Any) -> _File:
    shown = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    region, account = path_location(path, root)
    if isinstance(doc, _Large):
        try:
            return _read_streamed(path, shown, region, account)
        except (_NotStreamable, SnapshotError):  # read whole: the same answer, exact messages
            doc = _read_bytes(path)
    f = _File(path, shown, region, account, owned=isinstance(doc, bytes))
    try:
        data = _decode(path, doc) if isinstance(doc, bytes) else doc
        docs = data if isinstance(data, list) and data else [data]
        if isinstance(data, list) and not data:
            raise SnapshotError(f"{path}: expected a JSON object, got an empty list")
        skipped: list[_Skipped] = []
        for d in docs:
            try:
                _response(f, d)
            except _Skipped as e:
                skipped.append(e)
        if skipped and not (f.parts or f.own or f.dns):
            f.status, f.reason, f.keys = "skipped", "not used", [skipped[0].keys]
            f.error = str(skipped[0])
    except SnapshotError as e:
        f.status, f.error, f.parts, f.own, f.dns = "unparsable", str(e), [], [], {}
        f.reason = str(e).removeprefix(f"{path}: ")
        f.resources = 0
        if f.failed is None:  # not even JSON: the file name may still say what it was
            f.failed = _BY_FILE.get(path.stem.lower())
    return f


# -- large files, read in pieces -------------------------------------------------------------
# A file as the AWS CLI prints it (4-space indent) holds one top-level list; each item of it
# ends at a line of 8 spaces and "}" (a string cannot hold a raw newline, and deeper objects
# close further in). Such a file is parsed a few megabytes of items at a time, so its whole
# tree of dicts is never alive at once. Anything else, or any error, reads it whole instead.

_LARGE = 1 << 20  # bytes: smaller files are read whole
_BLOCK = 128 << 10  # small pieces parse faster (fewer, smaller allocations alive)
_HEAD = re.compile(rb'\A(?:\xef\xbb\xbf)?\{\n    "([A-Za-z]+)": \[\n')
_ITEM_END = b"\n        },\n"
_LAST_END = b"\n        }\n    ]\n"


class _Large:
    """A file to read in pieces (its path is the item's key)."""


class _NotStreamable(Exception):
    """The file is not one list as the AWS CLI prints it: read it whole."""


def _items(path: Path) -> Iterable[tuple[str, list[Any]]]:
    """``(key, items)`` batches of the file's one top-level list, in order."""
    try:
        fh = path.open("rb")
    except OSError:
        raise _NotStreamable from None
    with fh:
        buf = fh.read(_BLOCK)
        head = _HEAD.match(buf)
        if head is None:
            raise _NotStreamable
        key = head.group(1).decode()
        if len(BY_KEY.get(key, ())) != 1:  # unknown, or a key two outputs share
            raise _NotStreamable
        buf = buf[head.end() :]
        while True:
            more = fh.read(_BLOCK)
            if not more:
                break
            buf += more
            cut = buf.rfind(_ITEM_END)
            if cut < 0:
                continue
            yield key, _parse_items(buf[: cut + len(_ITEM_END) - 2])
            buf = buf[cut + len(_ITEM_END) :]
        cut = buf.rfind(_LAST_END)
        if cut < 0 or buf[cut + len(_LAST_END) :].strip() != b"}":
            raise _NotStreamable
        yield key, _parse_items(buf[: cut + len(_LAST_END) - 7])


def _parse_items(text: bytes) -> list[Any]:
    try:
        items = orjson.loads(b"[" + text + b"]")
    except orjson.JSONDecodeError:
        raise _NotStreamable from None
    return items


def _read_streamed(path: Path, shown: str, region: str | None, account: str | None) -> _File:
    f = _File(path, shown, region, account, owned=True, compactor=Compactor(order=ListOrder()))
    f.ordered = True
    for key, items in _items(path):
        _response(f, {key: items})
    return f


_BY_FILE = {r.file: r.collection for r in BY_COLLECTION.values() if r.per is None}


# -- many files, one snapshot ----------------------------------------------------------------


def load_snapshot(paths: list[str | Path] | str | Path) -> Snapshot:
    """Load a snapshot from the tool's own JSON files or AWS CLI outputs, files or folders."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _expand(list(paths))
    with gc_paused():
        snap = snapshot_from_outputs(
            ((p, _large_or_bytes(p)) for _root, p in files),  # one file's bytes alive at a time
            roots={p: root for root, p in files},
            strict=False,
            label=", ".join(str(p) for p in paths),
        )
    if snap.source is None:
        snap.source = ", ".join(str(p) for p in paths)
    return snap


def _item_id(part: _Part, f: _File, parents: list[Any], names: dict[str, str]) -> str:
    """The parent item a per-item output belongs to: the key it carries, or its file name."""
    if part.carried:
        return part.carried
    stem = f.path.stem
    field_ = part.row.per_field or ""
    ids = [getattr(p, field_, None) for p in parents]
    for i in ids:
        if i and (i in stem or (i.startswith("arn:") and i.rsplit("/", 1)[-1] in stem)):
            return i
    for prefix in (part.row.file + "-", "target-health-"):
        if stem.startswith(prefix) and stem.removeprefix(prefix) in names:
            return names[stem.removeprefix(prefix)]
    return f"unknown-{_kebab_field(field_)}:{stem}"


def _kebab_field(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower().removesuffix("-id")


def snapshot_from_outputs(
    items: Iterable[tuple[Path, Any]] | dict[str, Any],
    account_id: str | None = None,
    region: str | None = None,
    source: str | None = None,
    roots: dict[Path, Path] | None = None,
    strict: bool | None = None,
    label: str | None = None,
) -> Snapshot:
    """Build a snapshot from AWS CLI outputs (JSON bytes or parsed), each named by its file.

    ``strict`` (the default for a dict of pasted outputs): any file that is skipped or cannot
    be read is an error. Otherwise such files are listed in ``snapshot.files`` and only a set
    with nothing usable is an error.
    """
    if isinstance(items, dict):
        strict = True if strict is None else strict
        items = [(Path(k), v) for k, v in items.items()]
    roots = roots or {}
    read = [_read_file(p, roots.get(p), doc) for p, doc in items]
    bad = [f for f in read if f.status != "read"]
    if bad and (strict or len(bad) == len(read)):
        if len(read) == 1 or strict:
            raise SnapshotError(bad[0].error or f"{bad[0].path}: cannot be used")
        raise SnapshotError(f"{label or 'input'}: nothing usable: {files_line(read)}")
    good = [f for f in read if f.status == "read"]
    snap = _assemble(good, account_id, region, source)
    snap.not_checked += _uneven(good)
    # A collection one of whose files could not be read is incomplete: not provided.
    for f in bad:
        if f.status == "unparsable" and f.failed:
            if f.failed in snap.provided:
                snap.provided.remove(f.failed)
            snap.not_checked.append(
                NotChecked(what=f.failed, reason=f"{f.shown} could not be used: {f.reason}")
            )
    snap.files = [
        SourceFile(
            path=f.shown,
            status=f.status,
            key=", ".join(dict.fromkeys(f.keys)) or None,
            resources=f.resources,
            reason=f.reason if f.status != "read" else None,
        )
        for f in read
    ]
    return snap


def _uneven(files: list[_File]) -> list[NotChecked]:
    """Folders of one account/region that lack outputs another folder has."""
    by_place: dict[str, set[str]] = {}
    for f in files:
        if f.region or f.account:
            place = "/".join(x for x in (f.account, f.region) if x)
            by_place.setdefault(place, set()).update(p.row.collection for p in f.parts)
    if len(by_place) < 2:
        return []
    every = set().union(*by_place.values())
    out = []
    for place, got in sorted(by_place.items()):
        missing = sorted(c for c in every - got if BY_COLLECTION[c].per is None)
        if missing and got:
            shown = ", ".join(missing)
            out.append(
                NotChecked(
                    what=f"{place}: {len(missing)} output(s) not sent",
                    reason=f"the other folders have them, this one has no {shown}; findings about "
                    "its resources may be incomplete",
                )
            )
    return out


def files_line(files: list[Any]) -> str:
    """``read 14 files, skipped 12 (not used): a.json, ...; 1 unparsable: b.json (why)``.

    ``files`` are ``SourceFile`` rows (or the loader's own records of them).
    """
    from assistant.render.safe import clean

    def name(f: Any) -> str:
        return clean(str(getattr(f, "shown", None) or f.path), limit=80)

    n_read = sum(1 for f in files if f.status == "read")
    skipped = [name(f) for f in files if f.status == "skipped"]
    bad = [f for f in files if f.status == "unparsable"]
    out = f"read {n_read} file{'s' if n_read != 1 else ''}"
    if skipped:
        more = f" and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
        out += f", skipped {len(skipped)} (not used): {', '.join(skipped[:_SHOWN])}{more}"
    if bad:
        why = clean(str(bad[0].reason or ""), limit=160)
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        out += f", {len(bad)} unparsable (not used): {name(bad[0])} ({why}){more}"
    return out


def _assemble(
    files: list[_File], account_id: str | None, region: str | None, source: str | None
) -> Snapshot:
    merged: dict[str, dict[Any, Any]] = {}
    provided: list[str] = []
    dns: dict[str, dict[str, bool]] = {}
    per_item: list[tuple[_Part, _File]] = []
    own: list[Snapshot] = []
    unordered: set[str] = set()  # collections with resources whose own lists are not in order
    for f in files:
        own += f.own
        for vpc, attrs in f.dns.items():
            dns.setdefault(vpc, {}).update(attrs)
        for part in f.parts:
            coll = part.row.collection
            if coll not in provided:
                provided.append(coll)
            if part.row.per is not None and part.row.collection != "Listeners":
                per_item.append((part, f))
                continue
            if not f.ordered:
                unordered.add(coll)
            bucket = merged.setdefault(coll, {})
            id_key = part.row.id_key or ""
            for n, res in enumerate(part.items):
                bucket[getattr(res, id_key, None) or f"#{f.path}:{n}"] = res
    fields: dict[str, Any] = {c: list(v.values()) for c, v in merged.items()}
    keyed: dict[str, dict[str, Any]] = {}
    for part, f in per_item:
        row = part.row
        parents = fields.get(row.per or "", [])
        names: dict[str, str] = {}
        if row.per == "TargetGroups":
            names = {tg.TargetGroupName: tg.TargetGroupArn for tg in parents}
        elif row.per == "LoadBalancers":
            names = {lb.LoadBalancerName: lb.LoadBalancerArn for lb in parents}
        item = _item_id(part, f, parents, names)
        value = part.items[0] if row.collection in _ATTRS else part.items
        bucket = keyed.setdefault(row.collection, {})
        if isinstance(value, list) and item in bucket:
            bucket[item] = bucket[item] + value  # several pages of one item
        else:
            bucket[item] = value
    # Per-item outputs of a parent that has no item needing a call: complete by definition.
    for row in BY_COLLECTION.values():
        if row.per and row.per in provided and row.collection not in provided:
            if row.collection == "VpcAttributes":
                continue
            parents = fields.get(row.per, [])
            if row.per_skip:
                f_, v_ = row.per_skip
                parents = [p for p in parents if getattr(p, f_, None) != v_]
            if not parents:
                provided.append(row.collection)
    snap = Snapshot(
        **fields,
        **keyed,
        provided=[c for c in provided if c != "VpcAttributes"],
        account_id=account_id,
        region=region,
        source=source,
    )
    for vpc in snap.Vpcs:
        attrs = dns.get(vpc.VpcId, {})
        if "EnableDnsSupport" in attrs:
            vpc.EnableDnsSupport = attrs["EnableDnsSupport"]
        if "EnableDnsHostnames" in attrs:
            vpc.EnableDnsHostnames = attrs["EnableDnsHostnames"]
    if snap.Vpcs and all(v.EnableDnsSupport is not None for v in snap.Vpcs):
        snap.provided.append("VpcAttributes")  # describe-vpc-attribute for every VPC
    snap.nested_in_order = set(fields) - unordered
    apply_lb_attributes(snap)
    settle_location(snap, account_id, region)
    share_field_sets(snap)
    if own:
        base = own[0]
        for o in own[1:]:
            base = merge(base, o)
        snap = merge(base, snap) if snap.provided else base
    return snap


def _large_lists(snap: Snapshot) -> Iterator[list[Any]]:
    """The collections of ``snap`` with at least ``_SHARE_FROM`` resources."""
    for coll in COLLECTIONS:
        items = getattr(snap, coll)
        if isinstance(items, list) and len(items) >= _SHARE_FROM:
            yield items


def share_field_sets(snap: Snapshot) -> None:
    """Once the loader's changes are done: large collections share their field-name sets."""
    shared = Compactor()
    for items in _large_lists(snap):
        shared.field_sets(items)


def compact_large(snap: Snapshot) -> None:
    """A snapshot read all at once (live), its fields all set: large collections share
    repeated records and their field-name sets."""
    shared = Compactor()
    for items in _large_lists(snap):
        shared.resources(items)
        shared.field_sets(items)


def _placed(raw: Any, f: _File, owner: Any = None) -> Any:
    """``raw`` with ``region`` and ``account`` added (its own ARN, owner or zone, else the
    file's folder); not a dict: as it is, for validation to report."""
    if not isinstance(raw, dict) or ("region" in raw and "account" in raw):
        return raw
    r, a = resource_location(raw)
    if a is None and isinstance(owner, str) and _is_account(owner):
        a = owner
    out = raw if f.owned else dict(raw)  # parsed here, seen by nothing else: no copy
    out["region"] = raw.get("region") or r or f.region
    out["account"] = raw.get("account") or a or f.account
    return out


def apply_lb_attributes(snap: Snapshot) -> None:
    """Fill each load balancer's cross-zone flag from describe-load-balancer-attributes."""
    for lb in snap.LoadBalancers:
        attrs = snap.LoadBalancerAttributes.get(lb.LoadBalancerArn)
        if attrs is None:
            continue
        if lb.Type == "application":  # always on for an ALB, whatever the attribute says
            lb.CrossZoneEnabled = True
            continue
        value = attrs.get("load_balancing.cross_zone.enabled")
        if value is not None:
            lb.CrossZoneEnabled = value.lower() == "true"


def settle_location(snap: Snapshot, account_id: str | None, region: str | None) -> None:
    """The snapshot's region(s) and account from its resources (one region: its name)."""
    regions: set[str] = set()
    accounts: set[str] = set()
    located: list[Any] = []
    for coll in COLLECTIONS:
        items = getattr(snap, coll)
        if isinstance(items, list):
            for x in items:
                if hasattr(x, "region"):
                    located.append(x)
                    if x.region:
                        regions.add(x.region)
                    if x.account:
                        accounts.add(x.account)
    if region and "," not in region:
        regions.add(region)
    if account_id:
        accounts.add(account_id)
    # One region or account known for the whole input: resources that did not say take it.
    for x in located:
        if x.region is None and len(regions) == 1:
            x.region = next(iter(regions))
        if x.account is None and len(accounts) == 1:
            x.account = next(iter(accounts))
    snap.regions = sorted(regions)
    if snap.region is None and regions:
        snap.region = ",".join(sorted(regions))
    if snap.account_id is None and len(accounts) == 1:
        snap.account_id = next(iter(accounts))


def merge(a: Snapshot, b: Snapshot) -> Snapshot:
    """Combine two snapshots; resources with the same id come from ``b``."""
    out = a.model_copy(deep=True)
    for coll in COLLECTIONS:
        if isinstance(getattr(out, coll), dict):  # per-id outputs (target health, TGW routes...)
            getattr(out, coll).update(getattr(b, coll))
            continue
        id_key = ID_KEYS[coll]
        items = {getattr(x, id_key, None) or id(x): x for x in getattr(out, coll)}
        for x in getattr(b, coll):
            items[getattr(x, id_key, None) or id(x)] = x
        setattr(out, coll, list(items.values()))
    out.provided = list(dict.fromkeys(a.provided + b.provided))
    out.not_checked = a.not_checked + b.not_checked
    out.account_id = b.account_id or a.account_id
    out.region = b.region or a.region
    out.regions = sorted(set(a.regions) | set(b.regions))
    if len(out.regions) > 1:
        out.region = ",".join(out.regions)
        accounts = set(a.account_ids()) | set(b.account_ids())
        out.account_id = out.account_id if len(accounts) <= 1 else None
    out.files = a.files + b.files
    out.collected_at = b.collected_at or a.collected_at
    out.source = b.source or a.source
    out.redacted = a.redacted or b.redacted
    out.nested_in_order = set()  # a's resources may now sit beside b's
    return out


def dump_snapshot(snapshot: Snapshot) -> bytes:
    """The snapshot as the tool's own JSON (what ``collect -o`` writes)."""
    return orjson.dumps(
        snapshot.model_dump(mode="json", exclude_defaults=False), option=orjson.OPT_INDENT_2
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    import os
    import tempfile

    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise SnapshotError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise SnapshotError(f"cannot write {path}: {e.strerror or e}") from None


def dangling_references(
    snapshot: Snapshot, instance_subnets: Iterable[str] | None = None
) -> list[NotChecked]:
    """References to resources the snapshot does not hold (files not sent, other filters).

    ``instance_subnets``: the subnets the instances name, when already known (a topology's
    instance index), so that the instances are not walked again."""
    subnets = {s.SubnetId for s in snapshot.Subnets}
    vpcs = {v.VpcId for v in snapshot.Vpcs}
    missing_subnets: set[str] = set()
    for rt in snapshot.RouteTables:
        for a in rt.Associations:
            if a.SubnetId and a.SubnetId not in subnets:
                missing_subnets.add(a.SubnetId)
    if instance_subnets is None:
        instance_subnets = {i.SubnetId for i in snapshot.Instances if i.SubnetId}
    for sid in instance_subnets:
        if sid not in subnets:
            missing_subnets.add(sid)
    for n in snapshot.NatGateways:
        if n.SubnetId and n.SubnetId not in subnets:
            missing_subnets.add(n.SubnetId)
    out: list[NotChecked] = []
    if missing_subnets and snapshot.has("Subnets"):
        ids = sorted(missing_subnets)
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        out.append(
            NotChecked(
                what=f"subnets referenced but not in the snapshot: {shown}",
                reason="they were not in the describe-subnets output (another filter or "
                "another account); rules about them were not evaluated",
            )
        )
    missing_vpcs = sorted(
        {s.VpcId for s in snapshot.Subnets if s.VpcId not in vpcs}
        | {r.VpcId for r in snapshot.RouteTables if r.VpcId not in vpcs}
    )
    if missing_vpcs and snapshot.has("Vpcs"):
        out.append(
            NotChecked(
                what=f"VPCs referenced but not in the snapshot: {', '.join(missing_vpcs[:5])}",
                reason="they were not in the describe-vpcs output; VPC-level rules skipped them",
            )
        )
    return out
