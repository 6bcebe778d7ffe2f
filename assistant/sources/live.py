"""Read a live account's network configuration with boto3, read-only.

Every AWS operation the collector makes is listed once, in ``OPERATIONS``: the collector
runs them and ``vpc-helper iam-policy`` prints exactly their IAM actions. Each resource type
is one paginated call per region, run concurrently. Only three kinds of call are made per
item, because the API has no account-wide form of them:

- ``DescribeVpcAttribute`` per VPC in scope (DNS support and DNS hostnames, one call each);
- ``DescribeListeners`` per load balancer (it requires a ``LoadBalancerArn``);
- ``DescribeTargetHealth`` per target group (it requires a ``TargetGroupArn``).

boto3 is imported inside the functions: importing it takes longer than the rest of the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.models.snapshot import NotChecked, Snapshot

if TYPE_CHECKING:  # pragma: no cover
    import boto3

Progress = Callable[[str], None]

# Bounds on botocore's standard retry mode (throttling and transient errors).
MAX_ATTEMPTS = 4
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
WORKERS = 8


@dataclass(frozen=True)
class Operation:
    """One read the collector makes, and the snapshot collection it fills."""

    service: str  # boto3 client name
    name: str  # API operation name, as in IAM and in botocore events
    collection: str  # Snapshot collection filled (or "VpcAttributes", "Account")
    label: str  # what the progress line says is being read
    result_key: str = ""
    vpc_filter: str | None = None  # API filter that scopes the call to the VPCs asked for
    per: str | None = None  # "vpc", "load_balancer", "target_group": one call per item
    paginated: bool = True

    @property
    def iam_prefix(self) -> str:
        return {"ec2": "ec2", "elbv2": "elasticloadbalancing", "sts": "sts"}[self.service]

    @property
    def action(self) -> str:
        """The IAM action, e.g. ``ec2:DescribeSubnets``."""
        return f"{self.iam_prefix}:{self.name}"

    @property
    def method(self) -> str:
        """The boto3 method name, e.g. ``describe_subnets``."""
        out = ""
        for i, ch in enumerate(self.name):
            if ch.isupper() and i:
                out += "_"
            out += ch.lower()
        return out


def _ec2(name: str, coll: str, label: str, key: str, vpc_filter: str | None = None) -> Operation:
    return Operation("ec2", name, coll, label, key, vpc_filter)


# The one list of everything the collector calls; the IAM policy is derived from it.
OPERATIONS: tuple[Operation, ...] = (
    Operation("sts", "GetCallerIdentity", "Account", "account", paginated=False),
    _ec2("DescribeVpcs", "Vpcs", "VPCs", "Vpcs", "vpc-id"),
    _ec2("DescribeSubnets", "Subnets", "subnets", "Subnets", "vpc-id"),
    _ec2("DescribeRouteTables", "RouteTables", "route tables", "RouteTables", "vpc-id"),
    # Not filtered: a detached internet gateway has no VPC, and routes may still point at it.
    _ec2("DescribeInternetGateways", "InternetGateways", "internet gateways", "InternetGateways"),
    _ec2(
        "DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways",
        "egress-only internet gateways",
        "EgressOnlyInternetGateways",
    ),
    _ec2("DescribeNatGateways", "NatGateways", "NAT gateways", "NatGateways", "vpc-id"),
    _ec2("DescribeAddresses", "Addresses", "Elastic IPs", "Addresses"),
    _ec2("DescribeVpcEndpoints", "VpcEndpoints", "VPC endpoints", "VpcEndpoints", "vpc-id"),
    # Peering has two VPC sides; one filter cannot express "either", so it is read whole.
    _ec2(
        "DescribeVpcPeeringConnections",
        "VpcPeeringConnections",
        "peering connections",
        "VpcPeeringConnections",
    ),
    _ec2(
        "DescribeTransitGatewayAttachments",
        "TransitGatewayAttachments",
        "transit gateway attachments",
        "TransitGatewayAttachments",
    ),
    _ec2("DescribeInstances", "Instances", "instances", "Reservations", "vpc-id"),
    _ec2(
        "DescribeNetworkInterfaces",
        "NetworkInterfaces",
        "network interfaces",
        "NetworkInterfaces",
        "vpc-id",
    ),
    _ec2("DescribeSecurityGroups", "SecurityGroups", "security groups", "SecurityGroups", "vpc-id"),
    _ec2("DescribeNetworkAcls", "NetworkAcls", "network ACLs", "NetworkAcls", "vpc-id"),
    # Flow logs may be on subnets or interfaces as well as VPCs: read whole.
    _ec2("DescribeFlowLogs", "FlowLogs", "flow logs", "FlowLogs"),
    Operation("elbv2", "DescribeLoadBalancers", "LoadBalancers", "load balancers", "LoadBalancers"),
    Operation("elbv2", "DescribeTargetGroups", "TargetGroups", "target groups", "TargetGroups"),
    Operation(
        "ec2",
        "DescribeVpcAttribute",
        "VpcAttributes",
        "VPC DNS attributes",
        per="vpc",
        paginated=False,
    ),
    Operation(
        "elbv2", "DescribeListeners", "Listeners", "listeners", "Listeners", per="load_balancer"
    ),
    Operation(
        "elbv2",
        "DescribeTargetHealth",
        "TargetHealth",
        "target health",
        "TargetHealthDescriptions",
        per="target_group",
        paginated=False,
    ),
)

# The per-item operations wait for the list they iterate over.
PARENT = {"vpc": "Vpcs", "load_balancer": "LoadBalancers", "target_group": "TargetGroups"}
DNS_ATTRIBUTES = ("enableDnsSupport", "enableDnsHostnames")

ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "Forbidden",
}
EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
}
BAD_CREDENTIALS = {
    "InvalidClientTokenId",
    "AuthFailure",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}


class LiveError(UserError):
    """Live reading cannot go on; the message says what to do."""


def iam_actions() -> list[str]:
    """The IAM actions the collector uses, sorted."""
    return sorted({op.action for op in OPERATIONS})


def iam_policy() -> dict[str, Any]:
    """The least-privilege IAM policy document for live reading."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "VpcHelperReadOnly",
                "Effect": "Allow",
                "Action": iam_actions(),
                "Resource": "*",
            }
        ],
    }


