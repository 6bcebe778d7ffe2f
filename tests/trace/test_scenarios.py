"""Trace on Builder scenarios: each break is found at the right hop with the right line."""

from __future__ import annotations

from assistant.engine import diagnose
from assistant.sources.builder import Builder, classic
from assistant.sources.files import snapshot_from_outputs
from assistant.trace import NOT_REACHABLE, REACHABLE, UNDECIDED, Tracer
from assistant.trace.fixes import attach_fixes
from assistant.trace.tracer import catalogue_rule


def _tracer(b: Builder) -> Tracer:
    return Tracer(b.snapshot())


def _fail(t):
    return [h for h in t.hops if h.status == "fail"]


def _acl(b, vpc, entries):
    return b.nacl(vpc, entries=entries)


def _entry(n, action, egress, lo=None, hi=None, cidr="0.0.0.0/0", proto="6"):
    e = {
        "RuleNumber": n,
        "Protocol": proto,
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": cidr,
    }
    if lo is not None:
        e["PortRange"] = {"From": lo, "To": hi if hi is not None else lo}
    return e


def test_classic_is_healthy_everywhere():
    b = Builder(seed="healthy")
    c = classic(b)
    tr = _tracer(b)
    for app in c["apps"]:
        assert tr.trace(app, "internet", 443).verdict == REACHABLE
    assert tr.trace("internet", "shop-alb", 443).verdict == REACHABLE


def test_nacl_deny_before_allow_blocks_the_request():
    b = Builder(seed="nacl-order")
    c = classic(b)
    acl = _acl(
        b,
        c["vpc"],
        [
            _entry(90, "deny", True, 443),
            _entry(100, "allow", True, proto="-1"),
            _entry(100, "allow", False, proto="-1"),
        ],
    )
    b.nacl_associate(acl, c["private"][0])
    t = _tracer(b).trace(c["apps"][0], "internet", 443)
    assert t.verdict == NOT_REACHABLE
    (hop,) = _fail(t)
    assert hop.step == "network ACL outbound" and "rule 90: deny tcp port 443" in hop.detail


def test_nacl_blocks_ephemeral_return_traffic():
    b = Builder(seed="nacl-return")
    c = classic(b)
    # Inbound only 32768-65535 on the private subnet: replies on 1024-32767 are dropped.
    acl = _acl(
        b,
        c["vpc"],
        [
            _entry(100, "allow", True, proto="-1"),
            _entry(100, "allow", False, 32768, 65535),
            _entry(110, "allow", False, cidr="10.0.0.0/16", proto="-1"),
        ],
    )
    b.nacl_associate(acl, c["private"][0])
    t = _tracer(b).trace(c["apps"][0], "internet", 443)
    assert t.verdict == NOT_REACHABLE
    (hop,) = _fail(t)
    assert hop.direction == "return" and hop.step == "network ACL inbound (reply)"
    assert "rule *: deny all traffic from 0.0.0.0/0 (decides ports 1024-32767)" in hop.detail
    assert hop.rule == catalogue_rule("nacl.blocks-return-traffic")


def test_more_specific_route_diverts_part_of_the_internet():
    b = Builder(seed="divert")
    c = classic(b)
    b.route(c["private_rt"][0], "8.8.8.0/24", "pcx-0123456789abcdef0")
    tr = _tracer(b)
    app = c["apps"][0]
    t = tr.trace(app, "8.8.8.8", 53, "udp")
    assert t.verdict == UNDECIDED
    # The peering connection is not in the snapshot: unknown beyond it, never a guess.
    assert t.hops[-1].step == "VPC peering" and "not in the snapshot" in t.hops[-1].detail
    assert t.hops[-1].status == "unknown"
    route = next(h for h in t.hops if h.step == "route table")
    assert "8.8.8.0/24 -> pcx-0123456789abcdef0" in route.detail
    # Other addresses still use the default route; 'internet' lists the diversion.
    other = tr.trace(app, "1.1.1.1", 443)
    assert any("-> nat-" in h.detail for h in other.hops if h.step == "route table")
    generic = tr.trace(app, "internet", 443)
    assert "8.8.8.0/24 -> pcx-" in next(h for h in generic.hops if h.step == "route table").detail


