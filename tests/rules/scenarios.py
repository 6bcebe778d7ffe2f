"""Scenarios for the rule tests: the healthy reference architecture, then one mistake each.

Every rule id maps to a scenario where it must fire and a near miss where it must not: the same
architecture with the mistake corrected or with a situation that looks alike but is fine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.models.snapshot import Snapshot
from assistant.sources.builder import Builder, classic

Scenario = Callable[[], Snapshot]
ALL_TCP = (0, 65535)


def base(seed: str = "t", **kw: Any) -> tuple[Builder, dict[str, Any]]:
    b = Builder(seed=seed)
    return b, classic(b, **kw)


def drop_route(b: Builder, rt_id: str, dest: str) -> None:
    rt = b.find("RouteTables", "RouteTableId", rt_id)
    rt["Routes"] = [r for r in rt["Routes"] if r.get("DestinationCidrBlock") != dest]


def sg(b: Builder, gid: str) -> dict[str, Any]:
    return b.find("SecurityGroups", "GroupId", gid)


def entry(n: int, action: str, egress: bool, cidr: str = "0.0.0.0/0", ports=None, proto="6"):
    e: dict[str, Any] = {
        "RuleNumber": n,
        "Protocol": proto if ports is not None else "-1",
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": cidr,
    }
    if ports is not None:
        e["PortRange"] = {"From": ports[0], "To": ports[1]}
    return e


def custom_acl(b: Builder, vpc: str, subnets: list[str], entries: list[dict], moto=False) -> str:
    """A custom network ACL on the subnets; ``moto``: without the implicit final deny entries."""
    acl = b.nacl(vpc, name="custom-acl", entries=entries)
    if moto:
        a = b.find("NetworkAcls", "NetworkAclId", acl)
        a["Entries"] = [e for e in a["Entries"] if e["RuleNumber"] != 32767]
    for s in subnets:
        b.nacl_associate(acl, s)
    return acl


ALLOW_ALL_OUT = entry(100, "allow", True)
ALLOW_ALL_IN = entry(100, "allow", False)


def add_target(b: Builder, tg: str, iid: str, port: int = 8080, state: str = "healthy") -> None:
    inst = b.find("Instances", "InstanceId", iid)
    b.health[tg].append(
        {
            "Target": {
                "Id": iid,
                "Port": port,
                "AvailabilityZone": inst["Placement"]["AvailabilityZone"],
            },
            "TargetHealth": {"State": state},
        }
    )


# -- the first nine ----------------------------------------------------------------------------
def igw_route_fire() -> Snapshot:
    b, o = base()
    b.associate(o["public_rt"], o["private"][0])
    return b.snapshot()


def igw_route_miss() -> Snapshot:
    b, o = base()
    b.instance(o["public"][0], [o["alb_sg"]], name="web", public_ip=True)
    return b.snapshot()


def no_default_fire() -> Snapshot:
    b, o = base()
    drop_route(b, o["private_rt"][0], "0.0.0.0/0")
    return b.snapshot()


def no_default_miss() -> Snapshot:
    b, o = base(data_tier=True)  # data subnets have no default route, on purpose
    b.instance(o["data"][0], [o["db_sg"]], name="db-1", Role="db")
    return b.snapshot()


def blackhole_fire() -> Snapshot:
    b, o = base()
    b.route(o["private_rt"][0], "0.0.0.0/0", o["nat"][0], state="blackhole")
    return b.snapshot()


def blackhole_miss() -> Snapshot:
    b, o = base()
    b.route(o["private_rt"][0], "0.0.0.0/0", o["nat"][0], state="active")
    return b.snapshot()


def public_ip_private_fire() -> Snapshot:
    b, o = base()
    b.instance(o["private"][0], [o["app_sg"]], name="app-x", public_ip=True, Role="app")
    return b.snapshot()


def public_ip_private_miss() -> Snapshot:
    b, o = base()
    bastion = b.security_group(o["vpc"], "bastion-sg", ingress=[b.perm(22, "203.0.113.0/24")])
    b.instance(o["public"][0], [bastion], name="bastion", public_ip=True)
    return b.snapshot()


def admin_port_fire() -> Snapshot:
    b, o = base()
    g = b.security_group(o["vpc"], "admin-sg", ingress=[b.perm(22, "0.0.0.0/0")])
    b.instance(o["public"][0], [g], name="bastion", public_ip=True)
    return b.snapshot()


def admin_port_miss() -> Snapshot:
    b, o = base()
    g = b.security_group(o["vpc"], "admin-sg", ingress=[b.perm(22, "203.0.113.0/24")])
    b.instance(o["public"][0], [g], name="bastion", public_ip=True)
    return b.snapshot()


def igw_detached_fire() -> Snapshot:
    b, o = base()
    loose = b.igw(None, name="loose-igw")
    b.route(o["public_rt"], "0.0.0.0/0", loose)
    return b.snapshot()


def lb_private_fire() -> Snapshot:
    b, o = base()
    b.load_balancer("bad-alb", o["private"], [o["alb_sg"]])
    return b.snapshot()


def lb_private_miss() -> Snapshot:
    b, o = base()
    b.load_balancer("internal-alb", o["private"], [o["alb_sg"]], scheme="internal")
    return b.snapshot()


def nat_private_fire() -> Snapshot:
    b, o = base()
    bad = b.nat(o["private"][1], name="misplaced")
    b.route(o["private_rt"][1], "0.0.0.0/0", bad)
    return b.snapshot()


def nat_private_miss() -> Snapshot:
    b, o = base()
    # A private NAT gateway in a private subnet is normal (it talks to other networks).
    b.nat(o["private"][1], name="private-nat", connectivity="private")
    return b.snapshot()


def nat_pending_fire() -> Snapshot:
    b, o = base()
    n = b.nat(o["public"][0], name="new", state="pending")
    b.route(o["private_rt"][0], "0.0.0.0/0", n)
    return b.snapshot()


def healthy() -> Snapshot:
    return base()[0].snapshot()


# -- egress ------------------------------------------------------------------------------------
def nat_no_eip_fire() -> Snapshot:
    b, o = base()
    n = b.nat(o["public"][0], name="no-eip", eip=False)
    b.route(o["private_rt"][0], "0.0.0.0/0", n)
    return b.snapshot()


def nat_private_internet_fire() -> Snapshot:
    b, o = base()
    n = b.nat(o["public"][0], name="private-nat", connectivity="private")
    b.route(o["private_rt"][0], "0.0.0.0/0", n)
    return b.snapshot()


def nat_private_transit_miss() -> Snapshot:
    """A private NAT gateway whose subnet sends 0.0.0.0/0 to a transit gateway: fine."""
    b, o = base()
    transit = b.subnet(o["vpc"], "10.0.240.0/24", "a", name="transit-a")
    trt = b.route_table(o["vpc"], name="transit-rt")
    b.route(trt, "0.0.0.0/0", "tgw-0123456789abcdef0")
    b.associate(trt, transit)
    n = b.nat(transit, name="private-nat", connectivity="private")
    b.route(o["private_rt"][0], "0.0.0.0/0", n)
    return b.snapshot()


def shared_nat() -> Snapshot:
    return base(nat_per_az=False)[0].snapshot()


def nat_specific_route_miss() -> Snapshot:
    """A NAT gateway used only by a narrower route is still used."""
    b, o = base()
    n = b.nat(o["public"][0], name="partner-nat")
    b.route(o["private_rt"][0], "192.168.0.0/16", n)
    return b.snapshot()


def nat_unused_fire() -> Snapshot:
    b, o = base()
    b.nat(o["public"][0], name="spare")
    return b.snapshot()


def nat_instance(check: bool) -> Snapshot:
    b, o = base()
    g = b.security_group(o["vpc"], "nat-instance-sg", ingress=[b.perm(None, "10.0.0.0/16")])
    i = b.instance(o["public"][0], [g], name="nat-box", public_ip=True, source_dest_check=check)
    b.route(o["private_rt"][0], "0.0.0.0/0", i)
    return b.snapshot()


def return_fire() -> Snapshot:
    b, o = base()
    custom_acl(
        b, o["vpc"], [o["private"][0]], [entry(100, "allow", False, "10.0.0.0/16"), ALLOW_ALL_OUT]
    )
    return b.snapshot()


def return_order_fire() -> Snapshot:
    """A deny numbered before the allow wins: first match decides."""
    b, o = base()
    custom_acl(
        b,
        o["vpc"],
        [o["public"][0]],  # the NAT gateway's subnet
        [entry(90, "deny", False, ports=(1024, 65535)), ALLOW_ALL_IN, ALLOW_ALL_OUT],
    )
    return b.snapshot()


def return_moto_fire() -> Snapshot:
    """A moto custom ACL (no 32767 entries) with only a web rule: no entry matches, so denied."""
    b, o = base()
    custom_acl(
        b,
        o["vpc"],
        [o["private"][0]],
        [entry(100, "allow", False, ports=(443, 443)), ALLOW_ALL_OUT],
        moto=True,
    )
    return b.snapshot()


def return_miss() -> Snapshot:
    b, o = base()
    custom_acl(
        b,
        o["vpc"],
        [o["private"][0], o["public"][0]],
        [
            entry(90, "allow", False, ports=(1024, 65535)),
            entry(100, "deny", False, ports=ALL_TCP),
            entry(110, "allow", False, "10.0.0.0/16"),
            ALLOW_ALL_OUT,
        ],
    )
    return b.snapshot()


def egress_web_fire() -> Snapshot:
    b, o = base()
    custom_acl(
        b, o["vpc"], [o["private"][0]], [ALLOW_ALL_IN, entry(100, "allow", True, "10.0.0.0/16")]
    )
    return b.snapshot()


def egress_web_miss() -> Snapshot:
    b, o = base()
    custom_acl(
        b,
        o["vpc"],
        [o["private"][0]],
        [
            ALLOW_ALL_IN,
            entry(100, "allow", True, ports=(80, 80)),
            entry(110, "allow", True, ports=(443, 443)),
            entry(120, "deny", True, ports=(25, 25)),
        ],
    )
    return b.snapshot()


def no_egress_fire() -> Snapshot:
    b, o = base()
    sg(b, o["app_sg"])["IpPermissionsEgress"] = []
    return b.snapshot()


def some_egress_low() -> Snapshot:
    b, o = base()
    sg(b, o["app_sg"])["IpPermissionsEgress"] = [b.perm(443, "0.0.0.0/0")]
    return b.snapshot()


def web_egress_miss() -> Snapshot:
    b, o = base()
    sg(b, o["app_sg"])["IpPermissionsEgress"] = [b.perm(443, "0.0.0.0/0"), b.perm(80, "0.0.0.0/0")]
    return b.snapshot()


def isolated_no_egress_miss() -> Snapshot:
    """Instances in an isolated subnet need no internet: their locked-down groups are fine."""
    b, o = base(data_tier=True)
    g = b.security_group(o["vpc"], "locked-sg", egress=[])
    b.instance(o["data"][0], [g], name="db-1", Role="db")
    return b.snapshot()


def dns_off_fire() -> Snapshot:
    b, o = base()
    b.dns[o["vpc"]]["EnableDnsSupport"] = False
    return b.snapshot()


def dns_hostnames_off_miss() -> Snapshot:
    b, o = base()
    b.dns[o["vpc"]]["EnableDnsHostnames"] = False
    return b.snapshot()


def no_s3_fire() -> Snapshot:
    b, o = base()
    b.data["VpcEndpoints"] = []
    for rt in o["private_rt"]:
        r = b.find("RouteTables", "RouteTableId", rt)
        r["Routes"] = [x for x in r["Routes"] if not x.get("DestinationPrefixListId")]
    return b.snapshot()


def ipv6(v6_target: str | None, instance: bool = True) -> Snapshot:
    """A dual-stack private subnet: 0.0.0.0/0 to the NAT gateway, ::/0 to ``v6_target``."""
    b, o = base()
    sub = b.subnet(o["vpc"], "10.0.250.0/24", "a", name="v6-app-a", ipv6="2600:1f18:aa:1::/64")
    rt = b.route_table(o["vpc"], name="v6-rt")
    b.route(rt, "0.0.0.0/0", o["nat"][0])
    if v6_target == "igw":
        b.route(rt, "::/0", o["igw"])
    elif v6_target == "eigw":
        b.route(rt, "::/0", b.eigw(o["vpc"], name="eigw"))
    b.associate(rt, sub)
    if instance:
        b.instance(sub, [o["app_sg"]], name="v6-app", ipv6=True, Role="app")
    return b.snapshot()


# -- exposure ----------------------------------------------------------------------------------
def backend_public_fire() -> Snapshot:
    b, o = base()
    b.instance(o["public"][0], [o["app_sg"]], name="api-1", public_ip=True, Role="api")
    return b.snapshot()


def lb_target_public_fire() -> Snapshot:
    b, o = base()
    i = b.instance(o["public"][0], [o["app_sg"]], name="web-1", public_ip=True)
    add_target(b, o["tg"], i)
    return b.snapshot()


def bastion_public_miss() -> Snapshot:
    b, o = base()
    g = b.security_group(o["vpc"], "bastion-sg", ingress=[b.perm(22, "203.0.113.0/24")])
    b.instance(o["public"][0], [g], name="bastion", public_ip=True, Role="bastion")
    return b.snapshot()


def open_sg(perm_port, cidr="0.0.0.0/0", attach_public=True, group=None) -> Snapshot:
    b, o = base()
    p = Builder.perm(perm_port, cidr if group is None else None, group=group)
    g = b.security_group(o["vpc"], "exposed-sg", ingress=[p])
    if attach_public:
        b.instance(o["public"][0], [g], name="edge", public_ip=True)
    return b.snapshot()


def db_from_app_miss() -> Snapshot:
    b, o = base(data_tier=True)
    b.instance(o["data"][0], [o["db_sg"]], name="db-1", Role="db")
    return b.snapshot()


def acl_admin(entries: list[dict]) -> Scenario:
    def make() -> Snapshot:
        b, o = base()
        custom_acl(b, o["vpc"], [o["public"][0]], entries + [ALLOW_ALL_OUT])
        return b.snapshot()

    return make


def default_sg_in_use_fire() -> Snapshot:
    b, o = base()
    b.instance(o["private"][0], [b.default_sg(o["vpc"])], name="forgot-sg")
    return b.snapshot()


def default_sg_open_fire() -> Snapshot:
    b, o = base()
    sg(b, b.default_sg(o["vpc"]))["IpPermissions"].append(b.perm(443, "0.0.0.0/0"))
    return b.snapshot()


def default_sg_empty_miss() -> Snapshot:
    b, o = base()
    d = sg(b, b.default_sg(o["vpc"]))
    d["IpPermissions"], d["IpPermissionsEgress"] = [], []
    return b.snapshot()


def auto_ip_fire() -> Snapshot:
    b, o = base()
    b.find("Subnets", "SubnetId", o["private"][0])["MapPublicIpOnLaunch"] = True
    return b.snapshot()


def named_private_public_fire() -> Snapshot:
    b, o = base()
    s = b.subnet(o["vpc"], "10.0.240.0/24", "a", name="shop-private-batch-a")
    b.associate(o["public_rt"], s)
    return b.snapshot()


def named_mixed_public_miss() -> Snapshot:
    """'public-app' says public as well: the name does not claim the subnet is private."""
    b, o = base()
    s = b.subnet(o["vpc"], "10.0.240.0/24", "a", name="shop-public-app-a")
    b.associate(o["public_rt"], s)
    return b.snapshot()


def main_public_fire() -> Snapshot:
    b, o = base()
    b.route(b.main_route_table(o["vpc"]), "0.0.0.0/0", o["igw"])
    return b.snapshot()


def main_public_all_public_low() -> Snapshot:
    """A VPC with public subnets only (like a default VPC): low, not medium."""
    b = Builder(seed="simple")
    vpc = b.vpc("10.9.0.0/16", name="simple")
    igw = b.igw(vpc)
    b.route(b.main_route_table(vpc), "0.0.0.0/0", igw)
    b.subnet(vpc, "10.9.0.0/24", "a", name="web-a", map_public_ip=True)
    return b.snapshot()


def all_public_fire() -> Snapshot:
    b = Builder(seed="flat")
    vpc = b.vpc("10.9.0.0/16", name="flat")
    igw = b.igw(vpc)
    rt = b.route_table(vpc, name="flat-rt")
    b.route(rt, "0.0.0.0/0", igw)
    s = b.subnet(vpc, "10.9.0.0/24", "a", name="web-a", map_public_ip=True)
    b.associate(rt, s)
    g = b.security_group(vpc, "web-sg", ingress=[b.perm(443, "0.0.0.0/0")])
    b.instance(s, [g], name="web", public_ip=True)
    b.flow_log(vpc)
    return b.snapshot()


# -- ingress -----------------------------------------------------------------------------------
def lb_sg_fire() -> Snapshot:
    b, o = base()
    sg(b, o["alb_sg"])["IpPermissions"] = []
    return b.snapshot()


def lb_sg_restricted_low() -> Snapshot:
    b, o = base()
    sg(b, o["alb_sg"])["IpPermissions"] = [
        b.perm(443, "203.0.113.0/24"),
        b.perm(80, "203.0.113.0/24"),
    ]
    return b.snapshot()


def lb_sg_prefix_list_low() -> Snapshot:
    """Only CloudFront's managed prefix list may connect: narrower on purpose, so low."""
    b, o = base()
    sg(b, o["alb_sg"])["IpPermissions"] = [
        {
            "IpProtocol": "tcp",
            "FromPort": p,
            "ToPort": p,
            "PrefixListIds": [{"PrefixListId": "pl-3b927c52"}],
        }
        for p in (80, 443)
    ]
    return b.snapshot()


