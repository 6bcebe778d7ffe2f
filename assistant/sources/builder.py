"""Build realistic VPC configurations as AWS ``describe-*`` output.

Used for the bundled demo, the benchmark generator and the tests: each scenario is plain AWS
API data, so it goes through the same loader as a customer's files.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from assistant.models.snapshot import COLLECTIONS, Snapshot

ACCOUNT = "123456789012"
_DICT_COLLECTIONS = (
    "TransitGatewayRouteTableAssociations",
    "TransitGatewayRouteTablePropagations",
    "TransitGatewayRoutes",
    "PrefixListEntries",
)


class Builder:
    """Accumulates AWS resources; ids are deterministic for a given seed."""

    def __init__(self, region: str = "us-east-1", seed: str = "demo", account: str = ACCOUNT):
        self.region = region
        self.seed = seed
        self.account = account
        self._n = 0
        # Target health is kept per target group in self.health.
        self.data: dict[str, list[dict[str, Any]]] = {
            k: [] for k in COLLECTIONS if k != "TargetHealth"
        }
        self.health: dict[str, list[dict[str, Any]]] = {}
        self.dns: dict[str, dict[str, bool]] = {}

    # -- ids ---------------------------------------------------------------------------
    def new_id(self, prefix: str, length: int = 17) -> str:
        self._n += 1
        h = hashlib.sha1(f"{self.seed}:{prefix}:{self._n}".encode()).hexdigest()
        return f"{prefix}-0{h[: length - 1]}"

    def _ip(self, public: bool) -> str:
        self._n += 1
        h = int(hashlib.sha1(f"{self.seed}:ip:{self._n}".encode()).hexdigest(), 16)
        if public:
            first = (3, 18, 34, 44, 52, 54)[h % 6]
            return f"{first}.{(h >> 8) % 256}.{(h >> 16) % 256}.{(h >> 24) % 254 + 1}"
        return str(h)

    @staticmethod
    def tags(name: str | None = None, **extra: str) -> list[dict[str, str]]:
        out = [{"Key": "Name", "Value": name}] if name else []
        out += [{"Key": k, "Value": v} for k, v in extra.items()]
        return out

    def find(self, coll: str, key: str, value: str) -> dict[str, Any]:
        for x in self.data[coll]:
            if x.get(key) == value:
                return x
        raise KeyError(f"{coll}: no {key}={value}")

    # -- resources ---------------------------------------------------------------------
    def vpc(
        self,
        cidr: str = "10.0.0.0/16",
        name: str | None = None,
        dns: bool = True,
        ipv6: str | None = None,
    ) -> str:
        vid = self.new_id("vpc")
        v: dict[str, Any] = {
            "VpcId": vid,
            "CidrBlock": cidr,
            "State": "available",
            "OwnerId": self.account,
            "IsDefault": False,
            "CidrBlockAssociationSet": [{"CidrBlock": cidr}],
            "Tags": self.tags(name),
        }
        if ipv6:
            v["Ipv6CidrBlockAssociationSet"] = [{"Ipv6CidrBlock": ipv6}]
        self.data["Vpcs"].append(v)
        self.dns[vid] = {"EnableDnsSupport": dns, "EnableDnsHostnames": dns}
        # The main route table and default network ACL, as AWS creates them.
        rtb = self.route_table(vid, name=None, main=True)
        self._main_rt = getattr(self, "_main_rt", {})
        self._main_rt[vid] = rtb
        self.nacl(vid, default=True)
        self.security_group(vid, "default", "default VPC security group", default=True)
        return vid

    def main_route_table(self, vpc_id: str) -> str:
        return self._main_rt[vpc_id]

    def subnet(
        self,
        vpc_id: str,
        cidr: str,
        az: str,
        name: str | None = None,
        map_public_ip: bool = False,
        ipv6: str | None = None,
        **tags: str,
    ) -> str:
        sid = self.new_id("subnet")
        s: dict[str, Any] = {
            "SubnetId": sid,
            "VpcId": vpc_id,
            "CidrBlock": cidr,
            "AvailabilityZone": f"{self.region}{az}",
            "AvailableIpAddressCount": ipaddress.ip_network(cidr).num_addresses - 5,
            "MapPublicIpOnLaunch": map_public_ip,
            "State": "available",
            "OwnerId": self.account,
            "SubnetArn": f"arn:aws:ec2:{self.region}:{self.account}:subnet/{sid}",
            "Tags": self.tags(name, **tags),
        }
        if ipv6:
            s["Ipv6CidrBlockAssociationSet"] = [{"Ipv6CidrBlock": ipv6}]
        self.data["Subnets"].append(s)
        return sid

    def igw(self, vpc_id: str | None, name: str | None = None) -> str:
        gid = self.new_id("igw")
        att = [{"State": "available", "VpcId": vpc_id}] if vpc_id else []
        self.data["InternetGateways"].append(
            {
                "InternetGatewayId": gid,
                "Attachments": att,
                "OwnerId": self.account,
                "Tags": self.tags(name),
            }
        )
        return gid

    def eigw(self, vpc_id: str, name: str | None = None) -> str:
        gid = self.new_id("eigw")
        self.data["EgressOnlyInternetGateways"].append(
            {
                "EgressOnlyInternetGatewayId": gid,
                "Attachments": [{"State": "attached", "VpcId": vpc_id}],
                "Tags": self.tags(name),
            }
        )
        return gid

    def route_table(self, vpc_id: str, name: str | None = None, main: bool = False) -> str:
        rid = self.new_id("rtb")
        vpc = self.find("Vpcs", "VpcId", vpc_id)
        routes = [
            {
                "DestinationCidrBlock": vpc["CidrBlock"],
                "GatewayId": "local",
                "State": "active",
                "Origin": "CreateRouteTable",
            }
        ]
        for a in vpc.get("Ipv6CidrBlockAssociationSet", []):
            routes.append(
                {
                    "DestinationIpv6CidrBlock": a["Ipv6CidrBlock"],
                    "GatewayId": "local",
                    "State": "active",
                    "Origin": "CreateRouteTable",
                }
            )
        assoc = []
        if main:
            assoc.append(
                {
                    "Main": True,
                    "RouteTableId": rid,
                    "RouteTableAssociationId": self.new_id("rtbassoc"),
                    "AssociationState": {"State": "associated"},
                }
            )
        self.data["RouteTables"].append(
            {
                "RouteTableId": rid,
                "VpcId": vpc_id,
                "Routes": routes,
                "Associations": assoc,
                "OwnerId": self.account,
                "Tags": self.tags(name),
            }
        )
        return rid

    def route(self, rt_id: str, dest: str, target: str, state: str = "active") -> None:
        rt = self.find("RouteTables", "RouteTableId", rt_id)
        r: dict[str, Any] = {"State": state, "Origin": "CreateRoute"}
        r["DestinationIpv6CidrBlock" if ":" in dest else "DestinationCidrBlock"] = dest
        if dest.startswith("pl-"):
            r.pop("DestinationCidrBlock", None)
            r["DestinationPrefixListId"] = dest
        key = {
            "nat": "NatGatewayId",
            "tgw": "TransitGatewayId",
            "pcx": "VpcPeeringConnectionId",
            "eigw": "EgressOnlyInternetGatewayId",
            "i": "InstanceId",
            "eni": "NetworkInterfaceId",
        }.get(target.split("-")[0], "GatewayId")
        r[key] = target
        rt["Routes"] = [
            x
            for x in rt["Routes"]
            if (
                x.get("DestinationCidrBlock")
                or x.get("DestinationIpv6CidrBlock")
                or x.get("DestinationPrefixListId")
            )
            != dest
        ]
        rt["Routes"].append(r)

    def associate(self, rt_id: str, subnet_id: str) -> None:
        for rt in self.data["RouteTables"]:
            rt["Associations"] = [a for a in rt["Associations"] if a.get("SubnetId") != subnet_id]
        rt = self.find("RouteTables", "RouteTableId", rt_id)
        rt["Associations"].append(
            {
                "Main": False,
                "RouteTableId": rt_id,
                "SubnetId": subnet_id,
                "RouteTableAssociationId": self.new_id("rtbassoc"),
                "AssociationState": {"State": "associated"},
            }
        )

    def eip(self, name: str | None = None) -> tuple[str, str]:
        alloc = self.new_id("eipalloc")
        ip = self._ip(True)
        self.data["Addresses"].append(
            {"AllocationId": alloc, "PublicIp": ip, "Domain": "vpc", "Tags": self.tags(name)}
        )
        return alloc, ip

    def nat(
        self,
        subnet_id: str,
        name: str | None = None,
        state: str = "available",
        eip: bool = True,
        connectivity: str = "public",
    ) -> str:
        nid = self.new_id("nat")
        sub = self.find("Subnets", "SubnetId", subnet_id)
        eni = self.new_id("eni")
        addr: dict[str, Any] = {
            "NetworkInterfaceId": eni,
            "PrivateIp": self._private_ip(sub),
            "IsPrimary": True,
            "Status": "succeeded",
        }
        if eip and connectivity == "public":
            alloc, ip = self.eip(name)
            addr.update(AllocationId=alloc, PublicIp=ip)
            a = self.find("Addresses", "AllocationId", alloc)
            a.update(
                AssociationId=self.new_id("eipassoc"),
                NetworkInterfaceId=eni,
                PrivateIpAddress=addr["PrivateIp"],
                NetworkInterfaceOwnerId=self.account,
            )
        self.data["NatGateways"].append(
            {
                "NatGatewayId": nid,
                "SubnetId": subnet_id,
                "VpcId": sub["VpcId"],
                "State": state,
                "ConnectivityType": connectivity,
                "NatGatewayAddresses": [addr],
                "Tags": self.tags(name),
            }
        )
        self.data["NetworkInterfaces"].append(
            {
                "NetworkInterfaceId": eni,
                "SubnetId": subnet_id,
                "VpcId": sub["VpcId"],
                "InterfaceType": "nat_gateway",
                "PrivateIpAddress": addr["PrivateIp"],
                "Description": f"Interface for NAT Gateway {nid}",
                "Groups": [],
                "SourceDestCheck": False,
                "RequesterId": "amazon-nat-gateway",
                **({"Association": {"PublicIp": addr["PublicIp"]}} if "PublicIp" in addr else {}),
            }
        )
        return nid

    def _private_ip(self, sub: dict[str, Any]) -> str:
        net = ipaddress.ip_network(sub["CidrBlock"])
        self._n += 1
        return str(net.network_address + 4 + (self._n % max(1, net.num_addresses - 8)))

    def security_group(
        self,
        vpc_id: str,
        name: str,
        description: str = "",
        ingress: list[dict] | None = None,
        egress: list[dict] | None = None,
        default: bool = False,
    ) -> str:
        gid = self.new_id("sg")
        if egress is None:
            egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        if ingress is None:
            ingress = (
                [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": gid}]}] if default else []
            )
        self.data["SecurityGroups"].append(
            {
                "GroupId": gid,
                "GroupName": name,
                "Description": description or name,
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "IpPermissions": ingress,
                "IpPermissionsEgress": egress,
                "Tags": self.tags(None if default else name),
            }
        )
        return gid

    def default_sg(self, vpc_id: str) -> str:
        for g in self.data["SecurityGroups"]:
            if g["VpcId"] == vpc_id and g["GroupName"] == "default":
                return g["GroupId"]
        raise KeyError(vpc_id)

    @staticmethod
    def perm(
        port: int | tuple[int, int] | None,
        cidr: str | None = None,
        group: str | None = None,
        proto: str = "tcp",
    ) -> dict[str, Any]:
        p: dict[str, Any] = {"IpProtocol": proto if port is not None else "-1"}
        if port is not None:
            lo, hi = port if isinstance(port, tuple) else (port, port)
            p.update(FromPort=lo, ToPort=hi)
        if cidr:
            p["Ipv6Ranges" if ":" in cidr else "IpRanges"] = (
                [{"CidrIpv6": cidr}] if ":" in cidr else [{"CidrIp": cidr}]
            )
        if group:
            p["UserIdGroupPairs"] = [{"GroupId": group}]
        return p

    def nacl(
        self,
        vpc_id: str,
        default: bool = False,
        name: str | None = None,
        entries: list[dict] | None = None,
    ) -> str:
        aid = self.new_id("acl")
        if entries is None:
            entries = [
                {
                    "RuleNumber": 100,
                    "Protocol": "-1",
                    "RuleAction": "allow",
                    "Egress": e,
                    "CidrBlock": "0.0.0.0/0",
                }
                for e in (False, True)
            ]
        entries = entries + [
            {
                "RuleNumber": 32767,
                "Protocol": "-1",
                "RuleAction": "deny",
                "Egress": e,
                "CidrBlock": "0.0.0.0/0",
            }
            for e in (False, True)
        ]
        self.data["NetworkAcls"].append(
            {
                "NetworkAclId": aid,
                "VpcId": vpc_id,
                "IsDefault": default,
                "Entries": entries,
                "Associations": [],
                "OwnerId": self.account,
                "Tags": self.tags(name),
            }
        )
        return aid

    def nacl_associate(self, acl_id: str, subnet_id: str) -> None:
        for acl in self.data["NetworkAcls"]:
            acl["Associations"] = [a for a in acl["Associations"] if a["SubnetId"] != subnet_id]
        self.find("NetworkAcls", "NetworkAclId", acl_id)["Associations"].append(
            {
                "NetworkAclAssociationId": self.new_id("aclassoc"),
                "NetworkAclId": acl_id,
                "SubnetId": subnet_id,
            }
        )

    def default_nacl(self, vpc_id: str) -> str:
        for a in self.data["NetworkAcls"]:
            if a["VpcId"] == vpc_id and a["IsDefault"]:
                return a["NetworkAclId"]
        raise KeyError(vpc_id)

    def instance(
        self,
        subnet_id: str,
        groups: list[str],
        name: str | None = None,
        public_ip: bool = False,
        source_dest_check: bool = True,
        ipv6: bool = False,
        state: str = "running",
        **tags: str,
    ) -> str:
        iid = self.new_id("i")
        sub = self.find("Subnets", "SubnetId", subnet_id)
        eni = self.new_id("eni")
        priv = self._private_ip(sub)
        pub = self._ip(True) if public_ip else None
        grp = [
            {"GroupId": g, "GroupName": self.find("SecurityGroups", "GroupId", g)["GroupName"]}
            for g in groups
        ]
        nic: dict[str, Any] = {
            "NetworkInterfaceId": eni,
            "SubnetId": subnet_id,
            "VpcId": sub["VpcId"],
            "PrivateIpAddress": priv,
            "Groups": grp,
            "SourceDestCheck": source_dest_check,
            "Attachment": {"DeviceIndex": 0, "Status": "attached", "InstanceId": iid},
            "InterfaceType": "interface",
            "Status": "in-use",
        }
        if pub:
            nic["Association"] = {"PublicIp": pub, "IpOwnerId": "amazon"}
        inst: dict[str, Any] = {
            "InstanceId": iid,
            "ImageId": "ami-0fc5d935ebf8bc3bc",
            "InstanceType": "t3.small",
            "SubnetId": subnet_id,
            "VpcId": sub["VpcId"],
            "PrivateIpAddress": priv,
            "State": {"Code": 16, "Name": state},
            "SecurityGroups": grp,
            "Placement": {"AvailabilityZone": sub["AvailabilityZone"]},
            "NetworkInterfaces": [nic],
            "SourceDestCheck": source_dest_check,
            "Tags": self.tags(name, **tags),
        }
        if pub:
            inst["PublicIpAddress"] = pub
        if ipv6 and sub.get("Ipv6CidrBlockAssociationSet"):
            net = ipaddress.ip_network(sub["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"])
            addr = str(net.network_address + 0x10 + self._n)
            nic["Ipv6Addresses"] = [{"Ipv6Address": addr}]
            inst["Ipv6Address"] = addr
        self.data["Instances"].append(inst)
        eni_copy = dict(nic)
        eni_copy["TagSet"] = []
        self.data["NetworkInterfaces"].append(eni_copy)
        return iid

    def endpoint(
        self, vpc_id: str, service: str, route_tables: list[str], kind: str = "Gateway"
    ) -> str:
        eid = self.new_id("vpce")
        self.data["VpcEndpoints"].append(
            {
                "VpcEndpointId": eid,
                "VpcEndpointType": kind,
                "VpcId": vpc_id,
                "ServiceName": f"com.amazonaws.{self.region}.{service}",
                "State": "available",
                "RouteTableIds": route_tables,
                "SubnetIds": [],
            }
        )
        for rt in route_tables:
            self.route(rt, f"pl-{hashlib.sha1(service.encode()).hexdigest()[:8]}", eid)
        return eid

    def peering(
        self,
        requester_vpc: str,
        accepter_vpc: str,
        status: str = "active",
        accepter: dict[str, str] | None = None,
    ) -> str:
        """A VPC peering connection. ``accepter`` describes a peer VPC that is not in this
        builder (another account or region): {"VpcId", "CidrBlock", "OwnerId", "Region"}."""
        pid = self.new_id("pcx")

        def info(vid: str) -> dict[str, Any]:
            v = self.find("Vpcs", "VpcId", vid)
            return {
                "VpcId": vid,
                "CidrBlock": v["CidrBlock"],
                "CidrBlockSet": [{"CidrBlock": v["CidrBlock"]}],
                "OwnerId": v.get("OwnerId", self.account),
                "Region": self.region,
            }

        self.data["VpcPeeringConnections"].append(
            {
                "VpcPeeringConnectionId": pid,
                "RequesterVpcInfo": info(requester_vpc),
                "AccepterVpcInfo": dict(accepter) if accepter else info(accepter_vpc),
                "Status": {"Code": status, "Message": status.capitalize()},
                "Tags": [],
            }
        )
        return pid

    # -- multi-VPC: transit gateways, prefix lists, VPN ------------------------------------
    def _extra(self, coll: str) -> Any:
        """A multi-VPC collection as the tool's own snapshot field (a list, or a dict keyed by
        TGW route table / prefix list); ``_network_files`` writes them as AWS CLI outputs."""
        ex = self.__dict__.setdefault("extra", {})
        if coll not in ex:
            ex[coll] = {} if coll in _DICT_COLLECTIONS else []
        return ex[coll]

    def transit_gateway(self, name: str | None = None, owner: str | None = None) -> str:
        """A transit gateway without default association or propagation (set tables up)."""
        tid = self.new_id("tgw")
        self._extra("TransitGateways").append(
            {
                "TransitGatewayId": tid,
                "TransitGatewayArn": f"arn:aws:ec2:{self.region}:{owner or self.account}:"
                f"transit-gateway/{tid}",
                "State": "available",
                "OwnerId": owner or self.account,
                "Options": {
                    "DefaultRouteTableAssociation": "disable",
                    "DefaultRouteTablePropagation": "disable",
                },
                "Tags": self.tags(name),
            }
        )
        return tid

    def tgw_route_table(self, tgw_id: str, name: str | None = None) -> str:
        rid = self.new_id("tgw-rtb")
        self._extra("TransitGatewayRouteTables").append(
            {
                "TransitGatewayRouteTableId": rid,
                "TransitGatewayId": tgw_id,
                "State": "available",
                "Tags": self.tags(name),
            }
        )
        self._extra("TransitGatewayRoutes")[rid] = []
        self._extra("TransitGatewayRouteTableAssociations")[rid] = []
        self._extra("TransitGatewayRouteTablePropagations")[rid] = []
        return rid

    def tgw_attach(
        self,
        tgw_id: str,
        vpc_id: str,
        subnets: list[str],
        table: str | None = None,
        propagate_to: list[str] | None = None,
        state: str = "available",
    ) -> str:
        """A VPC attachment (one subnet per AZ), associated with ``table`` and propagating
        the VPC's CIDR into ``propagate_to``."""
        aid = self.new_id("tgw-attach")
        vpc = self.find("Vpcs", "VpcId", vpc_id)
        self._extra("TransitGatewayVpcAttachments").append(
            {
                "TransitGatewayAttachmentId": aid,
                "TransitGatewayId": tgw_id,
                "VpcId": vpc_id,
                "VpcOwnerId": vpc.get("OwnerId", self.account),
                "State": state,
                "SubnetIds": list(subnets),
                "Options": {"DnsSupport": "enable", "ApplianceModeSupport": "disable"},
            }
        )
        att = {
            "TransitGatewayAttachmentId": aid,
            "TransitGatewayId": tgw_id,
            "TransitGatewayOwnerId": self.account,
            "ResourceOwnerId": vpc.get("OwnerId", self.account),
            "ResourceType": "vpc",
            "ResourceId": vpc_id,
            "State": state,
        }
        if table:
            att["Association"] = {"TransitGatewayRouteTableId": table, "State": "associated"}
            self._extra("TransitGatewayRouteTableAssociations")[table].append(
                {
                    "TransitGatewayAttachmentId": aid,
                    "ResourceId": vpc_id,
                    "ResourceType": "vpc",
                    "State": "associated",
                }
            )
        self.data["TransitGatewayAttachments"].append(att)
        for rtb in propagate_to or []:
            self._extra("TransitGatewayRouteTablePropagations")[rtb].append(
                {
                    "TransitGatewayAttachmentId": aid,
                    "ResourceId": vpc_id,
                    "ResourceType": "vpc",
                    "State": "enabled",
                }
            )
            self.tgw_route(rtb, vpc["CidrBlock"], aid, kind="propagated")
        return aid

    def tgw_route(
        self,
        rtb: str,
        cidr: str,
        attachment: str | None = None,
        blackhole: bool = False,
        kind: str = "static",
    ) -> None:
        """A route in a TGW route table (to an attachment, or a blackhole)."""
        routes = self._extra("TransitGatewayRoutes")[rtb]
        routes[:] = [r for r in routes if r["DestinationCidrBlock"] != cidr]
        r: dict[str, Any] = {
            "DestinationCidrBlock": cidr,
            "Type": kind,
            "State": "blackhole" if blackhole else "active",
            "TransitGatewayAttachments": [],
        }
        if attachment and not blackhole:
            rtype, rid = self._tgw_attachment_resource(attachment)
            r["TransitGatewayAttachments"] = [
                {
                    "TransitGatewayAttachmentId": attachment,
                    "ResourceType": rtype,
                    "ResourceId": rid,
                }
            ]
        routes.append(r)

    def _tgw_attachment_resource(self, aid: str) -> tuple[str, str]:
        for a in self.data["TransitGatewayAttachments"]:
            if a["TransitGatewayAttachmentId"] == aid:
                return a["ResourceType"], a["ResourceId"]
        for p in self._extra("TransitGatewayPeeringAttachments"):
            if p["TransitGatewayAttachmentId"] == aid:
                return "peering", p["AccepterTgwInfo"]["TransitGatewayId"]
        raise KeyError(aid)

    def tgw_peering(
        self,
        tgw_a: str,
        tgw_b: str,
        table_a: str | None = None,
        table_b: str | None = None,
        region_b: str | None = None,
    ) -> str:
        """A TGW peering attachment (static routes only), associated with a table each side."""
        aid = self.new_id("tgw-attach")
        self._extra("TransitGatewayPeeringAttachments").append(
            {
                "TransitGatewayAttachmentId": aid,
                "RequesterTgwInfo": {
                    "TransitGatewayId": tgw_a,
                    "OwnerId": self.account,
                    "Region": self.region,
                },
                "AccepterTgwInfo": {
                    "TransitGatewayId": tgw_b,
                    "OwnerId": self.account,
                    "Region": region_b or self.region,
                },
                "State": "available",
                "Status": {"Code": "available"},
            }
        )
        self.data["TransitGatewayAttachments"].append(
            {
                "TransitGatewayAttachmentId": aid,
                "TransitGatewayId": tgw_a,
                "ResourceType": "peering",
                "ResourceId": tgw_b,
                "State": "available",
            }
        )
        for table, other in ((table_a, tgw_b), (table_b, tgw_a)):
            if table:
                self._extra("TransitGatewayRouteTableAssociations")[table].append(
                    {
                        "TransitGatewayAttachmentId": aid,
                        "ResourceId": other,
                        "ResourceType": "peering",
                        "State": "associated",
                    }
                )
        return aid

    def prefix_list(self, pl_id: str, name: str, cidrs: list[str]) -> str:
        """An AWS-managed prefix list (describe-prefix-lists) with its CIDRs."""
        self._extra("PrefixLists").append(
            {"PrefixListId": pl_id, "PrefixListName": name, "Cidrs": list(cidrs)}
        )
        return pl_id

    def managed_prefix_list(self, name: str, cidrs: list[str]) -> str:
        """A customer-managed prefix list with its entries."""
        pid = self.new_id("pl")
        self._extra("ManagedPrefixLists").append(
            {
                "PrefixListId": pid,
                "PrefixListName": name,
                "AddressFamily": "IPv4",
                "State": "create-complete",
                "OwnerId": self.account,
                "MaxEntries": max(5, len(cidrs)),
            }
        )
        self._extra("PrefixListEntries")[pid] = [{"Cidr": c} for c in cidrs]
        return pid

    def vpn_gateway(self, vpc_id: str, tunnels: tuple[str, ...] = ("UP", "UP")) -> tuple[str, str]:
        """A virtual private gateway attached to a VPC with one site-to-site VPN connection:
        (gateway id, connection id)."""
        gid = self.new_id("vgw")
        self._extra("VpnGateways").append(
            {
                "VpnGatewayId": gid,
                "State": "available",
                "Type": "ipsec.1",
                "VpcAttachments": [{"VpcId": vpc_id, "State": "attached"}],
            }
        )
        vid = self.new_id("vpn")
        self._extra("VpnConnections").append(
            {
                "VpnConnectionId": vid,
                "State": "available",
                "Type": "ipsec.1",
                "VpnGatewayId": gid,
                "CustomerGatewayId": self.new_id("cgw"),
                "VgwTelemetry": [
                    {"OutsideIpAddress": self._ip(True), "Status": st, "AcceptedRouteCount": 1}
                    for st in tunnels
                ],
            }
        )
        return gid, vid

    def vpn(self, tgw_id: str, tunnels: tuple[str, ...] = ("UP", "UP")) -> tuple[str, str]:
        """A site-to-site VPN on a transit gateway: (connection id, its TGW attachment id)."""
        vid = self.new_id("vpn")
        self._extra("VpnConnections").append(
            {
                "VpnConnectionId": vid,
                "State": "available",
                "Type": "ipsec.1",
                "TransitGatewayId": tgw_id,
                "CustomerGatewayId": self.new_id("cgw"),
                "VgwTelemetry": [
                    {"OutsideIpAddress": self._ip(True), "Status": st, "AcceptedRouteCount": 1}
                    for st in tunnels
                ],
            }
        )
        aid = self.new_id("tgw-attach")
        self.data["TransitGatewayAttachments"].append(
            {
                "TransitGatewayAttachmentId": aid,
                "TransitGatewayId": tgw_id,
                "ResourceType": "vpn",
                "ResourceId": vid,
                "State": "available",
            }
        )
        return vid, aid

    def flow_log(self, vpc_id: str) -> str:
        fid = self.new_id("fl")
        self.data["FlowLogs"].append(
            {
                "FlowLogId": fid,
                "ResourceId": vpc_id,
                "FlowLogStatus": "ACTIVE",
                "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs",
            }
        )
        return fid

    def load_balancer(
        self,
        name: str,
        subnets: list[str],
        groups: list[str],
        scheme: str = "internet-facing",
        kind: str = "application",
        cross_zone: bool | None = None,
    ) -> str:
        h = hashlib.sha1(f"{self.seed}:lb:{name}".encode()).hexdigest()[:16]
        short = "app" if kind == "application" else "net"
        arn = (
            f"arn:aws:elasticloadbalancing:{self.region}:{self.account}:loadbalancer/"
            f"{short}/{name}/{h}"
        )
        azs = []
        vpc = None
        for s in subnets:
            sub = self.find("Subnets", "SubnetId", s)
            vpc = sub["VpcId"]
            azs.append({"ZoneName": sub["AvailabilityZone"], "SubnetId": s})
        self.data["LoadBalancers"].append(
            {
                "LoadBalancerArn": arn,
                "LoadBalancerName": name,
                "Scheme": scheme,
                "VpcId": vpc,
                "Type": kind,
                "State": {"Code": "active"},
                "AvailabilityZones": azs,
                "SecurityGroups": groups if kind == "application" else [],
                "DNSName": f"{name}-{h[:10]}.{self.region}.elb.amazonaws.com",
                "IpAddressType": "ipv4",
                # describe-load-balancer-attributes: load_balancing.cross_zone.enabled
                **({} if cross_zone is None else {"CrossZoneEnabled": cross_zone}),
            }
        )
        return arn

    def target_group(
        self,
        name: str,
        vpc_id: str,
        port: int,
        targets: list[str],
        lb_arn: str | None = None,
        protocol: str = "HTTP",
        states: dict[str, tuple[str, str | None]] | None = None,
    ) -> str:
        h = hashlib.sha1(f"{self.seed}:tg:{name}".encode()).hexdigest()[:16]
        arn = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}:targetgroup/{name}/{h}"
        self.data["TargetGroups"].append(
            {
                "TargetGroupArn": arn,
                "TargetGroupName": name,
                "Protocol": protocol,
                "Port": port,
                "VpcId": vpc_id,
                "TargetType": "instance",
                "LoadBalancerArns": [lb_arn] if lb_arn else [],
                "HealthCheckPort": "traffic-port",
            }
        )
        states = states or {}
        descs = []
        for t in targets:
            st, reason = states.get(t, ("healthy", None))
            th: dict[str, Any] = {"State": st}
            if reason:
                th["Reason"] = reason
                th["Description"] = {
                    "Target.Timeout": "Request timed out",
                    "Target.FailedHealthChecks": "Health checks failed",
                    "Target.NotInUse": "Target group is not configured to receive traffic "
                    "from the load balancer",
                }.get(reason, reason)
            inst = self.find("Instances", "InstanceId", t)
            descs.append(
                {
                    "Target": {
                        "Id": t,
                        "Port": port,
                        "AvailabilityZone": inst["Placement"]["AvailabilityZone"],
                    },
                    "HealthCheckPort": str(port),
                    "TargetHealth": th,
                }
            )
        self.health[arn] = descs
        return arn

    def listener(
        self,
        lb_arn: str,
        port: int,
        protocol: str,
        tg_arn: str | None = None,
        redirect_https: bool = False,
    ) -> str:
        h = hashlib.sha1(f"{self.seed}:l:{lb_arn}:{port}".encode()).hexdigest()[:16]
        arn = lb_arn.replace(":loadbalancer/", ":listener/") + f"/{h}"
        if redirect_https:
            actions = [
                {
                    "Type": "redirect",
                    "Order": 1,
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "StatusCode": "HTTP_301",
                    },
                }
            ]
        else:
            actions = [{"Type": "forward", "Order": 1, "TargetGroupArn": tg_arn}]
        self.data["Listeners"].append(
            {
                "ListenerArn": arn,
                "LoadBalancerArn": lb_arn,
                "Port": port,
                "Protocol": protocol,
                "DefaultActions": actions,
            }
        )
        return arn

    # -- output ------------------------------------------------------------------------
    def cli_files(self) -> dict[str, Any]:
        """The scenario as AWS CLI output files: file name -> JSON data."""
        files: dict[str, Any] = {}
        names = {
            "Vpcs": "vpcs",
            "Subnets": "subnets",
            "RouteTables": "route-tables",
            "InternetGateways": "internet-gateways",
            "EgressOnlyInternetGateways": "egress-only-internet-gateways",
            "NatGateways": "nat-gateways",
            "Addresses": "addresses",
            "VpcEndpoints": "vpc-endpoints",
            "VpcPeeringConnections": "vpc-peering-connections",
            "TransitGatewayAttachments": "transit-gateway-attachments",
            "NetworkInterfaces": "network-interfaces",
            "SecurityGroups": "security-groups",
            "NetworkAcls": "network-acls",
            "LoadBalancers": "load-balancers",
            "TargetGroups": "target-groups",
            "FlowLogs": "flow-logs",
        }
        for coll, stem in names.items():
            files[f"{stem}.json"] = {coll: self.data[coll]}
        files["instances.json"] = {
            "Reservations": [
                {
                    "ReservationId": f"r-{i['InstanceId'][2:]}",
                    "OwnerId": self.account,
                    "Instances": [i],
                }
                for i in self.data["Instances"]
            ]
        }
        by_lb: dict[str, list] = {}
        for lis in self.data["Listeners"]:
            by_lb.setdefault(lis["LoadBalancerArn"], []).append(lis)
        for lb in self.data["LoadBalancers"]:
            files[f"listeners-{lb['LoadBalancerName']}.json"] = {
                "Listeners": by_lb.get(lb["LoadBalancerArn"], [])
            }
        for tg in self.data["TargetGroups"]:
            files[f"target-health-{tg['TargetGroupName']}.json"] = {
                "TargetHealthDescriptions": self.health.get(tg["TargetGroupArn"], [])
            }
        files.update(self._network_files())
        for vid, attrs in self.dns.items():
            files[f"vpc-attr-dns-support-{vid}.json"] = {
                "VpcId": vid,
                "EnableDnsSupport": {"Value": attrs["EnableDnsSupport"]},
            }
            files[f"vpc-attr-dns-hostnames-{vid}.json"] = {
                "VpcId": vid,
                "EnableDnsHostnames": {"Value": attrs["EnableDnsHostnames"]},
            }
        return files

    def _network_files(self) -> dict[str, Any]:
        """Transit gateways, prefix lists and VPN as their AWS CLI outputs (one file per TGW
        route table or prefix list for the per-item APIs, naming its item)."""
        ex = self.__dict__.get("extra") or {}
        files: dict[str, Any] = {}
        for coll, stem, key in (
            ("TransitGateways", "transit-gateways", "TransitGateways"),
            ("TransitGatewayVpcAttachments", "transit-gateway-vpc-attachments", None),
            ("TransitGatewayPeeringAttachments", "transit-gateway-peering-attachments", None),
            ("TransitGatewayRouteTables", "transit-gateway-route-tables", None),
            ("ManagedPrefixLists", "managed-prefix-lists", "PrefixLists"),
            ("PrefixLists", "prefix-lists", "PrefixLists"),
            ("VpnConnections", "vpn-connections", None),
            ("VpnGateways", "vpn-gateways", None),
        ):
            files[f"{stem}.json"] = {key or coll: ex.get(coll, [])}
        for coll, stem, key, carry in (
            ("TransitGatewayRoutes", "tgw-routes", "Routes", "TransitGatewayRouteTableId"),
            (
                "TransitGatewayRouteTableAssociations",
                "tgw-associations",
                "Associations",
                "TransitGatewayRouteTableId",
            ),
            (
                "TransitGatewayRouteTablePropagations",
                "tgw-propagations",
                "TransitGatewayRouteTablePropagations",
                "TransitGatewayRouteTableId",
            ),
            ("PrefixListEntries", "prefix-list-entries", "Entries", "PrefixListId"),
        ):
            for item, rows in ex.get(coll, {}).items():
                files[f"{stem}-{item}.json"] = {key: rows, carry: item}
        return files

    def snapshot(self) -> Snapshot:
        """The scenario as a snapshot, through the same loader customers' files use."""
        from assistant.sources.files import snapshot_from_outputs

        return snapshot_from_outputs(
            self.cli_files(),
            account_id=self.account,
            region=self.region,
            source=f"builder:{self.seed}",
        )


