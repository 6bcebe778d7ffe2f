"""Snapshot files: the tool's own JSON, or plain AWS CLI ``describe-*`` outputs.

Each AWS CLI output is recognised by its top-level key, so a help desk can ask a customer
for the commands printed by ``vpc-helper collect-commands`` and read the files as they come.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from assistant.errors import UserError
from assistant.models.snapshot import (
    COLLECTIONS,
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    NotChecked,
    Snapshot,
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


def _read_json(path: Path) -> Any:
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
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise SnapshotError(f"{path}: not valid JSON ({e})") from None


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
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{path}: {loc}: {e['msg']}{more}"


def _own_snapshot(path: Path, data: dict) -> Snapshot:
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


def load_snapshot(paths: list[str | Path] | str | Path) -> Snapshot:
    """Load a snapshot from the tool's own JSON file or from AWS CLI output files."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _expand(list(paths))
    snap = snapshot_from_outputs([(p, _read_json(p)) for p in files])
    if snap.source is None:
        snap.source = ", ".join(str(p) for p in paths)
    return snap


def snapshot_from_outputs(
    items: list[tuple[Path, Any]] | dict[str, Any],
    account_id: str | None = None,
    region: str | None = None,
    source: str | None = None,
) -> Snapshot:
    """Build a snapshot from parsed JSON documents, each named by the file it came from."""
    if isinstance(items, dict):
        items = [(Path(k), v) for k, v in items.items()]
    files = [p for p, _ in items] or [Path("input")]
    merged: dict[str, dict[str, Any]] = {}
    provided: list[str] = []
    dns: dict[str, dict[str, bool]] = {}
    health_pending: list[tuple[Path, dict]] = []
    health: dict[str, list] = {}
    own: list[Snapshot] = []
    for path, data in items:
        if not isinstance(data, dict):
            raise SnapshotError(
                f"{path}: expected a JSON object from an 'aws ... describe-*' command, "
                f"got a {type(data).__name__}"
            )
        if data.get("format") == SNAPSHOT_FORMAT:
            own.append(_own_snapshot(path, data))
            continue
        if "VpcId" in data and ("EnableDnsSupport" in data or "EnableDnsHostnames" in data):
            for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
                if attr in data:
                    val = data[attr]
                    val = val.get("Value") if isinstance(val, dict) else val
                    if not isinstance(val, bool):
                        raise SnapshotError(f"{path}: {attr}.Value is not true or false")
                    dns.setdefault(str(data["VpcId"]), {})[attr] = val
            continue
        keys = [k for k in data if k in AWS_OUTPUTS]
        if not keys:
            shown = ", ".join(list(data)[:4]) or "none"
            raise SnapshotError(
                f"{path}: not a recognised AWS CLI output (top-level keys: {shown}); "
                "run `vpc-helper collect-commands` for the commands to use"
            )
        for key in keys:
            coll, _cmd = AWS_OUTPUTS[key]
            items = data[key]
            if not isinstance(items, list):
                raise SnapshotError(f"{path}: '{key}' should be a list")
            if key == "TargetHealthDescriptions":
                health_pending.append((path, data))
                if coll not in provided:
                    provided.append(coll)
                continue
            if key == "Reservations":
                flat = []
                for res in items:
                    if not isinstance(res, dict) or not isinstance(res.get("Instances", []), list):
                        raise SnapshotError(f"{path}: Reservations[] should hold Instances lists")
                    flat += res.get("Instances", [])
                items = flat
            bucket = merged.setdefault(coll, {})
            id_key = _ID_KEYS[coll]
            for n, item in enumerate(items):
                if not isinstance(item, dict):
                    raise SnapshotError(f"{path}: {key}[{n}] should be an object")
                bucket[str(item.get(id_key, f"#{path}:{n}"))] = item
            if coll not in provided:
                provided.append(coll)
    raw: dict[str, Any] = {c: list(v.values()) for c, v in merged.items()}
    # Target health files name their target group by a TargetGroupArn key or by file name.
    tg_names = {}
    for tg in raw.get("TargetGroups", []):
        if isinstance(tg, dict) and tg.get("TargetGroupArn"):
            tg_names[str(tg.get("TargetGroupName", ""))] = tg["TargetGroupArn"]
    for path, data in health_pending:
        arn = data.get("TargetGroupArn")
        if not arn:
            stem = path.stem.removeprefix("target-health-")
            arn = tg_names.get(stem, f"unknown-target-group:{stem}")
        health[str(arn)] = data["TargetHealthDescriptions"]
    raw["TargetHealth"] = health
    raw["provided"] = provided
    raw.update(account_id=account_id, region=region, source=source)
    try:
        snap = Snapshot.model_validate(raw)
    except ValidationError as e:
        where = files[0] if len(files) == 1 else Path(str(files[0].parent))
        raise SnapshotError(_describe_validation(where, e)) from None
    for vpc in snap.Vpcs:
        attrs = dns.get(vpc.VpcId, {})
        if "EnableDnsSupport" in attrs:
            vpc.EnableDnsSupport = attrs["EnableDnsSupport"]
        if "EnableDnsHostnames" in attrs:
            vpc.EnableDnsHostnames = attrs["EnableDnsHostnames"]
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
        if coll == "TargetHealth":
            out.TargetHealth.update(b.TargetHealth)
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