def target_sg_fire() -> Snapshot:
    b, o = base()
    sg(b, o["app_sg"])["IpPermissions"] = [b.perm(80, group=o["alb_sg"])]  # wrong port
    return b.snapshot()


def target_sg_cidr_miss() -> Snapshot:
    """Allowing the target port from the VPC range (which holds the LB subnets) works too."""
    b, o = base()
    sg(b, o["app_sg"])["IpPermissions"] = [b.perm(8080, "10.0.0.0/16")]
    return b.snapshot()


def unhealthy_fire() -> Snapshot:
    b, o = base()
    for d in b.health[o["tg"]]:
        d["TargetHealth"] = {
            "State": "unhealthy",
            "Reason": "Target.Timeout",
            "Description": "Request timed out",
        }
    return b.snapshot()


def unhealthy_some() -> Snapshot:
    b, o = base()
    b.health[o["tg"]][0]["TargetHealth"] = {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [404]",
    }
    return b.snapshot()


def draining_miss() -> Snapshot:
    b, o = base()
    b.health[o["tg"]][0]["TargetHealth"] = {
        "State": "draining",
        "Reason": "Target.DeregistrationInProgress",
    }
    return b.snapshot()


def lb_az(cross_zone: bool | None) -> Scenario:
    def make() -> Snapshot:
        b, o = base()
        lb = b.data["LoadBalancers"][0]
        if cross_zone is not None:
            lb["CrossZoneEnabled"] = cross_zone
        b.health[o["tg"]] = [
            d for d in b.health[o["tg"]] if d["Target"]["AvailabilityZone"].endswith("a")
        ]
        return b.snapshot()

    return make