def classic(
    b: Builder,
    azs: str = "ab",
    name: str = "shop",
    nat_per_az: bool = True,
    app_per_az: int = 2,
    cidr: str = "10.0.0.0/16",
    data_tier: bool = False,
) -> dict[str, Any]:
    """The reference architecture, built right: ALB in public subnets, app servers in private
    subnets, a NAT gateway per AZ (or one shared), an S3 gateway endpoint, flow logs."""
    net = ipaddress.ip_network(cidr)
    blocks = list(net.subnets(new_prefix=max(net.prefixlen + 4, 20)))
    vpc = b.vpc(cidr, name=f"{name}-vpc")
    igw = b.igw(vpc, name=f"{name}-igw")
    pub_rt = b.route_table(vpc, name=f"{name}-public-rt")
    b.route(pub_rt, "0.0.0.0/0", igw)
    alb_sg = b.security_group(
        vpc,
        f"{name}-alb-sg",
        "ALB: HTTPS and HTTP from the internet",
        ingress=[b.perm(443, "0.0.0.0/0"), b.perm(80, "0.0.0.0/0")],
    )
    app_sg = b.security_group(
        vpc,
        f"{name}-app-sg",
        "App servers: 8080 from the ALB only",
        ingress=[b.perm(8080, group=alb_sg)],
    )
    out: dict[str, Any] = {
        "vpc": vpc,
        "igw": igw,
        "public_rt": pub_rt,
        "alb_sg": alb_sg,
        "app_sg": app_sg,
        "public": [],
        "private": [],
        "private_rt": [],
        "nat": [],
        "apps": [],
        "data": [],
        "data_rt": None,
    }
    i = 0
    shared_nat = None
    for az in azs:
        pub = b.subnet(vpc, str(blocks[i]), az, name=f"{name}-public-{az}", map_public_ip=True)
        i += 1
        b.associate(pub_rt, pub)
        out["public"].append(pub)
        if nat_per_az or shared_nat is None:
            nat = b.nat(pub, name=f"{name}-nat-{az}")
            out["nat"].append(nat)
            shared_nat = shared_nat or nat
        else:
            nat = shared_nat
        prv = b.subnet(vpc, str(blocks[i]), az, name=f"{name}-private-app-{az}")
        i += 1
        rt = b.route_table(vpc, name=f"{name}-private-rt-{az}")
        b.route(rt, "0.0.0.0/0", nat)
        b.associate(rt, prv)
        out["private"].append(prv)
        out["private_rt"].append(rt)
        for k in range(app_per_az):
            out["apps"].append(
                b.instance(prv, [app_sg], name=f"{name}-app-{az}{k + 1}", Role="app")
            )
    if data_tier:
        db_sg = b.security_group(
            vpc,
            f"{name}-db-sg",
            "Database: 5432 from the app servers",
            ingress=[b.perm(5432, group=app_sg)],
        )
        drt = b.route_table(vpc, name=f"{name}-data-rt")
        out["data_rt"] = drt
        for az in azs:
            d = b.subnet(vpc, str(blocks[i]), az, name=f"{name}-data-{az}")
            i += 1
            b.associate(drt, d)
            out["data"].append(d)
        out["db_sg"] = db_sg
    b.endpoint(vpc, "s3", out["private_rt"])
    b.flow_log(vpc)
    lb = b.load_balancer(f"{name}-alb", out["public"], [alb_sg])
    tg = b.target_group(f"{name}-app-tg", vpc, 8080, out["apps"], lb_arn=lb)
    b.listener(lb, 443, "HTTPS", tg)
    b.listener(lb, 80, "HTTP", redirect_https=True)
    out["lb"], out["tg"] = lb, tg
    return out