def test_prefix_list_route_makes_a_specific_address_unknown():
    b = Builder(seed="pl")
    c = classic(b)  # the S3 gateway endpoint adds a prefix-list route to the private tables
    t = _tracer(b).trace(c["apps"][0], "52.216.0.10", 443)
    assert t.verdict == UNDECIDED
    hop = next(h for h in t.hops if h.step == "route table")
    assert hop.status == "unknown" and "prefix list, contents unknown" in hop.detail


def test_blackhole_route_names_rule_and_fix():
    b = Builder(seed="blackhole")
    c = classic(b)
    b.route(c["private_rt"][0], "0.0.0.0/0", "nat-0deadbeefdeadbeef", state="blackhole")
    snap = b.snapshot()
    t = Tracer(snap).trace(c["apps"][0], "internet", 443)
    (hop,) = _fail(t)
    assert hop.rule == "egress.route-blackhole" and "blackhole" in hop.detail
    attach_fixes(t, diagnose(snap))
    assert [f.rule for f in t.fixes] == ["egress.route-blackhole"]


def test_nat_not_available():
    b = Builder(seed="nat-failed")
    vpc = b.vpc("10.1.0.0/16")
    igw = b.igw(vpc)
    pub = b.subnet(vpc, "10.1.0.0/24", "a")
    prv = b.subnet(vpc, "10.1.1.0/24", "a")
    prt = b.route_table(vpc)
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub, state="failed")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, prv)
    i = b.instance(prv, [b.default_sg(vpc)])
    t = _tracer(b).trace(i, "internet", 443)
    (hop,) = _fail(t)
    assert hop.step == "NAT gateway" and "failed" in hop.detail
    assert hop.rule == "nat.not-available"


def test_igw_not_attached():
    b = Builder(seed="igw-detached")
    vpc = b.vpc("10.2.0.0/16")
    igw = b.igw(None)
    pub = b.subnet(vpc, "10.2.0.0/24", "a")
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    b.associate(rt, pub)
    i = b.instance(pub, [b.default_sg(vpc)], public_ip=True)
    t = _tracer(b).trace(i, "internet", 443)
    (hop,) = _fail(t)
    assert hop.step == "internet gateway" and hop.rule == "igw.not-attached"


def test_no_default_route():
    b = Builder(seed="no-route")
    vpc = b.vpc("10.3.0.0/16")
    s = b.subnet(vpc, "10.3.0.0/24", "a")
    i = b.instance(s, [b.default_sg(vpc)])
    t = _tracer(b).trace(i, "internet", 443)
    (hop,) = _fail(t)
    assert hop.step == "route table" and "no route" in hop.detail
    assert hop.rule == "egress.no-default-route"


def test_lb_in_private_subnets():
    b = Builder(seed="lb-private")
    c = classic(b)
    sg = c["alb_sg"]
    lb = b.load_balancer("inner", c["private"], [sg])
    b.listener(lb, 443, "HTTPS", c["tg"])
    t = _tracer(b).trace("internet", "inner", 443)
    assert t.verdict == NOT_REACHABLE
    hop = next(h for h in _fail(t) if h.step == "load balancer subnets")
    assert hop.rule == "ingress.lb-in-private-subnets"


def test_target_sg_does_not_allow_the_lb():
    b = Builder(seed="tg-sg")
    vpc = b.vpc("10.4.0.0/16")
    igw = b.igw(vpc)
    rt = b.route_table(vpc)
    b.route(rt, "0.0.0.0/0", igw)
    pubs = [b.subnet(vpc, f"10.4.{k}.0/24", az) for k, az in enumerate("ab")]
    for p in pubs:
        b.associate(rt, p)
    alb_sg = b.security_group(vpc, "alb", ingress=[b.perm(443, "0.0.0.0/0")])
    app_sg = b.security_group(vpc, "app", ingress=[b.perm(8080, "192.168.0.0/16")])
    prv = b.subnet(vpc, "10.4.10.0/24", "a")
    app = b.instance(prv, [app_sg])
    lb = b.load_balancer("web", pubs, [alb_sg])
    tg = b.target_group(
        "web-tg", vpc, 8080, [app], lb_arn=lb, states={app: ("unhealthy", "Target.Timeout")}
    )
    b.listener(lb, 443, "HTTPS", tg)
    t = _tracer(b).trace("internet", "web", 443)
    assert t.verdict == NOT_REACHABLE
    sg = [h for h in _fail(t) if h.step == "security group ingress"]
    assert sg and "8080" in sg[0].detail
    assert sg[0].rule == catalogue_rule("ingress.target-sg-blocks-lb")
    health = next(h for h in t.hops if h.step == "target health")
    assert health.status == "fail" and "Target.Timeout" in health.detail


