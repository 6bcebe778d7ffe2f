"""Indexes over a snapshot and the one place that decides a subnet's role.

A subnet is *public* when its effective route table sends 0.0.0.0/0 or ::/0 to an internet
gateway attached to the subnet's own VPC; *private* when its default route goes somewhere
else that can carry traffic out (NAT gateway, NAT instance, transit gateway, firewall,
peering, VPN); *isolated* when it has no default route; *unknown* when its route table is not
in the input. The effective route table is the explicit association, else the main route
table **of the same VPC**.

Missing is unknown, never gone: an internet gateway absent from the input (a filtered or
partial describe-internet-gateways) is taken at the route's word (AWS marks a route to a
deleted or detached gateway ``blackhole``), so the subnet stays public; only a gateway present
in the input and attached elsewhere makes the route dead. ``public_v4`` says whether the IPv4
default route alone reaches the internet gateway (what a public NAT gateway needs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from assistant.models.snapshot import (
    Instance,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    Route,
    RouteTable,
    SecurityGroup,
    Snapshot,
    Subnet,
    Vpc,
)

PUBLIC, PRIVATE, ISOLATED, UNKNOWN = "public", "private", "isolated", "unknown"
DEFAULT_V4, DEFAULT_V6 = "0.0.0.0/0", "::/0"

_PREFIX_KIND = (
    ("igw-", "igw"),
    ("eigw-", "eigw"),
    ("nat-", "nat"),
    ("tgw-", "tgw"),
    ("pcx-", "pcx"),
    ("vgw-", "vgw"),
    ("vpce-", "vpce"),
    ("eni-", "eni"),
    ("i-", "instance"),
    ("lgw-", "lgw"),
    ("cagw-", "cagw"),
    ("local", "local"),
)

# Intent is read from whole words of names and tags ("happy", "mapping" and "ledger" say
# nothing): a name is split at non-letters, between letters and digits, and at camelCase.
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_ISOLATED_WORDS = frozenset({"isolated", "intra"})
_DATA_WORDS = frozenset({"data", "db", "database", "rds", "cache", "storage"})
_PRIVATE_WORDS = frozenset({"private", "priv", "internal"})
_APP_WORDS = frozenset({"app", "backend", "worker", "compute"})
_PUBLIC_WORDS = frozenset({"public", "pub", "dmz", "edge", "ingress"})
_BACKEND_WORDS = frozenset(
    {"app", "backend", "api", "db", "database", "worker", "internal", "private", "mysql"}
    | {"postgres"}
)
_ALL_WORDS = _ISOLATED_WORDS | _DATA_WORDS | _PRIVATE_WORDS | _APP_WORDS | _PUBLIC_WORDS


def words(text: str) -> list[str]:
    """The lower-case words of a name: ``shop-PublicApp_a1`` -> shop, public, app, a, 1."""
    return [w.lower() for w in _WORD.findall(text or "")]


_INTENT_TAGS = (
    "Name",
    "Tier",
    "tier",
    "Role",
    "role",
    "Type",
    "type",
    "kubernetes.io/role/internal-elb",
)
_INTENT_TAG_SET = frozenset(_INTENT_TAGS)


_KINDS: dict[str, str] = {}  # target id -> its kind, as classified so far


def target_kind(target: str) -> str:
    """Classify a route target id: igw, eigw, nat, tgw, pcx, vgw, vpce, eni, instance, local."""
    kind = _KINDS.get(target)
    if kind is None:
        kind = next((k for prefix, k in _PREFIX_KIND if target.startswith(prefix)), None)
        kind = kind or ("other" if target else "none")
        if len(_KINDS) < 200_000:  # a region's targets, within bounds for a long session
            _KINDS[target] = kind
    return kind


def intent_of(tagged_text: str) -> str:
    """What a name or tag says a subnet is meant to be: isolated, private, public or ''.

    Whole words only. An explicit word wins over a tier word: isolated/intra, then
    private/internal, then public/dmz/edge, then data words (db, rds, ...: isolated), then
    app words (app, backend, worker: private), so ``shop-public-app-a`` is public.
    """
    found = set(words(tagged_text))
    if found & _ISOLATED_WORDS:
        return ISOLATED
    if found & _PRIVATE_WORDS:
        return PRIVATE
    if found & _PUBLIC_WORDS:
        return PUBLIC
    if found & _DATA_WORDS:
        return ISOLATED
    if found & _APP_WORDS:
        return PRIVATE
    return ""


def intent_words(text: str) -> list[str]:
    """The words in a name that carry intent (private, public, app, db, ...), in order.

    Redaction keeps exactly these, so a pseudonymised name reads as the original did.
    """
    return list(dict.fromkeys(w for w in words(text) if w in _ALL_WORDS | _BACKEND_WORDS))


def says_public(tagged_text: str) -> bool:
    """Whether a name or tag text also uses a public word (e.g. 'public-app')."""
    return bool(set(words(tagged_text)) & _PUBLIC_WORDS)


def tag_text(resource) -> str:
    """The tag values (and keys of role-like tags) that carry intent, as one string."""
    parts = []
    for t in getattr(resource, "Tags", []) or []:
        key = t.Key
        if key in _INTENT_TAG_SET:
            parts.append(t.Value)
        if key.startswith("kubernetes.io/role/"):
            parts.append("private" if "internal" in key else "public")
        elif key == "vpc-helper:intent":
            parts.append(t.Value)
    return " ".join(parts)


@lru_cache(maxsize=8192)
def _backend_text(text: str) -> bool:
    return bool(set(words(text)) & _BACKEND_WORDS)


def looks_backend(resource) -> bool:
    """Whether an instance's tags say it is an app, database or other backend."""
    return _backend_text(tag_text(resource))