def nlb_default_low() -> Snapshot:
    b, o = base()
    nlb = b.load_balancer("shop-nlb", o["public"], [], kind="network")
    tg = b.target_group("shop-nlb-tg", o["vpc"], 8080, o["apps"][:1], lb_arn=nlb, protocol="TCP")
    b.listener(nlb, 443, "TCP", tg)
    return b.snapshot()


def http_only_fire() -> Snapshot:
    b, o = base()
    b.data["Listeners"] = [x for x in b.data["Listeners"] if x["Protocol"] != "HTTPS"]
    for x in b.data["Listeners"]:
        x["DefaultActions"] = [{"Type": "forward", "Order": 1, "TargetGroupArn": o["tg"]}]
    return b.snapshot()


def http_forward_low() -> Snapshot:
    b, o = base()
    for x in b.data["Listeners"]:
        if x["Protocol"] == "HTTP":
            x["DefaultActions"] = [{"Type": "forward", "Order": 1, "TargetGroupArn": o["tg"]}]
    return b.snapshot()


def internal_http_miss() -> Snapshot:
    b, o = base()
    lb = b.load_balancer("internal-api", o["private"], [o["app_sg"]], scheme="internal")
    b.listener(lb, 80, "HTTP", o["tg"])
    return b.snapshot()


