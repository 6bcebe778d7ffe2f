"""One registry of the collections the tool reads: one row per collection.

A row says where a collection comes from in every form the tool reads it:

- the top-level key(s) of the AWS CLI output file the loader recognises;
- the AWS CLI command a help desk asks for (``collect-commands``, always ``--output json``);
- the boto3 client and API operation the live collector calls (paginated or not), and, for the
  APIs that need one call per item, the parent collection, the request parameter and the
  parent's field that gives its value;
- the IAM action (``iam-policy`` lists exactly these);
- the id key of each resource (merging files and snapshots).

The rules that need a collection come from the catalogue's ``needs`` (``rules_needing``), never
from this table. Adding a collection means one row here plus its model in ``snapshot.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IAM_PREFIX = {"ec2": "ec2", "elbv2": "elasticloadbalancing", "sts": "sts"}
CLI_SERVICE = {"ec2": "ec2", "elbv2": "elbv2", "sts": "sts"}


def _kebab(name: str) -> str:
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out += "-"
        out += ch.lower()
    return out


@dataclass(frozen=True)
class Row:
    """One collection: where it comes from and how it is read."""

    collection: str  # Snapshot field (or "VpcAttributes": DNS attributes on the Vpc models)
    keys: tuple[str, ...]  # top-level key(s) of the CLI output the loader recognises
    service: str  # boto3 client name
    operation: str  # API operation, as in IAM and botocore events
    result_key: str  # the key of the response holding the items
    id_key: str | None  # the id of each item (None: per-item outputs kept by parent id)
    label: str  # what progress lines call it
    file: str  # file stem in collect-commands
    vpc_filter: str | None = None  # API filter that scopes the call to the VPCs asked for
    per: str | None = None  # parent collection: one call per item of it
    per_param: str | None = None  # request parameter naming the item
    per_field: str | None = None  # the parent item's field giving that value
    per_skip: tuple[str, str] | None = None  # (field, value): parent items not to call for
    carry: str | None = None  # key added to a per-item output to name its item
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # fixed API filters
    paginated: bool = True
    why_per_item: str = ""  # README / docs: why the API needs one call per item

    @property
    def name(self) -> str:
        """The API operation name (as botocore events and IAM name it)."""
        return self.operation

    @property
    def action(self) -> str:
        """The IAM action, e.g. ``ec2:DescribeSubnets``."""
        return f"{IAM_PREFIX[self.service]}:{self.operation}"

    @property
    def method(self) -> str:
        """The boto3 method name, e.g. ``describe_subnets``."""
        return _kebab(self.operation).replace("-", "_")

    @property
    def cli(self) -> str:
        """The AWS CLI command without arguments, e.g. ``aws ec2 describe-subnets``."""
        return f"aws {CLI_SERVICE[self.service]} {_kebab(self.operation)}"

    @property
    def cli_filters(self) -> str:
        return "".join(
            f" --filters Name={name},Values={','.join(values)}" for name, values in self.filters
        )

    @property
    def api_filters(self) -> list[dict[str, Any]]:
        return [{"Name": name, "Values": list(values)} for name, values in self.filters]

    @property
    def command(self) -> str:
        """The command as `not checked` names it (per-item ones show their parameter)."""
        arg = f" --{_kebab(self.per_param)} <{_kebab(self.per_param)}>" if self.per_param else ""
        return f"{self.cli}{arg}{self.cli_filters}"


def _ec2(coll: str, op: str, key: str, id_key: str | None, label: str, file: str, **kw) -> Row:
    return Row(coll, (key,), "ec2", op, key, id_key, label, file, **kw)


def _elb(coll: str, op: str, key: str, id_key: str | None, label: str, file: str, **kw) -> Row:
    return Row(coll, (key,), "elbv2", op, key, id_key, label, file, **kw)


# Read whole (no VPC filter): internet gateways (a detached one has no VPC and routes may still
# point at it), Elastic IPs, peering (two sides: one filter cannot say "either"), flow logs (on
# subnets and interfaces too), and everything of transit gateways and prefix lists (shared by
# every VPC of the hub).
# fmt: off
ROWS: tuple[Row, ...] = (
    _ec2("Vpcs", "DescribeVpcs", "Vpcs", "VpcId", "VPCs", "vpcs", vpc_filter="vpc-id"),
    _ec2(
        "Subnets", "DescribeSubnets", "Subnets", "SubnetId", "subnets", "subnets",
        vpc_filter="vpc-id",
    ),
    _ec2(
        "RouteTables", "DescribeRouteTables", "RouteTables", "RouteTableId", "route tables",
        "route-tables", vpc_filter="vpc-id",
    ),
    _ec2(
        "InternetGateways", "DescribeInternetGateways", "InternetGateways", "InternetGatewayId",
        "internet gateways", "internet-gateways",
    ),
    _ec2(
        "EgressOnlyInternetGateways", "DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways", "EgressOnlyInternetGatewayId",
        "egress-only internet gateways", "egress-only-internet-gateways",
    ),
    _ec2(
        "NatGateways", "DescribeNatGateways", "NatGateways", "NatGatewayId", "NAT gateways",
        "nat-gateways", vpc_filter="vpc-id",
    ),
    _ec2("Addresses", "DescribeAddresses", "Addresses", "AllocationId", "Elastic IPs", "addresses"),
    _ec2(
        "VpcEndpoints", "DescribeVpcEndpoints", "VpcEndpoints", "VpcEndpointId", "VPC endpoints",
        "vpc-endpoints", vpc_filter="vpc-id",
    ),
    _ec2(
        "VpcPeeringConnections", "DescribeVpcPeeringConnections", "VpcPeeringConnections",
        "VpcPeeringConnectionId", "peering connections", "vpc-peering-connections",
    ),
    _ec2(
        "Instances", "DescribeInstances", "Reservations", "InstanceId", "instances", "instances",
        vpc_filter="vpc-id",
    ),
    _ec2(
        "NetworkInterfaces", "DescribeNetworkInterfaces", "NetworkInterfaces",
        "NetworkInterfaceId", "network interfaces", "network-interfaces", vpc_filter="vpc-id",
    ),
    _ec2(
        "SecurityGroups", "DescribeSecurityGroups", "SecurityGroups", "GroupId",
        "security groups", "security-groups", vpc_filter="vpc-id",
    ),
    _ec2(
        "NetworkAcls", "DescribeNetworkAcls", "NetworkAcls", "NetworkAclId", "network ACLs",
        "network-acls", vpc_filter="vpc-id",
    ),
    _ec2("FlowLogs", "DescribeFlowLogs", "FlowLogs", "FlowLogId", "flow logs", "flow-logs"),
    _ec2(
        "TransitGateways", "DescribeTransitGateways", "TransitGateways", "TransitGatewayId",
        "transit gateways", "transit-gateways",
    ),
    _ec2(
        "TransitGatewayAttachments", "DescribeTransitGatewayAttachments",
        "TransitGatewayAttachments", "TransitGatewayAttachmentId",
        "transit gateway attachments", "transit-gateway-attachments",
    ),
    _ec2(
        "TransitGatewayVpcAttachments", "DescribeTransitGatewayVpcAttachments",
        "TransitGatewayVpcAttachments", "TransitGatewayAttachmentId",
        "transit gateway VPC attachments", "transit-gateway-vpc-attachments",
    ),
    _ec2(
        "TransitGatewayPeeringAttachments", "DescribeTransitGatewayPeeringAttachments",
        "TransitGatewayPeeringAttachments", "TransitGatewayAttachmentId",
        "transit gateway peering attachments", "transit-gateway-peering-attachments",
    ),
    _ec2(
        "TransitGatewayRouteTables", "DescribeTransitGatewayRouteTables",
        "TransitGatewayRouteTables", "TransitGatewayRouteTableId",
        "transit gateway route tables", "transit-gateway-route-tables",
    ),
    _ec2(
        "ManagedPrefixLists", "DescribeManagedPrefixLists", "PrefixLists", "PrefixListId",
        "managed prefix lists", "managed-prefix-lists",
    ),
    _ec2(
        "PrefixLists", "DescribePrefixLists", "PrefixLists", "PrefixListId",
        "AWS service prefix lists", "prefix-lists",
    ),
    _ec2(
        "VpnGateways", "DescribeVpnGateways", "VpnGateways", "VpnGatewayId", "VPN gateways",
        "vpn-gateways", paginated=False,
    ),
    _ec2(
        "VpnConnections", "DescribeVpnConnections", "VpnConnections", "VpnConnectionId",
        "VPN connections", "vpn-connections", paginated=False,
    ),
    _elb(
        "LoadBalancers", "DescribeLoadBalancers", "LoadBalancers", "LoadBalancerArn",
        "load balancers", "load-balancers",
    ),
    _elb(
        "TargetGroups", "DescribeTargetGroups", "TargetGroups", "TargetGroupArn",
        "target groups", "target-groups",
    ),
    # -- one call per item: the API has no account-wide form ------------------------------
    Row(
        "VpcAttributes", ("EnableDnsSupport", "EnableDnsHostnames"), "ec2",
        "DescribeVpcAttribute", "", None, "VPC DNS attributes", "vpc-attr",
        per="Vpcs", per_param="VpcId", per_field="VpcId", paginated=False,
        why_per_item="one attribute of one VPC per call (DNS support, DNS hostnames: two calls)",
    ),
    _elb(
        "Listeners", "DescribeListeners", "Listeners", "ListenerArn", "listeners", "listeners",
        per="LoadBalancers", per_param="LoadBalancerArn", per_field="LoadBalancerArn",
        why_per_item="it requires a load balancer ARN",
    ),
    _elb(
        "TargetHealth", "DescribeTargetHealth", "TargetHealthDescriptions", None,
        "target health", "target-health", per="TargetGroups", per_param="TargetGroupArn",
        per_field="TargetGroupArn", carry="TargetGroupArn", paginated=False,
        why_per_item="it requires a target group ARN",
    ),
    _elb(
        "LoadBalancerAttributes", "DescribeLoadBalancerAttributes", "Attributes", None,
        "load balancer attributes", "lb-attributes", per="LoadBalancers",
        per_param="LoadBalancerArn", per_field="LoadBalancerArn", carry="LoadBalancerArn",
        paginated=False, why_per_item="it requires a load balancer ARN",
    ),
    _elb(
        "TargetGroupAttributes", "DescribeTargetGroupAttributes", "Attributes", None,
        "target group attributes", "tg-attributes", per="TargetGroups",
        per_param="TargetGroupArn", per_field="TargetGroupArn", carry="TargetGroupArn",
        paginated=False, why_per_item="it requires a target group ARN",
    ),
    _ec2(
        "TransitGatewayRouteTableAssociations", "GetTransitGatewayRouteTableAssociations",
        "Associations", None, "transit gateway route table associations", "tgw-associations",
        per="TransitGatewayRouteTables", per_param="TransitGatewayRouteTableId",
        per_field="TransitGatewayRouteTableId", carry="TransitGatewayRouteTableId",
        why_per_item="it requires a transit gateway route table id",
    ),
    _ec2(
        "TransitGatewayRouteTablePropagations", "GetTransitGatewayRouteTablePropagations",
        "TransitGatewayRouteTablePropagations", None, "transit gateway route table propagations",
        "tgw-propagations", per="TransitGatewayRouteTables",
        per_param="TransitGatewayRouteTableId", per_field="TransitGatewayRouteTableId",
        carry="TransitGatewayRouteTableId",
        why_per_item="it requires a transit gateway route table id",
    ),
    _ec2(
        "TransitGatewayRoutes", "SearchTransitGatewayRoutes", "Routes", None,
        "transit gateway routes", "tgw-routes", per="TransitGatewayRouteTables",
        per_param="TransitGatewayRouteTableId", per_field="TransitGatewayRouteTableId",
        carry="TransitGatewayRouteTableId", filters=(("type", ("static", "propagated")),),
        paginated=False, why_per_item="it requires a transit gateway route table id",
    ),
    _ec2(
        "PrefixListEntries", "GetManagedPrefixListEntries", "Entries", None,
        "prefix list entries", "prefix-list-entries", per="ManagedPrefixLists",
        per_param="PrefixListId", per_field="PrefixListId", per_skip=("OwnerId", "AWS"),
        carry="PrefixListId",
        why_per_item="it requires a prefix list id (customer-managed lists only: the AWS "
        "service lists come with their CIDRs from describe-prefix-lists)",
    ),
)
# fmt: on

# The account: one cheap call first, so that bad credentials fail fast and clearly.
ACCOUNT = Row("Account", (), "sts", "GetCallerIdentity", "", None, "account", "", paginated=False)

BY_COLLECTION: dict[str, Row] = {r.collection: r for r in ROWS}
# Top-level key of a CLI output -> the rows it can belong to (two keys are shared:
# ``PrefixLists`` and ``Attributes``; the loader tells them apart by content and file name).
BY_KEY: dict[str, list[Row]] = {}
for _r in ROWS:
    for _k in _r.keys:
        BY_KEY.setdefault(_k, []).append(_r)
ID_KEYS: dict[str, str] = {r.collection: r.id_key for r in ROWS if r.id_key}


def row(collection: str) -> Row:
    """The registry row of ``collection`` (KeyError if it has none)."""
    return BY_COLLECTION[collection]


def list_rows() -> list[Row]:
    """The rows read with one call per region."""
    return [r for r in ROWS if r.per is None]


def per_item_rows() -> list[Row]:
    """The rows whose API needs one call per item of a parent collection."""
    return [r for r in ROWS if r.per is not None]


def children_of(collection: str) -> list[Row]:
    """The per-item rows that iterate over ``collection``."""
    return [r for r in ROWS if r.per == collection]


def iam_actions() -> list[str]:
    """Every IAM action the live collector uses, sorted."""
    return sorted({r.action for r in ROWS} | {ACCOUNT.action})


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


def command_for(collection: str) -> str:
    """The AWS CLI command that gives ``collection`` (its own name if it has no row)."""
    r = BY_COLLECTION.get(collection)
    return r.command if r else collection


def rules_needing(collection: str, rules: Iterable[Any]) -> list[str]:
    """Ids of the ``rules`` (catalogue rules with ``id`` and ``needs``) needing ``collection``."""
    return sorted(r.id for r in rules if collection in r.needs)


def collect_commands(region: str | None = None) -> list[str]:
    """The AWS CLI commands whose outputs ``scan --snapshot DIR`` reads, one file each.

    Per-item outputs name their item with an added key (``--query``), so file names are free.
    """
    r = f" --region {region}" if region else ""
    out = [f"{x.cli}{r}{x.cli_filters} --output json > {x.file}.json" for x in list_rows()]
    for x in per_item_rows():
        parent = BY_COLLECTION[x.per or ""]
        where = f"[?{x.per_skip[0]}!='{x.per_skip[1]}']" if x.per_skip else "[]"
        items = (
            f"$(aws {CLI_SERVICE[parent.service]} {_kebab(parent.operation)}{r} "
            f'--query "{parent.result_key}{where}.{x.per_field}" --output text)'
        )
        param = f"--{_kebab(x.per_param or '')}"
        out.append(f"# {x.label}: one call each, {x.why_per_item}")
        if x.collection == "VpcAttributes":
            body = "; ".join(
                f"{x.cli}{r} {param} $i --attribute {attr} --output json > {x.file}-{attr}-$i.json"
                for attr in ("enableDnsSupport", "enableDnsHostnames")
            )
        else:
            query = (
                f" --query \"{{{x.carry}: '$i', {x.result_key}: {x.result_key}}}\""
                if (x.carry)
                else ""
            )
            body = (
                f"{x.cli}{r} {param} $i{x.cli_filters}{query} --output json "
                f"> {x.file}-${{i##*/}}.json"
            )
        out.append(f"for i in {items}; do {body}; done")
    return out
