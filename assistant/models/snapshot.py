"""The snapshot: one account's and region's network configuration.

Field names follow the AWS API (``describe-*`` output), so the output of the AWS CLI or
boto3 loads without translation. Fields the tool does not use are ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

SNAPSHOT_FORMAT = "vpc-helper-snapshot"
SNAPSHOT_VERSION = 1


class AwsModel(BaseModel):
    """Base for AWS resources: AWS field names, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Located(AwsModel):
    """A resource that knows its account and region (filled by the loader and the collector
    from the folder path, the ARN, the OwnerId or the availability zone)."""

    region: str | None = None
    account: str | None = None


class Tag(AwsModel):
    Key: str
    Value: str = ""


class Tagged(Located):
    Tags: list[Tag] = Field(default_factory=list)

    def tag(self, key: str) -> str | None:
        """The value of tag ``key`` or None."""
        for t in self.Tags:
            if t.Key == key:
                return t.Value
        return None

    @property
    def name(self) -> str:
        return self.tag("Name") or ""


class CidrAssoc(AwsModel):
    CidrBlock: str | None = None
    Ipv6CidrBlock: str | None = None


class Vpc(Tagged):
    VpcId: str
    CidrBlock: str = ""
    IsDefault: bool = False
    OwnerId: str | None = None
    CidrBlockAssociationSet: list[CidrAssoc] = Field(default_factory=list)
    Ipv6CidrBlockAssociationSet: list[CidrAssoc] = Field(default_factory=list)
    EnableDnsSupport: bool | None = None
    EnableDnsHostnames: bool | None = None

    def cidrs(self) -> list[str]:
        """All IPv4 and IPv6 CIDR blocks of the VPC."""
        out = [self.CidrBlock] if self.CidrBlock else []
        out += [a.CidrBlock for a in self.CidrBlockAssociationSet if a.CidrBlock]
        out += [a.Ipv6CidrBlock for a in self.Ipv6CidrBlockAssociationSet if a.Ipv6CidrBlock]
        return list(dict.fromkeys(out))


class Subnet(Tagged):
    SubnetId: str
    VpcId: str
    CidrBlock: str = ""
    AvailabilityZone: str = ""
    AvailabilityZoneId: str | None = None
    MapPublicIpOnLaunch: bool = False
    AssignIpv6AddressOnCreation: bool = False
    Ipv6CidrBlockAssociationSet: list[CidrAssoc] = Field(default_factory=list)
    OwnerId: str | None = None
    SubnetArn: str | None = None

    @property
    def ipv6_cidrs(self) -> list[str]:
        return [a.Ipv6CidrBlock for a in self.Ipv6CidrBlockAssociationSet if a.Ipv6CidrBlock]


class Route(AwsModel):
    DestinationCidrBlock: str | None = None
    DestinationIpv6CidrBlock: str | None = None
    DestinationPrefixListId: str | None = None
    GatewayId: str | None = None
    NatGatewayId: str | None = None
    InstanceId: str | None = None
    NetworkInterfaceId: str | None = None
    TransitGatewayId: str | None = None
    VpcPeeringConnectionId: str | None = None
    EgressOnlyInternetGatewayId: str | None = None
    LocalGatewayId: str | None = None
    CarrierGatewayId: str | None = None
    CoreNetworkArn: str | None = None
    State: str = "active"
    Origin: str | None = None

    @property
    def destination(self) -> str:
        return (
            self.DestinationCidrBlock
            or self.DestinationIpv6CidrBlock
            or self.DestinationPrefixListId
            or ""
        )

    @property
    def target(self) -> str:
        """The id the route sends traffic to (``local`` for the VPC's own range)."""
        return (
            self.NatGatewayId
            or self.TransitGatewayId
            or self.VpcPeeringConnectionId
            or self.EgressOnlyInternetGatewayId
            or self.LocalGatewayId
            or self.CarrierGatewayId
            or self.CoreNetworkArn
            or self.GatewayId
            or self.InstanceId
            or self.NetworkInterfaceId
            or ""
        )


