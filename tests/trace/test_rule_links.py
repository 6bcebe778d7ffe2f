"""Each hop a trace blocks (or lets through exposed) names the catalogue rule that describes it,
and the scan of the same snapshot supplies that rule's finding with its fix steps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.engine import diagnose, load_rules
from assistant.models.snapshot import Snapshot
from assistant.sources.builder import Builder, classic
from assistant.trace import NOT_REACHABLE, REACHABLE, Tracer
from assistant.trace.fixes import attach_fixes
from assistant.trace.render import render_trace_text
from assistant.trace.tracer import TRACE_RULES, catalogue_rule
from tests.trace.network_scenarios import NETWORK_BREAKS

TRACE_SRC = Path(__file__).resolve().parents[2] / "assistant" / "trace"


def _entry(n, action, egress, lo=None, hi=None, cidr="0.0.0.0/0", proto="6"):
    e = {"RuleNumber": n, "Protocol": proto, "RuleAction": action, "Egress": egress}
    e["CidrBlock"] = cidr
    if lo is not None:
        e["PortRange"] = {"From": lo, "To": hi if hi is not None else lo}
    return e


ALLOW_ALL_IN = _entry(100, "allow", False, proto="-1")
ALLOW_ALL_OUT = _entry(100, "allow", True, proto="-1")


def _group(b: Builder, gid: str) -> dict:
    return b.find("SecurityGroups", "GroupId", gid)


def _small_vpc(b: Builder, cidr_prefix: str = "10.7"):
    """A VPC with an attached internet gateway and one public subnet (its table routes
    0.0.0.0/0 to the gateway) and one subnet without a route table of its own."""
    vpc = b.vpc(f"{cidr_prefix}.0.0/16")
    igw = b.igw(vpc)
    pub = b.subnet(vpc, f"{cidr_prefix}.0.0/24", "a", name="public-a")
    prt = b.route_table(vpc)
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    prv = b.subnet(vpc, f"{cidr_prefix}.1.0/24", "a", name="private-a")
    return vpc, pub, prv


# -- scenarios: each returns (builder, from, to, port, the step that names the rule) ----------


def nacl_egress_web():
    b = Builder(seed="link-nacl-egress")
    c = classic(b)
    acl = b.nacl(c["vpc"], entries=[_entry(90, "deny", True, 443), ALLOW_ALL_OUT, ALLOW_ALL_IN])
    b.nacl_associate(acl, c["private"][0])
    return b, c["apps"][0], "internet", 443, "network ACL outbound"


def nacl_return_private():
    b = Builder(seed="link-nacl-return")
    c = classic(b)
    acl = b.nacl(
        c["vpc"],
        entries=[
            ALLOW_ALL_OUT,
            _entry(100, "allow", False, 32768, 65535),
            _entry(110, "allow", False, cidr="10.0.0.0/16", proto="-1"),
        ],
    )
    b.nacl_associate(acl, c["private"][0])
    return b, c["apps"][0], "internet", 443, "network ACL inbound (reply)"


def nacl_return_nat_subnet():
    b = Builder(seed="link-nacl-return-nat")
    c = classic(b, azs="a")
    # The NAT gateway's public subnet admits the web but not the replies on 1024-65535.
    acl = b.nacl(
        c["vpc"],
        entries=[
            ALLOW_ALL_OUT,
            _entry(100, "allow", False, 443),
            _entry(101, "allow", False, 80),
            _entry(110, "allow", False, cidr="10.0.0.0/16", proto="-1"),
        ],
    )
    b.nacl_associate(acl, c["public"][0])
    return b, c["apps"][0], "internet", 443, "network ACL inbound (reply)"


def nacl_web_in_lb():
    b = Builder(seed="link-nacl-web-in")
    c = classic(b)
    acl = b.nacl(c["vpc"], entries=[_entry(90, "deny", False, 443), ALLOW_ALL_IN, ALLOW_ALL_OUT])
    for p in c["public"]:
        b.nacl_associate(acl, p)
    return b, "internet", "shop-alb", 443, "network ACL inbound"


def nacl_web_reply_lb():
    b = Builder(seed="link-nacl-web-out")
    c = classic(b)
    acl = b.nacl(
        c["vpc"],
        entries=[
            ALLOW_ALL_IN,
            _entry(100, "allow", True, 443),
            _entry(101, "allow", True, 80),
            _entry(110, "allow", True, cidr="10.0.0.0/16", proto="-1"),
        ],
    )
    for p in c["public"]:
        b.nacl_associate(acl, p)
    return b, "internet", "shop-alb", 443, "network ACL outbound (reply)"


def nacl_web_in_instance():
    b = Builder(seed="link-nacl-web-inst")
    vpc, pub, _ = _small_vpc(b)
    web = b.security_group(vpc, "web", ingress=[b.perm(443, "0.0.0.0/0")])
    i = b.instance(pub, [web], name="web-1", public_ip=True)
    acl = b.nacl(vpc, entries=[_entry(90, "deny", False, 443), ALLOW_ALL_IN, ALLOW_ALL_OUT])
    b.nacl_associate(acl, pub)
    return b, "internet", i, 443, "network ACL inbound"


def sg_no_egress():
    b = Builder(seed="link-sg-egress")
    c = classic(b)
    _group(b, c["app_sg"])["IpPermissionsEgress"] = [b.perm(None, "10.0.0.0/16")]
    return b, c["apps"][0], "internet", 443, "security group egress"


def lb_sg_blocks_listener():
    b = Builder(seed="link-lb-sg")
    c = classic(b)
    _group(b, c["alb_sg"])["IpPermissions"] = [b.perm(80, "0.0.0.0/0")]
    return b, "internet", "shop-alb", 443, "security group ingress"


def target_sg_blocks_lb():
    b = Builder(seed="link-tg-sg")
    c = classic(b)
    _group(b, c["app_sg"])["IpPermissions"] = [b.perm(8080, "192.168.0.0/16")]
    return b, "internet", "shop-alb", 443, "security group ingress"


def targets_unhealthy():
    b = Builder(seed="link-unhealthy")
    c = classic(b)
    for d in b.health[c["tg"]]:
        d["TargetHealth"] = {
            "State": "unhealthy",
            "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [502]",
        }
    return b, "internet", "shop-alb", 443, "target health"


def nat_without_public_ip():
    b = Builder(seed="link-nat-eip")
    vpc, pub, prv = _small_vpc(b)
    nat = b.nat(pub, eip=False)
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    i = b.instance(prv, [b.default_sg(vpc)])
    return b, i, "internet", 443, "NAT gateway"


def private_nat_as_way_out():
    b = Builder(seed="link-nat-private")
    vpc, pub, prv = _small_vpc(b)
    nat = b.nat(pub, connectivity="private")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    i = b.instance(prv, [b.default_sg(vpc)])
    return b, i, "internet", 443, "NAT gateway"


def nat_instance_check_on():
    b = Builder(seed="link-nat-instance")
    vpc, pub, prv = _small_vpc(b)
    nat_i = b.instance(pub, [b.default_sg(vpc)], name="nat-instance", public_ip=True)
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat_i)
    b.associate(rt, prv)
    i = b.instance(prv, [b.default_sg(vpc)])
    return b, i, "internet", 443, "next hop"


def nat_not_available():
    b = Builder(seed="link-nat-failed")
    vpc, pub, prv = _small_vpc(b)
    nat = b.nat(pub, state="failed")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    return b, b.instance(prv, [b.default_sg(vpc)]), "internet", 443, "NAT gateway"


def nat_in_private_subnet():
    b = Builder(seed="link-nat-placement")
    vpc, _, prv = _small_vpc(b)
    nat = b.nat(prv)  # prv has no route to the internet gateway
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    other = b.subnet(vpc, "10.7.2.0/24", "a", name="app-a")
    b.associate(rt, other)
    return b, b.instance(other, [b.default_sg(vpc)]), "internet", 443, "NAT gateway's route table"


def route_blackhole():
    b = Builder(seed="link-blackhole")
    c = classic(b)
    b.route(c["private_rt"][0], "0.0.0.0/0", "nat-0deadbeefdeadbeef", state="blackhole")
    return b, c["apps"][0], "internet", 443, "route table"


def no_default_route():
    b = Builder(seed="link-no-route")
    vpc = b.vpc("10.3.0.0/16")
    s = b.subnet(vpc, "10.3.0.0/24", "a", name="private-app")
    return b, b.instance(s, [b.default_sg(vpc)]), "internet", 443, "route table"


def igw_detached():
    b = Builder(seed="link-igw")
    vpc = b.vpc("10.2.0.0/16")
    igw = b.igw(None)
    pub = b.subnet(vpc, "10.2.0.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    b.associate(rt, pub)
    i = b.instance(pub, [b.default_sg(vpc)], public_ip=True)
    return b, i, "internet", 443, "internet gateway"


def igw_route_without_public_ip():
    b = Builder(seed="link-igw-no-ip")
    vpc, pub, _ = _small_vpc(b)
    return b, b.instance(pub, [b.default_sg(vpc)]), "internet", 443, "public IP"


def public_instance_without_public_ip():
    b = Builder(seed="link-public-no-ip")
    vpc, pub, _ = _small_vpc(b)
    web = b.security_group(vpc, "web", ingress=[b.perm(443, "0.0.0.0/0")])
    return b, "internet", b.instance(pub, [web], name="web-1"), 443, "public IP"


def app_in_private_subnet():
    b = Builder(seed="link-private-app")
    c = classic(b)
    web = b.security_group(c["vpc"], "web", ingress=[b.perm(80, "0.0.0.0/0")])
    i = b.instance(c["private"][0], [web], name="lonely-web")
    return b, "internet", i, 80, "public IP"


def lb_in_private_subnets():
    b = Builder(seed="link-lb-private")
    c = classic(b)
    lb = b.load_balancer("inner", c["private"], [c["alb_sg"]])
    b.listener(lb, 443, "HTTPS", c["tg"])
    return b, "internet", "inner", 443, "load balancer subnets"


def no_https_listener():
    b = Builder(seed="link-no-https")
    c = classic(b)
    lb = b.load_balancer("plain", c["public"], [c["alb_sg"]])
    b.listener(lb, 80, "HTTP", c["tg"])
    return b, "internet", "plain", 443, "listener"


BLOCKED = {
    "nacl.blocks-egress-web": nacl_egress_web,
    "nacl.blocks-return-traffic": nacl_return_private,
    "nacl.blocks-return-traffic/nat-subnet": nacl_return_nat_subnet,
    "ingress.nacl-blocks-web": nacl_web_in_lb,
    "ingress.nacl-blocks-web/reply": nacl_web_reply_lb,
    "ingress.nacl-blocks-web/instance": nacl_web_in_instance,
    "sg.no-egress": sg_no_egress,
    "ingress.lb-sg-blocks-listener": lb_sg_blocks_listener,
    "ingress.target-sg-blocks-lb": target_sg_blocks_lb,
    "ingress.targets-unhealthy": targets_unhealthy,
    "nat.no-elastic-ip": nat_without_public_ip,
    "nat.no-elastic-ip/private": private_nat_as_way_out,
    "nat.instance-source-dest-check": nat_instance_check_on,
    "nat.not-available": nat_not_available,
    "nat.in-private-subnet": nat_in_private_subnet,
    "egress.route-blackhole": route_blackhole,
    "egress.no-default-route": no_default_route,
    "igw.not-attached": igw_detached,
    "egress.igw-route-without-public-ip": igw_route_without_public_ip,
    "ingress.public-instance-without-public-ip": public_instance_without_public_ip,
    "ingress.app-unreachable-in-private-subnet": app_in_private_subnet,
    "ingress.lb-in-private-subnets": lb_in_private_subnets,
    "ingress.no-https-listener": no_https_listener,
}
# Multi-VPC breaks (transit gateway, peering, VPN): (builder, from, to, port, step).
BLOCKED.update(
    {
        f"{rid}/{make.__name__}": (lambda make=make: make()[:5])
        for rid, (fires, _) in NETWORK_BREAKS.items()
        for make in fires
    }
)


def _traced(snap: Snapshot, src: str, dst: str, port: int):
    t = Tracer(snap).trace(src, dst, port)
    return t, attach_fixes(t.model_copy(deep=True), diagnose(snap))


def _shows_fix(text: str, finding) -> None:
    assert "What to change (from the scan of the same snapshot):" in text
    assert finding.fix, f"{finding.rule} has no fix steps"
    for step in finding.fix:
        for cmd in step.cli:
            assert cmd in text


@pytest.mark.parametrize("case", sorted(BLOCKED))
def test_blocked_hop_names_its_rule_and_shows_the_scan_fix(case):
    rule = case.split("/")[0]
    b, src, dst, port, step = BLOCKED[case]()
    snap = b.snapshot()
    plain, t = _traced(snap, src, dst, port)
    assert plain.verdict == NOT_REACHABLE
    hops = [h for h in t.blocked if h.rule == rule]
    assert hops, [(h.step, h.rule, h.detail) for h in t.blocked]
    assert hops[0].step == step
    # The scan of the same snapshot fires the rule, and the finding tied to the hop names the
    # hop's own resources.
    assert rule in {f.rule for f in diagnose(snap).findings}
    mine = [f for f in t.fixes if f.rule == rule]
    assert len(mine) == 1, [f.key for f in t.fixes]
    assert set(hops[0].resources) <= set(mine[0].resources)
    text = render_trace_text(t)
    assert f"fix: {rule}" in text
    _shows_fix(text, mine[0])
    assert f"How to fix: vpc-helper explain {rule}" not in text


def _exposed_db() -> tuple[Builder, str, str]:
    b = Builder(seed="link-db-open")
    vpc, pub, _ = _small_vpc(b)
    db = b.security_group(vpc, "db", ingress=[b.perm(5432, "0.0.0.0/0")])
    return b, b.instance(pub, [db], name="pg-1", public_ip=True), db


def _exposed_all() -> tuple[Builder, str, str]:
    b = Builder(seed="link-all-open")
    vpc, pub, _ = _small_vpc(b)
    sg = b.security_group(vpc, "wide-open", ingress=[b.perm(None, "0.0.0.0/0")])
    return b, b.instance(pub, [sg], name="box", public_ip=True), sg


def _exposed_backend() -> tuple[Builder, str, str]:
    b = Builder(seed="link-backend")
    vpc, pub, _ = _small_vpc(b)
    sg = b.security_group(vpc, "api", ingress=[b.perm(443, "0.0.0.0/0")])
    return b, b.instance(pub, [sg], name="api-1", public_ip=True, Role="backend"), sg


def _exposed_ssh_acl() -> tuple[Builder, str, str]:
    b = Builder(seed="link-acl-ssh")
    vpc, pub, _ = _small_vpc(b)
    sg = b.security_group(vpc, "admin", ingress=[b.perm(22, "0.0.0.0/0")])
    i = b.instance(pub, [sg], name="bastion", public_ip=True)
    acl = b.nacl(vpc, entries=[_entry(100, "allow", False, 22), ALLOW_ALL_OUT])
    b.nacl_associate(acl, pub)
    return b, i, sg


EXPOSED = {
    "exposure.sg-open-database-port": (_exposed_db, 5432, "security group ingress"),
    "exposure.sg-open-all-ports": (_exposed_all, 8080, "security group ingress"),
    "exposure.backend-in-public-subnet": (_exposed_backend, 443, "public IP"),
    "exposure.nacl-open-admin-port": (_exposed_ssh_acl, 22, "network ACL inbound"),
}


@pytest.mark.parametrize("rule", sorted(EXPOSED))
def test_reachable_but_exposed_hop_names_its_rule_and_shows_the_scan_fix(rule):
    make, port, step = EXPOSED[rule]
    b, inst, _ = make()
    snap = b.snapshot()
    plain, t = _traced(snap, "internet", inst, port)
    assert plain.verdict == REACHABLE
    (hop,) = [h for h in t.hops if h.rule == rule]
    assert hop.status == "pass" and hop.step == step
    mine = [f for f in t.fixes if f.rule == rule]
    assert len(mine) == 1 and set(hop.resources) <= set(mine[0].resources)
    assert inst in hop.resources or hop.step.startswith("network ACL")
    text = render_trace_text(t)
    assert f"see: {rule}" in text
    _shows_fix(text, mine[0])


def test_exposure_is_named_only_for_traffic_from_the_internet():
    b, inst, db_sg = _exposed_db()
    vpc = b.find("SecurityGroups", "GroupId", db_sg)["VpcId"]
    prv = b.find("Subnets", "CidrBlock", "10.7.1.0/24")["SubnetId"]
    app = b.instance(prv, [b.default_sg(vpc)], name="app-1")
    t = Tracer(b.snapshot()).trace(app, inst, 5432)
    sg = [h for h in t.hops if h.step == "security group ingress"]
    assert sg and sg[0].status == "pass" and sg[0].rule is None


def test_all_ports_open_is_named_before_the_admin_port():
    b, inst, _ = _exposed_all()
    t = Tracer(b.snapshot()).trace("internet", inst, 22)
    sg = next(h for h in t.hops if h.step == "security group ingress")
    assert sg.rule == "exposure.sg-open-all-ports"


def test_no_listener_on_the_port_names_no_rule():
    b = Builder(seed="link-no-listener")
    classic(b)
    snap = b.snapshot()
    plain, t = _traced(snap, "internet", "shop-alb", 8443)
    (hop,) = [h for h in plain.blocked if h.step == "listener"]
    assert hop.rule is None
    # The load balancer has an HTTPS listener, and its security group would not be the reason:
    # nothing else is named for a port nobody listens on.
    assert not [h for h in plain.hops if h.rule and h.status == "fail"]
    assert "How to fix" not in render_trace_text(t)


def test_shared_acl_attaches_only_the_finding_of_the_traced_subnet():
    b = Builder(seed="link-shared-acl")
    c = classic(b)
    acl = b.nacl(c["vpc"], entries=[_entry(90, "deny", True, 443), ALLOW_ALL_OUT, ALLOW_ALL_IN])
    for s in c["private"]:
        b.nacl_associate(acl, s)
    snap = b.snapshot()
    d = diagnose(snap)
    both = [f for f in d.findings if f.rule == "nacl.blocks-egress-web"]
    assert len(both) == 2  # one per subnet, the same ACL
    t = attach_fixes(Tracer(snap).trace(c["apps"][0], "internet", 443), d)
    (mine,) = t.fixes
    assert c["private"][0] in mine.resources and c["private"][1] not in mine.resources


def test_sg_no_egress_attaches_the_finding_of_exactly_these_groups():
    b = Builder(seed="link-sg-combo")
    c = classic(b)
    _group(b, c["app_sg"])["IpPermissionsEgress"] = [b.perm(None, "10.0.0.0/16")]
    extra = b.security_group(c["vpc"], "extra", egress=[b.perm(5432, "10.0.0.0/16")])
    other = b.instance(c["private"][0], [c["app_sg"], extra], name="two-groups")
    snap = b.snapshot()
    d = diagnose(snap)
    combos = [f for f in d.findings if f.rule == "sg.no-egress"]
    assert len(combos) == 2
    t = attach_fixes(Tracer(snap).trace(c["apps"][0], "internet", 443), d)
    (mine,) = t.fixes
    assert extra not in mine.resources and c["apps"][0] in mine.resources
    t2 = attach_fixes(Tracer(snap).trace(other, "internet", 443), d)
    (theirs,) = t2.fixes
    assert extra in theirs.resources and other in theirs.resources


def test_non_web_and_internal_blocks_name_no_web_rule():
    b = Builder(seed="link-not-web")
    c = classic(b, data_tier=True)
    # Outbound 5432 is denied in the private subnet: no catalogue rule covers that port.
    acl = b.nacl(c["vpc"], entries=[_entry(90, "deny", True, 5432), ALLOW_ALL_OUT, ALLOW_ALL_IN])
    b.nacl_associate(acl, c["private"][0])
    db = b.instance(c["data"][0], [c["db_sg"]], name="db-1")
    tr = Tracer(b.snapshot())
    t = tr.trace(c["apps"][0], db, 5432)
    (hop,) = t.blocked
    assert hop.step == "network ACL outbound" and hop.rule is None
    assert tr.trace(c["apps"][0], "internet", 5432).blocked[0].rule is None


def test_nat_instance_with_check_off_is_not_analysed():
    b, src, dst, port, _ = nat_instance_check_on()
    nat_i = next(i for i in b.data["Instances"] if i["Tags"][0]["Value"] == "nat-instance")
    nat_i["SourceDestCheck"] = False
    nat_i["NetworkInterfaces"][0]["SourceDestCheck"] = False
    t = Tracer(b.snapshot()).trace(src, dst, port)
    assert t.verdict == "unknown"
    assert t.hops[-1].step == "next hop" and "not analysed" in t.hops[-1].detail


# -- every rule the trace can name is in the catalogue -----------------------------------------


def _named_in_source() -> set[str]:
    """Every quoted ``area.rule-name`` in the trace package, and every catalogue_rule("...")."""
    ids = re.compile(r'"([a-z0-9]+\.[a-z0-9][a-z0-9-]*)"')
    calls = re.compile(r'catalogue_rule\(\s*"([^"]*)"')
    found: set[str] = set()
    for path in TRACE_SRC.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(ids.findall(text)) | set(calls.findall(text))
    return found


def test_every_rule_the_trace_can_name_exists_in_the_catalogue():
    catalogue = {r.id for r in load_rules()}
    named = _named_in_source()
    assert "nacl.blocks-return-traffic" in named and "sg.no-egress" in named
    assert named <= catalogue, sorted(named - catalogue)
    assert TRACE_RULES <= catalogue, sorted(TRACE_RULES - catalogue)
    # Every id the source names is declared, and every declared id is named somewhere.
    assert named <= TRACE_RULES, sorted(named - TRACE_RULES)
    assert TRACE_RULES <= named, sorted(TRACE_RULES - named)
    assert all(catalogue_rule(r) == r for r in TRACE_RULES)


def test_catalogue_rule_refuses_an_undeclared_id():
    with pytest.raises(ValueError, match="not in TRACE_RULES"):
        catalogue_rule("nacl.blocks-traffic")


def test_every_mapped_rule_has_a_scenario():
    covered = {c.split("/")[0] for c in BLOCKED} | set(EXPOSED) | {"exposure.sg-open-admin-port"}
    assert covered == set(TRACE_RULES), sorted(set(TRACE_RULES) ^ covered)
