"""From answers to a plan: every resource to create, its name, and why.

The plan is data; render.py turns it into words, a bash script or Terraform, and verify.py
compares a VPC against it. Names carry the tier (``-public-``, ``-private-app-``,
``-isolated-app-``, ``-data-``) so the diagnosis reads each subnet's intent correctly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from assistant.walkthrough.costs import CostLine, estimate, load_prices
from assistant.walkthrough.questions import (
    Answers,
    default_azs,
    split_bits,
    subnet_prefix,
    usable,
)

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CERT_PLACEHOLDER = "CERTIFICATE_ARN"
# The role each tier's subnets must have in the diagnosis (assistant.topology).
TIER_QUARTER = {"public": 0, "app": 1, "data": 2}


@dataclass
class PlannedSubnet:
    key: str  # public_a, app_b, data_c: the id variable and Terraform name
    tier: str  # public, app, data
    az: str
    suffix: str  # the AZ letter
    cidr: str
    name: str
    role: str  # public, private, isolated: what the diagnosis must find
    route_table: str  # key of its route table
    ipv6_index: int | None = None
    ipv6_on_create: bool = False


@dataclass
class PlannedRoute:
    destination: str
    target_kind: str  # igw, nat, eigw
    target: str  # key of the target (igw, eigw, nat_a)


@dataclass
class PlannedRouteTable:
    key: str
    name: str
    routes: list[PlannedRoute]
    subnets: list[str]  # subnet keys


@dataclass
class PlannedNat:
    key: str  # nat_a
    name: str
    az: str
    subnet: str  # public subnet key
    serves: list[str]  # app subnet keys


@dataclass
class PlannedRule:
    port: int
    source: str  # a CIDR or the key of a security group
    description: str


@dataclass
class PlannedGroup:
    key: str  # alb_sg, app_sg, data_sg
    name: str
    description: str
    ingress: list[PlannedRule]
    # All traffic out to these ranges: what AWS gives a new group (::/0 too in a VPC with
    # IPv6), and what Terraform must write out since it removes that default.
    egress: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])


@dataclass
class PlannedAlb:
    name: str
    target_group: str
    port: int
    certificate_arn: str  # empty: placeholder
    subnets: list[str]
    group: str


@dataclass
class Step:
    title: str
    creates: str
    why: str


@dataclass
class Plan:
    """Everything the walkthrough will create, derived from the answers only."""

    answers: Answers
    name: str
    region: str
    vpc_cidr: str
    vpc_name: str
    azs: list[str]
    ipv6: bool
    igw: str | None
    eigw: str | None
    subnets: list[PlannedSubnet]
    route_tables: list[PlannedRouteTable]
    nats: list[PlannedNat]
    s3_endpoint: str | None
    endpoint_route_tables: list[str]
    groups: list[PlannedGroup]
    alb: PlannedAlb | None
    steps: list[Step] = field(default_factory=list)
    costs: list[CostLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def monthly_total(self) -> float:
        return sum(c.monthly for c in self.costs)

    def subnet(self, key: str) -> PlannedSubnet:
        return next(s for s in self.subnets if s.key == key)

    def subnets_of(self, tier: str) -> list[PlannedSubnet]:
        return [s for s in self.subnets if s.tier == tier]

    @property
    def placeholder_certificate(self) -> bool:
        return self.alb is not None and not self.alb.certificate_arn

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        from dataclasses import asdict

        return asdict(self)


def build_plan(a: Answers) -> Plan:
    """The plan for a complete set of answers."""
    name, region = a["name"], a["region"]
    azs = a.get("availability_zones") or default_azs(region, a["az_count"])
    tiers = a["tiers"]
    nat = a.get("nat") or "none"
    ipv6 = bool(a.get("ipv6"))
    alb_on = bool(a.get("internet_facing_app"))
    vpc = ipaddress.ip_network(a["vpc_cidr"])
    bits = split_bits(str(vpc), len(azs))
    blocks = list(vpc.subnets(prefixlen_diff=bits))
    per_tier = 2 ** (bits - 2)  # blocks in each quarter of the VPC
    public = "public" in tiers
    igw = "igw" if public else None
    eigw = "eigw" if ipv6 else None

    subnets: list[PlannedSubnet] = []
    for tier in tiers:
        for i, az in enumerate(azs):
            suffix = az[len(region) :] or str(i)
            slot = TIER_QUARTER[tier] * per_tier + i
            if tier == "public":
                label, role, rt = "public", "public", "public_rt"
            elif tier == "app":
                private = nat != "none"
                label = "private-app" if private else "isolated-app"
                role = "private" if private else "isolated"
                rt = f"app_rt_{suffix}"
            else:
                label, role, rt = "data", "isolated", "data_rt"
            subnets.append(
                PlannedSubnet(
                    key=f"{tier}_{suffix}",
                    tier=tier,
                    az=az,
                    suffix=suffix,
                    cidr=str(blocks[slot]),
                    name=f"{name}-{label}-{suffix}",
                    role=role,
                    route_table=rt,
                    ipv6_index=TIER_QUARTER[tier] * 4 + i if ipv6 else None,
                    ipv6_on_create=ipv6 and tier != "data",
                )
            )

    nats: list[PlannedNat] = []
    app = [s for s in subnets if s.tier == "app"]
    pub = {s.az: s for s in subnets if s.tier == "public"}
    if nat == "single":
        first = azs[0]
        nats.append(
            PlannedNat(
                f"nat_{pub[first].suffix}",
                f"{name}-nat-{pub[first].suffix}",
                first,
                pub[first].key,
                [s.key for s in app],
            )
        )
    elif nat == "per_az":
        for s in app:
            p = pub[s.az]
            nats.append(
                PlannedNat(f"nat_{p.suffix}", f"{name}-nat-{p.suffix}", s.az, p.key, [s.key])
            )

    rts: list[PlannedRouteTable] = []
    if public:
        routes = [PlannedRoute("0.0.0.0/0", "igw", "igw")]
        if ipv6:
            routes.append(PlannedRoute("::/0", "igw", "igw"))
        rts.append(
            PlannedRouteTable(
                "public_rt",
                f"{name}-public-rt",
                routes,
                [s.key for s in subnets if s.tier == "public"],
            )
        )
    for s in app:
        routes = []
        serving = next((n for n in nats if s.key in n.serves), None)
        if serving:
            routes.append(PlannedRoute("0.0.0.0/0", "nat", serving.key))
        if ipv6:
            routes.append(PlannedRoute("::/0", "eigw", "eigw"))
        label = "private-app" if nat != "none" else "isolated-app"
        rts.append(
            PlannedRouteTable(s.route_table, f"{name}-{label}-rt-{s.suffix}", routes, [s.key])
        )
    if "data" in tiers:
        rts.append(
            PlannedRouteTable(
                "data_rt", f"{name}-data-rt", [], [s.key for s in subnets if s.tier == "data"]
            )
        )
    endpoint_rts = [r.key for r in rts if r.key != "public_rt"] if a.get("s3_endpoint") else []

    groups: list[PlannedGroup] = []
    alb = None
    if alb_on:
        groups.append(
            PlannedGroup(
                "alb_sg",
                f"{name}-alb-sg",
                "Load balancer: HTTPS and HTTP from the internet",
                [
                    PlannedRule(443, "0.0.0.0/0", "HTTPS from anywhere"),
                    PlannedRule(80, "0.0.0.0/0", "HTTP from anywhere to redirect to HTTPS"),
                ],
            )
        )
    app_rules = (
        [PlannedRule(a["app_port"], "alb_sg", "app port from the load balancer only")]
        if alb_on
        else []
    )
    groups.append(
        PlannedGroup(
            "app_sg",
            f"{name}-app-sg",
            "App servers: "
            + (
                f"port {a['app_port']} from the load balancer only"
                if alb_on
                else "no inbound rules"
            ),
            app_rules,
        )
    )
    if "data" in tiers:
        groups.append(
            PlannedGroup(
                "data_sg",
                f"{name}-data-sg",
                f"Data tier: port {a['db_port']} from the app servers",
                [PlannedRule(a["db_port"], "app_sg", "database port from the app servers only")],
            )
        )
    if alb_on:
        alb = PlannedAlb(
            name=f"{name}-alb",
            target_group=f"{name}-app-tg",
            port=a["app_port"],
            certificate_arn=a.get("certificate_arn") or "",
            subnets=[s.key for s in subnets if s.tier == "public"],
            group="alb_sg",
        )

    plan = Plan(
        answers=dict(a),
        name=name,
        region=region,
        vpc_cidr=str(vpc),
        vpc_name=f"{name}-vpc",
        azs=list(azs),
        ipv6=ipv6,
        igw=igw,
        eigw=eigw,
        subnets=subnets,
        route_tables=rts,
        nats=nats,
        s3_endpoint="s3" if a.get("s3_endpoint") else None,
        endpoint_route_tables=endpoint_rts,
        groups=groups,
        alb=alb,
    )
    for g in groups:
        g.egress = ["0.0.0.0/0", "::/0"] if ipv6 else ["0.0.0.0/0"]
    plan.costs = estimate(
        nat_count=len(nats),
        az_count=len(azs),
        alb=alb_on,
        s3_endpoint=bool(a.get("s3_endpoint")),
        traffic_gb=a.get("traffic_gb", 100),
        single_nat=nat == "single",
    )
    plan.steps = _steps(plan, nat)
    plan.warnings = _warnings(plan)
    return plan


def _steps(p: Plan, nat: str) -> list[Step]:
    steps = [
        Step(
            f"Create the VPC {p.vpc_name} ({p.vpc_cidr}"
            + (", plus an Amazon-provided IPv6 /56)" if p.ipv6 else ")"),
            "a VPC with DNS support and DNS hostnames on",
            "DNS hostnames let instances and endpoints resolve names inside the VPC.",
        )
    ]
    if p.igw:
        steps.append(
            Step(
                f"Create the internet gateway {p.name}-igw and attach it to the VPC",
                "an internet gateway",
                "Public subnets are public because their route table sends 0.0.0.0/0 here.",
            )
        )
    if p.eigw:
        steps.append(
            Step(
                f"Create the egress-only internet gateway {p.name}-eigw",
                "an egress-only internet gateway",
                "Private subnets reach IPv6 destinations through it, and nothing on the internet "
                "can open a connection back in.",
            )
        )
    prefix = subnet_prefix(p.vpc_cidr, len(p.azs))
    for tier, why in (
        (
            "public",
            "Only the load balancer and NAT gateways live here; nothing gets a public "
            "IP by default.",
        ),
        (
            "app",
            "Your servers live here with private addresses only"
            + (
                "; they reach the internet through NAT."
                if nat != "none"
                else "; no route leads to the internet."
            ),
        ),
        ("data", "Databases and caches: no route to or from the internet at all."),
    ):
        subs = p.subnets_of(tier)
        if subs:
            steps.append(
                Step(
                    f"Create the {tier} subnets: "
                    + ", ".join(f"{s.name} {s.cidr} in {s.az}" for s in subs),
                    f"{len(subs)} subnets of /{prefix} ({usable(prefix)} usable addresses each)",
                    why,
                )
            )
    for rt in p.route_tables:
        routes = ", ".join(f"{r.destination} -> {_target_name(p, r)}" for r in rt.routes)
        subs = ", ".join(p.subnet(k).name for k in rt.subnets)
        why = {
            "public_rt": "This default route to the internet gateway is what makes a subnet "
            "public.",
            "data_rt": "No default route: the data tier cannot reach the internet or be "
            "reached from it.",
        }.get(
            rt.key,
            "Each AZ gets its own table so its servers use "
            + (
                "the NAT gateway of their own AZ."
                if nat == "per_az"
                else "the shared NAT gateway (and can switch to one per AZ later "
                "without re-associating)."
                if nat == "single"
                else "only local routes (and can gain a NAT route later)."
            ),
        )
        steps.append(
            Step(
                f"Create the route table {rt.name} ({routes or 'local routes only'}) for {subs}",
                "a route table, its routes and subnet associations",
                why,
            )
        )
    for n in p.nats:
        steps.append(
            Step(
                f"Allocate an Elastic IP and create the NAT gateway {n.name} in "
                f"{p.subnet(n.subnet).name}, then wait until it is available",
                "an Elastic IP and a NAT gateway",
                "A NAT gateway must sit in a public subnet; it serves "
                + ", ".join(p.subnet(k).name for k in n.serves)
                + ".",
            )
        )
    if p.s3_endpoint:
        steps.append(
            Step(
                f"Create the S3 gateway endpoint {p.name}-s3-endpoint on "
                + ", ".join(_rt_name(p, k) for k in p.endpoint_route_tables),
                "a gateway VPC endpoint for com.amazonaws." + p.region + ".s3",
                "Free, and S3 traffic skips the NAT gateway's per-GB charge.",
            )
        )
    for g in p.groups:
        rules = (
            "; ".join(f"port {r.port} from {_group_name(p, r.source)}" for r in g.ingress)
            or "no inbound rules"
        )
        steps.append(
            Step(
                f"Create the security group {g.name} ({rules})",
                "a security group",
                g.description + ".",
            )
        )
    if p.alb:
        steps.append(
            Step(
                f"Create the internet-facing Application Load Balancer {p.alb.name} in "
                + ", ".join(p.subnet(k).name for k in p.alb.subnets)
                + f", the target group {p.alb.target_group} (HTTP {p.alb.port}), an HTTPS "
                "listener on 443 forwarding to it and an HTTP listener on 80 that redirects to "
                "HTTPS",
                "a load balancer, a target group and two listeners",
                "Users reach the app only through the load balancer; register your app servers in "
                "the target group.",
            )
        )
    return steps


def _warnings(p: Plan) -> list[str]:
    out = []
    if p.placeholder_certificate:
        out.append(
            "No certificate ARN was given: the HTTPS listener uses a placeholder. Request one "
            f"(aws acm request-certificate --region {p.region} --domain-name YOUR.DOMAIN "
            "--validation-method DNS), validate it, then set CERTIFICATE_ARN before running the "
            "script (or certificate_arn for Terraform)."
        )
    if p.vpc_cidr.startswith("172.17."):
        out.append(
            "172.17.0.0/16 is Docker's default bridge network; containers may not reach "
            "addresses in this VPC."
        )
    prices = load_prices()
    if p.region != prices.region:
        out.append(
            f"Costs use {prices.region} prices from {prices.date}; {p.region} prices differ."
        )
    if p.answers.get("nat") == "none" and "app" in [s.tier for s in p.subnets]:
        out.append(
            "With no NAT gateway the app subnets have no internet route: installing packages "
            "needs the S3 endpoint (for repositories hosted in S3) or a mirror."
        )
    return out


def _target_name(p: Plan, r: PlannedRoute) -> str:
    if r.target_kind == "igw":
        return f"{p.name}-igw"
    if r.target_kind == "eigw":
        return f"{p.name}-eigw"
    return next(n.name for n in p.nats if n.key == r.target)


def _rt_name(p: Plan, key: str) -> str:
    return next(r.name for r in p.route_tables if r.key == key)


def _group_name(p: Plan, source: str) -> str:
    for g in p.groups:
        if g.key == source:
            return g.name
    return "anywhere" if source == "0.0.0.0/0" else source