class RouteTableAssociation(AwsModel):
    RouteTableAssociationId: str | None = None
    RouteTableId: str | None = None
    SubnetId: str | None = None
    GatewayId: str | None = None
    Main: bool = False
    AssociationState: dict | None = None

    @property
    def active(self) -> bool:
        state = (self.AssociationState or {}).get("State", "associated")
        return state in ("associated", "associating")


class RouteTable(Tagged):
    RouteTableId: str
    VpcId: str
    Routes: list[Route] = Field(default_factory=list)
    Associations: list[RouteTableAssociation] = Field(default_factory=list)

    @property
    def is_main(self) -> bool:
        return any(a.Main for a in self.Associations)


class Attachment(AwsModel):
    VpcId: str | None = None
    State: str = "available"


class InternetGateway(Tagged):
    InternetGatewayId: str
    Attachments: list[Attachment] = Field(default_factory=list)

    def attached_to(self, vpc_id: str) -> bool:
        return any(
            a.VpcId == vpc_id and a.State in ("available", "attached") for a in self.Attachments
        )


class EgressOnlyInternetGateway(Tagged):
    EgressOnlyInternetGatewayId: str
    Attachments: list[Attachment] = Field(default_factory=list)


class NatGatewayAddress(AwsModel):
    AllocationId: str | None = None
    NetworkInterfaceId: str | None = None
    PrivateIp: str | None = None
    PublicIp: str | None = None
    IsPrimary: bool | None = None
    Status: str | None = None


class NatGateway(Tagged):
    NatGatewayId: str
    SubnetId: str | None = None
    VpcId: str | None = None
    State: str = "available"
    ConnectivityType: str = "public"
    NatGatewayAddresses: list[NatGatewayAddress] = Field(default_factory=list)
    FailureCode: str | None = None
    FailureMessage: str | None = None

    @property
    def public_ips(self) -> list[str]:
        return [a.PublicIp for a in self.NatGatewayAddresses if a.PublicIp]


class Address(Tagged):
    AllocationId: str | None = None
    PublicIp: str | None = None
    AssociationId: str | None = None
    InstanceId: str | None = None
    NetworkInterfaceId: str | None = None
    PrivateIpAddress: str | None = None
    Domain: str | None = None


class VpcEndpoint(Tagged):
    VpcEndpointId: str
    VpcId: str | None = None
    ServiceName: str = ""
    VpcEndpointType: str = "Gateway"
    State: str | None = None
    RouteTableIds: list[str] = Field(default_factory=list)
    SubnetIds: list[str] = Field(default_factory=list)


class PeeringVpcInfo(AwsModel):
    VpcId: str | None = None
    CidrBlock: str | None = None
    CidrBlockSet: list[CidrAssoc] = Field(default_factory=list)
    Ipv6CidrBlockSet: list[CidrAssoc] = Field(default_factory=list)
    OwnerId: str | None = None
    Region: str | None = None

    def cidrs(self) -> list[str]:
        """Every IPv4 and IPv6 block this side shares over the peering."""
        out = [self.CidrBlock] if self.CidrBlock else []
        out += [a.CidrBlock for a in self.CidrBlockSet if a.CidrBlock]
        out += [a.Ipv6CidrBlock for a in self.Ipv6CidrBlockSet if a.Ipv6CidrBlock]
        return list(dict.fromkeys(out))


class VpcPeeringConnection(Tagged):
    VpcPeeringConnectionId: str
    AccepterVpcInfo: PeeringVpcInfo = Field(default_factory=PeeringVpcInfo)
    RequesterVpcInfo: PeeringVpcInfo = Field(default_factory=PeeringVpcInfo)
    Status: dict | None = None

    @property
    def state(self) -> str:
        return (self.Status or {}).get("Code", "active")


class TgwAttachmentAssociation(AwsModel):
    TransitGatewayRouteTableId: str | None = None
    State: str | None = None


