"""Compare a VPC with a plan: each planned piece present and right, then the diagnosis.

Pieces are found the way a person would: subnets by their CIDR block, everything else by
its Name tag (load balancers, target groups and security groups by their names). Roles come
from assistant.topology, the same place the diagnosis reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from assistant.models.finding import Diagnosis, Severity
from assistant.models.snapshot import IpPermission, SecurityGroup, Snapshot, Subnet
from assistant.topology import DEFAULT_V4, DEFAULT_V6, Topology, target_kind
from assistant.walkthrough.plan import Plan

OK, MISSING, WRONG, NOT_CHECKED, EXTRA = "ok", "missing", "wrong", "not checked", "extra"


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
    def serious_findings(self):
        return self.diagnosis.at_least(Severity.medium) if self.diagnosis else []

    @property
    def ok(self) -> bool:
        return not self.problems and not self.serious_findings


class _Verifier:
    def __init__(self, plan: Plan, snap: Snapshot, vpc_id: str) -> None:
        self.p, self.snap, self.vpc_id = plan, snap, vpc_id
        self.topo = Topology(snap)
        self.checks: list[Check] = []
        self.subnet_ids: dict[str, str] = {}  # planned key -> subnet id
        self.nat_ids: dict[str, str] = {}
        self.group_ids: dict[str, str] = {}

    def add(self, piece: str, status: str, detail: str = "") -> None:
        self.checks.append(Check(piece, status, detail))

    def needs(self, piece: str, *collections: str) -> bool:
        missing = [c for c in collections if not self.snap.has(c)]
        if missing:
            self.add(piece, NOT_CHECKED, f"no {', '.join(missing)} in the input")
            return False
        return True

    # -- pieces ---------------------------------------------------------------------------
    def vpc(self) -> None:
        p = self.p
        if not self.needs(f"VPC {p.vpc_name}", "Vpcs"):
            return
        vpc = self.topo.vpcs.get(self.vpc_id)
        if vpc is None:
            self.add(f"VPC {p.vpc_name}", MISSING, f"{self.vpc_id} is not in the input")
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
        self.add(
            f"VPC {p.vpc_name}",
            WRONG if wrong else OK,
            "; ".join(wrong) or f"{self.vpc_id} {vpc.CidrBlock}",
        )

    def gateways(self) -> None:
        p = self.p
        if p.igw and self.needs(f"internet gateway {p.name}-igw", "InternetGateways"):
            igw = self.topo.attached_igw(self.vpc_id)
            self.add(
                f"internet gateway {p.name}-igw",
                OK if igw else MISSING,
                f"{igw} attached" if igw else "no internet gateway attached to the VPC",
            )
        if p.eigw and self.needs(
            f"egress-only gateway {p.name}-eigw", "EgressOnlyInternetGateways"
        ):
            found = [
                g.EgressOnlyInternetGatewayId
                for g in self.snap.EgressOnlyInternetGateways
                if any(a.VpcId == self.vpc_id for a in g.Attachments)
            ]
            self.add(
                f"egress-only gateway {p.name}-eigw",
                OK if found else MISSING,
                ", ".join(found) or "none attached to the VPC",
            )

    def subnets(self) -> None:
        if not self.needs("subnets", "Subnets", "RouteTables"):
            return
        mine = [s for s in self.snap.Subnets if s.VpcId == self.vpc_id]
        for ps in self.p.subnets:
            piece = f"subnet {ps.name} ({ps.tier})"
            sub: Subnet | None = next((s for s in mine if s.CidrBlock == ps.cidr), None)
            sub = sub or next((s for s in mine if s.name == ps.name), None)
            if sub is None:
                self.add(piece, MISSING, f"no subnet {ps.cidr} in the VPC")
                continue
            self.subnet_ids[ps.key] = sub.SubnetId
            wrong = []
            if sub.CidrBlock != ps.cidr:
                wrong.append(f"CIDR {sub.CidrBlock}, planned {ps.cidr}")
            if sub.AvailabilityZone and sub.AvailabilityZone != ps.az:
                wrong.append(f"in {sub.AvailabilityZone}, planned {ps.az}")
            if sub.name != ps.name:
                wrong.append(f"Name tag {sub.name!r}, planned {ps.name!r}")
            role = self.topo.role(sub.SubnetId)
            if role != ps.role:
                wrong.append(f"it is {role}, planned {ps.role}")
            if ps.ipv6_index is not None and not sub.ipv6_cidrs:
                wrong.append("no IPv6 /64")
            self.add(
                piece,
                WRONG if wrong else OK,
                "; ".join(wrong) or f"{sub.SubnetId} {sub.CidrBlock} {ps.az} {role}",
            )

    def nats(self) -> None:
        p = self.p
        if not self.needs("NAT gateways", "NatGateways"):
            return
        live = [
            n
            for n in self.snap.NatGateways
            if n.VpcId == self.vpc_id and n.State not in ("deleted", "deleting", "failed")
        ]
        used: set[str] = set()
        for pn in p.nats:
            piece = f"NAT gateway {pn.name}"
            want_subnet = self.subnet_ids.get(pn.subnet)
            cands = [n for n in live if n.name == pn.name] or [
                n for n in live if want_subnet and n.SubnetId == want_subnet
            ]
            if not cands:
                self.add(piece, MISSING, f"no NAT gateway in {p.subnet(pn.subnet).name}")
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
            if n.SubnetId and self.topo.role(n.SubnetId) != "public":
                wrong.append("its subnet is not public")
            self.add(
                piece,
                WRONG if wrong else OK,
                "; ".join(wrong)
                or f"{n.NatGatewayId} in {p.subnet(pn.subnet).name}, {', '.join(n.public_ips)}",
            )
        for n in live:
            if n.NatGatewayId not in used:
                self.add(
                    f"NAT gateway {n.NatGatewayId}",
                    EXTRA,
                    "not in the plan (each NAT gateway costs money by the hour)",
                )

    def routes(self) -> None:
        if not self.snap.has("RouteTables"):
            return
        p = self.p
        for rt in p.route_tables:
            for key in rt.subnets:
                sid = self.subnet_ids.get(key)
                piece = f"routes of {p.subnet(key).name}"
                if sid is None:
                    continue  # reported as a missing subnet
                v = self.topo.view(sid)
                if v is None or v.route_table is None:
                    self.add(piece, MISSING, "no route table")
                    continue
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
                    elif kind == "nat" and self.nat_ids.get(planned.target) not in (None, got):
                        wrong.append(
                            f"{dest} -> {got}, planned -> {self.nat_ids[planned.target]} "
                            f"({next(n.name for n in p.nats if n.key == planned.target)})"
                        )
                    if route is not None and route.State == "blackhole":
                        wrong.append(f"{dest} route is a blackhole")
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

    def endpoint(self) -> None:
        p = self.p
        if not p.s3_endpoint:
            return
        piece = f"S3 gateway endpoint {p.name}-s3-endpoint"
        if not self.needs(piece, "VpcEndpoints"):
            return
        service = f"com.amazonaws.{p.region}.s3"
        eps = [
            e
            for e in self.snap.VpcEndpoints
            if e.VpcId == self.vpc_id
            and e.ServiceName == service
            and e.VpcEndpointType.lower() == "gateway"
        ]
        if not eps:
            self.add(piece, MISSING, f"no gateway endpoint for {service}")
            return
        rts = {rt for e in eps for rt in e.RouteTableIds}
        lacking = []
        for rt in p.route_tables:
            if rt.key not in p.endpoint_route_tables:
                continue
            for key in rt.subnets:
                sid = self.subnet_ids.get(key)
                v = self.topo.view(sid) if sid else None
                if v and v.route_table and v.route_table.RouteTableId not in rts:
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
        if not p.groups or not self.needs("security groups", "SecurityGroups"):
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
        piece = f"load balancer {a.name}"
        if not self.needs(piece, "LoadBalancers"):
            return
        lb = next(
            (
                x
                for x in self.snap.LoadBalancers
                if x.LoadBalancerName == a.name and x.VpcId == self.vpc_id
            ),
            None,
        )
        if lb is None:
            self.add(piece, MISSING, "no load balancer of that name in the VPC")
            return
        wrong = []
        if lb.Scheme != "internet-facing":
            wrong.append(f"scheme {lb.Scheme}")
        if lb.Type != "application":
            wrong.append(f"type {lb.Type}")
        want = {self.subnet_ids.get(k) for k in a.subnets}
        if set(lb.subnet_ids) != want:
            wrong.append(f"subnets {', '.join(sorted(lb.subnet_ids))}, planned the public ones")
        gid = self.group_ids.get(a.group)
        if gid and gid not in lb.SecurityGroups:
            wrong.append(f"security groups {', '.join(lb.SecurityGroups)}, planned {gid}")
        self.add(piece, WRONG if wrong else OK, "; ".join(wrong) or f"{lb.LoadBalancerArn}")

        tg = next((t for t in self.snap.TargetGroups if t.TargetGroupName == a.target_group), None)
        tpiece = f"target group {a.target_group}"
        if not self.snap.has("TargetGroups"):
            self.add(tpiece, NOT_CHECKED, "no TargetGroups in the input")
        elif tg is None:
            self.add(tpiece, MISSING, "no target group of that name")
        else:
            bad = []
            if tg.Port != a.port:
                bad.append(f"port {tg.Port}, planned {a.port}")
            if tg.VpcId != self.vpc_id:
                bad.append(f"in {tg.VpcId}")
            self.add(tpiece, WRONG if bad else OK, "; ".join(bad) or f"HTTP {tg.Port}")

        if not self.needs("listeners", "Listeners"):
            return
        listeners = {
            x.Port: x for x in self.snap.Listeners if x.LoadBalancerArn == lb.LoadBalancerArn
        }
        https = listeners.get(443)
        if https is None:
            self.add("HTTPS listener 443", MISSING, "no listener on port 443")
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
            self.add(
                "HTTPS listener 443",
                WRONG if bad else OK,
                "; ".join(bad) or f"forwards to {a.target_group}",
            )
        http = listeners.get(80)
        if http is None:
            self.add("HTTP listener 80 (redirect)", MISSING, "no listener on port 80")
        else:
            red = [
                act.RedirectConfig
                for act in http.DefaultActions
                if act.Type == "redirect" and act.RedirectConfig
            ]
            good = any(r.Protocol == "HTTPS" and str(r.Port) == "443" for r in red)
            self.add(
                "HTTP listener 80 (redirect)",
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
    """The checks, one per line, then the diagnosis."""
    from assistant.render import render_text

    p = r.plan
    lines = [f"Verify {r.vpc_id} against the plan {p.vpc_name} ({p.vpc_cidr}, {p.region})", ""]
    width = max((len(c.piece) for c in r.checks), default=10)
    for c in r.checks:
        lines.append(f"  {c.status.upper():<11} {c.piece:<{width}}  {c.detail}")
    ok = sum(1 for c in r.checks if c.ok)
    skipped = sum(1 for c in r.checks if c.status == NOT_CHECKED)
    lines.append("")
    summary = f"{ok} of {len(r.checks) - skipped} planned pieces present and correct"
    if skipped:
        summary += f"; {skipped} not checked (their data was not in the input)"
    lines.append(summary + ".")
    lines.append("")
    lines.append("Diagnosis of the VPC:")
    lines.append(render_text(r.diagnosis, min_severity=Severity.low) if r.diagnosis else "")
    return "\n".join(lines).rstrip("\n") + "\n"


def verify_json(r: VerifyResult) -> str:
    from assistant.render.json_out import diagnosis_dict

    doc = {
        "vpc_id": r.vpc_id,
        "ok": r.ok,
        "checks": [{"piece": c.piece, "status": c.status, "detail": c.detail} for c in r.checks],
        "diagnosis": diagnosis_dict(r.diagnosis) if r.diagnosis else None,
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