def web_sg(b: Builder, o: dict) -> str:
    return b.security_group(
        o["vpc"], "web-sg", ingress=[b.perm(443, "0.0.0.0/0"), b.perm(80, "0.0.0.0/0")]
    )


def private_web_fire() -> Snapshot:
    b, o = base()
    b.instance(o["private"][0], [web_sg(b, o)], name="web-1")
    return b.snapshot()


def private_web_target_miss() -> Snapshot:
    b, o = base()
    i = b.instance(o["private"][0], [web_sg(b, o), o["app_sg"]], name="web-1")
    add_target(b, o["tg"], i)
    return b.snapshot()


def public_web_no_ip_fire() -> Snapshot:
    b, o = base()
    b.instance(o["public"][0], [web_sg(b, o)], name="web-1")
    return b.snapshot()


def public_web_with_ip_miss() -> Snapshot:
    b, o = base()
    b.instance(o["public"][0], [web_sg(b, o)], name="web-1", public_ip=True)
    return b.snapshot()


def public_acl(entries: list[dict], moto: bool = False) -> Scenario:
    def make() -> Snapshot:
        b, o = base()
        custom_acl(b, o["vpc"], o["public"], entries, moto=moto)
        return b.snapshot()

    return make


# -- hygiene -----------------------------------------------------------------------------------
def no_flow_logs_fire() -> Snapshot:
    b, _ = base()
    b.data["FlowLogs"] = []
    return b.snapshot()