class TransitGatewayAttachment(Tagged):
    """describe-transit-gateway-attachments: every kind (vpc, vpn, peering, connect, ...)."""

    TransitGatewayAttachmentId: str
    TransitGatewayId: str | None = None
    TransitGatewayOwnerId: str | None = None
    ResourceOwnerId: str | None = None
    ResourceType: str | None = None
    ResourceId: str | None = None
    State: str | None = None
    Association: TgwAttachmentAssociation | None = None


class TgwOptions(AwsModel):
    AmazonSideAsn: int | None = None
    DefaultRouteTableAssociation: str | None = None
    AssociationDefaultRouteTableId: str | None = None
    DefaultRouteTablePropagation: str | None = None
    PropagationDefaultRouteTableId: str | None = None


class TransitGateway(Tagged):
    """describe-transit-gateways."""

    TransitGatewayId: str
    TransitGatewayArn: str | None = None
    State: str = "available"
    OwnerId: str | None = None
    Options: TgwOptions | None = None


class TgwVpcAttachmentOptions(AwsModel):
    DnsSupport: str | None = None
    Ipv6Support: str | None = None
    ApplianceModeSupport: str | None = None


class TransitGatewayVpcAttachment(Tagged):
    """describe-transit-gateway-vpc-attachments: the subnet the attachment uses in each AZ."""

    TransitGatewayAttachmentId: str
    TransitGatewayId: str | None = None
    VpcId: str | None = None
    VpcOwnerId: str | None = None
    State: str | None = None
    SubnetIds: list[str] = Field(default_factory=list)
    Options: TgwVpcAttachmentOptions | None = None


class PeeringTgwInfo(AwsModel):
    TransitGatewayId: str | None = None
    OwnerId: str | None = None
    Region: str | None = None


class TransitGatewayPeeringAttachment(Tagged):
    """describe-transit-gateway-peering-attachments."""

    TransitGatewayAttachmentId: str
    RequesterTgwInfo: PeeringTgwInfo = Field(default_factory=PeeringTgwInfo)
    AccepterTgwInfo: PeeringTgwInfo = Field(default_factory=PeeringTgwInfo)
    State: str | None = None
    Status: dict | None = None


class TransitGatewayRouteTable(Tagged):
    """describe-transit-gateway-route-tables."""

    TransitGatewayRouteTableId: str
    TransitGatewayId: str | None = None
    State: str | None = None
    DefaultAssociationRouteTable: bool = False
    DefaultPropagationRouteTable: bool = False


class TgwRouteTableAttachmentRef(AwsModel):
    """One row of get-transit-gateway-route-table-associations / -propagations."""

    TransitGatewayAttachmentId: str | None = None
    ResourceId: str | None = None
    ResourceType: str | None = None
    State: str | None = None


class TgwRouteAttachment(AwsModel):
    ResourceId: str | None = None
    TransitGatewayAttachmentId: str | None = None
    ResourceType: str | None = None


class TransitGatewayRoute(AwsModel):
    """One route of search-transit-gateway-routes (static or propagated; active or blackhole)."""

    DestinationCidrBlock: str | None = None
    PrefixListId: str | None = None
    TransitGatewayAttachments: list[TgwRouteAttachment] = Field(default_factory=list)
    Type: str | None = None
    State: str = "active"


class ManagedPrefixList(Tagged):
    """describe-managed-prefix-lists (customer- and AWS-managed)."""

    PrefixListId: str
    PrefixListName: str | None = None
    AddressFamily: str | None = None
    State: str | None = None
    OwnerId: str | None = None
    MaxEntries: int | None = None


class PrefixListEntry(AwsModel):
    """One row of get-managed-prefix-list-entries."""

    Cidr: str
    Description: str | None = None


class PrefixList(Located):
    """describe-prefix-lists: the AWS service prefix lists (S3, DynamoDB) with their CIDRs."""

    PrefixListId: str
    PrefixListName: str | None = None
    Cidrs: list[str] = Field(default_factory=list)


class VpcAttachmentState(AwsModel):
    VpcId: str | None = None
    State: str | None = None