@dataclass
class SubnetView:
    """A subnet with its routing decided."""

    subnet: Subnet
    role: str
    route_table: RouteTable | None
    explicit: bool
    default_route: Route | None
    default_route_v6: Route | None
    intent: str
    igw_attached: bool | None = None  # for a default route to an igw: attached to this VPC?
    public_v4: bool = False  # the IPv4 default route goes to a working internet gateway

    @property
    def subnet_id(self) -> str:
        return self.subnet.SubnetId

    @property
    def default_target(self) -> str:
        return self.default_route.target if self.default_route else ""

    @property
    def role_v4(self) -> str:
        """The role for IPv4 alone: public only through 0.0.0.0/0 to a working internet
        gateway (what a public NAT gateway needs; ``::/0`` to the gateway does not count)."""
        if self.route_table is None:
            return UNKNOWN
        if self.public_v4:
            return PUBLIC
        kind = target_kind(self.default_target)
        return ISOLATED if kind in ("igw", "eigw", "local", "none") else PRIVATE


class InstanceDigest(NamedTuple):
    """What the facts ask of an instance, decided in the one pass over the instances."""

    inst: Instance
    running: bool  # its state is running
    public: bool  # it has a public IPv4 (``Instance.public_ips`` is not empty)
    ipv6: bool  # it has IPv6 addresses (``Instance.ipv6_addresses`` is not empty)
    groups: list[str]  # ``Instance.group_ids``
    subnet_id: str | None


_digest = tuple.__new__  # InstanceDigest from a tuple, without the Python-level __new__


class _InstanceIndex:
    """The per-instance indexes of a topology: one pass over the instances reads what every
    index needs (a large region holds hundreds of thousands: each pass costs more than the
    work in it), and the indexes grouped otherwise are made from its digests when asked for."""

    def __init__(self, instances: list[Instance]):
        self.live: list[InstanceDigest] = []  # all but terminated ones, in snapshot order
        self.groups_of: dict[str, list[str]] = {}
        self.by_id: dict[str, Instance] = {}
        # the subnets terminated instances name (with ``digests``': every subnet named)
        self.subnets_of_terminated: set[str] = set()
        live, groups_of, by_id = self.live, self.groups_of, self.by_id
        # Equal group references are one shared record in a large snapshot (see
        # models.compact): the ids are read once per distinct combination of them.
        gids_of: dict[tuple[int, ...], list[str]] = {}
        for i in instances:
            # Whether public_ips and ipv6_addresses are empty, and which group records name its
            # groups, in one walk of its interfaces
            nis = i.NetworkInterfaces
            refs = [id(g) for g in i.SecurityGroups]
            public = bool(i.PublicIpAddress)
            v6 = bool(i.Ipv6Address)
            for e in nis:
                refs += [id(g) for g in e.Groups]
                if not public and e.public_ip:
                    public = True
                if not v6 and e.Ipv6Addresses:
                    v6 = True
            key = tuple(refs)
            gids = gids_of.get(key)
            if gids is None:
                gids = gids_of[key] = i.group_ids
            iid = i.InstanceId
            groups_of[iid] = gids
            by_id[iid] = i
            state = i.State.Name
            if state == "terminated":
                if i.SubnetId:
                    self.subnets_of_terminated.add(i.SubnetId)
                continue
            live.append(
                _digest(InstanceDigest, (i, state == "running", public, v6, gids, i.SubnetId))
            )

    @cached_property
    def digests(self) -> dict[str, list[InstanceDigest]]:
        out: dict[str, list[InstanceDigest]] = {}
        for d in self.live:
            sid = d.subnet_id
            if sid:
                if sid in out:
                    out[sid].append(d)
                else:
                    out[sid] = [d]
        return out

    @cached_property
    def by_subnet(self) -> dict[str, list[Instance]]:
        return {sid: [d.inst for d in ds] for sid, ds in self.digests.items()}

    @cached_property
    def by_group(self) -> dict[str, list[Instance]]:
        out: dict[str, list[Instance]] = {}
        for d in self.live:
            for g in d.groups:
                if g in out:
                    out[g].append(d.inst)
                else:
                    out[g] = [d.inst]
        return out