def subnet_flow_logs_miss() -> Snapshot:
    """Flow logs on every subnet instead of the VPC count too."""
    b, o = base()
    b.data["FlowLogs"] = []
    for s in o["public"] + o["private"]:
        b.data["FlowLogs"].append(
            {
                "FlowLogId": b.new_id("fl"),
                "ResourceId": s,
                "FlowLogStatus": "ACTIVE",
                "TrafficType": "ALL",
            }
        )
    return b.snapshot()


def eip_fire() -> Snapshot:
    b, _ = base()
    b.eip(name="spare-ip")
    return b.snapshot()


def peering(both_sides: bool) -> Scenario:
    def make() -> Snapshot:
        b, o = base()
        v2 = b.vpc("10.1.0.0/16", name="analytics")
        s2 = b.subnet(v2, "10.1.0.0/24", "a", name="analytics-private-a")
        rt2 = b.route_table(v2, name="analytics-rt")
        b.associate(rt2, s2)
        pcx = b.peering(o["vpc"], v2)
        b.route(o["private_rt"][0], "10.1.0.0/16", pcx)
        if both_sides:
            b.route(rt2, "10.0.0.0/16", pcx)
        return b.snapshot()

    return make


# -- near misses beyond the healthy baseline: a look-alike that is fine ------------------------
def igw_spare_miss() -> Snapshot:
    """A detached internet gateway no route points at: nothing is broken."""
    b, _ = base()
    b.igw(None, name="spare-igw")
    return b.snapshot()


