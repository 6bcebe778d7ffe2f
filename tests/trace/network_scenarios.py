"""Multi-VPC scenarios built right, and each broken one hop at a time.

Each break returns (builder, from, to, port, the step that blocks, the rule it names); each
has a near miss, a configuration one step away that works. Shared by the trace tests, the
rule-link tests and the catalogue cases of the network rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.models.snapshot import Snapshot
from assistant.sources.builder import Builder, hub_and_spoke

Break = tuple[Builder, str, str, int, str, str | None]


def _routes(b: Builder, rtb: str) -> list[dict[str, Any]]:
    return b.extra["TransitGatewayRoutes"][rtb]


def _drop_tgw_route(b: Builder, rtb: str, cidr: str) -> None:
    rows = _routes(b, rtb)
    rows[:] = [r for r in rows if r["DestinationCidrBlock"] != cidr]


def _drop_route(b: Builder, rt: str, dest: str) -> None:
    t = b.find("RouteTables", "RouteTableId", rt)
    t["Routes"] = [r for r in t["Routes"] if r.get("DestinationCidrBlock") != dest]


def hub(seed: str, **kw: Any) -> tuple[Builder, dict[str, Any]]:
    b = Builder(seed=seed)
    return b, hub_and_spoke(b, **kw)


# -- transit gateway ---------------------------------------------------------------------------
def tgw_no_route_to_vpc() -> Break:
    b, h = hub("tgw-no-route")
    # Spoke 2 does not propagate into the spokes' table, whose default goes nowhere either.
    _drop_tgw_route(b, h["spoke_tgw_rt"], "10.2.0.0/16")
    _drop_tgw_route(b, h["spoke_tgw_rt"], "0.0.0.0/0")
    a, z = h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0]
    return b, a, z, 443, "transit gateway route table", "tgw.no-route-to-destination"


def tgw_no_route_to_vpc_miss() -> Break:
    b, h = hub("tgw-no-route-miss")
    _drop_tgw_route(b, h["spoke_tgw_rt"], "10.2.0.0/16")
    _drop_tgw_route(b, h["spoke_tgw_rt"], "0.0.0.0/0")
    for k, spoke in enumerate(h["spokes"], start=1):  # only the other spoke goes to the TGW
        _drop_route(b, spoke["rt"], "0.0.0.0/0")
        b.route(spoke["rt"], f"10.{3 - k}.0.0/16", h["tgw"])
    b.tgw_route(h["spoke_tgw_rt"], "10.2.0.0/16", h["spokes"][1]["att"])  # static instead
    a, z = h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0]
    return b, a, z, 443, "", None


def tgw_no_default() -> Break:
    b, h = hub("tgw-no-default")
    _drop_tgw_route(b, h["spoke_tgw_rt"], "0.0.0.0/0")
    return (
        b,
        h["spokes"][0]["apps"][0],
        "internet",
        443,
        "transit gateway route table",
        ("tgw.no-default-route"),
    )


def tgw_no_default_miss() -> Break:
    b, h = hub("tgw-no-default-miss")
    # No default route in the TGW table, but the spoke does not send its default route there.
    _drop_tgw_route(b, h["spoke_tgw_rt"], "0.0.0.0/0")
    for spoke in h["spokes"]:
        _drop_route(b, spoke["rt"], "0.0.0.0/0")
        b.route(spoke["rt"], "10.0.0.0/8", h["tgw"])
    return b, h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0], 443, "", None


def tgw_blackhole() -> Break:
    b, h = hub("tgw-blackhole")
    b.tgw_route(h["spoke_tgw_rt"], "0.0.0.0/0", blackhole=True)
    return (
        b,
        h["spokes"][0]["apps"][0],
        "internet",
        443,
        "transit gateway route table",
        ("tgw.blackhole-route"),
    )


def tgw_blackhole_miss() -> Break:
    b, h = hub("tgw-blackhole-miss")
    # A blackhole for a range no VPC of the snapshot sends to the TGW.
    b.tgw_route(h["spoke_tgw_rt"], "192.168.0.0/16", blackhole=True)
    return b, h["spokes"][1]["apps"][0], "internet", 443, "", None


def tgw_not_associated() -> Break:
    b, h = hub("tgw-assoc")
    att = h["spokes"][0]["att"]
    for a in b.data["TransitGatewayAttachments"]:
        if a["TransitGatewayAttachmentId"] == att:
            a.pop("Association", None)
    refs = b.extra["TransitGatewayRouteTableAssociations"][h["spoke_tgw_rt"]]
    refs[:] = [r for r in refs if r["TransitGatewayAttachmentId"] != att]
    return (
        b,
        h["spokes"][0]["apps"][0],
        "internet",
        443,
        "transit gateway route table",
        ("tgw.attachment-not-associated"),
    )


def tgw_not_associated_miss() -> Break:
    b, h = hub("tgw-assoc-miss")
    return b, h["spokes"][0]["apps"][0], "internet", 443, "", None


def tgw_az() -> Break:
    b, h = hub("tgw-az")
    spoke = h["spokes"][0]
    att = next(
        a
        for a in b.extra["TransitGatewayVpcAttachments"]
        if a["TransitGatewayAttachmentId"] == spoke["att"]
    )
    att["SubnetIds"] = att["SubnetIds"][:1]  # only AZ a
    return b, spoke["apps"][1], "internet", 443, "transit gateway AZ", "tgw.no-attachment-in-az"


def tgw_az_miss() -> Break:
    b, h = hub("tgw-az-miss", azs="a")  # attachments in AZ a only, and so are the workloads
    return b, h["spokes"][0]["apps"][0], "internet", 443, "", None


def tgw_no_return() -> Break:
    b, h = hub("tgw-return")
    _drop_route(b, h["egress_public_rt"], "10.0.0.0/8")
    return (
        b,
        h["spokes"][0]["apps"][0],
        "internet",
        443,
        "route table (reply)",
        ("tgw.no-return-route"),
    )


def tgw_no_return_miss() -> Break:
    b, h = hub("tgw-return-miss")
    _drop_route(b, h["egress_public_rt"], "10.0.0.0/8")
    for k, _ in enumerate(h["spokes"], start=1):
        b.route(h["egress_public_rt"], f"10.{k}.0.0/16", h["tgw"])  # per-spoke routes instead
    return b, h["spokes"][0]["apps"][0], "internet", 443, "", None


def tgw_spoke_no_return() -> Break:
    b, h = hub("tgw-spoke-return")
    # Spoke 2 sends its default route to a NAT-less nowhere: replies to spoke 1 have no way.
    _drop_route(b, h["spokes"][1]["rt"], "0.0.0.0/0")
    a, z = h["spokes"][0]["apps"][0], h["spokes"][1]["apps"][0]
    return b, a, z, 443, "route table (reply)", "tgw.no-return-route"


def vpn_down() -> Break:
    b, h = hub("vpn-down")
    _vpn, att = b.vpn(h["tgw"], tunnels=("DOWN", "DOWN"))
    b.tgw_route(h["spoke_tgw_rt"], "192.168.0.0/16", att)
    return b, h["spokes"][0]["apps"][0], "192.168.1.10", 443, "VPN", "vpn.all-tunnels-down"


def vpn_down_miss() -> Break:
    b, h = hub("vpn-down-miss")
    _vpn, att = b.vpn(h["tgw"], tunnels=("DOWN", "UP"))
    b.tgw_route(h["spoke_tgw_rt"], "192.168.0.0/16", att)
    return b, h["spokes"][0]["apps"][0], "192.168.1.10", 443, "", None


def vgw_down() -> Break:
    b, h = hub("vgw-down")
    vgw, _vpn = b.vpn_gateway(h["spokes"][0]["vpc"], tunnels=("DOWN", "DOWN"))
    b.route(h["spokes"][0]["rt"], "192.168.0.0/16", vgw)
    return b, h["spokes"][0]["apps"][0], "192.168.1.10", 443, "VPN", "vpn.all-tunnels-down"


def vgw_unused_miss() -> Break:
    b, h = hub("vgw-unused")
    b.vpn_gateway(h["spokes"][0]["vpc"], tunnels=("DOWN", "DOWN"))  # no route uses it
    return b, h["spokes"][0]["apps"][0], "internet", 443, "", None


# -- peering -----------------------------------------------------------------------------------
def two_vpcs(seed: str, status: str = "active", route_back: bool = True) -> Break:
    """Two VPCs joined by a peering connection, a client in one and a server in the other."""
    b = Builder(seed=seed)
    a_vpc = b.vpc("10.10.0.0/16", name="app-vpc")
    z_vpc = b.vpc("10.20.0.0/16", name="data-vpc")
    a_sub = b.subnet(a_vpc, "10.10.1.0/24", "a", name="app-private-a")
    z_sub = b.subnet(z_vpc, "10.20.1.0/24", "a", name="data-private-a")
    pcx = b.peering(a_vpc, z_vpc, status=status)
    a_rt = b.route_table(a_vpc, name="app-rt")
    b.route(a_rt, "10.20.0.0/16", pcx)
    b.associate(a_rt, a_sub)
    z_rt = b.route_table(z_vpc, name="data-rt")
    if route_back:
        b.route(z_rt, "10.10.0.0/16", pcx)
    b.associate(z_rt, z_sub)
    a_sg = b.security_group(a_vpc, "app-sg", "app servers")
    z_sg = b.security_group(
        z_vpc, "db-sg", "database from the app VPC", ingress=[b.perm(5432, "10.10.0.0/16")]
    )
    a = b.instance(a_sub, [a_sg], name="app-1")
    z = b.instance(z_sub, [z_sg], name="db-1")
    return b, a, z, 5432, "", None


def peering_not_active() -> Break:
    b, a, z, port, _, _ = two_vpcs("pcx-deleted", status="deleted")
    return b, a, z, port, "VPC peering", "peering.not-active"


def peering_pending() -> Break:
    b, a, z, port, _, _ = two_vpcs("pcx-pending", status="pending-acceptance")
    return b, a, z, port, "VPC peering", "peering.not-active"


def peering_no_return() -> Break:
    b, a, z, port, _, _ = two_vpcs("pcx-return", route_back=False)
    return b, a, z, port, "route table (reply)", "peering.missing-return-route"


def peering_ok() -> Break:
    return two_vpcs("pcx-ok")


# -- gateway endpoint --------------------------------------------------------------------------
S3_CIDRS = ["52.216.0.0/15", "3.5.0.0/19"]


def s3_endpoint(seed: str, route: bool = True) -> tuple[Builder, dict[str, Any]]:
    """A private subnet with a NAT gateway and an S3 gateway endpoint (prefix list known)."""
    b = Builder(seed=seed)
    vpc = b.vpc("10.30.0.0/16", name="s3-vpc")
    igw = b.igw(vpc)
    pub = b.subnet(vpc, "10.30.0.0/24", "a", name="s3-public-a")
    prt = b.route_table(vpc, name="s3-public-rt")
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub)
    prv = b.subnet(vpc, "10.30.1.0/24", "a", name="s3-private-a")
    rt = b.route_table(vpc, name="s3-private-rt")
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    vpce = b.endpoint(vpc, "s3", [rt] if route else [])
    pl = (
        next(
            r["DestinationPrefixListId"]
            for t in b.data["RouteTables"]
            for r in t["Routes"]
            if r.get("DestinationPrefixListId")
        )
        if route
        else "pl-63a5400a"
    )
    b.prefix_list(pl, f"com.amazonaws.{b.region}.s3", S3_CIDRS)
    sg = b.security_group(vpc, "worker-sg", "workers")
    inst = b.instance(prv, [sg], name="worker-1")
    return b, {"vpc": vpc, "rt": rt, "vpce": vpce, "nat": nat, "inst": inst, "pl": pl}


def endpoint_missing_route() -> Snapshot:
    return s3_endpoint("vpce-missing", route=False)[0].snapshot()


def endpoint_with_route() -> Snapshot:
    return s3_endpoint("vpce-ok")[0].snapshot()


# -- what the tests use ------------------------------------------------------------------------
def _snap(make: Callable[[], Break]) -> Callable[[], Snapshot]:
    def f() -> Snapshot:
        return make()[0].snapshot()

    f.__name__ = make.__name__
    return f


# rule id -> (breaks that fire it, near misses)
NETWORK_BREAKS: dict[str, tuple[list[Callable[[], Break]], list[Callable[[], Break]]]] = {
    "tgw.no-route-to-destination": ([tgw_no_route_to_vpc], [tgw_no_route_to_vpc_miss]),
    "tgw.no-default-route": ([tgw_no_default], [tgw_no_default_miss]),
    "tgw.blackhole-route": ([tgw_blackhole], [tgw_blackhole_miss]),
    "tgw.attachment-not-associated": ([tgw_not_associated], [tgw_not_associated_miss]),
    "tgw.no-attachment-in-az": ([tgw_az], [tgw_az_miss]),
    "tgw.no-return-route": ([tgw_no_return, tgw_spoke_no_return], [tgw_no_return_miss]),
    "vpn.all-tunnels-down": ([vpn_down, vgw_down], [vpn_down_miss, vgw_unused_miss]),
    "peering.not-active": ([peering_not_active, peering_pending], [peering_ok]),
    "peering.missing-return-route": ([peering_no_return], [peering_ok]),
}

# rule id -> (snapshots that fire it, near misses), in the catalogue's CASES shape
NETWORK_CASES: dict[str, tuple[list[Callable[[], Snapshot]], list[Callable[[], Snapshot]]]] = {
    rid: ([_snap(m) for m in fires], [_snap(m) for m in misses])
    for rid, (fires, misses) in NETWORK_BREAKS.items()
    if rid != "peering.missing-return-route"  # its catalogue cases already exist
}
NETWORK_CASES["endpoint.missing-prefix-list-route"] = (
    [endpoint_missing_route],
    [endpoint_with_route],
)
