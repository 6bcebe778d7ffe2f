"""Read a live account's network configuration with boto3, read-only.

Every AWS operation the collector makes is a row of the registry
(``assistant.models.registry``): the collector runs them and ``vpc-helper iam-policy`` prints
exactly their IAM actions. Each resource type is one paginated call per region, run
concurrently. Calls are made per item only where the API has no account-wide form:

- ``DescribeVpcAttribute`` per VPC in scope (DNS support and DNS hostnames, one call each);
- ``DescribeListeners``, ``DescribeLoadBalancerAttributes`` per load balancer (they need its ARN);
- ``DescribeTargetHealth``, ``DescribeTargetGroupAttributes`` per target group (its ARN);
- ``GetTransitGatewayRouteTableAssociations``, ``GetTransitGatewayRouteTablePropagations`` and
  ``SearchTransitGatewayRoutes`` per transit gateway route table (its id);
- ``GetManagedPrefixListEntries`` per customer-managed prefix list (its id).

An error on one call (access denied, an operation the endpoint does not support, an item
deleted mid-scan, a response that cannot be parsed) becomes a ``not_checked`` entry naming the
API and the error code; the rest is read. Only credentials, region and endpoint failures stop.

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
from assistant.models.registry import ACCOUNT, ROWS, Row, children_of
from assistant.models.registry import iam_actions as _iam_actions
from assistant.models.registry import iam_policy as _iam_policy
from assistant.models.snapshot import COLLECTIONS, NotChecked, Snapshot

if TYPE_CHECKING:  # pragma: no cover
    import boto3

Progress = Callable[[str], None]

# Bounds on botocore's standard retry mode (throttling and transient errors).
MAX_ATTEMPTS = 4
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
WORKERS = 8

# Everything the collector calls: the account first, then the registry's rows.
Operation = Row
OPERATIONS: tuple[Row, ...] = (ACCOUNT, *ROWS)
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
    return _iam_actions()


def iam_policy() -> dict[str, Any]:
    """The least-privilege IAM policy document for live reading."""
    return _iam_policy()


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


def _client(
    session: boto3.Session,
    service: str,
    region: str,
    endpoint_url: str | None,
    retry_mode: str = "standard",
):
    from botocore.config import Config

    config = Config(
        retries={"mode": retry_mode, "total_max_attempts": MAX_ATTEMPTS},
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


def error_code(err: Exception) -> str:
    """The AWS error code of ``err`` (or its class name when AWS gave none)."""
    from botocore.exceptions import ClientError

    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or "") or type(err).__name__
    return type(err).__name__


def stops_the_run(err: Exception) -> bool:
    """Credentials, region and endpoint failures: nothing else can be read either."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    if isinstance(err, ResponseParserError):  # e.g. an operation the endpoint does not serve
        return False
    if isinstance(
        err,
        (
            bx.NoCredentialsError,
            bx.PartialCredentialsError,
            bx.SSOError,
            bx.TokenRetrievalError,
            bx.CredentialRetrievalError,
            bx.EndpointConnectionError,
            bx.ConnectTimeoutError,
            bx.ProxyConnectionError,
        ),
    ):
        return True
    if isinstance(err, bx.ClientError):
        code = error_code(err)
        return (
            code in EXPIRED
            or code in BAD_CREDENTIALS
            or code == "OptInRequired"
            or code.startswith("InvalidVpcID")  # --vpc names a VPC this region does not have
        )
    return not isinstance(err, (bx.BotoCoreError, bx.ClientError))


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
    Transit gateways, their route tables and prefix lists are kept whole: the hub of the VPCs
    in scope decides where their traffic goes.
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
        return item.get("ResourceId") in vpcs or item.get("ResourceType") != "vpc"
    if collection == "TransitGatewayVpcAttachments":
        return item.get("VpcId") in vpcs
    if collection == "VpnGateways":
        return any(a.get("VpcId") in vpcs for a in item.get("VpcAttachments", []))
    return True  # Elastic IPs, flow logs, hubs: kept whole, narrowed by the diagnosis


class _Clients(dict):
    """Clients by service name: ``eager`` made at once, any other when first asked for."""

    def __init__(self, make: Callable[[str], Any], eager: tuple[str, ...]):
        super().__init__((s, make(s)) for s in eager)
        self._make = make

    def __missing__(self, service: str) -> Any:
        self[service] = client = self._make(service)
        return client


@dataclass
class _Task:
    op: Row
    region: str
    item: str | None = None  # the VPC id, ARN or table id of a per-item call
    attribute: str | None = None


_DICT_ROWS = {
    r.collection for r in ROWS if r.per and r.collection not in ("Listeners", "VpcAttributes")
}
DNS_ATTRIBUTES = ("enableDnsSupport", "enableDnsHostnames")