def rules_needing(collection: str) -> list[str]:
    """Ids of the rules whose ``needs`` include ``collection``."""
    from assistant.engine.rules import load_rules

    return sorted(r.id for r in load_rules() if collection in r.needs)


# -- sessions and errors ----------------------------------------------------------------


def make_session(profile: str | None = None) -> boto3.Session:
    """A boto3 session for ``profile`` (or the default chain)."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound:
        raise LiveError(
            f"AWS profile '{profile}' not found; check the name in ~/.aws/config "
            f"(`aws configure list-profiles`) or create it with `aws configure --profile {profile}`"
        ) from None


def _resolve_region(session: boto3.Session, region: str | None) -> str:
    region = region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise LiveError(
            "no AWS region: pass --region (e.g. --region us-east-1) or set AWS_REGION, "
            "or add `region` to your profile"
        )
    known: set[str] = set()
    for partition in session.get_available_partitions():
        known.update(session.get_available_regions("ec2", partition))
    if known and region not in known:
        raise LiveError(
            f"unknown AWS region '{region}'; check the spelling "
            "(`aws ec2 describe-regions --query Regions[].RegionName`)"
        )
    return region


def _client(session: boto3.Session, service: str, region: str, endpoint_url: str | None):
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=WORKERS * 2,
        user_agent_extra="vpc-helper",
    )
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return session.client(service, **kwargs)


def _denied(err: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(err, ClientError) and err.response.get("Error", {}).get("Code") in (
        ACCESS_DENIED
    )


def user_error(err: Exception, op: Operation, region: str, endpoint: str | None) -> LiveError:
    """The one-line message for an error that stops live reading."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    where = f"{op.service} {op.name} in {region}"
    if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return LiveError(
            "no AWS credentials found: run `aws configure` (or `aws sso login --profile NAME` "
            "and pass --profile NAME), or set AWS_PROFILE"
        )
    if isinstance(err, (bx.SSOError, bx.TokenRetrievalError)):
        return LiveError(
            f"the AWS SSO session has expired or was never started ({err}); "
            "run `aws sso login` for your profile and try again"
        )
    if isinstance(err, bx.CredentialRetrievalError):
        return LiveError(f"could not get AWS credentials ({err}); check your profile's settings")
    if isinstance(
        err, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError)
    ):
        return LiveError(
            f"cannot reach {endpoint or op.service + ' in ' + region}: check your network or "
            "proxy, the --region, and --endpoint-url / AWS_ENDPOINT_URL"
        )
    if isinstance(err, bx.ReadTimeoutError):
        return LiveError(f"{where} timed out after {MAX_ATTEMPTS} attempts; try again later")
    if isinstance(err, ResponseParserError):
        return LiveError(
            f"{where}: the endpoint returned a response that is not AWS API output "
            f"(not implemented there, or not an AWS endpoint); check --endpoint-url "
            f"({endpoint or 'default'})"
        )
    if isinstance(err, bx.ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        msg = err.response.get("Error", {}).get("Message", "") or str(err)
        if code in EXPIRED:
            return LiveError(
                "the AWS credentials have expired: refresh them (`aws sso login`, or new "
                "temporary credentials) and try again"
            )
        if code in BAD_CREDENTIALS:
            return LiveError(
                f"AWS rejected the credentials ({code}): check the access key of your profile "
                "(`aws sts get-caller-identity`) or log in again"
            )
        if code in THROTTLED:
            return LiveError(
                f"{where} was throttled by AWS after {MAX_ATTEMPTS} attempts; try again in a "
                "minute, or narrow the scan with --vpc"
            )
        if code == "OptInRequired":
            return LiveError(
                f"region {region} is not enabled for this account; pick another --region"
            )
        if code.isdigit():  # an HTTP status with a body that is not an AWS error document
            return LiveError(
                f"{where}: the endpoint answered HTTP {code} without an AWS error; try again "
                f"later, or check --endpoint-url ({endpoint})"
            )
        if code.startswith("InvalidVpcID"):
            return LiveError(f"{msg} (region {region}); check --vpc and --region")
        return LiveError(f"{where} failed: {code}: {msg}")
    if isinstance(err, bx.BotoCoreError):
        return LiveError(f"{where} failed: {err}")
    raise err


# -- reading ------------------------------------------------------------------------------


def read_pages(client: Any, op: Operation, **params: Any) -> list[dict[str, Any]]:
    """All items of a list operation, following NextToken/NextMarker page by page."""
    if not client.can_paginate(op.method):
        page = getattr(client, op.method)(**params)
        return list(page.get(op.result_key, []))
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(op.method).paginate(**params):
        out += page.get(op.result_key, [])
    return out


def _in_scope(collection: str, item: dict[str, Any], vpcs: set[str]) -> bool:
    """For the reads the API cannot filter by VPC: whether ``item`` belongs to ``vpcs``.

    Internet gateways attached nowhere are kept: a route in scope may still point at one.
    """
    if collection in ("LoadBalancers", "TargetGroups"):
        return item.get("VpcId") in vpcs
    if collection in ("InternetGateways", "EgressOnlyInternetGateways"):
        attached = [a.get("VpcId") for a in item.get("Attachments", [])]
        return not attached or any(v in vpcs for v in attached)
    if collection == "VpcPeeringConnections":
        sides = (item.get("AccepterVpcInfo", {}), item.get("RequesterVpcInfo", {}))
        return any(side.get("VpcId") in vpcs for side in sides)
    if collection == "TransitGatewayAttachments":
        return item.get("ResourceId") in vpcs
    return True  # Elastic IPs and flow logs: kept whole, narrowed by the diagnosis


@dataclass
class _Task:
    op: Operation
    region: str
    item: str | None = None  # the VPC id or ARN of a per-item call
    attribute: str | None = None


class _Region:
    """The reads of one region and their results."""

    def __init__(self, session, region: str, endpoint_url: str | None, vpc_ids: list[str] | None):
        self.region = region
        self.vpc_ids = vpc_ids
        self.clients = {
            s: _client(session, s, region, endpoint_url) for s in ("ec2", "elbv2", "sts")
        }
        self.raw: dict[str, Any] = {}
        self.dns: dict[str, dict[str, bool]] = {}
        self.health: dict[str, list] = {}
        self.listeners: dict[str, list[dict[str, Any]]] = {}  # load balancer ARN -> listeners
        self.denied: dict[str, tuple[Operation, str]] = {}  # collection -> (op, why)
        self.account: str | None = None

    def url(self, op: Operation) -> str:
        return self.clients[op.service].meta.endpoint_url

    def run(self, task: _Task) -> None:
        op = task.op
        client = self.clients[op.service]
        if op.name == "GetCallerIdentity":
            self.account = client.get_caller_identity().get("Account")
        elif op.name == "DescribeVpcAttribute":
            res = client.describe_vpc_attribute(VpcId=task.item, Attribute=task.attribute)
            key = task.attribute[0].upper() + task.attribute[1:]
            self.dns.setdefault(task.item, {})[key] = bool(res.get(key, {}).get("Value"))
        elif op.name == "DescribeListeners":
            self.listeners[task.item] = read_pages(client, op, LoadBalancerArn=task.item)
        elif op.name == "DescribeTargetHealth":
            res = client.describe_target_health(TargetGroupArn=task.item)
            self.health[task.item] = res.get("TargetHealthDescriptions", [])
        else:
            params: dict[str, Any] = {}
            if self.vpc_ids and op.vpc_filter:
                params["Filters"] = [{"Name": op.vpc_filter, "Values": list(self.vpc_ids)}]
            items = read_pages(client, op, **params)
            if op.collection == "Instances":
                items = [i for r in items for i in r.get("Instances", [])]
            if self.vpc_ids:
                items = [x for x in items if _in_scope(op.collection, x, set(self.vpc_ids))]
            self.raw[op.collection] = items

    def children(self, op: Operation) -> list[_Task]:
        """Per-item reads that can start once ``op`` has been read."""
        out: list[_Task] = []
        for child in OPERATIONS:
            if child.per and PARENT[child.per] == op.collection:
                for item in self.raw.get(op.collection, []):
                    if child.per == "vpc":
                        for attr in DNS_ATTRIBUTES:
                            out.append(_Task(child, self.region, item["VpcId"], attr))
                    elif child.per == "load_balancer":
                        out.append(_Task(child, self.region, item["LoadBalancerArn"]))
                    else:
                        out.append(_Task(child, self.region, item["TargetGroupArn"]))
        return out

    def deny(self, op: Operation, err: Exception) -> None:
        """Record a denied read, and the per-item reads that now cannot run."""
        msg = err.response.get("Error", {}).get("Message", "") if hasattr(err, "response") else ""
        why = f"{op.name} was denied in {self.region}" + (f" ({msg})" if msg else "")
        self.denied.setdefault(op.collection, (op, why))
        if op.per is None:
            for child in OPERATIONS:
                if child.per and PARENT[child.per] == op.collection:
                    why = (
                        f"not read in {self.region}: it needs {op.label}, and {op.name} was denied"
                    )
                    # the permission missing is the parent's
                    self.denied.setdefault(child.collection, (op, why))

    def snapshot(self) -> Snapshot:
        provided: list[str] = []
        raw: dict[str, Any] = {}
        for op in OPERATIONS:
            coll = op.collection
            if coll in ("Account", "VpcAttributes") or coll in self.denied or coll in provided:
                continue
            if coll == "Listeners":
                lbs = [lb["LoadBalancerArn"] for lb in self.raw.get("LoadBalancers", [])]
                raw[coll] = [x for arn in lbs for x in self.listeners.get(arn, [])]
            elif coll == "TargetHealth":
                raw[coll] = self.health
            else:
                raw[coll] = self.raw.get(coll, [])
            provided.append(coll)
        if "VpcAttributes" not in self.denied and "Vpcs" in provided:
            provided.append("VpcAttributes")
        raw["provided"] = provided
        snap = Snapshot.model_validate(raw)
        for vpc in snap.Vpcs:
            attrs = self.dns.get(vpc.VpcId, {})
            vpc.EnableDnsSupport = attrs.get("EnableDnsSupport")
            vpc.EnableDnsHostnames = attrs.get("EnableDnsHostnames")
        for coll, (op, why) in sorted(self.denied.items()):
            rules = rules_needing(coll)
            snap.not_checked.append(
                NotChecked(
                    what=coll,
                    reason=f"{why}; these rules were not evaluated" if rules else why,
                    rules=rules,
                    action=op.action,
                )
            )
        snap.account_id = self.account
        snap.region = self.region
        return snap


def collect(
    profile: str | None = None,
    regions: list[str | None] | None = None,
    endpoint_url: str | None = None,
    vpc_ids: list[str] | None = None,
    progress: Progress | None = None,
    session: boto3.Session | None = None,
) -> Snapshot:
    """Read the live configuration of one or more regions into a snapshot.

    ``session`` lets a caller supply its own boto3 session (to observe its events).
    The progress callback gets lines like ``reading subnets (5/19)``, then ``""`` when done.
    """
    from assistant.sources.files import merge

    session = session or make_session(profile)
    names = list(dict.fromkeys(_resolve_region(session, r) for r in (regions or [None])))
    regs = [_Region(session, r, endpoint_url, vpc_ids) for r in names]
    by_name = {r.region: r for r in regs}

    # Credentials first: one cheap call that fails fast and clearly.
    sts = OPERATIONS[0]
    for r in regs[:1]:
        try:
            r.run(_Task(sts, r.region))
        except Exception as e:  # noqa: BLE001 - turned into a message below
            if not _denied(e):
                raise user_error(e, sts, r.region, r.url(sts)) from None
    account = regs[0].account

    tasks = [
        _Task(op, r.region) for r in regs for op in OPERATIONS if op.per is None and op is not sts
    ]
    total = len(tasks)
    done = 0
    fatal: LiveError | None = None
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="vpc-helper-read")
    clean = False
    try:
        pending: dict[Future, _Task] = {pool.submit(by_name[t.region].run, t): t for t in tasks}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                task = pending.pop(fut)
                reg = by_name[task.region]
                done += 1
                if fut.cancelled():
                    continue
                err = fut.exception()
                if err is not None:
                    if _denied(err):
                        reg.deny(task.op, err)
                    elif fatal is None:
                        fatal = user_error(err, task.op, task.region, reg.url(task.op))
                        for f in pending:
                            f.cancel()
                    continue
                if fatal is None:
                    for child in reg.children(task.op):
                        pending[pool.submit(reg.run, child)] = child
                        total += 1
                if progress:
                    where = f"{task.region}: " if len(regs) > 1 else ""
                    progress(f"reading {where}{task.op.label} ({done}/{total})")
        clean = True
    finally:
        # On Ctrl-C or an unexpected error, do not wait for the reads still in flight.
        pool.shutdown(wait=clean, cancel_futures=True)
        if progress:
            progress("")
    if fatal is not None:
        raise fatal
    list_ops = [op for op in OPERATIONS if op.per is None and op is not sts]
    if all(op.collection in r.denied for r in regs for op in list_ops):
        raise LiveError(
            "access denied to every read: attach the read-only policy printed by "
            "`vpc-helper iam-policy` to your role or user (or use another --profile)"
        )
    snaps = [r.snapshot() for r in regs]
    out = snaps[0]
    for s in snaps[1:]:
        out = merge(out, s)
        out.provided = [c for c in out.provided if all(c in x.provided for x in snaps)]
    out.account_id = account
    out.region = ",".join(names)
    out.collected_at = datetime.now(UTC).isoformat(timespec="seconds")
    where = [", ".join(names)]
    if profile:
        where.append(f"profile {profile}")
    if endpoint_url:
        where.append(f"endpoint {endpoint_url}")
    out.source = "live: " + ", ".join(where)
    return out