def nat_pending_unrouted_miss() -> Snapshot:
    """A NAT gateway still being created that no route uses yet."""
    b, o = base()
    b.nat(o["public"][0], name="new", state="pending")
    return b.snapshot()


def nat_one_az_miss() -> Snapshot:
    """One NAT gateway shared by private subnets of a single AZ: no other AZ depends on it."""
    return base(azs="a", nat_per_az=False)[0].snapshot()


def no_s3_isolated_miss() -> Snapshot:
    """Isolated data subnets without the S3 endpoint: they pay no NAT processing."""
    b, o = base(data_tier=True)
    b.instance(o["data"][0], [o["db_sg"]], name="db-1", Role="db")
    return b.snapshot()


def main_rt_nat_miss() -> Snapshot:
    """The main route table has a default route, but to a NAT gateway: not public."""
    b, o = base()
    b.route(b.main_route_table(o["vpc"]), "0.0.0.0/0", o["nat"][0])
    return b.snapshot()


def internal_lb_closed_miss() -> Snapshot:
    """An internal load balancer whose group admits only the VPC: fine, it is not public."""
    b, o = base()
    g = b.security_group(o["vpc"], "internal-alb-sg", ingress=[b.perm(80, "10.0.0.0/16")])
    lb = b.load_balancer("internal-alb", o["private"], [g], scheme="internal")
    b.listener(lb, 80, "HTTP", o["tg"])
    return b.snapshot()


def all_public_empty_miss() -> Snapshot:
    """Every subnet public but no instance yet: nothing is exposed."""
    b = Builder(seed="flat")
    vpc = b.vpc("10.9.0.0/16", name="flat")
    igw = b.igw(vpc)
    rt = b.route_table(vpc, name="flat-rt")
    b.route(rt, "0.0.0.0/0", igw)
    s = b.subnet(vpc, "10.9.0.0/24", "a", name="web-a", map_public_ip=True)
    b.associate(rt, s)
    b.flow_log(vpc)
    return b.snapshot()


