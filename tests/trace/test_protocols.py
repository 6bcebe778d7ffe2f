"""Protocols beyond TCP and UDP: ICMP (echo and its reply type), GRE and other protocols by
number, and "all". Each case has a near miss that differs in one rule or one hop: the same
security group or ACL entry with another ICMP type, the same GRE flow through an internet
gateway instead of a NAT gateway (which passes only TCP, UDP and ICMP)."""

from __future__ import annotations

import pytest

from assistant.errors import UserError
from assistant.sources.builder import Builder
from assistant.trace import NOT_REACHABLE, REACHABLE, Tracer
from tests.helpers import run_cli

PEER = "198.51.100.7"  # an internet address


def _icmp(t: int) -> dict:
    return {
        "IpProtocol": "icmp",
        "FromPort": t,
        "ToPort": -1,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }


def _entry(num: int, egress: bool, proto: str, action: str = "allow", **more) -> dict:
    return {
        "RuleNumber": num,
        "Protocol": proto,
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": "0.0.0.0/0",
        **more,
    }


def _net(
    seed: str,
    web_in: list[dict] | None = None,
    egress: list[dict] | None = None,
    acl: list[dict] | None = None,
):
    """A public subnet (internet gateway, NAT gateway, `web` with a public IP) and a private one
    (`app`, out through the NAT gateway); both subnets share one custom network ACL."""
    b = Builder(seed=seed)
    vpc = b.vpc("10.7.0.0/16")
    igw = b.igw(vpc)
    pub = b.subnet(vpc, "10.7.0.0/24", "a")
    priv = b.subnet(vpc, "10.7.1.0/24", "a")
    rt_pub, rt_priv = b.route_table(vpc), b.route_table(vpc)
    b.route(rt_pub, "0.0.0.0/0", igw)
    b.associate(rt_pub, pub)
    nat = b.nat(pub)
    b.route(rt_priv, "0.0.0.0/0", nat)
    b.associate(rt_priv, priv)
    a = b.nacl(vpc, entries=acl)
    b.nacl_associate(a, pub)
    b.nacl_associate(a, priv)
    sg = b.security_group(vpc, "web", ingress=web_in or [], egress=egress)
    b.instance(pub, [sg], name="web", public_ip=True)
    b.instance(priv, [sg], name="app")
    return b.snapshot(), nat


def _why(t) -> list[tuple[str, str]]:
    return [(h.step, h.detail) for h in t.hops if h.status != "pass"]


def test_an_echo_is_allowed_by_an_icmp_type_8_rule_and_not_by_a_type_0_rule():
    ok, _ = _net("icmp-echo", web_in=[_icmp(8)])
    t = Tracer(ok).trace("internet", "web", None, "icmp")
    assert t.verdict == REACHABLE, _why(t)
    assert (t.protocol, t.port) == ("icmp", 8)
    miss, _ = _net("icmp-echo", web_in=[_icmp(0)])
    t = Tracer(miss).trace("internet", "web", None, "icmp")
    assert t.verdict == NOT_REACHABLE
    assert t.blocked[0].step == "security group ingress"
    assert "icmp echo (type 8)" in t.blocked[0].detail


def test_tcp_all_ports_opens_no_icmp_and_an_icmp_rule_opens_no_port():
    tcp_all, _ = _net("icmp-tcp", web_in=[Builder.perm((0, 65535), "0.0.0.0/0")])
    assert Tracer(tcp_all).trace("internet", "web", None, "icmp").verdict == NOT_REACHABLE
    assert Tracer(tcp_all).trace("internet", "web", 22).verdict == REACHABLE
    icmp_all, _ = _net("icmp-tcp", web_in=[_icmp(-1)])
    assert Tracer(icmp_all).trace("internet", "web", None, "icmp").verdict == REACHABLE
    assert Tracer(icmp_all).trace("internet", "web", 22).verdict == NOT_REACHABLE


def _acl(reply: dict) -> list[dict]:
    """Inbound: ICMP echo only; outbound: ``reply`` only."""
    return [_entry(100, False, "1", IcmpTypeCode={"Type": 8, "Code": -1}), reply]


def test_the_echo_reply_is_checked_as_icmp_type_0_not_as_ephemeral_ports():
    ephemeral = _entry(100, True, "6", PortRange={"From": 1024, "To": 65535})
    snap, _ = _net("icmp-reply", web_in=[_icmp(8)], acl=_acl(ephemeral))
    t = Tracer(snap).trace("internet", "web", None, "icmp")
    assert t.verdict == NOT_REACHABLE, _why(t)
    (hop,) = t.blocked
    assert hop.step == "network ACL outbound (reply)" and hop.direction == "return"
    assert "echo reply (type 0)" in hop.detail
    echo_reply = _entry(100, True, "1", IcmpTypeCode={"Type": 0, "Code": -1})
    snap, _ = _net("icmp-reply", web_in=[_icmp(8)], acl=_acl(echo_reply))
    t = Tracer(snap).trace("internet", "web", None, "icmp")
    assert t.verdict == REACHABLE, _why(t)


def test_an_icmp_echo_goes_out_through_a_nat_gateway():
    snap, nat = _net("icmp-nat")
    t = Tracer(snap).trace("app", PEER, None, "icmp")
    assert t.verdict == REACHABLE, _why(t)
    assert any(h.step == "NAT gateway" and h.where == nat for h in t.hops)