class _Region:
    """The reads of one region and their results."""

    def __init__(
        self,
        session,
        region: str,
        endpoint_url: str | None,
        vpc_ids: list[str] | None,
        retry_mode: str = "standard",
    ):
        self.region = region
        self.vpc_ids = vpc_ids
        self.clients = _Clients(
            lambda s: _client(session, s, region, endpoint_url, retry_mode),
            ("ec2", "elbv2"),  # made here; sts only if the account is asked (in this thread)
        )
        self.raw: dict[str, Any] = {}
        self.dns: dict[str, dict[str, bool]] = {}
        self.per_item: dict[str, dict[str, Any]] = {}  # collection -> item id -> output
        self.failed: dict[str, tuple[Row, str, bool]] = {}  # collection -> (op, why, denied)
        self.notes: list[NotChecked] = []
        self.account: str | None = None

    def url(self, op: Row) -> str:
        return self.clients[op.service].meta.endpoint_url

    def run(self, task: _Task) -> None:
        op = task.op
        client = self.clients[op.service]
        if op is ACCOUNT:
            self.account = client.get_caller_identity().get("Account")
        elif op.collection == "VpcAttributes":
            res = client.describe_vpc_attribute(VpcId=task.item, Attribute=task.attribute)
            key = (task.attribute or "")[0].upper() + (task.attribute or "")[1:]
            self.dns.setdefault(task.item or "", {})[key] = bool(res.get(key, {}).get("Value"))
        elif op.per:
            params: dict[str, Any] = {op.per_param or "": task.item}
            if op.filters:
                params["Filters"] = op.api_filters
            if op.paginated:
                items: Any = read_pages(client, op, **params)
            else:
                res = getattr(client, op.method)(**params)
                items = res.get(op.result_key, [])
                if res.get("AdditionalRoutesAvailable"):
                    self.notes.append(
                        NotChecked(
                            what=f"{op.collection} of {task.item}",
                            reason=f"{op.name} in {self.region} returned its first "
                            f"{len(items)} routes only (AdditionalRoutesAvailable); routes "
                            "beyond them were not read",
                        )
                    )
            if op.collection in ("LoadBalancerAttributes", "TargetGroupAttributes"):
                items = {a["Key"]: a.get("Value", "") for a in items if "Key" in a}
            self.per_item.setdefault(op.collection, {})[task.item or ""] = items
        else:
            params = {}
            if self.vpc_ids and op.vpc_filter:
                params["Filters"] = [{"Name": op.vpc_filter, "Values": list(self.vpc_ids)}]
            items = read_pages(client, op, **params)
            if op.collection == "Instances":
                items = [
                    dict(i, OwnerId=i.get("OwnerId") or r.get("OwnerId"))
                    for r in items
                    for i in r.get("Instances", [])
                ]
            if self.vpc_ids:
                items = [x for x in items if _in_scope(op.collection, x, set(self.vpc_ids))]
            self.raw[op.collection] = items

    def children(self, op: Row) -> list[_Task]:
        """Per-item reads that can start once ``op`` has been read."""
        out: list[_Task] = []
        for child in children_of(op.collection):
            for item in self.raw.get(op.collection, []):
                if child.per_skip and item.get(child.per_skip[0]) == child.per_skip[1]:
                    continue
                key = item.get(child.per_field or "")
                if not key:
                    continue
                if child.collection == "VpcAttributes":
                    out += [_Task(child, self.region, key, a) for a in DNS_ATTRIBUTES]
                else:
                    out.append(_Task(child, self.region, key))
        return out

    def fail(self, task: _Task, err: Exception) -> None:
        """Record a read that failed, and the per-item reads that now cannot run."""
        op = task.op
        denied = _denied(err)
        code = error_code(err)
        msg = ""
        if hasattr(err, "response"):
            msg = err.response.get("Error", {}).get("Message", "") or ""
        if denied:
            why = f"{op.name} was denied in {self.region}" + (f" ({msg})" if msg else "")
        else:
            of = f" for {task.item}" if task.item else ""
            why = f"{op.name}{of} failed in {self.region}: {code}" + (f" ({msg})" if msg else "")
        self.failed.setdefault(op.collection, (op, why, denied))
        if op.per is None:
            for child in children_of(op.collection):
                verb = "was denied" if denied else f"failed ({code})"
                why = f"not read in {self.region}: it needs {op.label}, and {op.name} {verb}"
                # the permission missing is the parent's
                self.failed.setdefault(child.collection, (op, why, denied))

    def snapshot(self) -> Snapshot:
        from assistant.sources.files import (
            apply_lb_attributes,
            compact_large,
            resource_location,
        )

        provided: list[str] = []
        raw: dict[str, Any] = {}
        for op in ROWS:
            coll = op.collection
            if coll == "VpcAttributes" or coll in self.failed or coll in provided:
                continue
            if coll == "Listeners":
                lbs = [lb["LoadBalancerArn"] for lb in self.raw.get("LoadBalancers", [])]
                got = self.per_item.get(coll, {})
                raw[coll] = [x for arn in lbs for x in got.get(arn, [])]
            elif coll in _DICT_ROWS:
                raw[coll] = self.per_item.get(coll, {})
            else:
                raw[coll] = self.raw.get(coll, [])
            provided.append(coll)
        if "VpcAttributes" not in self.failed and "Vpcs" in provided:
            provided.append("VpcAttributes")
        raw["provided"] = provided
        snap = Snapshot.model_validate(raw)
        for vpc in snap.Vpcs:
            attrs = self.dns.get(vpc.VpcId, {})
            vpc.EnableDnsSupport = attrs.get("EnableDnsSupport")
            vpc.EnableDnsHostnames = attrs.get("EnableDnsHostnames")
        for coll in COLLECTIONS:
            items = getattr(snap, coll)
            if not isinstance(items, list) or coll not in raw:
                continue
            for x, r in zip(items, raw[coll], strict=False):
                if hasattr(x, "region"):
                    reg, acct = resource_location(r)
                    x.region = reg or self.region
                    x.account = acct or self.account
        apply_lb_attributes(snap)
        compact_large(snap)
        for coll, (op, why, denied) in sorted(self.failed.items()):
            snap.not_checked.append(
                NotChecked(what=coll, reason=why, action=op.action if denied else None)
            )
        snap.not_checked += self.notes
        snap.account_id = self.account
        snap.region = self.region
        snap.regions = [self.region]
        return snap