class VpnGateway(Tagged):
    """describe-vpn-gateways."""

    VpnGatewayId: str
    State: str | None = None
    Type: str | None = None
    VpcAttachments: list[VpcAttachmentState] = Field(default_factory=list)
    AmazonSideAsn: int | None = None


class VgwTunnel(AwsModel):
    OutsideIpAddress: str | None = None
    Status: str | None = None
    StatusMessage: str | None = None
    AcceptedRouteCount: int | None = None


class VpnStaticRoute(AwsModel):
    DestinationCidrBlock: str | None = None
    Source: str | None = None
    State: str | None = None


class VpnConnection(Tagged):
    """describe-vpn-connections: the edge of the analysis; tunnel status is in VgwTelemetry."""

    VpnConnectionId: str
    State: str | None = None
    Type: str | None = None
    VpnGatewayId: str | None = None
    TransitGatewayId: str | None = None
    CustomerGatewayId: str | None = None
    VgwTelemetry: list[VgwTunnel] = Field(default_factory=list)
    Routes: list[VpnStaticRoute] = Field(default_factory=list)


class GroupRef(AwsModel):
    GroupId: str | None = None
    GroupName: str | None = None


class IpAssociation(AwsModel):
    PublicIp: str | None = None
    IpOwnerId: str | None = None
    AllocationId: str | None = None


class Ipv6Address(AwsModel):
    Ipv6Address: str


class InterfaceAttachment(AwsModel):
    InstanceId: str | None = None
    DeviceIndex: int | None = None
    Status: str | None = None


class NetworkInterface(Tagged):
    NetworkInterfaceId: str
    SubnetId: str | None = None
    VpcId: str | None = None
    InterfaceType: str | None = None
    Description: str | None = None
    Groups: list[GroupRef] = Field(default_factory=list)
    PrivateIpAddress: str | None = None
    Association: IpAssociation | None = None
    Attachment: InterfaceAttachment | None = None
    SourceDestCheck: bool | None = None
    Ipv6Addresses: list[Ipv6Address] = Field(default_factory=list)
    RequesterId: str | None = None
    TagSet: list[Tag] = Field(default_factory=list)

    @property
    def public_ip(self) -> str | None:
        return self.Association.PublicIp if self.Association else None


class InstanceState(AwsModel):
    Name: str = "running"


class PlacementInfo(AwsModel):
    AvailabilityZone: str | None = None


class Instance(Tagged):
    InstanceId: str
    SubnetId: str | None = None
    VpcId: str | None = None
    PrivateIpAddress: str | None = None
    PublicIpAddress: str | None = None
    Ipv6Address: str | None = None
    SecurityGroups: list[GroupRef] = Field(default_factory=list)
    NetworkInterfaces: list[NetworkInterface] = Field(default_factory=list)
    SourceDestCheck: bool | None = None
    State: InstanceState = Field(default_factory=InstanceState)
    Placement: PlacementInfo | None = None

    @property
    def group_ids(self) -> list[str]:
        """Security groups of the instance and all its interfaces."""
        ids = [g.GroupId for g in self.SecurityGroups if g.GroupId]
        for eni in self.NetworkInterfaces:
            ids += [g.GroupId for g in eni.Groups if g.GroupId]
        return list(dict.fromkeys(ids)) if len(ids) > 1 else ids

    @property
    def public_ips(self) -> list[str]:
        ips = [self.PublicIpAddress] if self.PublicIpAddress else []
        ips += [e.public_ip for e in self.NetworkInterfaces if e.public_ip]
        return list(dict.fromkeys(ips)) if len(ips) > 1 else ips

    @property
    def ipv6_addresses(self) -> list[str]:
        out = [self.Ipv6Address] if self.Ipv6Address else []
        for e in self.NetworkInterfaces:
            if e.Ipv6Addresses:
                out += [a.Ipv6Address for a in e.Ipv6Addresses]
        return list(dict.fromkeys(out)) if len(out) > 1 else out

    @property
    def running(self) -> bool:
        return self.State.Name in ("running", "pending", "stopping", "stopped")


class IpRange(AwsModel):
    CidrIp: str
    Description: str | None = None