@dataclass
class Topology:
    """Indexes over one snapshot, built once and shared by facts, trace and renderers."""

    snapshot: Snapshot
    vpcs: dict[str, Vpc] = field(init=False)
    subnets: dict[str, Subnet] = field(init=False)
    route_tables: dict[str, RouteTable] = field(init=False)
    igws: dict[str, InternetGateway] = field(init=False)
    nats: dict[str, NatGateway] = field(init=False)
    sgs: dict[str, SecurityGroup] = field(init=False)

    def __post_init__(self) -> None:
        s = self.snapshot
        self.vpcs = {v.VpcId: v for v in s.Vpcs}
        self.subnets = {x.SubnetId: x for x in s.Subnets}
        self.route_tables = {r.RouteTableId: r for r in s.RouteTables}
        self.igws = {g.InternetGatewayId: g for g in s.InternetGateways}
        self.nats = {n.NatGatewayId: n for n in s.NatGateways}
        self.sgs = {g.GroupId: g for g in s.SecurityGroups}
        self._explicit: dict[str, RouteTable] = {}
        self._main: dict[str, RouteTable] = {}
        for rt in s.RouteTables:
            for a in rt.Associations:
                if not a.active:
                    continue
                if a.Main:
                    self._main.setdefault(rt.VpcId, rt)
                elif a.SubnetId:
                    self._explicit[a.SubnetId] = rt

    @property
    def instances(self) -> dict[str, Instance]:
        """Instance id -> instance (the instance index's when it is built; a trace may need
        this map alone)."""
        ix = self.__dict__.get("_instance_index")
        return ix.by_id if ix is not None else self._instances_by_id

    @cached_property
    def _instances_by_id(self) -> dict[str, Instance]:
        return {i.InstanceId: i for i in self.snapshot.Instances}

    # -- routing -----------------------------------------------------------------------
    def effective_route_table(self, subnet: Subnet) -> tuple[RouteTable | None, bool]:
        """(route table, explicit?) for a subnet: its association, else its VPC's main table."""
        rt = self._explicit.get(subnet.SubnetId)
        if rt is not None:
            return rt, True
        return self._main.get(subnet.VpcId), False

    def igw_attached(self, igw_id: str, vpc_id: str) -> bool | None:
        """Whether an internet gateway is attached to a VPC; None when not in the snapshot."""
        igw = self.igws.get(igw_id)
        if igw is None:
            return None  # absent from the input (not read, or filtered out): unknown
        return igw.attached_to(vpc_id)

    @cached_property
    def views(self) -> dict[str, SubnetView]:
        return {sid: self._view(sub) for sid, sub in self.subnets.items()}

    def view(self, subnet_id: str) -> SubnetView | None:
        return self.views.get(subnet_id)

    def role(self, subnet_id: str) -> str:
        v = self.views.get(subnet_id)
        return v.role if v else UNKNOWN

    def role_v4(self, subnet_id: str) -> str:
        """A subnet's IPv4 role (see ``SubnetView.role_v4``); unknown when not in the input."""
        v = self.views.get(subnet_id)
        return v.role_v4 if v else UNKNOWN

    def _view(self, subnet: Subnet) -> SubnetView:
        rt, explicit = self.effective_route_table(subnet)
        intent = intent_of(subnet.name + " " + tag_text(subnet))
        if rt is None:
            return SubnetView(subnet, UNKNOWN, None, False, None, None, intent)
        d4 = d6 = None
        for r in rt.Routes:
            if r.DestinationCidrBlock == DEFAULT_V4:
                d4 = r
            elif r.DestinationIpv6CidrBlock == DEFAULT_V6:
                d6 = r
        role, attached, public_v4 = ISOLATED, None, False
        for r in (d4, d6):
            if r is None:
                continue
            kind = target_kind(r.target)
            if kind == "igw":
                attached = self.igw_attached(r.target, subnet.VpcId)
                # A gateway absent from the input is taken at the route's word (AWS marks a
                # route to a deleted or detached gateway blackhole): missing is not gone.
                if attached is not False and r.State != "blackhole":
                    role = PUBLIC
                    public_v4 = r is d4
                    break
            if r is d4 and kind not in ("igw", "eigw", "local", "none") and role == ISOLATED:
                role = PRIVATE
        return SubnetView(subnet, role, rt, explicit, d4, d6, intent, attached, public_v4)

    # -- lookups ------------------------------------------------------------------------
    @cached_property
    def _users(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for sid, v in self.views.items():
            if v.route_table is not None:
                out.setdefault(v.route_table.RouteTableId, []).append(sid)
        return out

    @cached_property
    def views_by_vpc(self) -> dict[str, list[SubnetView]]:
        """Subnet views grouped by VPC, in snapshot order."""
        out: dict[str, list[SubnetView]] = {}
        for v in self.views.values():
            out.setdefault(v.subnet.VpcId, []).append(v)
        return out

    def subnets_using(self, rt_id: str) -> list[str]:
        """Subnets whose effective route table is ``rt_id``."""
        return list(self._users.get(rt_id, []))

    @cached_property
    def lb_targets(self) -> dict[str, list[str]]:
        """Registered target id (instance or IP) -> the target groups it is registered in."""
        out: dict[str, list[str]] = {}
        for arn, descs in self.snapshot.TargetHealth.items():
            for d in descs:
                out.setdefault(d.Target.Id, []).append(arn)
        return out

    @cached_property
    def nats_by_subnet(self) -> dict[str, list[NatGateway]]:
        out: dict[str, list[NatGateway]] = {}
        for n in self.snapshot.NatGateways:
            if n.SubnetId and n.State not in ("deleted", "deleting", "failed"):
                out.setdefault(n.SubnetId, []).append(n)
        return out

    @cached_property
    def enis(self) -> dict[str, NetworkInterface]:
        return {e.NetworkInterfaceId: e for e in self.snapshot.NetworkInterfaces}

    def az_of(self, subnet_id: str) -> str:
        s = self.subnets.get(subnet_id)
        return s.AvailabilityZone if s else ""

    def nat_in_az(self, vpc_id: str, az: str) -> str | None:
        """An available public NAT gateway in a public subnet of exactly this AZ."""
        for n in self._nats_by_vpc.get(vpc_id, []):
            if n.State != "available" or n.ConnectivityType != "public":
                continue
            if self.role_v4(n.SubnetId or "") == PUBLIC and self.az_of(n.SubnetId or "") == az:
                return n.NatGatewayId
        return None

    @cached_property
    def nacl_of_subnet(self) -> dict[str, NetworkAcl]:
        out: dict[str, NetworkAcl] = {}
        for acl in self.snapshot.NetworkAcls:
            for a in acl.Associations:
                if a.SubnetId:
                    out[a.SubnetId] = acl
        return out

    @cached_property
    def _default_nacl(self) -> dict[str, NetworkAcl]:
        out: dict[str, NetworkAcl] = {}
        for cand in self.snapshot.NetworkAcls:
            if cand.IsDefault:
                out.setdefault(cand.VpcId, cand)
        return out

    def nacl_for(self, subnet_id: str) -> NetworkAcl | None:
        acl = self.nacl_of_subnet.get(subnet_id)
        if acl is None:
            sub = self.subnets.get(subnet_id)
            if sub is not None:
                return self._default_nacl.get(sub.VpcId)
        return acl

    @cached_property
    def _instance_index(self) -> _InstanceIndex:
        """One pass over the instances for every per-instance index (a large region holds
        hundreds of thousands: each further pass over them costs more than the work in it)."""
        return _InstanceIndex(self.snapshot.Instances)

    @property
    def instances_by_subnet(self) -> dict[str, list[Instance]]:
        """Subnet id -> its instances (all but terminated ones), in snapshot order."""
        return self._instance_index.by_subnet

    @property
    def digests_by_subnet(self) -> dict[str, list[InstanceDigest]]:
        """``instances_by_subnet`` as digests: what the facts ask of each instance, decided."""
        return self._instance_index.digests

    @property
    def instance_subnets(self) -> set[str]:
        """Every subnet an instance names (terminated ones included)."""
        ix = self._instance_index
        return ix.digests.keys() | ix.subnets_of_terminated

    @property
    def groups_of(self) -> dict[str, list[str]]:
        """Instance id -> its security groups (of the instance and all its interfaces)."""
        return self._instance_index.groups_of

    @property
    def instances_by_group(self) -> dict[str, list[Instance]]:
        """Security group id -> the instances (all but terminated ones) in it."""
        return self._instance_index.by_group

    @cached_property
    def routes_to(self) -> dict[str, list[tuple[RouteTable, Route]]]:
        """Route target id -> the (route table, route) pairs that point at it."""
        out: dict[str, list[tuple[RouteTable, Route]]] = {}
        for rt in self.snapshot.RouteTables:
            for r in rt.Routes:
                if r.target and r.target != "local":
                    out.setdefault(r.target, []).append((rt, r))
        return out

    @cached_property
    def _first_by_az(self) -> dict[tuple[str, str], dict[str, str]]:
        """(VPC, role) -> AZ -> the first subnet of that role there, AZs in the order their
        first subnet comes (snapshot order)."""
        out: dict[tuple[str, str], dict[str, str]] = {}
        for v in self.views.values():
            by_az = out.setdefault((v.subnet.VpcId, v.role), {})
            by_az.setdefault(v.subnet.AvailabilityZone, v.subnet_id)
        return out

    def subnets_by_az(self, vpc_id: str, role: str) -> dict[str, str]:
        """AZ -> the first subnet of the VPC with this role in that AZ (for fix steps)."""
        return self._first_by_az.get((vpc_id, role), {})

    def public_subnet_in(self, vpc_id: str, az: str | None) -> str | None:
        """A public subnet of the VPC, preferring the given AZ (for fix steps)."""
        by_az = self.subnets_by_az(vpc_id, PUBLIC)
        return (by_az.get(az) if az is not None else None) or next(iter(by_az.values()), None)

    @cached_property
    def _nats_by_vpc(self) -> dict[str, list[NatGateway]]:
        out: dict[str, list[NatGateway]] = {}
        for n in self.snapshot.NatGateways:
            out.setdefault(n.VpcId or "", []).append(n)
        return out

    def nat_in(self, vpc_id: str, az: str | None) -> str | None:
        """An available NAT gateway of the VPC in a public subnet, preferring the AZ."""
        best = None
        for n in self._nats_by_vpc.get(vpc_id, []):
            if n.State != "available" or n.ConnectivityType != "public":
                continue
            if self.role_v4(n.SubnetId or "") != PUBLIC:
                continue
            sub = self.subnets.get(n.SubnetId or "")
            if sub is not None and sub.AvailabilityZone == az:
                return n.NatGatewayId
            best = best or n.NatGatewayId
        return best

    @cached_property
    def _igw_by_vpc(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for g in self.snapshot.InternetGateways:
            for a in g.Attachments:
                if a.VpcId and g.attached_to(a.VpcId):
                    out.setdefault(a.VpcId, g.InternetGatewayId)
        return out

    def attached_igw(self, vpc_id: str) -> str | None:
        """The internet gateway attached to the VPC, if any."""
        return self._igw_by_vpc.get(vpc_id)

    @cached_property
    def _eigw_by_vpc(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for g in self.snapshot.EgressOnlyInternetGateways:
            for a in g.Attachments:
                if a.VpcId:
                    out.setdefault(a.VpcId, g.EgressOnlyInternetGatewayId)
        return out

    def attached_eigw(self, vpc_id: str) -> str | None:
        return self._eigw_by_vpc.get(vpc_id)


def subnet_label(topo: Topology, subnet_id: str) -> str:
    """``subnet-0abc (name, us-east-1a)`` for messages."""
    s = topo.subnets.get(subnet_id)
    if s is None:
        return subnet_id
    bits = [b for b in (s.name, s.AvailabilityZone) if b]
    return f"{subnet_id} ({', '.join(bits)})" if bits else subnet_id