def collect(
    profile: str | None = None,
    regions: list[str | None] | None = None,
    endpoint_url: str | None = None,
    vpc_ids: list[str] | None = None,
    progress: Progress | None = None,
    session: boto3.Session | None = None,
    retry_mode: str = "standard",
    account: str | None = None,
) -> Snapshot:
    """Read the live configuration of one or more regions into a snapshot.

    ``account``: the account the credentials act in, when the caller knows it (an assumed
    role's): no ``GetCallerIdentity`` then.

    ``session`` lets a caller supply its own boto3 session (to observe its events, or an
    assumed role's); ``retry_mode`` is botocore's (``adaptive`` also paces the sending).
    The progress callback gets lines like ``reading subnets (5/19)``, then ``""`` when done.
    """
    from assistant.sources.files import merge

    session = session or make_session(profile)
    names = list(dict.fromkeys(_resolve_region(session, r) for r in (regions or [None])))
    regs = [_Region(session, r, endpoint_url, vpc_ids, retry_mode) for r in names]
    by_name = {r.region: r for r in regs}

    # Credentials first: one cheap call that fails fast and clearly.
    for r in regs[:1] if account is None else []:
        try:
            r.run(_Task(ACCOUNT, r.region))
        except Exception as e:  # noqa: BLE001 - turned into a message below
            if not _denied(e):
                raise user_error(e, ACCOUNT, r.region, r.url(ACCOUNT)) from None
    account = account or regs[0].account
    for r in regs:
        r.account = account

    tasks = [_Task(op, r.region) for r in regs for op in ROWS if op.per is None]
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
                    if not stops_the_run(err):
                        reg.fail(task, err)
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
    list_ops = [op for op in ROWS if op.per is None]
    if all(op.collection in r.failed for r in regs for op in list_ops):
        if all(r.failed[op.collection][2] for r in regs for op in list_ops):
            raise LiveError(
                "access denied to every read: attach the read-only policy printed by "
                "`vpc-helper iam-policy` to your role or user (or use another --profile)"
            )
        op, why, _ = regs[0].failed["Vpcs"]
        raise LiveError(
            f"every read failed (e.g. {why}); check --endpoint-url ({endpoint_url or 'default'}) "
            "and --region"
        )
    snaps = [r.snapshot() for r in regs]
    out = snaps[0]
    for s in snaps[1:]:
        out = merge(out, s)
        out.provided = [c for c in out.provided if all(c in x.provided for x in snaps)]
    out.account_id = account
    out.region = ",".join(names)
    out.regions = sorted(names)
    out.collected_at = datetime.now(UTC).isoformat(timespec="seconds")
    out.source = live_source(names, profile, endpoint_url)
    return out


def live_source(
    names: list[str], profile: str | None, endpoint_url: str | None, *first: str
) -> str:
    """The snapshot's ``source`` line for a live read: what was read, the regions, the profile
    and the endpoint (``first`` goes before the regions, e.g. the accounts and their role)."""
    where = [*first, ", ".join(names)]
    if profile:
        where.append(f"profile {profile}")
    if endpoint_url:
        where.append(f"endpoint {endpoint_url}")
    return "live: " + ", ".join(where)
