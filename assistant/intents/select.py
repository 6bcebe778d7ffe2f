"""What an intent's ``from`` and ``to`` select, and which endpoints behave alike.

Selectors:

    "internet"                      every address outside the VPCs of the snapshot
    "i-...", "eni-..."              an instance, a network interface
    "subnet-...", "vpc-...", "sg-..."   everything in that subnet / VPC / security group
    "10.0.0.0/16", "203.0.113.7"    every endpoint inside; outside the VPCs, those addresses
    a load balancer name or ARN     the load balancer (as a destination)
    an instance Name tag            the instances of that name
    { tag = { tier = "db" } }       instances (and stand-alone interfaces) with these tags
    { subnet_tag = {...} }, { vpc_tag = {...} }, { sg_tag = {...} }   by their subnet, VPC, groups
    { id = ..., subnet = ..., vpc = ..., sg = ..., cidr = ..., lb = ..., name = ... }
    [ a, b ]                        either (a list is a union; the keys of one table must all hold)

Tag values may be lists (any of) or shell patterns (``"prod-*"``; ``"*"``: the tag is set).

Endpoints that no configuration line can tell apart are one class: the same kind, subnet,
security groups, state and public address, and the same standing towards every rule CIDR
narrower than their subnet. One trace answers for a whole class. Internet addresses are split
the same way: by the CIDRs that rules, ACL entries and routes name.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from assistant.intents.model import IntentError
from assistant.models.snapshot import Snapshot
from assistant.trace.endpoints import ENI, INSTANCE, INTERNET, LB, Endpoint, Resolver

_SPACE = (0, 2**32 - 1)


def _tags(items: Any) -> dict[str, str]:
    return {t.Key: t.Value for t in items or [] if t.Key is not None}


@dataclass(eq=False)
class Member:
    """One endpoint that selectors can pick, with what they match on."""

    ep: Endpoint
    tags: dict[str, str] = field(default_factory=dict)
    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    ip: int | None = None
    key: tuple = ()

    @property
    def id(self) -> str:
        return self.ep.id


class Catalog:
    """Every selectable endpoint of a snapshot, indexed once."""

    def __init__(self, snapshot: Snapshot, resolver: Resolver | None = None):
        self.snapshot = snapshot
        self.resolver = resolver or Resolver(snapshot)
        self.subnet_tags = {s.SubnetId: _tags(s.Tags) for s in snapshot.Subnets}
        self.vpc_tags = {v.VpcId: _tags(v.Tags) for v in snapshot.Vpcs}
        self.sg_tags = {g.GroupId: _tags(g.Tags) for g in snapshot.SecurityGroups}
        self.subnet_nets = {}
        for s in snapshot.Subnets:
            try:
                self.subnet_nets[s.SubnetId] = ipaddress.ip_network(s.CidrBlock)
            except (TypeError, ValueError):
                continue
        self.rule_nets = _rule_networks(snapshot)
        self.vpc_ranges = sorted(
            (int(n.network_address), int(n.broadcast_address)) for n, _ in self.resolver.vpc_nets
        )
        self._narrow_cache: dict[str, list[tuple[int, int, int]]] = {}
        self.members: list[Member] = []
        self.lbs: list[Member] = []
        self._build()
        self._internet_points: list[tuple[int, bool]] | None = None

    # -- the endpoints ------------------------------------------------------------------
    def _build(self) -> None:
        r = self.resolver
        owned: set[str] = {
            a.NetworkInterfaceId
            for n in self.snapshot.NatGateways
            for a in n.NatGatewayAddresses
            if a.NetworkInterfaceId
        }  # a NAT gateway's interface is a hop, not an endpoint
        for inst in self.snapshot.Instances:
            if inst.State.Name == "terminated":
                continue
            ep = r.instance(inst)
            enis = {e.NetworkInterfaceId for e in inst.NetworkInterfaces}
            owned |= enis
            ids = {inst.InstanceId, *enis, *(ep.group_ids or [])}
            self._add(ep, _tags(inst.Tags), ids, {inst.name} if inst.name else set())
        for eni in self.snapshot.NetworkInterfaces:
            owner = eni.Attachment.InstanceId if eni.Attachment else None
            if eni.NetworkInterfaceId in owned or (owner and owner in r.instances):
                continue
            if eni.InterfaceType not in (None, "interface"):
                continue  # NAT gateways, endpoints, load balancers... are hops, not endpoints
            if (eni.Description or "").startswith(("ELB ", "Interface for NAT Gateway")):
                continue
            ep = r.eni(eni)
            tags = _tags(eni.TagSet) | _tags(eni.Tags)
            self._add(ep, tags, {eni.NetworkInterfaceId, *(ep.group_ids or [])}, set())
        for lb in self.snapshot.LoadBalancers:
            ep = r.load_balancer(lb)
            m = Member(
                ep,
                ids=frozenset({lb.LoadBalancerArn, *lb.SecurityGroups}),
                names=frozenset({lb.LoadBalancerName}),
                key=(LB, lb.LoadBalancerArn),
            )
            self.lbs.append(m)

    def _add(self, ep: Endpoint, tags: dict[str, str], ids: set[str], names: set[str]) -> None:
        ip = None
        if ep.ip:
            try:
                ip = int(ipaddress.IPv4Address(ep.ip))
            except ValueError:
                ip = None
        ids |= {x for x in (ep.subnet_id, ep.vpc_id) if x}
        m = Member(ep, tags, frozenset(ids), frozenset(names), ip)
        m.key = self._class_key(m)
        self.members.append(m)

    def _class_key(self, m: Member) -> tuple:
        ep = m.ep
        narrower: tuple[int, ...] = ()
        if m.ip is not None:
            narrower = tuple(i for i, lo, hi in self._narrower(ep.subnet_id) if lo <= m.ip <= hi)
        groups = tuple(sorted(ep.group_ids)) if ep.group_ids is not None else None
        kind = INSTANCE if ep.kind == INSTANCE else ENI
        return (
            kind,
            ep.vpc_id,
            ep.subnet_id,
            groups,
            ep.state,
            bool(ep.public_ips),
            ep.ip is None,
            narrower,
        )

    def _narrower(self, subnet_id: str | None) -> list[tuple[int, int, int]]:
        """The rule CIDRs narrower than the subnet that overlap it (they tell its addresses
        apart), cached per subnet."""
        key = subnet_id or ""
        if key not in self._narrow_cache:
            net = self.subnet_nets.get(key)
            if net is None:
                found = [(i, lo, hi) for i, (lo, hi, p) in enumerate(self.rule_nets) if p > 0]
            else:
                a, b = int(net.network_address), int(net.broadcast_address)
                found = [
                    (i, lo, hi)
                    for i, (lo, hi, p) in enumerate(self.rule_nets)
                    if p > net.prefixlen and lo <= b and a <= hi
                ]
            self._narrow_cache[key] = found
        return self._narrow_cache[key]

    # -- the internet, split where configuration tells addresses apart ------------------
    def internet_points(
        self, lo: int = _SPACE[0], hi: int = _SPACE[1], anonymous: bool = True
    ) -> list[Endpoint]:
        """One endpoint per group of internet addresses in [lo, hi] that every rule, ACL entry
        and route treats alike. ``anonymous``: addresses only 0.0.0.0/0 speaks of are "the
        internet" (the trace's any-address endpoint) rather than one of them."""
        out: list[Endpoint] = []
        plain_done = False
        for a, b, covered in self._atoms(lo, hi):
            if not covered:
                if plain_done:
                    continue
                plain_done = True
                if anonymous:
                    out.append(Endpoint(INTERNET, "internet", "the internet"))
                    continue
            ip = str(ipaddress.IPv4Address(a))
            span = f"{ip}-{ipaddress.IPv4Address(b)}" if b > a else ip
            out.append(Endpoint(INTERNET, ip, f"{ip} (internet address, stands for {span})", ip=ip))
        return out

    def _atoms(self, lo: int, hi: int) -> list[tuple[int, int, bool]]:
        cuts = {lo, hi + 1}
        for a, b, _ in self.rule_nets:
            cuts |= {a, b + 1}
        for a, b in self.vpc_ranges:
            cuts |= {a, b + 1}
        edges = sorted(c for c in cuts if lo <= c <= hi + 1)
        out = []
        for a, nxt in zip(edges, edges[1:], strict=False):
            b = nxt - 1
            if any(va <= a and b <= vb for va, vb in self.vpc_ranges):
                continue  # inside a VPC: not the internet
            covered = any(ra <= a and b <= rb for ra, rb, p in self.rule_nets if p > 0)
            out.append((a, b, covered))
        return out

    # -- selectors ----------------------------------------------------------------------
    def select(self, sel: Any, where: str, exhaustive_internet: bool) -> list[Member | Endpoint]:
        """The endpoints ``sel`` picks: members of the snapshot, and internet endpoints."""
        if isinstance(sel, list):
            out: dict[int, Member | Endpoint] = {}
            for i, s in enumerate(sel):
                for x in self.select(s, f"{where}[{i}]", exhaustive_internet):
                    out.setdefault(id(x) if isinstance(x, Member) else hash(x.id), x)
            return list(out.values())
        if isinstance(sel, str):
            return self._select_text(sel.strip(), where, exhaustive_internet)
        picked: list[Member | Endpoint] | None = None
        for key, value in sel.items():
            got = self._select_key(key, value, f"{where}.{key}", exhaustive_internet)
            if picked is None:
                picked = got
            else:
                keep = {id(x) for x in got if isinstance(x, Member)}
                keep_net = {x.id for x in got if isinstance(x, Endpoint)}
                picked = [
                    x
                    for x in picked
                    if (id(x) in keep if isinstance(x, Member) else x.id in keep_net)
                ]
        return picked or []

    def _select_text(self, text: str, where: str, exhaustive: bool) -> list[Member | Endpoint]:
        if text.lower() == "internet":
            if exhaustive:
                return list(self.internet_points())
            return [Endpoint(INTERNET, "internet", "the internet")]
        if "/" in text or _is_ip(text):
            return self._select_key("cidr", text, where, exhaustive)
        if text.startswith(("i-", "eni-", "subnet-", "vpc-", "sg-")):
            return self._select_key("id", text, where, exhaustive)
        if text.startswith("arn:"):
            return self._select_key("lb", text, where, exhaustive)
        lbs = [m for m in self.lbs if text in m.names]
        if lbs:
            return list(lbs)
        named = [m for m in self.members if text in m.names]
        if named:
            return list(named)
        raise IntentError(
            f"{where}: {text!r} is not in the snapshot (give 'internet', an id, a CIDR, a load "
            'balancer or instance name, or a table such as { tag = { tier = "db" } })'
        )

    def _select_key(self, key: str, value: Any, where: str, exhaustive: bool) -> list:
        values = value if isinstance(value, list) else [value]
        if key == "tag":
            return [m for m in self.members if _tags_match(m.tags, value)]
        if key == "subnet_tag":
            return [
                m
                for m in self.members
                if _tags_match(self.subnet_tags.get(m.ep.subnet_id or "", {}), value)
            ]
        if key == "vpc_tag":
            return [
                m
                for m in self.members
                if _tags_match(self.vpc_tags.get(m.ep.vpc_id or "", {}), value)
            ]
        if key == "sg_tag":
            return [
                m
                for m in self.members
                if any(_tags_match(self.sg_tags.get(g, {}), value) for g in m.ep.group_ids or [])
            ]
        if key in ("id", "subnet", "vpc", "sg"):
            known = set().union(*(m.ids for m in self.members)) if self.members else set()
            known |= {s.SubnetId for s in self.snapshot.Subnets}
            known |= {v.VpcId for v in self.snapshot.Vpcs}
            known |= {g.GroupId for g in self.snapshot.SecurityGroups}
            for v in values:
                if v not in known and not any(v in m.ids for m in self.lbs):
                    raise IntentError(f"{where}: {v} is not in the snapshot")
            want = set(values)
            out: list[Member | Endpoint] = [m for m in self.members if m.ids & want]
            if key in ("id", "sg"):
                out += [m for m in self.lbs if m.ids & want]
            return out
        if key == "name":
            return [m for m in self.members + self.lbs if m.names & set(values)]
        if key == "lb":
            out = [m for m in self.lbs if m.names & set(values) or m.id in values]
            missing = set(values) - {n for m in out for n in (*m.names, m.id)}
            if missing:
                raise IntentError(f"{where}: no load balancer {sorted(missing)[0]!r}")
            return out
        if key == "cidr":
            out = []
            for v in values:
                try:
                    net = ipaddress.IPv4Network(v, strict=False)
                except ValueError:
                    raise IntentError(f"{where}: {v!r} is not an IPv4 address or CIDR") from None
                lo, hi = int(net.network_address), int(net.broadcast_address)
                out += [m for m in self.members if m.ip is not None and lo <= m.ip <= hi]
                out += self.internet_points(lo, hi, anonymous=net.prefixlen == 0)
            return out
        raise IntentError(f"{where}: unknown selector")  # shapes are checked on load


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _tags_match(tags: dict[str, str], want: dict[str, Any]) -> bool:
    for k, v in want.items():
        have = tags.get(k)
        if have is None:
            return False
        options = v if isinstance(v, list) else [v]
        if not any(fnmatchcase(have, str(o)) for o in options):
            return False
    return True


def _rule_networks(snapshot: Snapshot) -> list[tuple[int, int, int]]:
    """Every IPv4 CIDR that a security group rule, network ACL entry or route names, as
    (first address, last address, prefix length)."""
    cidrs: set[str] = set()
    for g in snapshot.SecurityGroups:
        for p in [*g.IpPermissions, *g.IpPermissionsEgress]:
            cidrs |= {r.CidrIp for r in p.IpRanges if r.CidrIp}
    for a in snapshot.NetworkAcls:
        cidrs |= {e.CidrBlock for e in a.Entries if e.CidrBlock}
    for rt in snapshot.RouteTables:
        cidrs |= {r.DestinationCidrBlock for r in rt.Routes if r.DestinationCidrBlock}
    out = set()
    for c in cidrs:
        try:
            n = ipaddress.IPv4Network(c, strict=False)
        except ValueError:
            continue
        out.add((int(n.network_address), int(n.broadcast_address), n.prefixlen))
    return sorted(out)
