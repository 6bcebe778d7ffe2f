"""Snapshot files: the tool's own JSON, or plain AWS CLI ``describe-*`` outputs.

Each AWS CLI output is recognised by its top-level key, so a help desk can ask a customer
for the commands printed by ``vpc-helper collect-commands`` and read the files as they come.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from pydantic import ConfigDict, Field, ValidationError

from assistant.errors import UserError
from assistant.gcpause import gc_paused
from assistant.models.snapshot import (
    COLLECTIONS,
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    Address,
    AwsModel,
    EgressOnlyInternetGateway,
    FlowLog,
    Instance,
    InternetGateway,
    Listener,
    LoadBalancer,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    NotChecked,
    RouteTable,
    SecurityGroup,
    Snapshot,
    Subnet,
    TargetGroup,
    TargetHealthDescription,
    TransitGatewayAttachment,
    Vpc,
    VpcEndpoint,
    VpcPeeringConnection,
)


class SnapshotError(UserError):
    """A snapshot input that cannot be read; the message is one line naming the file."""


# Top-level key of an AWS CLI output -> (snapshot collection, the command that makes it).
AWS_OUTPUTS: dict[str, tuple[str, str]] = {
    "Vpcs": ("Vpcs", "aws ec2 describe-vpcs"),
    "Subnets": ("Subnets", "aws ec2 describe-subnets"),
    "RouteTables": ("RouteTables", "aws ec2 describe-route-tables"),
    "InternetGateways": ("InternetGateways", "aws ec2 describe-internet-gateways"),
    "EgressOnlyInternetGateways": (
        "EgressOnlyInternetGateways",
        "aws ec2 describe-egress-only-internet-gateways",
    ),
    "NatGateways": ("NatGateways", "aws ec2 describe-nat-gateways"),
    "Addresses": ("Addresses", "aws ec2 describe-addresses"),
    "VpcEndpoints": ("VpcEndpoints", "aws ec2 describe-vpc-endpoints"),
    "VpcPeeringConnections": ("VpcPeeringConnections", "aws ec2 describe-vpc-peering-connections"),
    "TransitGatewayAttachments": (
        "TransitGatewayAttachments",
        "aws ec2 describe-transit-gateway-attachments",
    ),
    "Reservations": ("Instances", "aws ec2 describe-instances"),
    "NetworkInterfaces": ("NetworkInterfaces", "aws ec2 describe-network-interfaces"),
    "SecurityGroups": ("SecurityGroups", "aws ec2 describe-security-groups"),
    "NetworkAcls": ("NetworkAcls", "aws ec2 describe-network-acls"),
    "FlowLogs": ("FlowLogs", "aws ec2 describe-flow-logs"),
    "LoadBalancers": ("LoadBalancers", "aws elbv2 describe-load-balancers"),
    "TargetGroups": ("TargetGroups", "aws elbv2 describe-target-groups"),
    "Listeners": ("Listeners", "aws elbv2 describe-listeners --load-balancer-arn <arn>"),
    "TargetHealthDescriptions": (
        "TargetHealth",
        "aws elbv2 describe-target-health --target-group-arn <arn>",
    ),
}

_ID_KEYS = {
    "Vpcs": "VpcId",
    "Subnets": "SubnetId",
    "RouteTables": "RouteTableId",
    "InternetGateways": "InternetGatewayId",
    "EgressOnlyInternetGateways": "EgressOnlyInternetGatewayId",
    "NatGateways": "NatGatewayId",
    "Addresses": "AllocationId",
    "VpcEndpoints": "VpcEndpointId",
    "VpcPeeringConnections": "VpcPeeringConnectionId",
    "TransitGatewayAttachments": "TransitGatewayAttachmentId",
    "Instances": "InstanceId",
    "NetworkInterfaces": "NetworkInterfaceId",
    "SecurityGroups": "GroupId",
    "NetworkAcls": "NetworkAclId",
    "FlowLogs": "FlowLogId",
    "LoadBalancers": "LoadBalancerArn",
    "TargetGroups": "TargetGroupArn",
    "Listeners": "ListenerArn",
    "TransitGateways": "TransitGatewayId",
    "TransitGatewayVpcAttachments": "TransitGatewayAttachmentId",
    "TransitGatewayPeeringAttachments": "TransitGatewayAttachmentId",
    "TransitGatewayRouteTables": "TransitGatewayRouteTableId",
    "ManagedPrefixLists": "PrefixListId",
    "PrefixLists": "PrefixListId",
    "VpnGateways": "VpnGatewayId",
    "VpnConnections": "VpnConnectionId",
}


def collect_commands(region: str | None = None) -> list[str]:
    """The AWS CLI commands whose outputs ``scan --snapshot DIR`` reads, one file each."""
    r = f" --region {region}" if region else ""
    cmds = [
        f"aws ec2 describe-vpcs{r} > vpcs.json",
        f"aws ec2 describe-subnets{r} > subnets.json",
        f"aws ec2 describe-route-tables{r} > route-tables.json",
        f"aws ec2 describe-internet-gateways{r} > internet-gateways.json",
        f"aws ec2 describe-egress-only-internet-gateways{r} > egress-only-internet-gateways.json",
        f"aws ec2 describe-nat-gateways{r} > nat-gateways.json",
        f"aws ec2 describe-addresses{r} > addresses.json",
        f"aws ec2 describe-vpc-endpoints{r} > vpc-endpoints.json",
        f"aws ec2 describe-vpc-peering-connections{r} > vpc-peering-connections.json",
        f"aws ec2 describe-transit-gateway-attachments{r} > transit-gateway-attachments.json",
        f"aws ec2 describe-instances{r} > instances.json",
        f"aws ec2 describe-network-interfaces{r} > network-interfaces.json",
        f"aws ec2 describe-security-groups{r} > security-groups.json",
        f"aws ec2 describe-network-acls{r} > network-acls.json",
        f"aws ec2 describe-flow-logs{r} > flow-logs.json",
        f"aws elbv2 describe-load-balancers{r} > load-balancers.json",
        f"aws elbv2 describe-target-groups{r} > target-groups.json",
        "# per VPC: DNS attributes",
        f"for v in $(aws ec2 describe-vpcs{r} --query 'Vpcs[].VpcId' --output text); do "
        f"aws ec2 describe-vpc-attribute{r} --vpc-id $v --attribute enableDnsSupport "
        "> vpc-attr-dns-support-$v.json; "
        f"aws ec2 describe-vpc-attribute{r} --vpc-id $v --attribute enableDnsHostnames "
        "> vpc-attr-dns-hostnames-$v.json; done",
        "# per load balancer: listeners",
        f"for a in $(aws elbv2 describe-load-balancers{r} --query 'LoadBalancers[].LoadBalancerArn'"
        " --output text); do "
        f"aws elbv2 describe-listeners{r} --load-balancer-arn $a > listeners-${{a##*/}}.json; done",
        "# per target group: target health (the file name carries the target group name)",
        f"for t in $(aws elbv2 describe-target-groups{r} --query 'TargetGroups[].TargetGroupArn'"
        " --output text); do n=$(echo $t | cut -d/ -f2); "
        f"aws elbv2 describe-target-health{r} --target-group-arn $t > target-health-$n.json; done",
    ]
    return cmds


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file or directory") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path}: is a directory") from None
    except OSError as e:
        raise SnapshotError(f"{path}: cannot read ({e.strerror or e})") from None
    if not data.strip():
        raise SnapshotError(f"{path}: file is empty")
    return data


def _expand(paths: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".json" and f.is_file())
            if not files:
                raise SnapshotError(f"{p}: directory holds no .json files")
            out += files
        elif not p.exists():
            raise SnapshotError(f"{p}: no such file or directory")
        else:
            out.append(p)
    return out


def _describe_validation(path: Path, err: ValidationError) -> str:
    e = err.errors()[0]
    loc = ".".join(str(x) for x in e["loc"])
    if e["type"] == "json_invalid":
        return f"{path}: not valid JSON ({e['msg'].removeprefix('Invalid JSON: ')})"
    if not e["loc"] and e["type"] in ("model_type", "model_attributes_type", "dict_type"):
        got = type(e.get("input")).__name__
        return f"{path}: expected a JSON object from an 'aws ... describe-*' command, got a {got}"
    if len(e["loc"]) == 1 and e["type"] == "list_type":
        return f"{path}: '{loc}' should be a list"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{path}: {loc}: {e['msg']}{more}"


def _own_snapshot(path: Path, data: Any) -> Snapshot:
    version = data.get("version")
    if not isinstance(version, int):
        raise SnapshotError(f"{path}: snapshot has no integer 'version'")
    if version > SNAPSHOT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {version} is newer than this vpc-helper "
            f"understands ({SNAPSHOT_VERSION}); upgrade vpc-helper"
        )
    try:
        return Snapshot.model_validate(data)
    except ValidationError as e:
        raise SnapshotError(_describe_validation(path, e)) from None


class _Reservation(AwsModel):
    Instances: list[Instance] = Field(default_factory=list)


class _DnsAttr(AwsModel):
    Value: bool


class CliOutput(AwsModel):
    """Any one AWS CLI describe-* output (or a vpc-helper snapshot's header)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    format: str | None = None
    version: Any = None
    Vpcs: list[Vpc] | None = None
    Subnets: list[Subnet] | None = None
    RouteTables: list[RouteTable] | None = None
    InternetGateways: list[InternetGateway] | None = None
    EgressOnlyInternetGateways: list[EgressOnlyInternetGateway] | None = None
    NatGateways: list[NatGateway] | None = None
    Addresses: list[Address] | None = None
    VpcEndpoints: list[VpcEndpoint] | None = None
    VpcPeeringConnections: list[VpcPeeringConnection] | None = None
    TransitGatewayAttachments: list[TransitGatewayAttachment] | None = None
    Reservations: list[_Reservation] | None = None
    NetworkInterfaces: list[NetworkInterface] | None = None
    SecurityGroups: list[SecurityGroup] | None = None
    NetworkAcls: list[NetworkAcl] | None = None
    FlowLogs: list[FlowLog] | None = None
    LoadBalancers: list[LoadBalancer] | None = None
    TargetGroups: list[TargetGroup] | None = None
    Listeners: list[Listener] | None = None
    TargetHealthDescriptions: list[TargetHealthDescription] | None = None
    TargetGroupArn: str | None = None
    VpcId: str | None = None
    EnableDnsSupport: _DnsAttr | bool | None = None
    EnableDnsHostnames: _DnsAttr | bool | None = None


def _parse(path: Path, doc: bytes | Any) -> CliOutput | Snapshot:
    """Validate one document (JSON bytes or parsed JSON) as a CLI output or a snapshot."""
    try:
        if isinstance(doc, bytes):
            head = doc[:400]
            if b'"format"' in head and SNAPSHOT_FORMAT.encode() in head:
                return _own_snapshot(path, orjson.loads(doc))
            out = CliOutput.model_validate_json(doc)
        else:
            if isinstance(doc, dict) and doc.get("format") == SNAPSHOT_FORMAT:
                return _own_snapshot(path, doc)
            out = CliOutput.model_validate(doc)
    except ValidationError as e:
        raise SnapshotError(_describe_validation(path, e)) from None
    except orjson.JSONDecodeError as e:
        raise SnapshotError(f"{path}: not valid JSON ({e})") from None
    if out.format == SNAPSHOT_FORMAT:
        return _own_snapshot(path, orjson.loads(doc) if isinstance(doc, bytes) else doc)
    return out


def load_snapshot(paths: list[str | Path] | str | Path) -> Snapshot:
    """Load a snapshot from the tool's own JSON file or from AWS CLI output files."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _expand(list(paths))
    with gc_paused():
        snap = snapshot_from_outputs([(p, _read_bytes(p)) for p in files])
    if snap.source is None:
        snap.source = ", ".join(str(p) for p in paths)
    return snap


def snapshot_from_outputs(
    items: list[tuple[Path, Any]] | dict[str, Any],
    account_id: str | None = None,
    region: str | None = None,
    source: str | None = None,
) -> Snapshot:
    """Build a snapshot from AWS CLI outputs (JSON bytes or parsed), each named by its file."""
    if isinstance(items, dict):
        items = [(Path(k), v) for k, v in items.items()]
    merged: dict[str, dict[str, Any]] = {}
    provided: list[str] = []
    dns: dict[str, dict[str, bool]] = {}
    health_pending: list[tuple[Path, CliOutput]] = []
    own: list[Snapshot] = []
    for path, doc in items:
        out = _parse(path, doc)
        if isinstance(out, Snapshot):
            own.append(out)
            continue
        if out.VpcId and (out.EnableDnsSupport is not None or out.EnableDnsHostnames is not None):
            for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
                val = getattr(out, attr)
                if val is not None:
                    dns.setdefault(out.VpcId, {})[attr] = (
                        val.Value if isinstance(val, _DnsAttr) else val
                    )
            continue
        keys = [k for k in AWS_OUTPUTS if getattr(out, k) is not None]
        if not keys:
            shown = ", ".join(list(out.model_extra or {})[:4]) or "none"
            raise SnapshotError(
                f"{path}: not a recognised AWS CLI output (top-level keys: {shown}); "
                "run `vpc-helper collect-commands` for the commands to use"
            )
        for key in keys:
            coll = AWS_OUTPUTS[key][0]
            if coll not in provided:
                provided.append(coll)
            if key == "TargetHealthDescriptions":
                health_pending.append((path, out))
                continue
            resources = getattr(out, key)
            if key == "Reservations":
                resources = [i for r in resources for i in r.Instances]
            bucket = merged.setdefault(coll, {})
            id_key = _ID_KEYS[coll]
            for n, res in enumerate(resources):
                bucket[getattr(res, id_key, None) or f"#{path}:{n}"] = res
    fields: dict[str, Any] = {c: list(v.values()) for c, v in merged.items()}
    # Target health files name their target group by a TargetGroupArn key or by file name.
    tg_names = {tg.TargetGroupName: tg.TargetGroupArn for tg in fields.get("TargetGroups", [])}
    health: dict[str, list] = {}
    for path, out in health_pending:
        arn = out.TargetGroupArn
        if not arn:
            stem = path.stem.removeprefix("target-health-")
            arn = tg_names.get(stem, f"unknown-target-group:{stem}")
        health[arn] = out.TargetHealthDescriptions or []
    snap = Snapshot(
        **fields,
        TargetHealth=health,
        provided=provided,
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
    if snap.account_id is None:
        snap.account_id = next((v.OwnerId for v in snap.Vpcs if v.OwnerId), None)
    if snap.region is None and snap.Subnets and snap.Subnets[0].AvailabilityZone:
        # us-east-1a -> us-east-1 (local zones such as us-east-1-bos-1a keep their parent)
        m = re.match(r"^([a-z]{2}(?:-[a-z]+)+-\d+)", snap.Subnets[0].AvailabilityZone)
        snap.region = m.group(1) if m else None
    if own:
        base = own[0]
        for o in own[1:]:
            base = merge(base, o)
        snap = merge(base, snap) if snap.provided else base
    return snap


def merge(a: Snapshot, b: Snapshot) -> Snapshot:
    """Combine two snapshots; resources with the same id come from ``b``."""
    out = a.model_copy(deep=True)
    for coll in COLLECTIONS:
        if isinstance(getattr(out, coll), dict):  # per-id outputs (target health, TGW routes...)
            getattr(out, coll).update(getattr(b, coll))
            continue
        id_key = _ID_KEYS[coll]
        items = {getattr(x, id_key, None) or id(x): x for x in getattr(out, coll)}
        for x in getattr(b, coll):
            items[getattr(x, id_key, None) or id(x)] = x
        setattr(out, coll, list(items.values()))
    out.provided = list(dict.fromkeys(a.provided + b.provided))
    out.not_checked = a.not_checked + b.not_checked
    out.account_id = b.account_id or a.account_id
    out.region = b.region or a.region
    out.collected_at = b.collected_at or a.collected_at
    out.source = b.source or a.source
    out.redacted = a.redacted or b.redacted
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


def dangling_references(snapshot: Snapshot) -> list[NotChecked]:
    """References to resources the snapshot does not hold (files not sent, other filters)."""
    subnets = {s.SubnetId for s in snapshot.Subnets}
    vpcs = {v.VpcId for v in snapshot.Vpcs}
    missing_subnets: dict[str, list[str]] = {}
    for rt in snapshot.RouteTables:
        for a in rt.Associations:
            if a.SubnetId and a.SubnetId not in subnets:
                missing_subnets.setdefault(a.SubnetId, []).append(rt.RouteTableId)
    for i in snapshot.Instances:
        if i.SubnetId and i.SubnetId not in subnets:
            missing_subnets.setdefault(i.SubnetId, []).append(i.InstanceId)
    for n in snapshot.NatGateways:
        if n.SubnetId and n.SubnetId not in subnets:
            missing_subnets.setdefault(n.SubnetId, []).append(n.NatGatewayId)
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
