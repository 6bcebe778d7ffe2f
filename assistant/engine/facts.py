"""Facts: what the rules match on, derived from a snapshot through its topology.

Each producer turns part of the topology into flat facts with a ``kind``. Facts carry what the
rules test (roles, states, counts) and what the texts need (ids, names, candidate fixes).
Only what some rule needs is asserted: an instance becomes a fact only where an instance
rule could apply (it has a public IP, or sits in a public subnet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from assistant.models.finding import NotCheckedItem
from assistant.models.snapshot import IpPermission, NetworkAcl, SecurityGroup
from assistant.policy import (
    EPHEMERAL,
    INTERNET_V4,
    PROTO_NAMES,
    acl_blocked,
    permission_covers,
    ports_of,
    proto_number,
    sg_match,
)
from assistant.topology import (
    DEFAULT_V4,
    DEFAULT_V6,
    ISOLATED,
    PRIVATE,
    PUBLIC,
    UNKNOWN,
    Topology,
    looks_backend,
    says_public,
    subnet_label,
    tag_text,
    target_kind,
)

Fact = dict[str, Any]
Producer = Callable[[Topology], Iterable[Fact]]
PRODUCERS: dict[str, Producer] = {}

TARGET_FLAGS = {
    "igw": "--gateway-id",
    "vgw": "--gateway-id",
    "vpce": "--vpc-endpoint-id",
    "eigw": "--egress-only-internet-gateway-id",
    "nat": "--nat-gateway-id",
    "tgw": "--transit-gateway-id",
    "pcx": "--vpc-peering-connection-id",
    "instance": "--instance-id",
    "eni": "--network-interface-id",
    "lgw": "--local-gateway-id",
    "cagw": "--carrier-gateway-id",
}
PROTOCOLS = {"-1": "all traffic", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
WEB_PORTS = (80, 443)
# Route targets some route rule looks at (any target counts when the route is a blackhole).
ROUTE_RULE_KINDS = ("igw", "nat", "instance", "eni")
# Database and cache ports that should never face the internet.
DB_PORTS = {
    1433: "SQL Server",
    1434: "SQL Server browser",
    1521: "Oracle",
    2379: "etcd",
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    5984: "CouchDB",
    6379: "Redis",
    7000: "Cassandra",
    8086: "InfluxDB",
    9042: "Cassandra CQL",
    9200: "Elasticsearch/OpenSearch",
    9300: "Elasticsearch transport",
    11211: "Memcached",
    27017: "MongoDB",
    27018: "MongoDB",
    28015: "RethinkDB",
}


def producer(kind: str) -> Callable[[Producer], Producer]:
    """Register a fact producer for ``kind``."""

    def deco(fn: Producer) -> Producer:
        PRODUCERS[kind] = fn
        return fn

    return deco


def facts_for(topo: Topology, kinds: Iterable[str] | None = None) -> Iterator[Fact]:
    """All facts of the given kinds (default: every registered kind)."""
    for kind in kinds or PRODUCERS:
        for fact in PRODUCERS[kind](topo):
            fact["kind"] = kind
            yield fact


def _dest_flag(dest: str) -> str:
    if dest.startswith("pl-"):
        return "--destination-prefix-list-id"
    return "--destination-ipv6-cidr-block" if ":" in dest else "--destination-cidr-block"


def _name(resource) -> str:
    return resource.name if resource is not None else ""


def _free_rule_number(acl: NetworkAcl, egress: bool, before: int | None) -> int:
    """An unused rule number that is evaluated before ``before`` (a new allow goes there)."""
    used = {e.RuleNumber for e in acl.Entries if e.Egress == egress}
    if before is None or before >= 32767:
        n = 100
        while n in used:
            n += 1
        return n
    for n in [before - k for k in (10, 5, 1)] + list(range(before - 1, 0, -1)):
        if n > 0 and n not in used:
            return n
    return 1


def _second_free(acl: NetworkAcl, egress: bool, first: int) -> int:
    """Another unused rule number just before ``first`` (for a second port beside it)."""
    used = {e.RuleNumber for e in acl.Entries if e.Egress == egress} | {first}
    for n in list(range(first - 1, 0, -1)) + list(range(first + 1, 32767)):
        if n not in used:
            return n
    return first


# What fix steps show where the value is the user's to give (nothing the input holds fits).
YOUR_PUBLIC_SUBNET = "<your public subnet id>"
YOUR_TARGET_GROUP = "<your target group arn>"


def _public_lb_refs(topo: Topology, vpc_id: str) -> Fact:
    """An internet-facing load balancer of the VPC (its ARN and security group), and one
    public subnet per AZ for a new one, as fix steps use them."""
    lb = next(
        (
            x
            for x in topo.snapshot.LoadBalancers
            if x.VpcId == vpc_id and x.Scheme == "internet-facing"
        ),
        None,
    )
    per_az: dict[str, str] = {}
    for v in topo.views_by_vpc.get(vpc_id, []):
        if v.role == PUBLIC:
            per_az.setdefault(v.subnet.AvailabilityZone, v.subnet_id)
    return {
        "public_lb_arn": lb.LoadBalancerArn if lb else "",
        "lb_group_ref": (lb.SecurityGroups[0] if lb and lb.SecurityGroups else "")
        or "<your load balancer security group id>",
        "public_subnets_by_az": " ".join(per_az[a] for a in sorted(per_az))
        or "<your public subnet ids, one per AZ>",
    }


def _acl_content(acl: NetworkAcl) -> tuple:
    """What decides traffic in an ACL: its entries (ACLs with equal entries decide alike)."""
    return tuple(
        sorted(
            (
                e.RuleNumber,
                e.Egress,
                str(e.Protocol),
                e.RuleAction,
                e.CidrBlock or "",
                e.Ipv6CidrBlock or "",
                e.PortRange.From if e.PortRange else None,
                e.PortRange.To if e.PortRange else None,
            )
            for e in acl.Entries
        )
    )


class _AclCheck:
    """One network ACL's decisions on what internet egress and web ingress need (cached)."""

    def __init__(self, acl: NetworkAcl, memo: dict | None = None):
        self.acl = acl
        self._memo: dict[tuple, tuple[list[str], int, list[int]]] = {}
        self._shared = memo if memo is not None else {}
        self._content = _acl_content(acl)

    def blocked(
        self, egress: bool, ports: tuple[tuple[int, int], ...]
    ) -> tuple[list[str], int, list[int]]:
        """(what blocks, a free rule number before it, the first port of each blocked range)."""
        key = (egress, ports)
        if key not in self._memo:
            shared_key = (self._content, egress, ports)
            if shared_key not in self._shared:
                found_by_range = [
                    (lo, acl_blocked(self.acl, egress, "tcp", lo, hi, INTERNET_V4))
                    for lo, hi in ports
                ]
                self._shared[shared_key] = found_by_range
            segs = []
            hit: list[int] = []
            for lo, found in self._shared[shared_key]:
                if found:
                    hit.append(lo)
                    segs += found
            texts = list(dict.fromkeys(seg.describe(self.acl.NetworkAclId) for seg in segs))
            nums = [seg.entry.RuleNumber for seg in segs if seg.entry is not None]
            before = min(nums) if nums else None
            self._memo[key] = (texts, _free_rule_number(self.acl, egress, before), hit)
        return self._memo[key]