class Ipv6Range(AwsModel):
    CidrIpv6: str
    Description: str | None = None


class UserIdGroupPair(AwsModel):
    GroupId: str | None = None
    UserId: str | None = None
    VpcId: str | None = None
    Description: str | None = None


class PrefixListRef(AwsModel):
    PrefixListId: str


class IpPermission(AwsModel):
    IpProtocol: str = "-1"
    FromPort: int | None = None
    ToPort: int | None = None
    IpRanges: list[IpRange] = Field(default_factory=list)
    Ipv6Ranges: list[Ipv6Range] = Field(default_factory=list)
    UserIdGroupPairs: list[UserIdGroupPair] = Field(default_factory=list)
    PrefixListIds: list[PrefixListRef] = Field(default_factory=list)

    def port_range(self) -> tuple[int, int]:
        """(from, to) ports; all ports for protocol -1 or missing ports."""
        if self.IpProtocol in ("-1", "all") or self.FromPort is None or self.FromPort == -1:
            return (0, 65535)
        return (self.FromPort, self.ToPort if self.ToPort not in (None, -1) else 65535)


class SecurityGroup(Tagged):
    GroupId: str
    GroupName: str = ""
    VpcId: str | None = None
    Description: str | None = None
    IpPermissions: list[IpPermission] = Field(default_factory=list)
    IpPermissionsEgress: list[IpPermission] = Field(default_factory=list)


class PortRangeSpec(AwsModel):
    From: int | None = None
    To: int | None = None


class IcmpTypeCodeSpec(AwsModel):
    Type: int | None = None
    Code: int | None = None


class NetworkAclEntry(AwsModel):
    RuleNumber: int
    Protocol: str = "-1"
    RuleAction: str = "allow"
    Egress: bool = False
    CidrBlock: str | None = None
    Ipv6CidrBlock: str | None = None
    PortRange: PortRangeSpec | None = None
    IcmpTypeCode: IcmpTypeCodeSpec | None = None


class NetworkAclAssociation(AwsModel):
    NetworkAclAssociationId: str | None = None
    NetworkAclId: str | None = None
    SubnetId: str | None = None


class NetworkAcl(Tagged):
    NetworkAclId: str
    VpcId: str
    IsDefault: bool = False
    Entries: list[NetworkAclEntry] = Field(default_factory=list)
    Associations: list[NetworkAclAssociation] = Field(default_factory=list)


class LbAz(AwsModel):
    ZoneName: str | None = None
    SubnetId: str | None = None


class LbState(AwsModel):
    Code: str = "active"


class LoadBalancer(Located):
    LoadBalancerArn: str
    LoadBalancerName: str = ""
    DNSName: str | None = None
    Scheme: str = "internet-facing"
    VpcId: str | None = None
    Type: str = "application"
    State: LbState = Field(default_factory=LbState)
    AvailabilityZones: list[LbAz] = Field(default_factory=list)
    SecurityGroups: list[str] = Field(default_factory=list)
    # Not part of describe-load-balancers; filled from describe-load-balancer-attributes.
    CrossZoneEnabled: bool | None = None

    @property
    def subnet_ids(self) -> list[str]:
        return [z.SubnetId for z in self.AvailabilityZones if z.SubnetId]


class RedirectSpec(AwsModel):
    Protocol: str | None = None
    Port: str | None = None
    StatusCode: str | None = None


class TargetGroupTuple(AwsModel):
    TargetGroupArn: str


class ForwardSpec(AwsModel):
    TargetGroups: list[TargetGroupTuple] = Field(default_factory=list)


class ListenerAction(AwsModel):
    Type: str
    TargetGroupArn: str | None = None
    RedirectConfig: RedirectSpec | None = None
    ForwardConfig: ForwardSpec | None = None

    def target_group_arns(self) -> list[str]:
        arns = [self.TargetGroupArn] if self.TargetGroupArn else []
        if self.ForwardConfig:
            arns += [t.TargetGroupArn for t in self.ForwardConfig.TargetGroups]
        return list(dict.fromkeys(arns))