@pytest.mark.parametrize("protocol", ["gre", "47", "all", "-1", "50"])
def test_a_nat_gateway_drops_other_protocols_and_an_internet_gateway_passes_them(protocol):
    snap, nat = _net("gre")
    t = Tracer(snap).trace("app", PEER, None, protocol)
    assert t.verdict == NOT_REACHABLE
    (hop,) = t.blocked
    assert (hop.step, hop.where) == ("NAT gateway", nat)
    assert "only TCP, UDP and ICMP" in hop.detail
    t = Tracer(snap).trace("web", PEER, None, protocol)
    assert t.verdict == REACHABLE, _why(t)
    # TCP through the same NAT gateway passes: the drop is about the protocol
    assert Tracer(snap).trace("app", PEER, 443).verdict == REACHABLE


def test_gre_needs_a_group_rule_and_an_acl_entry_for_gre_or_all():
    tcp_only = [Builder.perm((0, 65535), "0.0.0.0/0")]
    snap, _ = _net("gre-sg", egress=tcp_only)
    t = Tracer(snap).trace("web", PEER, None, "gre")
    assert t.blocked[0].step == "security group egress"
    gre = [{"IpProtocol": "47", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    snap, _ = _net("gre-sg", egress=gre)
    assert Tracer(snap).trace("web", PEER, None, "gre").verdict == REACHABLE
    assert Tracer(snap).trace("web", PEER, 443).verdict == NOT_REACHABLE
    acl = [_entry(100, e, "6") for e in (False, True)]  # tcp only, both ways
    snap, _ = _net("gre-acl", acl=acl)
    t = Tracer(snap).trace("web", PEER, None, "gre")
    assert t.blocked[0].step == "network ACL outbound"
    acl = [_entry(100, e, "47") for e in (False, True)]
    snap, _ = _net("gre-acl", acl=acl)
    assert Tracer(snap).trace("web", PEER, None, "gre").verdict == REACHABLE


@pytest.mark.parametrize(
    ("protocol", "port"),
    [("icmpv6", None), ("256", None), ("ospf-ish", None), ("tcp", None), ("icmp", 300)],
)
def test_a_protocol_or_port_that_cannot_be_traced_is_a_user_error(protocol, port):
    snap, _ = _net("bad")
    with pytest.raises(UserError):
        Tracer(snap).trace("web", PEER, port, protocol)


def test_the_command_takes_icmp_without_a_port_and_refuses_a_bad_protocol_in_one_line():
    r = run_cli(
        "trace", "--demo", "--from", "shop-app-b1", "--to", "internet", "--protocol", "icmp"
    )
    assert r.returncode in (0, 1) and "Trace icmp/8" in r.stdout, r.stderr
    for to, extra in (
        ("internet", ["--protocol", "bogus"]),
        ("internet", ["--protocol", "udp"]),  # udp needs a port
        ("shop-alb", ["--protocol", "icmp"]),  # a load balancer listens on ports only
    ):
        r = run_cli("trace", "--demo", "--from", "shop-app-b1", "--to", to, *extra)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr


def _sprinkle(rnd, data: dict) -> None:
    """Add ICMP (echo, echo reply, any type) and GRE rules to the random groups and ACLs."""
    icmp_types = [8, 0, -1, 3]
    for acl in data["NetworkAcls"]:
        for n in rnd.sample(range(1, 400), rnd.randint(0, 3)):
            proto = rnd.choice(["1", "1", "47"])
            e = _entry(n, rnd.random() < 0.5, proto, rnd.choice(["allow", "allow", "deny"]))
            e["CidrBlock"] = rnd.choice(["0.0.0.0/0", "10.0.0.0/16", "8.8.8.0/24"])
            if proto == "1":
                e["IcmpTypeCode"] = {"Type": rnd.choice(icmp_types), "Code": -1}
            acl["Entries"].append(e)
    for g in data["SecurityGroups"]:
        for key in ("IpPermissions", "IpPermissionsEgress"):
            for _ in range(rnd.randint(0, 2)):
                cidr = rnd.choice(["0.0.0.0/0", "10.0.0.0/16", "8.8.8.0/24"])
                if rnd.random() < 0.6:
                    p = _icmp(rnd.choice(icmp_types))
                    p["IpRanges"] = [{"CidrIp": cidr}]
                else:
                    p = {"IpProtocol": "47", "IpRanges": [{"CidrIp": cidr}]}
                g[key].append(p)


def test_icmp_and_gre_traces_agree_with_the_oracle():
    """The trace and the simple oracle (ICMP type as the "port", echo reply on the way back,
    NAT gateways passing TCP/UDP/ICMP only) agree on random topologies."""
    from collections import Counter

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.trace.oracle import Oracle
    from tests.trace.test_oracle import OUTSIDE, build

    counts: Counter[str] = Counter()

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def check(rnd):
        b, instances = build(rnd)
        _sprinkle(rnd, b.data)
        tracer, oracle = Tracer(b.snapshot()), Oracle(b.data)
        ends = instances + OUTSIDE
        for _ in range(8):
            src = rnd.choice(ends)
            dst = rnd.choice([e for e in ends if e != src])
            if src in OUTSIDE and dst in OUTSIDE:
                continue
            name, number = rnd.choice([("icmp", "1"), ("icmp", "1"), ("gre", "47"), ("all", "-1")])
            got = tracer.trace(src, dst, None, name)
            want = oracle.verdict(src, dst, 8 if number == "1" else 0, number)
            counts[f"{name} {want}"] += 1
            assert got.verdict == want, (src, dst, name, [(h.step, h.detail) for h in got.hops])

    check()
    for name in ("icmp", "gre"):
        assert counts[f"{name} reachable"] >= 10 and counts[f"{name} not reachable"] >= 30, counts