def test_lb_sg_blocks_listener_port():
    b = Builder(seed="lb-sg")
    c = classic(b)
    b.find("SecurityGroups", "GroupId", c["alb_sg"])["IpPermissions"] = [b.perm(80, "0.0.0.0/0")]
    t = _tracer(b).trace("internet", "shop-alb", 443)
    hop = next(h for h in _fail(t) if h.step == "security group ingress")
    assert c["alb_sg"] in hop.where


def test_internal_lb_from_an_instance():
    b = Builder(seed="internal")
    c = classic(b)
    sg = b.security_group(c["vpc"], "int-lb", ingress=[b.perm(443, group=c["app_sg"])])
    lb = b.load_balancer("int", c["private"], [sg], scheme="internal")
    b.listener(lb, 443, "HTTPS", c["tg"])
    tr = _tracer(b)
    t = tr.trace(c["apps"][0], "int", 443)
    assert t.verdict == NOT_REACHABLE  # the app group allows 8080 only from the ALB group
    assert any("8080" in h.detail for h in _fail(t))
    b.find("SecurityGroups", "GroupId", c["app_sg"])["IpPermissions"].append(b.perm(8080, group=sg))
    assert _tracer(b).trace(c["apps"][0], "int", 443).verdict == REACHABLE


def test_a_peering_absent_from_the_snapshot_is_unknown():
    b = Builder(seed="pcx")
    vpc = b.vpc("10.5.0.0/16")
    s = b.subnet(vpc, "10.5.0.0/24", "a")
    b.route(b.main_route_table(vpc), "10.6.0.0/16", "pcx-0aaaabbbbccccdddd")
    i = b.instance(s, [b.default_sg(vpc)])
    t = _tracer(b).trace(i, "10.6.1.5", 5432)
    assert t.verdict == UNDECIDED
    assert t.hops[-1].step == "VPC peering" and t.hops[-1].status == "unknown"
    assert "pcx-0aaaabbbbccccdddd is not in the snapshot" in t.hops[-1].detail


def test_missing_collections_make_hops_unknown_not_guesses():
    b = Builder(seed="partial")
    c = classic(b)
    files = {k: v for k, v in b.cli_files().items() if k != "network-acls.json"}
    snap = snapshot_from_outputs(files)
    t = Tracer(snap).trace(c["apps"][0], "internet", 443)
    assert t.verdict == UNDECIDED
    acl = [h for h in t.hops if "ACL" in h.step]
    assert acl and all(h.status == "unknown" for h in acl)
    assert "describe-network-acls" in acl[0].detail


def test_address_without_interface_has_unknown_groups():
    b = Builder(seed="bare-ip")
    c = classic(b)
    t = _tracer(b).trace(c["apps"][0], "10.0.16.200", 5432)
    sg = [h for h in t.hops if h.step == "security group ingress"]
    assert sg[0].status == "unknown" and "security groups are unknown" in sg[0].detail


def test_same_subnet_skips_acl_and_route():
    b = Builder(seed="same")
    c = classic(b)
    db_sg = b.security_group(c["vpc"], "db", ingress=[b.perm(5432, group=c["app_sg"])])
    db = b.instance(c["private"][0], [db_sg])
    t = _tracer(b).trace(c["apps"][0], db, 5432)
    assert t.verdict == REACHABLE
    assert not any("ACL" in h.step or h.step == "route table" for h in t.hops)


def test_ambiguous_name():
    import pytest

    from assistant.errors import UserError

    b = Builder(seed="twins")
    c = classic(b)
    b.instance(c["private"][0], [c["app_sg"]], name="twin")
    b.instance(c["private"][1], [c["app_sg"]], name="twin")
    with pytest.raises(UserError, match="2 instances are named"):
        _tracer(b).trace("twin", "internet", 443)


def test_trace_package_imports_no_ui_or_aws_sdk():
    import subprocess
    import sys

    code = (
        "import sys, assistant.trace, assistant.commands.trace; "
        "print(sorted(m for m in ('textual', 'boto3', 'botocore') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