def eip_attached_miss() -> Snapshot:
    """An Elastic IP associated with a bastion is in use."""
    b, o = base()
    g = b.security_group(o["vpc"], "bastion-sg", ingress=[b.perm(22, "203.0.113.0/24")])
    iid = b.instance(o["public"][0], [g], name="bastion", Role="bastion")
    alloc, _ = b.eip(name="bastion-ip")
    a = b.find("Addresses", "AllocationId", alloc)
    a["InstanceId"] = iid
    a["AssociationId"] = b.new_id("eipassoc")
    return b.snapshot()


# rule id -> (scenarios where it fires, near misses where it must not)
CASES: dict[str, tuple[list[Scenario], list[Scenario]]] = {
    "egress.igw-route-without-public-ip": ([igw_route_fire], [igw_route_miss]),
    "egress.no-default-route": ([no_default_fire], [no_default_miss]),
    "egress.route-blackhole": ([blackhole_fire], [blackhole_miss]),
    "exposure.public-ip-in-private-subnet": ([public_ip_private_fire], [public_ip_private_miss]),
    "exposure.sg-open-admin-port": ([admin_port_fire], [admin_port_miss]),
    "igw.not-attached": ([igw_detached_fire], [healthy, igw_spare_miss]),
    "ingress.lb-in-private-subnets": ([lb_private_fire], [lb_private_miss]),
    "nat.in-private-subnet": ([nat_private_fire], [nat_private_miss]),
    "nat.not-available": ([nat_pending_fire], [healthy, nat_pending_unrouted_miss]),
    "nat.no-elastic-ip": ([nat_no_eip_fire, nat_private_internet_fire], [nat_private_transit_miss]),
    "nat.cross-az": ([shared_nat], [healthy, nat_one_az_miss]),
    "nat.single-point-of-failure": ([shared_nat], [healthy, nat_one_az_miss]),
    "nat.unused": ([nat_unused_fire, nat_private_miss], [healthy, nat_specific_route_miss]),
    "nat.instance-source-dest-check": ([lambda: nat_instance(True)], [lambda: nat_instance(False)]),
    "nacl.blocks-return-traffic": (
        [return_fire, return_order_fire, return_moto_fire],
        [return_miss],
    ),
    "nacl.blocks-egress-web": ([egress_web_fire], [egress_web_miss, return_miss]),
    "sg.no-egress": ([no_egress_fire, some_egress_low], [web_egress_miss, isolated_no_egress_miss]),
    "vpc.dns-disabled": ([dns_off_fire], [dns_hostnames_off_miss]),
    "egress.no-s3-endpoint": ([no_s3_fire], [healthy, no_s3_isolated_miss]),
    "egress.ipv6-exposed-instead-of-egress-only": (
        [lambda: ipv6("igw"), lambda: ipv6(None)],
        [lambda: ipv6("eigw"), lambda: ipv6(None, instance=False)],
    ),
    "exposure.backend-in-public-subnet": (
        [backend_public_fire, lb_target_public_fire],
        [bastion_public_miss],
    ),
    "exposure.sg-open-database-port": (
        [lambda: open_sg(5432), lambda: open_sg((6379, 6380), "::/0", attach_public=False)],
        [db_from_app_miss, lambda: open_sg(5432, "10.0.0.0/16")],
    ),
    "exposure.sg-open-all-ports": (
        [lambda: open_sg(None), lambda: open_sg(ALL_TCP, attach_public=False)],
        [lambda: open_sg(443), lambda: open_sg(None, "10.0.0.0/16")],
    ),
    "exposure.nacl-open-admin-port": (
        [acl_admin([entry(100, "allow", False, ports=(22, 22))]), acl_admin([ALLOW_ALL_IN])],
        [
            acl_admin(
                [
                    entry(90, "deny", False, ports=(22, 22)),
                    entry(91, "deny", False, ports=(3389, 3389)),
                    ALLOW_ALL_IN,
                ]
            ),
            healthy,
        ],
    ),
    "exposure.default-sg-has-rules": (
        [default_sg_in_use_fire, default_sg_open_fire],
        [default_sg_empty_miss, healthy],
    ),
    "exposure.subnet-auto-assigns-public-ip": ([auto_ip_fire], [healthy, bastion_public_miss]),
    "exposure.private-subnet-routes-to-igw": (
        [named_private_public_fire, igw_route_fire],
        [named_mixed_public_miss],
    ),
    "exposure.main-route-table-public": (
        [main_public_fire, main_public_all_public_low],
        [healthy, main_rt_nat_miss],
    ),
    "ingress.lb-sg-blocks-listener": (
        [lb_sg_fire, lb_sg_restricted_low],
        [healthy, internal_lb_closed_miss],
    ),
    "ingress.target-sg-blocks-lb": ([target_sg_fire], [healthy, target_sg_cidr_miss]),
    "ingress.targets-unhealthy": ([unhealthy_fire, unhealthy_some], [healthy, draining_miss]),
    "ingress.lb-no-targets-in-az": ([lb_az(False), nlb_default_low], [lb_az(True), lb_az(None)]),
    "ingress.no-https-listener": (
        [http_only_fire, http_forward_low],
        [healthy, internal_http_miss],
    ),
    "ingress.app-unreachable-in-private-subnet": ([private_web_fire], [private_web_target_miss]),
    "ingress.public-instance-without-public-ip": (
        [public_web_no_ip_fire],
        [public_web_with_ip_miss],
    ),
    "ingress.nacl-blocks-web": (
        [
            public_acl([entry(100, "allow", False, ports=(1024, 65535)), ALLOW_ALL_OUT]),
            public_acl([ALLOW_ALL_IN, entry(100, "allow", True, ports=(443, 443))], moto=True),
        ],
        [
            public_acl(
                [
                    entry(100, "allow", False, ports=(443, 443)),
                    entry(110, "allow", False, ports=(80, 80)),
                    entry(120, "allow", False, ports=(1024, 65535)),
                    ALLOW_ALL_OUT,
                ]
            ),
        ],
    ),
    "vpc.no-private-subnets": ([all_public_fire], [healthy, all_public_empty_miss]),
    "vpc.flow-logs-disabled": ([no_flow_logs_fire], [healthy, subnet_flow_logs_miss]),
    "eip.unattached": ([eip_fire], [healthy, eip_attached_miss]),
    "peering.missing-return-route": ([peering(False)], [peering(True)]),
}