def hub_and_spoke(
    b: Builder, spokes: int = 2, azs: str = "ab", name: str = "corp"
) -> dict[str, Any]:
    """Hub-and-spoke with centralised egress, built right: spoke subnets send 0.0.0.0/0 to a
    transit gateway; the spokes' TGW table sends it to the egress VPC, whose attachment subnets
    route to a NAT gateway per AZ in public subnets that route the spokes back to the TGW. Spokes
    propagate into both TGW tables, so they also reach each other."""
    tgw = b.transit_gateway(name=f"{name}-tgw")
    spoke_rt = b.tgw_route_table(tgw, name=f"{name}-spokes")
    egress_rt = b.tgw_route_table(tgw, name=f"{name}-egress")
    egress = b.vpc("10.0.0.0/16", name=f"{name}-egress-vpc")
    igw = b.igw(egress, name=f"{name}-egress-igw")
    pub_rt = b.route_table(egress, name=f"{name}-egress-public-rt")
    b.route(pub_rt, "0.0.0.0/0", igw)
    b.route(pub_rt, "10.0.0.0/8", tgw)
    out: dict[str, Any] = {
        "tgw": tgw,
        "spoke_tgw_rt": spoke_rt,
        "egress_tgw_rt": egress_rt,
        "egress_vpc": egress,
        "igw": igw,
        "egress_public_rt": pub_rt,
        "nat": [],
        "egress_att_rt": [],
        "spokes": [],
    }
    att_subnets = []
    for i, az in enumerate(azs):
        pub = b.subnet(egress, f"10.0.{i}.0/24", az, name=f"{name}-egress-public-{az}")
        b.associate(pub_rt, pub)
        nat = b.nat(pub, name=f"{name}-egress-nat-{az}")
        out["nat"].append(nat)
        tsub = b.subnet(egress, f"10.0.{100 + i}.0/28", az, name=f"{name}-egress-tgw-{az}")
        trt = b.route_table(egress, name=f"{name}-egress-tgw-rt-{az}")
        b.route(trt, "0.0.0.0/0", nat)
        b.associate(trt, tsub)
        out["egress_att_rt"].append(trt)
        att_subnets.append(tsub)
    egress_att = b.tgw_attach(tgw, egress, att_subnets, table=egress_rt)
    out["egress_att"] = egress_att
    b.tgw_route(spoke_rt, "0.0.0.0/0", egress_att)
    for k in range(1, spokes + 1):
        vpc = b.vpc(f"10.{k}.0.0/16", name=f"{name}-spoke{k}-vpc")
        sg = b.security_group(
            vpc,
            f"{name}-spoke{k}-app-sg",
            "App: HTTPS from the corporate network",
            ingress=[b.perm(443, "10.0.0.0/8")],
        )
        rt = b.route_table(vpc, name=f"{name}-spoke{k}-private-rt")
        b.route(rt, "0.0.0.0/0", tgw)
        spoke: dict[str, Any] = {"vpc": vpc, "rt": rt, "sg": sg, "private": [], "apps": []}
        tsubs = []
        for i, az in enumerate(azs):
            prv = b.subnet(vpc, f"10.{k}.{i}.0/24", az, name=f"{name}-spoke{k}-private-{az}")
            b.associate(rt, prv)
            spoke["private"].append(prv)
            spoke["apps"].append(b.instance(prv, [sg], name=f"{name}-spoke{k}-app-{az}"))
            tsubs.append(
                b.subnet(vpc, f"10.{k}.{100 + i}.0/28", az, name=f"{name}-spoke{k}-tgw-{az}")
            )
        spoke["att"] = b.tgw_attach(
            tgw, vpc, tsubs, table=spoke_rt, propagate_to=[spoke_rt, egress_rt]
        )
        spoke["tgw_subnets"] = tsubs
        out["spokes"].append(spoke)
    return out