class Listener(Located):
    ListenerArn: str
    LoadBalancerArn: str
    Port: int
    Protocol: str = "HTTP"
    DefaultActions: list[ListenerAction] = Field(default_factory=list)


class TargetGroup(Located):
    TargetGroupArn: str
    TargetGroupName: str = ""
    Protocol: str | None = None
    Port: int | None = None
    VpcId: str | None = None
    TargetType: str = "instance"
    LoadBalancerArns: list[str] = Field(default_factory=list)
    HealthCheckPort: str | None = None


class TargetSpec(AwsModel):
    Id: str
    Port: int | None = None
    AvailabilityZone: str | None = None


class TargetHealthState(AwsModel):
    State: str = "healthy"
    Reason: str | None = None
    Description: str | None = None


class TargetHealthDescription(AwsModel):
    Target: TargetSpec
    HealthCheckPort: str | None = None
    TargetHealth: TargetHealthState = Field(default_factory=TargetHealthState)


class FlowLog(Tagged):
    FlowLogId: str
    ResourceId: str | None = None
    FlowLogStatus: str | None = None
    TrafficType: str | None = None


class SourceFile(AwsModel):
    """One input file and what the loader made of it."""

    path: str
    status: str  # "read", "skipped" (no top-level key the tool uses) or "unparsable"
    key: str | None = None  # the top-level key(s) it was recognised by, or found in it
    resources: int = 0
    reason: str | None = None  # why it was skipped or could not be used


class NotChecked(AwsModel):
    """Something that could not be read, and what it means for the diagnosis."""

    what: str
    reason: str
    rules: list[str] = Field(default_factory=list)
    action: str | None = None  # the IAM action that was missing, if known


class AccountRead(AwsModel):
    """One account of an organisation-wide read: read, or not checked and why."""

    Id: str
    Name: str = ""
    status: str = "read"  # "read" or "not checked"
    reason: str | None = None


