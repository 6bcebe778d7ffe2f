"""Compare a VPC with a plan: each planned piece present and right, then the diagnosis.

Pieces are found the way a person would: subnets by their CIDR block, everything else by
its Name tag (load balancers, target groups and security groups by their names). Roles come
from assistant.topology, the same place the diagnosis reads them.

Every planned piece gets exactly one check, whatever the input holds. A piece is "ok" only
with evidence: when the data that would show it was not read (a collection missing from the
input, or a read that failed and is listed in the snapshot's not_checked), it is "not
verified", never ok and never missing. A resource in a deleted or failed state is missing.
`verify` exits 0 only when every piece is ok and the diagnosis finds nothing of medium or
higher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from assistant.models.finding import Diagnosis, Severity
from assistant.models.snapshot import IpPermission, SecurityGroup, Snapshot, Subnet
from assistant.topology import DEFAULT_V4, DEFAULT_V6, Topology, target_kind
from assistant.walkthrough.plan import Plan, PlannedSubnet

OK, MISSING, WRONG, NOT_VERIFIED, EXTRA = "ok", "missing", "wrong", "not verified", "extra"
NOT_CHECKED = NOT_VERIFIED  # the earlier name of the status
GONE = ("deleted", "deleting", "failed", "rejected", "expired")  # states that are not there


@dataclass
class Check:
    piece: str
    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass
class VerifyResult:
    vpc_id: str
    plan: Plan
    checks: list[Check] = field(default_factory=list)
    diagnosis: Diagnosis | None = None

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status in (MISSING, WRONG, EXTRA)]

    @property
    def not_verified(self) -> list[Check]:
        return [c for c in self.checks if c.status == NOT_VERIFIED]

    @property
    def serious_findings(self):
        return self.diagnosis.at_least(Severity.medium) if self.diagnosis else []

    @property
    def ok(self) -> bool:
        """Evidence for every planned piece, each as planned, and no serious finding."""
        return (
            bool(self.checks)
            and all(c.ok for c in self.checks)
            and not self.serious_findings
            and self.diagnosis is not None
        )

    @property
    def exit_code(self) -> int:
        """0 when verified; 1 when a piece is missing, wrong, extra or not verified."""
        return 0 if self.ok else 1


class _Verifier:
    def __init__(self, plan: Plan, snap: Snapshot, vpc_id: str) -> None:
        self.p, self.snap, self.vpc_id = plan, snap, vpc_id
        self.topo = Topology(snap)
        self.checks: list[Check] = []
        self.subnet_ids: dict[str, str] = {}  # planned key -> subnet id
        self.nat_ids: dict[str, str] = {}
        self.group_ids: dict[str, str] = {}
        self.lb_arn: str | None = None
        self.lb_state = NOT_VERIFIED

    def add(self, piece: str, status: str, detail: str = "") -> str:
        self.checks.append(Check(piece, status, detail))
        return status

    def unread(self, *collections: str) -> list[str]:
        """The collections among these that were not read (absent, or a read that failed)."""
        failed = {n.what for n in self.snap.not_checked}
        return [
            c
            for c in collections
            if not self.snap.has(c) or c in failed or any(c in w.split() for w in failed)
        ]

    def unread_about(self, *ids: str) -> str:
        """A not_checked reason that names one of these resources (a per-item read failed)."""
        for n in self.snap.not_checked:
            text = f"{n.what} {n.reason}"
            if any(i and i in text for i in ids):
                return n.reason
        return ""

    def not_verified(self, piece: str, *collections: str) -> bool:
        """Add a 'not verified' check when any of the collections was not read."""
        missing = self.unread(*collections)
        if missing:
            self.add(piece, NOT_VERIFIED, f"{', '.join(missing)} not read: no evidence")
            return True
        return False

    # -- pieces ---------------------------------------------------------------------------
    def vpc(self) -> None:
        p = self.p
        piece = f"VPC {p.vpc_name}"
        if self.not_verified(piece, "Vpcs"):
            return
        vpc = self.topo.vpcs.get(self.vpc_id)
        if vpc is None:
            self.add(piece, MISSING, f"{self.vpc_id} is not in the input")
            return
        wrong = []
        if vpc.CidrBlock != p.vpc_cidr and p.vpc_cidr not in vpc.cidrs():
            wrong.append(f"CIDR is {vpc.CidrBlock}, planned {p.vpc_cidr}")
        if vpc.name != p.vpc_name:
            wrong.append(f"Name tag is {vpc.name!r}, planned {p.vpc_name!r}")
        if p.ipv6 and not vpc.Ipv6CidrBlockAssociationSet:
            wrong.append("no IPv6 block")
        if vpc.EnableDnsHostnames is False:
            wrong.append("DNS hostnames are off")
        if vpc.EnableDnsSupport is False:
            wrong.append("DNS support is off")
        if wrong:
            self.add(piece, WRONG, "; ".join(wrong))
        elif (
            vpc.EnableDnsHostnames is None
            or vpc.EnableDnsSupport is None
            or any(n.what == "VpcAttributes" for n in self.snap.not_checked)
        ):
            self.add(
                piece,
                NOT_VERIFIED,
                "its DNS attributes were not read (describe-vpc-attribute enableDnsSupport "
                "and enableDnsHostnames)",
            )
        else:
            self.add(piece, OK, f"{self.vpc_id} {vpc.CidrBlock}, DNS support and hostnames on")

    def gateways(self) -> None:
        p = self.p
        if p.igw:
            piece = f"internet gateway {p.name}-igw"
            if not self.not_verified(piece, "InternetGateways"):
                igw = self.topo.attached_igw(self.vpc_id)
                self.add(
                    piece,
                    OK if igw else MISSING,
                    f"{igw} attached" if igw else "no internet gateway attached to the VPC",
                )
        if p.eigw:
            piece = f"egress-only gateway {p.name}-eigw"
            if not self.not_verified(piece, "EgressOnlyInternetGateways"):
                found = [
                    g.EgressOnlyInternetGatewayId
                    for g in self.snap.EgressOnlyInternetGateways
                    if any(
                        a.VpcId == self.vpc_id and a.State in ("attached", "available")
                        for a in g.Attachments
                    )
                ]
                self.add(
                    piece,
                    OK if found else MISSING,
                    ", ".join(found) or "none attached to the VPC",
                )

    def subnets(self) -> None:
        mine = [s for s in self.snap.Subnets if s.VpcId == self.vpc_id]
        unread = self.unread("Subnets")
        for ps in self.p.subnets:
            piece = f"subnet {ps.name} ({ps.tier})"
            if unread:
                self.add(piece, NOT_VERIFIED, "Subnets not read: no evidence")
                continue
            sub: Subnet | None = next((s for s in mine if s.CidrBlock == ps.cidr), None)
            sub = sub or next((s for s in mine if s.name == ps.name), None)
            if sub is None:
                self.add(piece, MISSING, f"no subnet {ps.cidr} in the VPC")
                continue
            self.subnet_ids[ps.key] = sub.SubnetId
            self._subnet(piece, ps, sub)

    def _subnet(self, piece: str, ps: PlannedSubnet, sub: Subnet) -> None:
        wrong = []
        if sub.CidrBlock != ps.cidr:
            wrong.append(f"CIDR {sub.CidrBlock}, planned {ps.cidr}")
        if sub.AvailabilityZone and sub.AvailabilityZone != ps.az:
            wrong.append(f"in {sub.AvailabilityZone}, planned {ps.az}")
        if sub.name != ps.name:
            wrong.append(f"Name tag {sub.name!r}, planned {ps.name!r}")
        if ps.ipv6_index is not None and not sub.ipv6_cidrs:
            wrong.append("no IPv6 /64")
        role, unread = self.role(sub.SubnetId)
        if not unread:
            if role != ps.role:
                wrong.append(f"it is {role}, planned {ps.role}")
        if wrong:
            self.add(piece, WRONG, "; ".join(wrong))
        elif unread:
            self.add(
                piece,
                NOT_VERIFIED,
                f"{sub.SubnetId} {sub.CidrBlock}; its role needs {', '.join(unread)}, not read",
            )
        else:
            self.add(piece, OK, f"{sub.SubnetId} {sub.CidrBlock} {ps.az} {ps.role}")

    def role(self, subnet_id: str) -> tuple[str, list[str]]:
        """A subnet's role, and the collections not read that it depends on.

        The role (public, private, isolated) comes from the subnet's route table, and for a
        route to an internet gateway, from the gateway's attachment.
        """
        unread = self.unread("Subnets", "RouteTables")
        view = self.topo.view(subnet_id)
        if not unread and view is not None:
            routes = (view.default_route, view.default_route_v6)
            if any(r and target_kind(r.target) == "igw" for r in routes):
                unread = self.unread("InternetGateways")
        return (self.topo.role(subnet_id), unread)

    def nats(self) -> None:
        p = self.p
        unread = self.unread("NatGateways")
        if unread:
            for pn in p.nats:
                self.add(f"NAT gateway {pn.name}", NOT_VERIFIED, "NatGateways not read")
            return
        mine = [n for n in self.snap.NatGateways if n.VpcId == self.vpc_id]
        live = [n for n in mine if n.State not in GONE]
        used: set[str] = set()
        for pn in p.nats:
            piece = f"NAT gateway {pn.name}"
            want_subnet = self.subnet_ids.get(pn.subnet)
            cands = [n for n in live if n.name == pn.name] or [
                n for n in live if want_subnet and n.SubnetId == want_subnet
            ]
            if not cands:
                gone = [n for n in mine if n.name == pn.name and n.State in GONE]
                self.add(
                    piece,
                    MISSING,
                    f"{gone[0].NatGatewayId} is {gone[0].State}"
                    if gone
                    else f"no NAT gateway in {p.subnet(pn.subnet).name}",
                )
                continue
            n = cands[0]
            used.add(n.NatGatewayId)
            self.nat_ids[pn.key] = n.NatGatewayId
            wrong = []
            if want_subnet and n.SubnetId != want_subnet:
                wrong.append(f"in {n.SubnetId}, planned {p.subnet(pn.subnet).name}")
            if n.State != "available":
                wrong.append(f"state {n.State}")
            if n.ConnectivityType == "public" and not n.public_ips:
                wrong.append("no public IP")
            role, unread = self.role(n.SubnetId) if n.SubnetId else ("unknown", [])
            if not unread and role not in ("public", "unknown"):
                wrong.append(f"its subnet is {role}, not public")
            if wrong:
                self.add(piece, WRONG, "; ".join(wrong))
            elif want_subnet is None or role == "unknown" or unread:
                self.add(
                    piece,
                    NOT_VERIFIED,
                    f"{n.NatGatewayId}: whether its subnet is {p.subnet(pn.subnet).name} and "
                    "public needs the subnets, route tables and internet gateways, not all read",
                )
            else:
                self.add(
                    piece,
                    OK,
                    f"{n.NatGatewayId} in {p.subnet(pn.subnet).name}, {', '.join(n.public_ips)}",
                )
        for n in live:
            if n.NatGatewayId not in used:
                self.add(
                    f"NAT gateway {n.NatGatewayId}",
                    EXTRA,
                    "not in the plan (each NAT gateway costs money by the hour)",
                )

    def routes(self) -> None:
        p = self.p
        target_collection = {
            "igw": "InternetGateways",
            "nat": "NatGateways",
            "eigw": "EgressOnlyInternetGateways",
        }
        for rt in p.route_tables:
            needed = ["RouteTables", "Subnets"]
            needed += [target_collection[r.target_kind] for r in rt.routes]
            for key in rt.subnets:
                piece = f"routes of {p.subnet(key).name}"
                if self.not_verified(piece, *dict.fromkeys(needed)):
                    continue
                sid = self.subnet_ids.get(key)
                if sid is None:
                    self.add(piece, MISSING, f"its subnet {p.subnet(key).name} is missing")
                    continue
                v = self.topo.view(sid)
                if v is None or v.route_table is None:
                    self.add(piece, MISSING, "no route table")
                    continue
                wrong = self._route_differences(rt, v)
                rtid = v.route_table.RouteTableId
                self.add(
                    piece,
                    WRONG if wrong else OK,
                    "; ".join(wrong)
                    or (
                        f"{rtid}: "
                        + (
                            ", ".join(f"{r.destination} -> {_target(p, r)}" for r in rt.routes)
                            or "local only"
                        )
                    ),
                )

    def _route_differences(self, rt, v) -> list[str]:
        p = self.p
        wrong = []
        want = {r.destination: r for r in rt.routes}
        for dest in (DEFAULT_V4, DEFAULT_V6):
            route = v.default_route if dest == DEFAULT_V4 else v.default_route_v6
            got = route.target if route else ""
            planned = want.get(dest)
            if planned is None:
                if got:
                    wrong.append(f"{dest} -> {got}, planned no such route")
                continue
            if not got:
                wrong.append(f"no {dest} route, planned -> {planned.target_kind}")
                continue
            kind = target_kind(got)
            if kind != planned.target_kind:
                wrong.append(f"{dest} -> {got}, planned -> {planned.target_kind}")
            elif kind == "nat" and self.nat_ids.get(planned.target) != got:
                nat = next(n for n in p.nats if n.key == planned.target)
                wrong.append(
                    f"{dest} -> {got}, planned -> {nat.name}"
                    + (
                        f" ({self.nat_ids[planned.target]})"
                        if planned.target in self.nat_ids
                        else ""
                    )
                )
            elif kind == "igw" and self.topo.attached_igw(self.vpc_id) != got:
                wrong.append(f"{dest} -> {got}, not the internet gateway attached to the VPC")
            if route is not None and route.State == "blackhole":
                wrong.append(f"{dest} route is a blackhole")
        return wrong

    def endpoint(self) -> None:
        p = self.p
        if not p.s3_endpoint:
            return
        piece = f"S3 gateway endpoint {p.name}-s3-endpoint"
        if self.not_verified(piece, "VpcEndpoints", "RouteTables", "Subnets"):
            return
        service = f"com.amazonaws.{p.region}.s3"
        mine = [
            e
            for e in self.snap.VpcEndpoints
            if e.VpcId == self.vpc_id
            and e.ServiceName == service
            and e.VpcEndpointType.lower() == "gateway"
        ]
        eps = [e for e in mine if (e.State or "available").lower() not in GONE]
        if not eps:
            gone = [f"{e.VpcEndpointId} is {e.State}" for e in mine]
            self.add(piece, MISSING, "; ".join(gone) or f"no gateway endpoint for {service}")
            return
        rts = {rt for e in eps for rt in e.RouteTableIds}
        lacking = []
        for rt in p.route_tables:
            if rt.key not in p.endpoint_route_tables:
                continue
            for key in rt.subnets:
                sid = self.subnet_ids.get(key)
                v = self.topo.view(sid) if sid else None
                if v is None or v.route_table is None or v.route_table.RouteTableId not in rts:
                    lacking.append(p.subnet(key).name)
        self.add(
            piece,
            WRONG if lacking else OK,
            f"not on the route tables of {', '.join(lacking)}"
            if lacking
            else f"{eps[0].VpcEndpointId} on {len(rts)} route table(s)",
        )

    def groups(self) -> None:
        p = self.p
        if self.unread("SecurityGroups"):
            for pg in p.groups:
                self.add(f"security group {pg.name}", NOT_VERIFIED, "SecurityGroups not read")
            return
        by_name = {g.GroupName: g for g in self.snap.SecurityGroups if g.VpcId == self.vpc_id}
        for pg in p.groups:
            g = by_name.get(pg.name)
            if g is not None:
                self.group_ids[pg.key] = g.GroupId
        for pg in p.groups:
            piece = f"security group {pg.name}"
            g = by_name.get(pg.name)
            if g is None:
                self.add(piece, MISSING, "no security group of that name in the VPC")
                continue
            wrong = []
            for r in pg.ingress:
                if not any(
                    _allows(perm, r.port, r.source, self.group_ids) for perm in g.IpPermissions
                ):
                    wrong.append(f"no inbound tcp {r.port} from {_source_name(p, r.source)}")
            for cidr in pg.egress:
                if not any(_all_out(perm, cidr) for perm in g.IpPermissionsEgress):
                    wrong.append(f"no outbound rule for all traffic to {cidr}")
            if pg.key != "alb_sg":
                wrong += _open_sources(g)
            self.add(
                piece,
                WRONG if wrong else OK,
                "; ".join(wrong)
                or (
                    f"{g.GroupId}: "
                    + (
                        ", ".join(f"{r.port} from {_source_name(p, r.source)}" for r in pg.ingress)
                        or "no inbound rules"
                    )
                ),
            )

    def alb(self) -> None:
        a = self.p.alb
        if a is None:
            return
        self._lb(a)
        self._target_group(a)
        self._listeners(a)

    def _lb(self, a) -> None:
        piece = f"load balancer {a.name}"
        if self.not_verified(piece, "LoadBalancers"):
            return
        mine = [
            x
            for x in self.snap.LoadBalancers
            if x.LoadBalancerName == a.name and x.VpcId == self.vpc_id
        ]
        lb = next((x for x in mine if x.State.Code not in GONE), None)
        if lb is None:
            self.lb_state = self.add(
                piece,
                MISSING,
                f"{mine[0].LoadBalancerArn} is {mine[0].State.Code}"
                if mine
                else "no load balancer of that name in the VPC",
            )
            return
        self.lb_arn = lb.LoadBalancerArn
        wrong = []
        if lb.Scheme != "internet-facing":
            wrong.append(f"scheme {lb.Scheme}")
        if lb.Type != "application":
            wrong.append(f"type {lb.Type}")
        unread = self.unread("Subnets", "SecurityGroups")
        want = {self.subnet_ids.get(k) for k in a.subnets}
        if None not in want and set(lb.subnet_ids) != want:
            wrong.append(f"subnets {', '.join(sorted(lb.subnet_ids))}, planned the public ones")
        gid = self.group_ids.get(a.group)
        if gid and gid not in lb.SecurityGroups:
            wrong.append(f"security groups {', '.join(lb.SecurityGroups)}, planned {gid}")
        if wrong:
            self.lb_state = self.add(piece, WRONG, "; ".join(wrong))
        elif unread:
            self.lb_state = self.add(
                piece,
                NOT_VERIFIED,
                f"{lb.LoadBalancerArn}: its subnets and security group need "
                f"{', '.join(unread)}, not read",
            )
        else:
            self.lb_state = self.add(piece, OK, lb.LoadBalancerArn)

    def _target_group(self, a) -> None:
        piece = f"target group {a.target_group}"
        if self.not_verified(piece, "TargetGroups"):
            return
        tg = next((t for t in self.snap.TargetGroups if t.TargetGroupName == a.target_group), None)
        if tg is None:
            self.add(piece, MISSING, "no target group of that name")
            return
        bad = []
        if tg.Port != a.port:
            bad.append(f"port {tg.Port}, planned {a.port}")
        if tg.VpcId != self.vpc_id:
            bad.append(f"in {tg.VpcId}")
        self.add(piece, WRONG if bad else OK, "; ".join(bad) or f"HTTP {tg.Port}")

    def _listeners(self, a) -> None:
        pieces = ("HTTPS listener 443", "HTTP listener 80 (redirect)")
        why = ""
        if self.lb_arn is None:
            if self.lb_state == MISSING:
                for piece in pieces:
                    self.add(piece, MISSING, f"the load balancer {a.name} is missing")
                return
            why = "the load balancer was not read"
        why = why or (", ".join(self.unread("Listeners")) and "Listeners not read")
        why = why or self.unread_about(self.lb_arn or "")
        if why:
            for piece in pieces:
                self.add(piece, NOT_VERIFIED, why)
            return
        listeners = {x.Port: x for x in self.snap.Listeners if x.LoadBalancerArn == self.lb_arn}
        tg = next((t for t in self.snap.TargetGroups if t.TargetGroupName == a.target_group), None)
        https = listeners.get(443)
        if https is None:
            self.add(pieces[0], MISSING, "no listener on port 443")
        else:
            bad = []
            if https.Protocol != "HTTPS":
                bad.append(f"protocol {https.Protocol}")
            fwd = [
                arn
                for act in https.DefaultActions
                if act.Type == "forward"
                for arn in act.target_group_arns()
            ]
            if tg is not None and tg.TargetGroupArn not in fwd:
                bad.append(f"does not forward to {a.target_group}")
            if bad:
                self.add(pieces[0], WRONG, "; ".join(bad))
            elif tg is None:
                self.add(pieces[0], NOT_VERIFIED, f"{a.target_group} was not found to compare")
            else:
                self.add(pieces[0], OK, f"forwards to {a.target_group}")
        http = listeners.get(80)
        if http is None:
            self.add(pieces[1], MISSING, "no listener on port 80")
        else:
            red = [
                act.RedirectConfig
                for act in http.DefaultActions
                if act.Type == "redirect" and act.RedirectConfig
            ]
            good = any(r.Protocol == "HTTPS" and str(r.Port) == "443" for r in red)
            self.add(
                pieces[1],
                OK if good else WRONG,
                "redirects to HTTPS 443" if good else "does not redirect to HTTPS 443",
            )


def _allows(perm: IpPermission, port: int, source: str, ids: dict[str, str]) -> bool:
    if perm.IpProtocol not in ("tcp", "6", "-1"):
        return False
    lo, hi = perm.port_range()
    if not lo <= port <= hi:
        return False
    if source[0].isdigit():
        return any(r.CidrIp == source for r in perm.IpRanges)
    gid = ids.get(source)
    return gid is not None and any(pair.GroupId == gid for pair in perm.UserIdGroupPairs)


def _all_out(perm: IpPermission, cidr: str) -> bool:
    if perm.IpProtocol not in ("-1", "all"):
        return False
    if ":" in cidr:
        return any(r.CidrIpv6 == cidr for r in perm.Ipv6Ranges)
    return any(r.CidrIp == cidr for r in perm.IpRanges)


def _target(p: Plan, r) -> str:
    if r.target_kind == "nat":
        return next(n.name for n in p.nats if n.key == r.target)
    return f"{p.name}-{r.target_kind}"


def _source_name(p: Plan, source: str) -> str:
    return next((g.name for g in p.groups if g.key == source), source)


def _open_sources(g: SecurityGroup) -> list[str]:
    """Inbound rules from address ranges, where only a security group should be the source."""
    out = []
    for perm in g.IpPermissions:
        cidrs = [r.CidrIp for r in perm.IpRanges] + [r.CidrIpv6 for r in perm.Ipv6Ranges]
        if cidrs:
            lo, hi = perm.port_range()
            out.append(f"also allows ports {lo}-{hi} from {', '.join(cidrs)}")
    return out


def verify(plan: Plan, snapshot: Snapshot, vpc_id: str) -> VerifyResult:
    """Check every planned piece in the VPC, then run the diagnosis on it."""
    from assistant.engine import diagnose

    v = _Verifier(plan, snapshot, vpc_id)
    v.vpc()
    v.gateways()
    v.subnets()
    v.nats()
    v.routes()
    v.endpoint()
    v.groups()
    v.alb()
    return VerifyResult(vpc_id, plan, v.checks, diagnose(snapshot, vpc_ids=[vpc_id]))


def render_verify(r: VerifyResult) -> str:
    """The checks, one per line, then a summary that says what exit code means, then the
    diagnosis."""
    from assistant.render import render_text
    from assistant.render.safe import clean

    p = r.plan
    lines = [f"Verify {r.vpc_id} against the plan {p.vpc_name} ({p.vpc_cidr}, {p.region})", ""]
    width = max((len(c.piece) for c in r.checks), default=10)
    for c in r.checks:
        lines.append(f"  {c.status.upper():<12} {c.piece:<{width}}  {clean(c.detail, 300)}")
    ok = sum(1 for c in r.checks if c.ok)
    planned = sum(1 for c in r.checks if c.status != EXTRA)
    lines.append("")
    summary = f"{ok} of {planned} planned pieces verified present and correct"
    if r.not_verified:
        summary += (
            f"; {len(r.not_verified)} not verified (the data that would show them was not read)"
        )
    lines.append(summary + ".")
    if r.ok:
        lines.append("Verified: every planned piece is in place (exit 0).")
    elif r.problems:
        lines.append(
            f"Does not match the plan: {len(r.problems)} piece(s) missing, wrong or extra (exit 1)."
        )
    elif r.not_verified:
        lines.append(
            "Not verified: nothing differs in what was read, but not every piece could be "
            "read (exit 1)."
        )
    else:
        lines.append("Every piece is in place, but the diagnosis found problems (exit 1).")
    lines.append("")
    lines.append("Diagnosis of the VPC:")
    lines.append(render_text(r.diagnosis, min_severity=Severity.low) if r.diagnosis else "")
    return "\n".join(lines).rstrip("\n") + "\n"


def verify_json(r: VerifyResult) -> str:
    from assistant.render.json_out import diagnosis_dict

    doc = {
        "vpc_id": r.vpc_id,
        "ok": r.ok,
        "exit_code": r.exit_code,
        "checks": [{"piece": c.piece, "status": c.status, "detail": c.detail} for c in r.checks],
        "diagnosis": diagnosis_dict(r.diagnosis) if r.diagnosis else None,
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
