"""Turn what the user typed (`i-...`, a Name tag, `eni-...`, `internet`, a load balancer name
or ARN, an IP address) into an endpoint of the snapshot."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from assistant.errors import UserError
from assistant.models.snapshot import Instance, LoadBalancer, NetworkInterface, Snapshot
from assistant.trace.model import EndpointInfo

INTERNET, INSTANCE, ENI, ADDRESS, LB = "internet", "instance", "eni", "address", "load-balancer"
NAT = "nat-gateway"
_LOOKS_LIKE_IP = re.compile(r"^[0-9.]+(/[0-9]*)?$|^[0-9a-fA-F:]*:[0-9a-fA-F:./]*$")


@dataclass
class Endpoint:
    """One end of a trace. ``group_ids`` is None when its security groups cannot be known."""

    kind: str
    id: str
    label: str
    vpc_id: str | None = None
    subnet_id: str | None = None
    ip: str | None = None  # private IPv4 address, or a specific internet address
    public_ips: list[str] = field(default_factory=list)
    group_ids: list[str] | None = None
    state: str | None = None  # instance state
    lb: LoadBalancer | None = None
    by_public_ip: str | None = None  # the public address the user gave for it

    @property
    def outside(self) -> bool:
        """Whether this end is on the internet (outside every VPC of the snapshot)."""
        return self.kind == INTERNET

    @property
    def peer(self) -> str:
        """The address (or CIDR) the other end's ACLs and groups see."""
        return self.ip or "0.0.0.0/0"

    def info(self) -> EndpointInfo:
        return EndpointInfo(
            kind=self.kind,
            id=self.id,
            label=self.label,
            vpc_id=self.vpc_id,
            subnet_id=self.subnet_id,
            private_ip=None if self.outside else self.ip,
            public_ips=list(self.public_ips),
        )