# Expected severity where a rule grades its finding (rule id, scenario) -> severity.
SEVERITIES: list[tuple[str, Scenario, str]] = [
    ("sg.no-egress", no_egress_fire, "medium"),
    ("sg.no-egress", some_egress_low, "low"),
    ("exposure.main-route-table-public", main_public_fire, "medium"),
    ("exposure.main-route-table-public", main_public_all_public_low, "low"),
    ("ingress.lb-sg-blocks-listener", lb_sg_fire, "high"),
    ("ingress.lb-sg-blocks-listener", lb_sg_restricted_low, "low"),
    ("ingress.lb-sg-blocks-listener", lb_sg_prefix_list_low, "low"),
    ("ingress.targets-unhealthy", unhealthy_fire, "high"),
    ("ingress.targets-unhealthy", unhealthy_some, "medium"),
    ("ingress.lb-no-targets-in-az", nlb_default_low, "low"),
    ("ingress.lb-no-targets-in-az", lb_az(False), "medium"),
    ("ingress.no-https-listener", http_only_fire, "medium"),
    ("ingress.no-https-listener", http_forward_low, "low"),
    ("exposure.sg-open-database-port", lambda: open_sg(5432), "high"),
    (
        "exposure.sg-open-database-port",
        lambda: open_sg((6379, 6380), "::/0", attach_public=False),
        "medium",
    ),
    ("exposure.default-sg-has-rules", default_sg_in_use_fire, "medium"),
    ("egress.ipv6-exposed-instead-of-egress-only", lambda: ipv6("igw"), "high"),
    ("egress.ipv6-exposed-instead-of-egress-only", lambda: ipv6(None), "low"),
    (
        "exposure.nacl-open-admin-port",
        acl_admin([entry(100, "allow", False, ports=(22, 22))]),
        "medium",
    ),
    ("exposure.nacl-open-admin-port", acl_admin([ALLOW_ALL_IN]), "low"),
    ("nat.cross-az", shared_nat, "low"),
    ("nat.single-point-of-failure", shared_nat, "low"),
]