def _group_allows_web(sg: SecurityGroup) -> list[int]:
    """The web ports (80, 443) a group accepts from anywhere on the internet."""
    return [
        p
        for p in WEB_PORTS
        if sg_match([sg], True, "tcp", p, INTERNET_V4) or sg_match([sg], True, "tcp", p, "::/0")
    ]


class _WebOpen:
    """Which web ports an instance's groups accept from the internet (cached per group)."""

    def __init__(self, topo: Topology):
        self.topo = topo
        self._memo: dict[str, list[int]] = {}

    def ports(self, group_ids: list[str]) -> list[int]:
        out: set[int] = set()
        for g in group_ids:
            if g not in self._memo:
                sg = self.topo.sgs.get(g)
                self._memo[g] = _group_allows_web(sg) if sg is not None else []
            out.update(self._memo[g])
        return sorted(out)


def _lb_web_ports(topo: Topology) -> dict[str, list[int]]:
    """Public subnet id -> the listener ports internet-facing load balancers serve there."""
    ports_by_lb: dict[str, set[int]] = {}
    for lis in topo.snapshot.Listeners:
        ports_by_lb.setdefault(lis.LoadBalancerArn, set()).add(lis.Port)
    out: dict[str, set[int]] = {}
    for lb in topo.snapshot.LoadBalancers:
        if lb.Scheme != "internet-facing":
            continue
        ports = ports_by_lb.get(lb.LoadBalancerArn) or set(WEB_PORTS)
        for sid in lb.subnet_ids:
            out.setdefault(sid, set()).update(ports)
    return {k: sorted(v) for k, v in out.items()}