class Resolver:
    """Indexes the snapshot once so that each lookup is a dictionary read."""

    def __init__(self, snapshot: Snapshot, instances: dict[str, Instance] | None = None):
        """``instances``: the snapshot's instances by id, when already indexed (a topology's)."""
        self.snapshot = snapshot
        self.instances = (
            instances if instances is not None else {i.InstanceId: i for i in snapshot.Instances}
        )
        self.enis = {e.NetworkInterfaceId: e for e in snapshot.NetworkInterfaces}
        self.by_name: dict[str, list[Instance]] = {}
        for i in snapshot.Instances:
            if i.name and i.State.Name != "terminated":
                self.by_name.setdefault(i.name, []).append(i)
        self.by_ip: dict[str, str] = {}  # private IP -> instance id or ENI id
        for e in snapshot.NetworkInterfaces:
            if e.PrivateIpAddress:
                owner = e.Attachment.InstanceId if e.Attachment else None
                self.by_ip[e.PrivateIpAddress] = owner or e.NetworkInterfaceId
        for i in snapshot.Instances:
            if i.PrivateIpAddress and i.State.Name != "terminated":
                self.by_ip[i.PrivateIpAddress] = i.InstanceId
        self.eip_by_owner: dict[str, list[str]] = {}
        for a in snapshot.Addresses:
            if a.PublicIp:
                for owner in (a.InstanceId, a.NetworkInterfaceId):
                    if owner:
                        self.eip_by_owner.setdefault(owner, []).append(a.PublicIp)
        # public IP -> what answers on it: an instance, an interface, or a NAT gateway
        self.by_public_ip: dict[str, str] = {}
        for n in snapshot.NatGateways:
            for na in n.NatGatewayAddresses:
                if na.PublicIp:
                    self.by_public_ip[na.PublicIp] = n.NatGatewayId
        self.nats = {n.NatGatewayId: n for n in snapshot.NatGateways}
        for e in snapshot.NetworkInterfaces:
            if e.Association and e.Association.PublicIp:
                owner = e.Attachment.InstanceId if e.Attachment else None
                self.by_public_ip.setdefault(e.Association.PublicIp, owner or e.NetworkInterfaceId)
        for a in snapshot.Addresses:
            if a.PublicIp and (a.InstanceId or a.NetworkInterfaceId):
                self.by_public_ip.setdefault(a.PublicIp, a.InstanceId or a.NetworkInterfaceId or "")
        for i in snapshot.Instances:
            if i.PublicIpAddress and i.State.Name != "terminated":
                self.by_public_ip.setdefault(i.PublicIpAddress, i.InstanceId)
        self.lbs: dict[str, LoadBalancer] = {}
        for lb in snapshot.LoadBalancers:
            self.lbs[lb.LoadBalancerArn] = lb
            self.lbs.setdefault(lb.LoadBalancerName, lb)
        nets = []
        for s in snapshot.Subnets:
            try:
                nets.append((ipaddress.ip_network(s.CidrBlock), s))
            except ValueError:
                continue
        self.subnet_nets = sorted(nets, key=lambda x: -x[0].prefixlen)
        self.vpc_nets = []
        for v in snapshot.Vpcs:
            for c in v.cidrs():
                try:
                    self.vpc_nets.append((ipaddress.ip_network(c), v.VpcId))
                except ValueError:
                    continue

    # -- lookups ------------------------------------------------------------------------
    def resolve(self, text: str) -> Endpoint:
        """The endpoint for ``text``; UserError when nothing in the snapshot matches."""
        t = text.strip()
        if not t:
            raise UserError(
                "empty endpoint: give an instance id or Name tag, an ENI id, "
                "'internet', a load balancer name or ARN, or an IP address"
            )
        if t.lower() == "internet":
            return Endpoint(INTERNET, "internet", "the internet")
        if t.startswith("i-"):
            inst = self.instances.get(t)
            if inst is None:
                raise UserError(f"instance {t} is not in the snapshot")
            return self.instance(inst)
        if t.startswith("eni-"):
            eni = self.enis.get(t)
            if eni is None:
                raise UserError(f"network interface {t} is not in the snapshot")
            return self.eni(eni)
        if t.startswith("arn:"):
            lb = self.lbs.get(t)
            if lb is None:
                raise UserError(f"load balancer {t} is not in the snapshot")
            return self.load_balancer(lb)
        try:
            addr = ipaddress.ip_address(t)
        except ValueError:
            addr = None
        if addr is not None:
            return self.address(str(addr))
        if _LOOKS_LIKE_IP.match(t):
            raise UserError(
                f"{t!r} is not an IP address: give one IPv4 address such as 10.0.1.25 (not a range)"
            )
        if t in self.lbs:
            return self.load_balancer(self.lbs[t])
        named = self.by_name.get(t, [])
        if len(named) == 1:
            return self.instance(named[0])
        if len(named) > 1:
            ids = ", ".join(i.InstanceId for i in named)
            raise UserError(f"{len(named)} instances are named {t!r} ({ids}): use the instance id")
        raise UserError(
            f"{t!r} is not in the snapshot: give an instance id or Name tag, an ENI id, "
            "'internet', a load balancer name or ARN, or an IP address"
        )

    def _public_ips(self, *owners: str | None, base: list[str] | None = None) -> list[str]:
        out = list(base or [])
        for o in owners:
            if o:
                out += self.eip_by_owner.get(o, [])
        return list(dict.fromkeys(out))

    def instance(self, inst: Instance) -> Endpoint:
        primary = None
        for e in inst.NetworkInterfaces:
            if e.Attachment is None or e.Attachment.DeviceIndex in (0, None):
                primary = e
                break
        eni_id = primary.NetworkInterfaceId if primary else None
        label = f"{inst.InstanceId} ({inst.name})" if inst.name else inst.InstanceId
        groups = inst.group_ids if (inst.SecurityGroups or inst.NetworkInterfaces) else None
        return Endpoint(
            INSTANCE,
            inst.InstanceId,
            label,
            vpc_id=inst.VpcId,
            subnet_id=inst.SubnetId,
            ip=inst.PrivateIpAddress,
            public_ips=self._public_ips(inst.InstanceId, eni_id, base=inst.public_ips),
            group_ids=groups,
            state=inst.State.Name,
        )

    def eni(self, eni: NetworkInterface) -> Endpoint:
        owner = eni.Attachment.InstanceId if eni.Attachment else None
        if owner and owner in self.instances:
            ep = self.instance(self.instances[owner])
            if (eni.SubnetId, eni.PrivateIpAddress) != (ep.subnet_id, ep.ip):
                ep = Endpoint(
                    ENI,
                    eni.NetworkInterfaceId,
                    f"{eni.NetworkInterfaceId} (of {ep.label})",
                    vpc_id=eni.VpcId,
                    subnet_id=eni.SubnetId,
                    ip=eni.PrivateIpAddress,
                    public_ips=self._public_ips(
                        eni.NetworkInterfaceId, base=[eni.public_ip] if eni.public_ip else []
                    ),
                    group_ids=[g.GroupId for g in eni.Groups if g.GroupId],
                    state=ep.state,
                )
            return ep
        desc = eni.Description or eni.InterfaceType or ""
        return Endpoint(
            ENI,
            eni.NetworkInterfaceId,
            f"{eni.NetworkInterfaceId} ({desc})" if desc else eni.NetworkInterfaceId,
            vpc_id=eni.VpcId,
            subnet_id=eni.SubnetId,
            ip=eni.PrivateIpAddress,
            public_ips=self._public_ips(
                eni.NetworkInterfaceId, base=[eni.public_ip] if eni.public_ip else []
            ),
            group_ids=[g.GroupId for g in eni.Groups if g.GroupId],
        )

    def address(self, ip: str) -> Endpoint:
        public = self.by_public_ip.get(ip)
        if public is not None:
            return self._public(ip, public)
        owner = self.by_ip.get(ip)
        if owner in self.instances:
            return self.instance(self.instances[owner])
        if owner in self.enis:
            return self.eni(self.enis[owner])
        addr = ipaddress.ip_address(ip)
        if addr.version != 4:
            raise UserError(f"{ip}: only IPv4 addresses can be traced")
        for net, sub in self.subnet_nets:
            if addr in net:
                return Endpoint(
                    ADDRESS,
                    ip,
                    f"{ip} (no network interface in the snapshot)",
                    vpc_id=sub.VpcId,
                    subnet_id=sub.SubnetId,
                    ip=ip,
                )
        for net, vpc_id in self.vpc_nets:
            if addr in net:
                return Endpoint(
                    ADDRESS, ip, f"{ip} (in {vpc_id}, but in no subnet)", vpc_id=vpc_id, ip=ip
                )
        return Endpoint(INTERNET, ip, f"{ip} (outside the VPCs of the snapshot)", ip=ip)

    def _public(self, ip: str, owner: str) -> Endpoint:
        """What a public or Elastic IP of the snapshot stands for."""
        if owner in self.nats:
            nat = self.nats[owner]
            return Endpoint(
                NAT,
                owner,
                f"{owner} (NAT gateway, public IP {ip})",
                vpc_id=nat.VpcId,
                subnet_id=nat.SubnetId,
                public_ips=[ip],
                by_public_ip=ip,
            )
        eni = self.enis.get(owner)
        if eni is not None and eni.InterfaceType == "nat_gateway":
            nat_id = next(
                (n for n, x in self.nats.items() if x.SubnetId == eni.SubnetId),
                eni.NetworkInterfaceId,
            )
            return Endpoint(
                NAT,
                nat_id,
                f"{nat_id} (NAT gateway, public IP {ip})",
                vpc_id=eni.VpcId,
                subnet_id=eni.SubnetId,
                public_ips=[ip],
                by_public_ip=ip,
            )
        if eni is not None and (eni.Description or "").startswith("ELB "):
            name = (eni.Description or "").split("/")
            if len(name) >= 2 and name[1] in self.lbs:
                ep = self.load_balancer(self.lbs[name[1]])
                ep.by_public_ip = ip
                return ep
        if owner in self.instances:
            ep = self.instance(self.instances[owner])
        elif eni is not None:
            ep = self.eni(eni)
        else:
            return Endpoint(INTERNET, ip, f"{ip} (outside the VPCs of the snapshot)", ip=ip)
        ep.by_public_ip = ip
        ep.label += f" by its public IP {ip}"
        return ep

    def load_balancer(self, lb: LoadBalancer) -> Endpoint:
        return Endpoint(
            LB,
            lb.LoadBalancerArn,
            f"{lb.LoadBalancerName} ({lb.Type} load balancer, {lb.Scheme})",
            vpc_id=lb.VpcId,
            group_ids=list(lb.SecurityGroups),
            lb=lb,
        )