class Snapshot(AwsModel):
    """Everything the tool knows about one account and region."""

    format: str = SNAPSHOT_FORMAT
    version: int = SNAPSHOT_VERSION
    account_id: str | None = None
    region: str | None = None
    collected_at: str | None = None
    source: str | None = None
    # The AWS collections that were provided (read live or from files). A rule that needs a
    # collection not in this list is reported as not checked instead of guessing.
    provided: list[str] = Field(default_factory=list)
    not_checked: list[NotChecked] = Field(default_factory=list)
    redacted: bool = False
    # Every region the resources come from (``region`` stays one string for one region).
    regions: list[str] = Field(default_factory=list)
    # The accounts of an organisation-wide read (`--accounts`), each read or not; empty for one.
    accounts: list[AccountRead] = Field(default_factory=list)
    # What the loader made of each input file (not saved with the snapshot).
    files: list[SourceFile] = Field(default_factory=list, exclude=True)
    # Collections whose resources' own lists the loader already put in canonical order (see
    # ``assistant.canonical``); any copy that may mix in other resources starts empty.
    _nested_in_order: set[str] = PrivateAttr(default_factory=set)

    @property
    def nested_in_order(self) -> set[str]:
        return self._nested_in_order

    @nested_in_order.setter
    def nested_in_order(self, value: set[str]) -> None:
        self._nested_in_order = value

    Vpcs: list[Vpc] = Field(default_factory=list)
    Subnets: list[Subnet] = Field(default_factory=list)
    RouteTables: list[RouteTable] = Field(default_factory=list)
    InternetGateways: list[InternetGateway] = Field(default_factory=list)
    EgressOnlyInternetGateways: list[EgressOnlyInternetGateway] = Field(default_factory=list)
    NatGateways: list[NatGateway] = Field(default_factory=list)
    Addresses: list[Address] = Field(default_factory=list)
    VpcEndpoints: list[VpcEndpoint] = Field(default_factory=list)
    VpcPeeringConnections: list[VpcPeeringConnection] = Field(default_factory=list)
    TransitGatewayAttachments: list[TransitGatewayAttachment] = Field(default_factory=list)
    Instances: list[Instance] = Field(default_factory=list)
    NetworkInterfaces: list[NetworkInterface] = Field(default_factory=list)
    SecurityGroups: list[SecurityGroup] = Field(default_factory=list)
    NetworkAcls: list[NetworkAcl] = Field(default_factory=list)
    LoadBalancers: list[LoadBalancer] = Field(default_factory=list)
    Listeners: list[Listener] = Field(default_factory=list)
    TargetGroups: list[TargetGroup] = Field(default_factory=list)
    TargetHealth: dict[str, list[TargetHealthDescription]] = Field(default_factory=dict)
    FlowLogs: list[FlowLog] = Field(default_factory=list)
    TransitGateways: list[TransitGateway] = Field(default_factory=list)
    TransitGatewayVpcAttachments: list[TransitGatewayVpcAttachment] = Field(default_factory=list)
    TransitGatewayPeeringAttachments: list[TransitGatewayPeeringAttachment] = Field(
        default_factory=list
    )
    TransitGatewayRouteTables: list[TransitGatewayRouteTable] = Field(default_factory=list)
    # Per TGW route table id: what get-transit-gateway-route-table-{associations,propagations}
    # and search-transit-gateway-routes return for it (their outputs do not name the table).
    TransitGatewayRouteTableAssociations: dict[str, list[TgwRouteTableAttachmentRef]] = Field(
        default_factory=dict
    )
    TransitGatewayRouteTablePropagations: dict[str, list[TgwRouteTableAttachmentRef]] = Field(
        default_factory=dict
    )
    TransitGatewayRoutes: dict[str, list[TransitGatewayRoute]] = Field(default_factory=dict)
    ManagedPrefixLists: list[ManagedPrefixList] = Field(default_factory=list)
    # Per prefix list id: get-managed-prefix-list-entries.
    PrefixListEntries: dict[str, list[PrefixListEntry]] = Field(default_factory=dict)
    PrefixLists: list[PrefixList] = Field(default_factory=list)
    VpnGateways: list[VpnGateway] = Field(default_factory=list)
    VpnConnections: list[VpnConnection] = Field(default_factory=list)
    # Per ARN: describe-load-balancer-attributes / describe-target-group-attributes as Key -> Value.
    LoadBalancerAttributes: dict[str, dict[str, str]] = Field(default_factory=dict)
    TargetGroupAttributes: dict[str, dict[str, str]] = Field(default_factory=dict)

    def has(self, collection: str) -> bool:
        """Whether ``collection`` (e.g. ``"RouteTables"``) was provided."""
        return collection in self.provided

    def account_ids(self) -> list[str]:
        """Every account the resources belong to, sorted."""
        out = {self.account_id} if self.account_id else set()
        for coll in COLLECTIONS:
            items = getattr(self, coll)
            if isinstance(items, list):
                out.update(x.account for x in items if getattr(x, "account", None))
        return sorted(out)


COLLECTIONS: tuple[str, ...] = (
    "Vpcs",
    "Subnets",
    "RouteTables",
    "InternetGateways",
    "EgressOnlyInternetGateways",
    "NatGateways",
    "Addresses",
    "VpcEndpoints",
    "VpcPeeringConnections",
    "TransitGatewayAttachments",
    "Instances",
    "NetworkInterfaces",
    "SecurityGroups",
    "NetworkAcls",
    "LoadBalancers",
    "Listeners",
    "TargetGroups",
    "TargetHealth",
    "FlowLogs",
    "TransitGateways",
    "TransitGatewayVpcAttachments",
    "TransitGatewayPeeringAttachments",
    "TransitGatewayRouteTables",
    "TransitGatewayRouteTableAssociations",
    "TransitGatewayRouteTablePropagations",
    "TransitGatewayRoutes",
    "ManagedPrefixLists",
    "PrefixListEntries",
    "PrefixLists",
    "VpnGateways",
    "VpnConnections",
    "LoadBalancerAttributes",
    "TargetGroupAttributes",
)