def _ranges(ports: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple((p, p) for p in ports)


@producer("subnet")
def subnet_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    vpcs_with_nat = {n.VpcId for n in snap.NatGateways if n.State == "available"}
    acls_known = snap.has("NetworkAcls")
    acl_checks: dict[str, _AclCheck] = {}
    acl_memo: dict = {}
    web = _WebOpen(topo)
    lb_ports = _lb_web_ports(topo)
    for sid, v in topo.views.items():
        s = v.subnet
        insts = [i for i in topo.instances_by_subnet.get(sid, []) if i.State.Name == "running"]
        no_pub = [i.InstanceId for i in insts if not i.public_ips]
        has_nat = s.VpcId in vpcs_with_nat
        intent = v.intent
        needs_internet = intent == "private" or (
            has_nat and intent not in ("isolated", "public") and bool(insts)
        )
        target = v.default_target
        v6_target = v.default_route_v6.target if v.default_route_v6 else ""
        # Without its route table the default targets are unknown, not absent.
        tkind = target_kind(target) if v.route_table is not None else UNKNOWN
        v6_kind = target_kind(v6_target) if v.route_table is not None else UNKNOWN
        nats_here = [
            n.NatGatewayId
            for n in topo.nats_by_subnet.get(sid, [])
            if n.ConnectivityType == "public"
        ]
        egress_path = v.role == PRIVATE or (v.role == PUBLIC and bool(nats_here))
        backends = [
            i.InstanceId for i in insts if looks_backend(i) or i.InstanceId in topo.lb_targets
        ]
        # Where this subnet's default route goes, when it is a NAT gateway.
        nat = topo.nats.get(target) if tkind == "nat" else None
        nat_az = topo.az_of(nat.SubnetId or "") if nat else ""
        same_az_nat = topo.nat_in_az(s.VpcId, s.AvailabilityZone) or ""
        pub_candidate = topo.public_subnet_in(s.VpcId, s.AvailabilityZone) or ""
        # IPv6
        has_v6 = bool(s.ipv6_cidrs)
        v6_insts = [i.InstanceId for i in insts if i.ipv6_addresses]
        v6_private_meant = intent in (PRIVATE, ISOLATED) or tkind in (
            "nat",
            "instance",
            "eni",
            "tgw",
        )
        # Web serving in a public subnet: load balancer nodes, or instances open to the web.
        web_ports = list(lb_ports.get(sid, []))
        if v.role == PUBLIC:
            for i in insts:
                if i.public_ips:
                    web_ports += web.ports(topo.groups_of[i.InstanceId])
        web_ports = sorted(set(web_ports))
        fact: Fact = {
            "rid": sid,
            "subnet_id": sid,
            "vpc_id": s.VpcId,
            "name": s.name,
            "label": subnet_label(topo, sid),
            "az": s.AvailabilityZone,
            "cidr": s.CidrBlock,
            "role": v.role,
            "intent": intent,
            "route_table_id": v.route_table.RouteTableId if v.route_table else "",
            "rt_explicit": v.explicit,
            "default_target": target,
            "default_target_kind": tkind,
            "default_route_state": v.default_route.State if v.default_route else "",
            "vpc_has_nat": has_nat,
            "needs_internet": needs_internet,
            "instance_count": len(insts),
            "no_public_ip_count": len(no_pub),
            "no_public_ip_instances": no_pub,
            "map_public_ip": s.MapPublicIpOnLaunch,
            "nat_candidate": topo.nat_in(s.VpcId, s.AvailabilityZone) or "",
            "public_subnet_candidate": pub_candidate,
            "public_subnet_ref": pub_candidate or YOUR_PUBLIC_SUBNET,
            "igw_id": topo.attached_igw(s.VpcId) or "",
            "intent_private_but_public": v.role == PUBLIC
            and tkind == "igw"
            and intent in (PRIVATE, ISOLATED)
            and not says_public(s.name + " " + tag_text(s)),
            "backend_instances": backends,
            "backend_count": len(backends),
            "auto_ip_risky": s.MapPublicIpOnLaunch
            and (v.role in (PRIVATE, ISOLATED) or intent in (PRIVATE, ISOLATED) or bool(backends)),
            "hosts_nat": bool(nats_here),
            "hosts_nat_text": f" and holds NAT gateway {', '.join(nats_here)}" if nats_here else "",
            "nats_here": nats_here,
            "egress_path": egress_path,
            "nat_az": nat_az,
            "nat_cross_az": bool(nat and nat_az and nat_az != s.AvailabilityZone),
            "same_az_nat": same_az_nat,
            "public_subnet_same_az": pub_candidate
            if topo.az_of(pub_candidate) == s.AvailabilityZone
            else "",
            "has_ipv6": has_v6,
            "ipv6_cidr": ", ".join(s.ipv6_cidrs),
            "v6_default_target": v6_target,
            "v6_default_target_kind": v6_kind,
            "v6_igw_private": has_v6 and v6_kind == "igw" and v6_private_meant,
            "ipv6_instances": v6_insts,
            "ipv6_instance_count": len(v6_insts),
            "v6_no_route": bool(v6_insts) and v6_kind == "none",
            "v4_default_missing": tkind == "none",
            "eigw_id": topo.attached_eigw(s.VpcId) or "",
            "eigw_ref": topo.attached_eigw(s.VpcId) or "<egress-only gateway id from step 1>",
            "v6_problem": (
                "is meant to be private but sends ::/0 to the internet gateway"
                f" {v6_target}: its IPv6 instances are reachable from the internet"
                if v6_kind == "igw"
                else f"has {len(v6_insts)} IPv6 instance(s) but no ::/0 route"
            ),
            "serves_web": bool(web_ports),
            "web_ports": web_ports,
            "nacl_known": acls_known,
        }
        acl = topo.nacl_for(sid) if acls_known else None
        fact["nacl_id"] = acl.NetworkAclId if acl else ""
        fact["nacl_is_default"] = bool(acl and acl.IsDefault)
        ret_txt: list[str] = []
        out_txt: list[str] = []
        web_in_txt: list[str] = []
        eph_out_txt: list[str] = []
        ret_no = out_no = web_in_no = eph_out_no = 100
        blocked_web_in: list[int] = []
        if acl is not None and (egress_path or web_ports):
            chk = acl_checks.get(acl.NetworkAclId)
            if chk is None:
                chk = acl_checks[acl.NetworkAclId] = _AclCheck(acl, acl_memo)
            if egress_path:
                ret_txt, ret_no, _ = chk.blocked(False, (EPHEMERAL,))
                out_txt, out_no, _ = chk.blocked(True, _ranges(list(WEB_PORTS)))
            if web_ports and v.role == PUBLIC:
                web_in_txt, web_in_no, blocked_web_in = chk.blocked(False, _ranges(web_ports))
                eph_out_txt, eph_out_no, _ = chk.blocked(True, (EPHEMERAL,))
        fact.update(
            {
                "return_blocked": bool(ret_txt),
                "return_blocked_by": ret_txt,
                "return_rule_number": ret_no,
                "web_egress_blocked": bool(out_txt),
                "web_egress_blocked_by": out_txt,
                "web_egress_rule_number": out_no,
                "web_egress_rule_number_2": _second_free(acl, True, out_no) if acl else 101,
                "web_in_blocked": bool(web_in_txt),
                "web_in_blocked_by": web_in_txt,
                "web_in_rule_number": web_in_no,
                "web_in_blocked_ports": blocked_web_in,
                "ephemeral_out_blocked": bool(eph_out_txt),
                "ephemeral_out_blocked_by": eph_out_txt,
                "ephemeral_out_rule_number": eph_out_no,
                "nacl_web_blocked": bool(web_in_txt or eph_out_txt),
            }
        )
        yield fact


def _target_state(topo: Topology, target: str, kind: str, vpc_id: str) -> str:
    """available/pending/failed/deleting, attached/detached, running/stopped, gone, or unknown.

    Missing is unknown, never gone: a target absent from the input (not read, or filtered out
    of the describe output) is ``unknown``; only a target present in a deleted or terminated
    state is ``gone`` (AWS's own ``State: blackhole`` is the route's ``state``).
    """
    if kind == "nat":
        nat = topo.nats.get(target)
        if nat is None:
            return "unknown"
        return "gone" if nat.State == "deleted" else nat.State
    if kind == "igw":
        attached = topo.igw_attached(target, vpc_id)
        if attached is None:
            return "unknown"
        return "attached" if attached else "detached"
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None:
            return "unknown"
        return "gone" if inst.State.Name == "terminated" else inst.State.Name
    return "unknown"


def _source_dest_check(topo: Topology, target: str, kind: str) -> str:
    """on / off / unknown for an instance or interface route target ('' for other targets)."""
    if kind == "instance":
        inst = topo.instances.get(target)
        if inst is None or inst.SourceDestCheck is None:
            if inst is not None and inst.NetworkInterfaces:
                sdc = inst.NetworkInterfaces[0].SourceDestCheck
                if sdc is not None:
                    return "on" if sdc else "off"
            return "unknown"
        return "on" if inst.SourceDestCheck else "off"
    if kind == "eni":
        eni = topo.enis.get(target)
        if eni is None or eni.SourceDestCheck is None:
            return "unknown"
        return "on" if eni.SourceDestCheck else "off"
    return ""


def _eni_instance(topo: Topology, target: str, kind: str) -> str:
    if kind == "instance":
        return target
    if kind == "eni":
        eni = topo.enis.get(target)
        if eni is not None and eni.Attachment is not None:
            return eni.Attachment.InstanceId or ""
    return ""


@producer("route")
def route_facts(topo: Topology) -> Iterator[Fact]:
    nonpublic_vpcs = {v.subnet.VpcId for v in topo.views.values() if v.role in (PRIVATE, ISOLATED)}
    for rt in topo.snapshot.RouteTables:
        users = topo.subnets_using(rt.RouteTableId)
        for r in rt.Routes:
            target = r.target
            if not target or target == "local":
                continue
            kind = target_kind(target)
            if r.State != "blackhole" and kind not in ROUTE_RULE_KINDS:
                continue  # e.g. an active route to an endpoint or peering: no rule to apply
            dest = r.destination
            first = topo.subnets.get(users[0]) if users else None
            implicit = [u for u in users if not topo.views[u].explicit] if rt.is_main else []
            yield {
                "rid": f"{rt.RouteTableId}:{dest}",
                "route_table_id": rt.RouteTableId,
                "route_table_name": rt.name,
                "is_main": rt.is_main,
                "vpc_id": rt.VpcId,
                "destination": dest,
                "dest_flag": _dest_flag(dest),
                "is_default": dest in (DEFAULT_V4, "::/0"),
                "target": target,
                "target_kind": kind,
                "target_flag": TARGET_FLAGS.get(kind, "--gateway-id"),
                "state": r.State,
                "target_state": _target_state(topo, target, kind, rt.VpcId),
                "subnets": users,
                "subnet_count": len(users),
                "nat_candidate": topo.nat_in(rt.VpcId, first.AvailabilityZone if first else None)
                or "",
                "igw_id": topo.attached_igw(rt.VpcId) or "",
                "source_dest_check": _source_dest_check(topo, target, kind),
                "nat_instance": _eni_instance(topo, target, kind),
                "implicit_subnets": implicit,
                "implicit_count": len(implicit),
                "vpc_has_nonpublic": rt.VpcId in nonpublic_vpcs,
                "public_subnet_ref": topo.public_subnet_in(
                    rt.VpcId, first.AvailabilityZone if first else None
                )
                or YOUR_PUBLIC_SUBNET,
            }


@producer("nat")
def nat_facts(topo: Topology) -> Iterator[Fact]:
    for n in topo.snapshot.NatGateways:
        if n.State == "deleted":
            continue
        pairs = topo.routes_to.get(n.NatGatewayId, [])
        served_rts = sorted({rt.RouteTableId for rt, _ in pairs})
        default_rts = sorted(
            {rt.RouteTableId for rt, r in pairs if r.destination in (DEFAULT_V4, DEFAULT_V6)}
        )
        served = sorted({s for rt in served_rts for s in topo.subnets_using(rt)})
        served_azs = sorted({topo.az_of(s) for s in served if topo.az_of(s)})
        sub = topo.subnets.get(n.SubnetId or "")
        v = topo.view(n.SubnetId or "")
        az = sub.AvailabilityZone if sub else ""
        addr = n.NatGatewayAddresses[0] if n.NatGatewayAddresses else None
        yield {
            "rid": n.NatGatewayId,
            "nat_id": n.NatGatewayId,
            "name": n.name,
            "vpc_id": n.VpcId or (sub.VpcId if sub else ""),
            "subnet_id": n.SubnetId or "",
            "subnet_label": subnet_label(topo, n.SubnetId or ""),
            # IPv4 role: a public NAT works only through 0.0.0.0/0 to an internet gateway
            "subnet_role": topo.role_v4(n.SubnetId or ""),
            "subnet_route_table": v.route_table.RouteTableId if v and v.route_table else "",
            "subnet_default_target": v.default_target if v else "",
            "subnet_default_target_kind": target_kind(v.default_target)
            if v and v.route_table is not None
            else UNKNOWN,
            "az": az,
            "state": n.State,
            "connectivity": n.ConnectivityType,
            "public_ip": ", ".join(n.public_ips),
            "has_public_ip": bool(n.public_ips),
            "allocation_id": (addr.AllocationId or "") if addr else "",
            "served_route_tables": served_rts,
            "served_subnets": served,
            "served_count": len(served),
            "served_azs": served_azs,
            "served_az_count": len(served_azs),
            "route_count": len(pairs),
            "routes_known": topo.snapshot.has("RouteTables"),
            "default_route_tables": default_rts,
            "default_route_count": len(default_rts),
            "public_subnet_candidate": topo.public_subnet_in(n.VpcId or "", az) or "",
            "other_az_public_subnets": [
                p
                for a in served_azs
                if a != az
                and (p := topo.public_subnet_in(n.VpcId or "", a) or "")
                and topo.az_of(p) == a
            ],
            "failure": n.FailureMessage or n.FailureCode or "",
        }


@producer("instance")
def instance_facts(topo: Topology) -> Iterator[Fact]:
    eips = {a.InstanceId: a for a in topo.snapshot.Addresses if a.InstanceId}
    web = _WebOpen(topo)
    snap = topo.snapshot
    # Registered targets are known when every target group's health was read.
    targets_known = snap.has("TargetGroups") and all(
        tg.TargetGroupArn in snap.TargetHealth for tg in snap.TargetGroups
    )
    lb_subnets_by_vpc: dict[str, list[str]] = {}
    for lb in topo.snapshot.LoadBalancers:
        if lb.Scheme == "internet-facing":
            lb_subnets_by_vpc.setdefault(lb.VpcId or "", []).extend(lb.subnet_ids)
    for inst in topo.snapshot.Instances:
        if inst.State.Name == "terminated" or not inst.SubnetId:
            continue
        role = topo.role(inst.SubnetId)
        ips = inst.public_ips
        web_ports: list[int] = []
        if not ips and role != PUBLIC:
            # Only instances open to the web matter in a private subnet (nobody reaches them).
            if inst.State.Name != "running" or role not in (PRIVATE, ISOLATED):
                continue
            web_ports = web.ports(topo.groups_of[inst.InstanceId])
            if not web_ports:
                continue
        else:
            web_ports = web.ports(topo.groups_of[inst.InstanceId])
        eip = eips.get(inst.InstanceId)
        tgs = topo.lb_targets.get(inst.InstanceId, [])
        yield {
            "rid": inst.InstanceId,
            "instance_id": inst.InstanceId,
            "name": inst.name,
            "vpc_id": inst.VpcId or "",
            "subnet_id": inst.SubnetId,
            "subnet_label": subnet_label(topo, inst.SubnetId),
            "subnet_role": role,
            "public_ip": ", ".join(ips),
            "has_public_ip": bool(ips),
            "elastic_ip": bool(eip),
            "allocation_id": (eip.AllocationId or "") if eip else "",
            "association_id": (eip.AssociationId or "") if eip else "",
            "eni_id": inst.NetworkInterfaces[0].NetworkInterfaceId
            if inst.NetworkInterfaces
            else "",
            "backend": looks_backend(inst),
            "groups": topo.groups_of[inst.InstanceId],
            "state": inst.State.Name,
            "running": inst.State.Name == "running",
            "az": topo.az_of(inst.SubnetId),
            "lb_target": bool(tgs),
            "targets_known": targets_known,
            "has_ipv6": bool(inst.ipv6_addresses),
            "target_groups": tgs,
            "exposed_backend": bool(ips) and (looks_backend(inst) or bool(tgs)),
            "web_open": bool(web_ports),
            "web_ports": web_ports,
            "public_subnet_candidate": topo.public_subnet_in(
                inst.VpcId or "", topo.az_of(inst.SubnetId)
            )
            or "",
            "public_lb_subnets": sorted(set(lb_subnets_by_vpc.get(inst.VpcId or "", []))),
            **_public_lb_refs(topo, inst.VpcId or ""),
            "first_group": (topo.groups_of[inst.InstanceId] or [""])[0],
            "private_subnet_ref": next(
                (
                    v.subnet_id
                    for v in topo.views_by_vpc.get(inst.VpcId or "", [])
                    if v.role == PRIVATE and v.subnet.AvailabilityZone == topo.az_of(inst.SubnetId)
                ),
                f"<your private subnet id in {topo.az_of(inst.SubnetId) or 'its AZ'}>",
            ),
        }


def _perm_json(p: IpPermission, cidr: str) -> str:
    """The --ip-permissions JSON that revokes exactly one open range."""
    rng = (
        f'"Ipv6Ranges":[{{"CidrIpv6":"{cidr}"}}]'
        if ":" in cidr
        else (f'"IpRanges":[{{"CidrIp":"{cidr}"}}]')
    )
    ports = ""
    if p.IpProtocol not in ("-1", "all") and p.FromPort is not None:
        ports = f',"FromPort":{p.FromPort},"ToPort":{p.ToPort}'
    return f'\'[{{"IpProtocol":"{p.IpProtocol}"{ports},{rng}}}]\''


def _rule_text(p: IpPermission, rng: tuple[int, int] | None) -> str:
    """'all ports', 'port 22', 'ports 80-90', 'ICMP type 8 code 0', 'all ICMP types'."""
    if rng is not None:
        lo, hi = rng
        if (lo, hi) == (0, 65535):
            return "all ports"
        return f"port {lo}" if lo == hi else f"ports {lo}-{hi}"
    if proto_number(p.IpProtocol) in ("1", "58"):
        if p.FromPort in (None, -1):
            return "all ICMP types"
        code = "" if p.ToPort in (None, -1) else f" code {p.ToPort}"
        return f"ICMP type {p.FromPort}{code}"
    return f"protocol {p.IpProtocol}"


@producer("sg_open")
def sg_open_facts(topo: Topology) -> Iterator[Fact]:
    for sg in topo.snapshot.SecurityGroups:
        attached = topo.instances_by_group.get(sg.GroupId, [])
        for p in sg.IpPermissions:
            cidrs = [r.CidrIp for r in p.IpRanges if r.CidrIp in OPEN_CIDRS]
            cidrs += [r.CidrIpv6 for r in p.Ipv6Ranges if r.CidrIpv6 in OPEN_CIDRS]
            for cidr in cidrs:
                rng = ports_of(p.IpProtocol, p.FromPort, p.ToPort)
                lo, hi = rng if rng is not None else (-1, -1)
                exposed = [
                    i.InstanceId
                    for i in attached
                    if i.public_ips and topo.role(i.SubnetId or "") == PUBLIC
                ]
                number = proto_number(p.IpProtocol)
                proto = PROTOCOLS.get(number, p.IpProtocol)
                all_ports = rng == (0, 65535)
                db = (
                    []
                    if all_ports
                    else [q for q in sorted(DB_PORTS) if permission_covers(p, "tcp", q)]
                )
                yield {
                    "rid": f"{sg.GroupId}:{p.IpProtocol}:{p.FromPort}-{p.ToPort}:{cidr}",
                    "group_id": sg.GroupId,
                    "group_name": sg.GroupName,
                    "vpc_id": sg.VpcId or "",
                    "protocol": p.IpProtocol,
                    "proto_name": proto,
                    "transport": PROTO_NAMES.get(number, "other"),
                    "opens_ports": rng is not None,
                    "from_port": lo,
                    "to_port": hi,
                    "port_text": _rule_text(p, rng),
                    "cidr": cidr,
                    "attached_count": len(attached),
                    "attached": [i.InstanceId for i in attached],
                    "exposed_instances": exposed,
                    "reachable": bool(exposed),
                    "permission_json": _perm_json(p, cidr),
                    "all_ports": all_ports,
                    "db_ports": db,
                    "db_port_count": len(db),
                    "db_services": [f"{q} ({DB_PORTS[q]})" for q in db],
                    "first_db_port": db[0] if db else "",
                }


def _lb_listener_check(groups: list[SecurityGroup], port: int) -> str:
    """open (from anywhere), restricted (only from narrower ranges) or blocked."""
    if sg_match(groups, True, "tcp", port, INTERNET_V4) or sg_match(
        groups, True, "tcp", port, "::/0"
    ):
        return "open"
    sources = {r.CidrIp for g in groups for p in g.IpPermissions for r in p.IpRanges}
    sources |= {r.CidrIpv6 for g in groups for p in g.IpPermissions for r in p.Ipv6Ranges}
    if any(sg_match(groups, True, "tcp", port, c) for c in sorted(sources)):
        return "restricted"
    prefix_lists = [
        p for g in groups for p in g.IpPermissions if p.PrefixListIds
    ]  # e.g. CloudFront's managed prefix list: not an address range sg_match can test
    for p in prefix_lists:
        if permission_covers(p, "tcp", port):
            return "restricted"
    return "blocked"


@producer("lb")
def lb_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    listeners: dict[str, list] = {}
    for lis in snap.Listeners:
        listeners.setdefault(lis.LoadBalancerArn, []).append(lis)
    tgs_of_lb: dict[str, list[str]] = {}
    for tg in snap.TargetGroups:
        for arn in tg.LoadBalancerArns:
            tgs_of_lb.setdefault(arn, []).append(tg.TargetGroupArn)
    for lb in snap.LoadBalancers:
        subnets = lb.subnet_ids
        non_public = [s for s in subnets if topo.role(s) in (PRIVATE, ISOLATED)]
        unknown_subnets = [s for s in subnets if topo.role(s) not in (PUBLIC, PRIVATE, ISOLATED)]
        azs = [z.ZoneName for z in lb.AvailabilityZones]
        candidates = []
        for az in azs:
            c = topo.public_subnet_in(lb.VpcId or "", az)
            if c and c not in candidates:
                candidates.append(c)
        yield {
            "rid": lb.LoadBalancerArn,
            "lb_arn": lb.LoadBalancerArn,
            "lb_name": lb.LoadBalancerName,
            "vpc_id": lb.VpcId or "",
            "scheme": lb.Scheme,
            "lb_type": lb.Type,
            "subnets": subnets,
            "subnet_count": len(subnets),
            "non_public_subnets": non_public,
            "non_public_labels": [subnet_label(topo, s) for s in non_public],
            "non_public_count": len(non_public),
            "unknown_role_subnets": unknown_subnets,
            "public_subnet_candidates": candidates,
            "groups": lb.SecurityGroups,
            "dns_name": lb.DNSName or "",
            **_lb_extra(topo, lb, listeners.get(lb.LoadBalancerArn, []), tgs_of_lb),
        }


_LB_TYPE_NAMES = {"application": "an Application", "network": "a Network", "gateway": "a Gateway"}


def _cross_zone(snap, lb) -> tuple[str, str]:
    """(on / off / default-on / default-off / unknown, the same said with its source).

    Read from the collected attribute ``load_balancing.cross_zone.enabled`` (or the
    load balancer's ``CrossZoneEnabled``); when neither was read, AWS's documented default
    for the type (on for Application, off for Network and Gateway Load Balancers), said as an
    assumption; unknown for other types.
    """
    raw = snap.LoadBalancerAttributes.get(lb.LoadBalancerArn, {}).get(
        "load_balancing.cross_zone.enabled"
    )
    if raw is not None:
        on = str(raw).strip().lower() == "true"
    elif lb.CrossZoneEnabled is not None:
        on = bool(lb.CrossZoneEnabled)
    else:
        kind = _LB_TYPE_NAMES.get(lb.Type or "")
        if kind is None:
            return "unknown", "unknown (its attributes were not read)"
        default = "on" if lb.Type == "application" else "off"
        return (
            f"default-{default}",
            f"{default} by default for {kind} Load Balancer (assumed: its attributes were not "
            "read)",
        )
    state = "on" if on else "off"
    return state, f"{state} (read from its attributes)"


def _lb_extra(topo: Topology, lb, lis: list, tgs_of_lb: dict[str, list[str]]) -> Fact:
    snap = topo.snapshot
    groups = [topo.sgs[g] for g in lb.SecurityGroups if g in topo.sgs]
    ports = sorted({x.Port for x in lis})
    checks = {}
    if lb.Scheme == "internet-facing" and groups and snap.has("SecurityGroups"):
        checks = {p: _lb_listener_check(groups, p) for p in ports}
    blocked = [p for p, c in checks.items() if c == "blocked"]
    restricted = [p for p, c in checks.items() if c == "restricted"]
    https = [x.Port for x in lis if x.Protocol in ("HTTPS", "TLS")]
    http_forward = [
        x.Port
        for x in lis
        if x.Protocol == "HTTP"
        and not any(
            a.Type == "redirect" and a.RedirectConfig and a.RedirectConfig.Protocol == "HTTPS"
            for a in x.DefaultActions
        )
    ]
    # AZs with registered targets, from target health (the AZ of each target).
    target_azs: set[str] = set()
    health_known = snap.has("TargetHealth")
    for arn in tgs_of_lb.get(lb.LoadBalancerArn, []):
        for d in snap.TargetHealth.get(arn, []):
            az = d.Target.AvailabilityZone
            if not az:
                inst = topo.instances.get(d.Target.Id)
                az = topo.az_of(inst.SubnetId or "") if inst else ""
            if az and az != "all":
                target_azs.add(az)
    lb_azs = [z.ZoneName for z in lb.AvailabilityZones if z.ZoneName]
    cross, cross_text = _cross_zone(snap, lb)
    empty = (
        [a for a in lb_azs if a not in target_azs]
        if health_known and target_azs and lb.Type in ("application", "network")
        else []
    )
    return {
        "listener_ports": ports,
        "listeners_known": snap.has("Listeners"),
        "blocked_listener_ports": blocked,
        "blocked_count": len(blocked),
        "restricted_listener_ports": restricted,
        "restricted_count": len(restricted),
        "restricted_listener_ports_text": (
            f" (only narrower ranges: {', '.join(map(str, restricted))})" if restricted else ""
        ),
        "first_blocked_port": (blocked or restricted or [""])[0],
        "first_group": lb.SecurityGroups[0] if lb.SecurityGroups else "",
        "is_alb": lb.Type == "application",
        "has_listeners": bool(lis),
        "has_https": bool(https),
        "no_https_text": "" if https else " and has no HTTPS listener",
        "http_forward_ports": http_forward,
        "http_forward_count": len(http_forward),
        "http_port": http_forward[0] if http_forward else 80,
        "http_listener_arn": next((x.ListenerArn for x in lis if x.Port in http_forward[:1]), ""),
        "cross_zone": cross,
        "cross_zone_text": cross_text,
        "lb_azs": lb_azs,
        "target_azs": sorted(target_azs),
        "empty_azs": empty,
        "empty_az_count": len(empty),
        "target_groups": tgs_of_lb.get(lb.LoadBalancerArn, []),
        "first_target_group": (tgs_of_lb.get(lb.LoadBalancerArn) or [YOUR_TARGET_GROUP])[0],
    }


@producer("vpc")
def vpc_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    flow = {f.ResourceId for f in snap.FlowLogs if (f.FlowLogStatus or "ACTIVE") == "ACTIVE"}
    s3_rts: set[str] = set()
    for e in snap.VpcEndpoints:
        if e.VpcEndpointType == "Gateway" and e.ServiceName.endswith(".s3"):
            if (e.State or "available").lower() == "available":
                s3_rts.update(e.RouteTableIds)
    region = snap.region or "<region>"
    for vid, vpc in topo.vpcs.items():
        views = topo.views_by_vpc.get(vid, [])
        n_inst = sum(len(topo.instances_by_subnet.get(v.subnet_id, [])) for v in views)
        public = [v.subnet_id for v in views if v.role == PUBLIC]
        subnets_logged = all(v.subnet_id in flow for v in views) and bool(views)
        nat_rts = sorted(
            {
                v.route_table.RouteTableId
                for v in views
                if v.route_table is not None and target_kind(v.default_target) == "nat"
            }
        )
        missing = [rt for rt in nat_rts if rt not in s3_rts]
        if vpc.EnableDnsSupport is None:
            dns = "unknown"
        else:
            dns = "on" if vpc.EnableDnsSupport else "off"
        yield {
            "rid": vid,
            "vpc_id": vid,
            "name": vpc.name,
            "cidr": vpc.CidrBlock,
            "is_default_vpc": vpc.IsDefault,
            "region": region,
            "dns_support": dns,
            "dns_hostnames": {None: "unknown", True: "on", False: "off"}[vpc.EnableDnsHostnames],
            "dns_hostnames_on": vpc.EnableDnsHostnames is True,
            "flow_logs_known": snap.has("FlowLogs"),
            "flow_logged": vid in flow or subnets_logged,
            "instance_count": n_inst,
            "subnet_count": len(views),
            "public_count": len(public),
            "all_public": bool(views) and len(public) == len(views),
            "public_subnets": public,
            "first_public_subnet": public[0] if public else "<public subnet id>",
            "endpoints_known": snap.has("VpcEndpoints"),
            "nat_route_tables": nat_rts,
            "s3_missing_tables": missing,
            "s3_missing_count": len(missing) if snap.has("VpcEndpoints") else 0,
            "s3_missing_tables_tf": ", ".join(f'"{t}"' for t in missing),
        }


def _perms_json(perms: list[IpPermission]) -> str:
    """--ip-permissions JSON for a list of permissions, as the API returned them."""
    import json

    doc = [p.model_dump(exclude_none=True) for p in perms]
    for d in doc:
        for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds"):
            if k in d and not d[k]:
                d.pop(k)
    return "'" + json.dumps(doc, separators=(",", ":")) + "'"


@producer("sg_default")
def default_sg_facts(topo: Topology) -> Iterator[Fact]:
    defaults = {g.GroupId for g in topo.snapshot.SecurityGroups if g.GroupName == "default"}
    eni_users: dict[str, list[str]] = {}
    nat_enis = {
        a.NetworkInterfaceId for n in topo.snapshot.NatGateways for a in n.NatGatewayAddresses
    }
    for e in topo.snapshot.NetworkInterfaces:
        if e.InterfaceType == "nat_gateway" or e.NetworkInterfaceId in nat_enis:
            continue  # NAT gateways take no security groups (some API emulators list one)
        for g in e.Groups:
            if g.GroupId in defaults:
                eni_users.setdefault(g.GroupId, []).append(e.NetworkInterfaceId)
    for sg in topo.snapshot.SecurityGroups:
        if sg.GroupId not in defaults or not (sg.IpPermissions or sg.IpPermissionsEgress):
            continue
        attached = [
            i.InstanceId
            for i in topo.instances_by_group.get(sg.GroupId, [])
            if i.State.Name != "terminated"
        ]
        enis = eni_users.get(sg.GroupId, [])
        cidr_in = [r.CidrIp for p in sg.IpPermissions for r in p.IpRanges] + [
            r.CidrIpv6 for p in sg.IpPermissions for r in p.Ipv6Ranges
        ]
        if not (attached or enis or cidr_in):
            continue  # the untouched group nothing uses: no rule applies
        yield {
            "rid": sg.GroupId,
            "group_id": sg.GroupId,
            "vpc_id": sg.VpcId or "",
            "inbound_count": len(sg.IpPermissions),
            "outbound_count": len(sg.IpPermissionsEgress),
            "has_rules": bool(sg.IpPermissions or sg.IpPermissionsEgress),
            "cidr_inbound": cidr_in,
            "has_cidr_inbound": bool(cidr_in),
            "attached": attached,
            "attached_count": len(attached),
            "in_use": bool(attached or enis),
            "interfaces": enis,
            "ingress_json": _perms_json(sg.IpPermissions),
            "egress_json": _perms_json(sg.IpPermissionsEgress),
            "has_inbound": bool(sg.IpPermissions),
            "has_outbound": bool(sg.IpPermissionsEgress),
        }


@producer("sg_egress")
def sg_egress_facts(topo: Topology) -> Iterator[Fact]:
    """Instances that need the internet, grouped by their set of security groups."""
    if not topo.snapshot.has("SecurityGroups"):
        return
    combos: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for inst in topo.snapshot.Instances:
        if inst.State.Name != "running" or not inst.SubnetId:
            continue
        role = topo.role(inst.SubnetId)
        if not (role == PRIVATE or (role == PUBLIC and inst.public_ips)):
            continue
        key = (inst.VpcId or "", tuple(sorted(topo.groups_of[inst.InstanceId])))
        combos.setdefault(key, []).append(inst.InstanceId)
    for (vpc_id, gids), insts in combos.items():
        groups = [topo.sgs[g] for g in gids if g in topo.sgs]
        if len(groups) != len(gids) or not groups:
            continue  # a group we cannot see might allow it
        blocked = [
            p
            for p in WEB_PORTS
            if not sg_match(groups, False, "tcp", p, INTERNET_V4)
            and not sg_match(groups, False, "tcp", p, "::/0")
        ]
        if not blocked:
            continue  # nothing for a rule to find
        yield {
            "rid": f"{vpc_id}:{'+'.join(gids)}",
            "vpc_id": vpc_id,
            "groups": list(gids),
            "group_names": [f"{g.GroupId} ({g.GroupName})" for g in groups],
            "first_group": gids[0],
            "instances": insts[:20],
            "instance_count": len(insts),
            "blocked_ports": blocked,
            "blocked_count": len(blocked),
            "all_web_blocked": len(blocked) == len(WEB_PORTS),
        }


@producer("nacl")
def nacl_facts(topo: Topology) -> Iterator[Fact]:
    """Custom network ACLs in use: what they let in from the whole internet."""
    for acl in topo.snapshot.NetworkAcls:
        if acl.IsDefault:
            continue
        subnets = [a.SubnetId for a in acl.Associations if a.SubnetId]
        if not subnets:
            continue
        open_ports: list[int] = []
        entries: list[str] = []
        specific = False
        allow_nums: list[int] = []
        for port in (22, 3389):
            seg = acl_segments_one(acl, port)
            if seg is not None and seg.allowed and seg.entry is not None:
                open_ports.append(port)
                entries.append(seg.describe(acl.NetworkAclId))
                allow_nums.append(seg.entry.RuleNumber)
                lo, hi = (
                    (seg.entry.PortRange.From or 0, seg.entry.PortRange.To or 65535)
                    if seg.entry.PortRange and seg.entry.Protocol not in ("-1", "all")
                    else (0, 65535)
                )
                if (lo, hi) != (0, 65535) and hi - lo < 1024:
                    specific = True
        if not open_ports:
            continue
        yield {
            "rid": acl.NetworkAclId,
            "nacl_id": acl.NetworkAclId,
            "vpc_id": acl.VpcId,
            "name": acl.name,
            "subnets": subnets,
            "subnet_labels": [subnet_label(topo, x) for x in subnets],
            "admin_open_ports": open_ports,
            "admin_open": bool(open_ports),
            "admin_open_by": entries,
            "admin_specific": specific,
            "deny_rule_number": _free_rule_number(acl, False, min(allow_nums))
            if allow_nums
            else 100,
            "first_admin_port": open_ports[0] if open_ports else "",
        }


def acl_segments_one(acl: NetworkAcl, port: int):
    """How the ACL decides inbound TCP ``port`` from the whole internet."""
    from assistant.policy import acl_decision

    return acl_decision(acl, False, "tcp", port, INTERNET_V4)


@producer("tg")
def tg_facts(topo: Topology) -> Iterator[Fact]:
    snap = topo.snapshot
    lbs = {lb.LoadBalancerArn: lb for lb in snap.LoadBalancers}
    for tg in snap.TargetGroups:
        descs = snap.TargetHealth.get(tg.TargetGroupArn)
        health_known = descs is not None
        descs = descs or []
        unhealthy, unused = [], []
        healthy = 0
        for d in descs:
            th = d.TargetHealth
            why = f"{th.Reason}: {th.Description}" if th.Reason else (th.Description or "")
            text = f"{d.Target.Id} {th.State}" + (f" ({why})" if why else "")
            if th.State == "healthy":
                healthy += 1
            elif th.State in ("unhealthy", "unavailable"):
                unhealthy.append(text)
            elif th.State == "unused":
                unused.append(text)
        # Does each target's security group let the load balancer in on the target port?
        my_lbs = [lbs[a] for a in tg.LoadBalancerArns if a in lbs]
        lb_groups = sorted({g for lb in my_lbs for g in lb.SecurityGroups})
        lb_cidrs = sorted(
            {
                topo.subnets[s].CidrBlock
                for lb in my_lbs
                for s in lb.subnet_ids
                if s in topo.subnets and topo.subnets[s].CidrBlock
            }
        )
        # Without every load balancer subnet, an allow by address range cannot be ruled out.
        cidrs_complete = all(
            s in topo.subnets and topo.subnets[s].CidrBlock for lb in my_lbs for s in lb.subnet_ids
        )
        blocked_targets: list[str] = []
        blocked_groups: list[str] = []
        checkable = (
            bool(my_lbs)
            and snap.has("SecurityGroups")
            and tg.TargetType == "instance"
            and (bool(lb_groups) or bool(lb_cidrs))
        )
        memo: dict[tuple, bool] = {}
        if checkable:
            for d in descs:
                inst = topo.instances.get(d.Target.Id)
                if inst is None or inst.State.Name != "running":
                    continue
                gids = topo.groups_of[inst.InstanceId]
                groups = [topo.sgs[g] for g in gids if g in topo.sgs]
                if len(groups) != len(gids):
                    continue
                port = d.Target.Port or tg.Port or 0
                ports = {port}
                if tg.HealthCheckPort and tg.HealthCheckPort.isdigit():
                    ports.add(int(tg.HealthCheckPort))
                key = (tuple(gids), tuple(sorted(ports)))
                if key not in memo:
                    memo[key] = all(
                        bool(sg_match(groups, True, "tcp", p, peer_groups=lb_groups))
                        or (
                            bool(lb_cidrs)
                            and all(sg_match(groups, True, "tcp", p, c) for c in lb_cidrs)
                        )
                        for p in ports
                    )
                ok = memo[key]
                if not ok and not cidrs_complete:
                    continue  # unknown: a subnet range we cannot see might allow it
                if not ok:
                    blocked_targets.append(inst.InstanceId)
                    for g in gids[:1]:
                        if g not in blocked_groups:
                            blocked_groups.append(g)
        if not (unhealthy or unused or blocked_targets):
            continue
        yield {
            "rid": tg.TargetGroupArn,
            "tg_arn": tg.TargetGroupArn,
            "tg_name": tg.TargetGroupName,
            "vpc_id": tg.VpcId or "",
            "port": tg.Port or "",
            "protocol": tg.Protocol or "",
            "lb_arns": tg.LoadBalancerArns,
            "first_lb_arn": tg.LoadBalancerArns[0]
            if tg.LoadBalancerArns
            else "<load balancer arn>",
            "lb_names": [lb.LoadBalancerName for lb in my_lbs],
            "attached_to_lb": bool(tg.LoadBalancerArns),
            "health_known": health_known,
            "target_count": len(descs),
            "healthy_count": healthy,
            "unhealthy": unhealthy,
            "unhealthy_count": len(unhealthy),
            "unused": unused,
            "unused_count": len(unused),
            "lb_groups": lb_groups,
            "lb_group": lb_groups[0] if lb_groups else "",
            "lb_cidrs": lb_cidrs,
            "lb_ip_ranges": ",".join(f"{{CidrIp={c}}}" for c in lb_cidrs),
            "blocked_targets": blocked_targets,
            "blocked_count": len(blocked_targets),
            "blocked_groups": blocked_groups,
        }


@producer("eip")
def eip_facts(topo: Topology) -> Iterator[Fact]:
    for a in topo.snapshot.Addresses:
        attached = bool(a.AssociationId or a.InstanceId or a.NetworkInterfaceId)
        if not a.AllocationId or attached:
            continue  # only an unattached address can matter to a rule
        yield {
            "rid": a.AllocationId,
            "allocation_id": a.AllocationId,
            "public_ip": a.PublicIp or "",
            "name": a.name,
            "name_text": f", {a.name}" if a.name else "",
            "vpc_id": "",
            "attached": attached,
        }


@producer("peering")
def peering_facts(topo: Topology) -> Iterator[Fact]:
    if not topo.snapshot.has("RouteTables"):
        return
    for pcx in topo.snapshot.VpcPeeringConnections:
        if pcx.state != "active":
            continue
        req, acc = pcx.RequesterVpcInfo, pcx.AccepterVpcInfo
        if req.VpcId not in topo.vpcs or acc.VpcId not in topo.vpcs:
            continue  # the other side is in another account or region: not visible here
        sides = {}
        for me in (req, acc):
            tables = sorted(
                {
                    rt.RouteTableId
                    for rt, _ in topo.routes_to.get(pcx.VpcPeeringConnectionId, [])
                    if rt.VpcId == me.VpcId
                }
            )
            sides[me.VpcId] = tables
        req_t, acc_t = sides[req.VpcId or ""], sides[acc.VpcId or ""]
        one_sided = bool(req_t) != bool(acc_t)
        routed, missing = (req, acc) if req_t else (acc, req)
        other = routed
        missing_tables = sorted(
            {
                v.route_table.RouteTableId
                for v in topo.views_by_vpc.get(missing.VpcId or "", [])
                if v.route_table is not None
            }
        )
        peer_cidr = other.CidrBlock or (
            topo.vpcs[other.VpcId or ""].CidrBlock if other.VpcId in topo.vpcs else ""
        )
        yield {
            "rid": pcx.VpcPeeringConnectionId,
            "pcx_id": pcx.VpcPeeringConnectionId,
            "vpc_id": missing.VpcId or "",
            "requester_vpc": req.VpcId or "",
            "accepter_vpc": acc.VpcId or "",
            "one_sided": one_sided,
            "routed_vpc": routed.VpcId or "",
            "routed_tables": sides[routed.VpcId or ""],
            "missing_vpc": missing.VpcId or "",
            "missing_tables": missing_tables,
            "peer_cidr": peer_cidr,
        }


# Route target kinds whose absence from the input leaves a route's state unknown, with the
# collection and command that would have held them.
_TARGET_SOURCES = {
    "igw": ("igws", "InternetGateways", "describe-internet-gateways"),
    "nat": ("nats", "NatGateways", "describe-nat-gateways"),
    "instance": ("instances", "Instances", "describe-instances"),
    "eni": ("enis", "NetworkInterfaces", "describe-network-interfaces"),
}


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def unknown_references(topo: Topology) -> list[NotCheckedItem]:
    """What the facts took as unknown because the input does not hold it.

    A route target or a load balancer subnet absent from the input is neither gone nor
    private: the rules give no finding about it, and this says what was missing.
    """
    out: list[NotCheckedItem] = []
    missing: dict[str, list[str]] = {}
    for target in topo.routes_to:
        kind = target_kind(target)
        if kind in _TARGET_SOURCES and target not in getattr(topo, _TARGET_SOURCES[kind][0]):
            missing.setdefault(kind, []).append(target)
    for kind, ids in sorted(missing.items()):
        _, coll, cmd = _TARGET_SOURCES[kind]
        why = "not read" if not topo.snapshot.has(coll) else f"not in the {cmd} output"
        out.append(
            NotCheckedItem(
                what=f"route targets not in the snapshot: {_shown(sorted(ids))}",
                reason=f"{why}: their state is unknown, so routes to them are not judged "
                "(only AWS's own blackhole state or a deleted target counts as gone)",
                rules=["egress.route-blackhole", "igw.not-attached", "nat.not-available"]
                if kind != "eni"
                else ["egress.route-blackhole", "nat.instance-source-dest-check"],
            )
        )
    lb_unknown = sorted(
        {
            s
            for lb in topo.snapshot.LoadBalancers
            for s in lb.subnet_ids
            if topo.role(s) not in (PUBLIC, PRIVATE, ISOLATED)
        }
    )
    if lb_unknown:
        out.append(
            NotCheckedItem(
                what=f"load balancer subnets of unknown role: {_shown(lb_unknown)}",
                reason="the subnet or its route table is not in the snapshot, so whether the "
                "load balancer sits in a public subnet there was not checked",
                rules=["ingress.lb-in-private-subnets"],
            )
        )
    return out
