"""The four kinds of trace on the bundled demo, through the library and the command."""

from __future__ import annotations

import json

import pytest

from assistant.errors import UserError
from assistant.sources.demo import demo_snapshot
from assistant.trace import NOT_REACHABLE, REACHABLE, Tracer
from assistant.trace.fixes import attach_fixes
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def tracer() -> Tracer:
    return Tracer(demo_snapshot())


def _failed(t):
    return [h for h in t.hops if h.status == "fail"]


def test_private_b_cannot_reach_internet_nat_hop(tracer):
    t = tracer.trace("shop-app-b1", "internet", 443)
    assert t.verdict == NOT_REACHABLE
    (hop,) = _failed(t)
    assert hop.step == "NAT gateway's route table"
    assert hop.rule == "nat.in-private-subnet"
    nat = next(h for h in t.hops if h.step == "NAT gateway")
    assert nat.status == "pass" and nat.where.startswith("nat-")
    assert nat.where in hop.detail and "not public" in hop.detail


def test_nat_hop_shows_the_scan_fix_for_this_case(tracer):
    from assistant.engine import diagnose

    t = attach_fixes(tracer.trace("shop-app-b1", "internet", 443), diagnose(tracer.snapshot))
    assert [f.rule for f in t.fixes] == ["nat.in-private-subnet"]
    nat_id = next(h.where for h in t.hops if h.step == "NAT gateway")
    assert nat_id in t.fixes[0].resources
    assert any(nat_id in c for step in t.fixes[0].fix for c in step.cli)


def test_private_a_reaches_internet_through_its_nat(tracer):
    t = tracer.trace("shop-app-a1", "internet", 443)
    assert t.verdict == REACHABLE
    steps = [h.step for h in t.hops]
    assert "NAT gateway" in steps and "internet gateway" in steps
    replies = [h for h in t.hops if h.direction == "return" and "ACL" in h.step]
    assert replies and all("1024-65535" in h.detail for h in replies)


def test_admin_ssh_reachable_from_internet_and_flags_exposure(tracer):
    t = tracer.trace("internet", "shop-admin", 22)
    assert t.verdict == REACHABLE
    sg = next(h for h in t.hops if h.step == "security group ingress")
    assert "port 22 from 0.0.0.0/0" in sg.detail
    assert sg.rule == "exposure.sg-open-admin-port"


def test_alb_443_reachable_end_to_end(tracer):
    t = tracer.trace("internet", "shop-alb", 443)
    assert t.verdict == REACHABLE
    steps = [h.step for h in t.hops]
    for s in ("listener", "load balancer subnets", "target health", "security group ingress"):
        assert s in steps
    target_sg = [h for h in t.hops if h.step == "security group ingress"][-1]
    assert "shop-app-sg" in target_sg.detail and "from sg-" in target_sg.detail


def test_alb_port_without_listener(tracer):
    t = tracer.trace("internet", "shop-alb", 8443)
    assert t.verdict == NOT_REACHABLE
    (hop,) = [h for h in _failed(t) if h.step == "listener"]
    assert "443" in hop.detail and "80" in hop.detail


def test_alb_http_redirect_answers_itself(tracer):
    t = tracer.trace("internet", "shop-alb", 80)
    assert t.verdict == REACHABLE
    action = next(h for h in t.hops if h.step == "listener action")
    assert "redirect" in action.detail


def test_app_to_app_8080_per_security_groups(tracer):
    # shop-app-sg allows 8080 only from the ALB's group: app servers cannot call each other.
    t = tracer.trace("shop-app-a1", "shop-app-b1", 8080)
    assert t.verdict == NOT_REACHABLE
    (hop,) = _failed(t)
    assert hop.step == "security group ingress" and "shop-app-sg" not in hop.detail.split(":")[0]
    route = next(h for h in t.hops if h.step == "route table")
    assert "-> local" in route.detail


def test_worker_on_public_route_table_without_public_ip(tracer):
    t = tracer.trace("shop-worker-b1", "internet", 443)
    (hop,) = _failed(t)
    assert hop.step == "public IP" and hop.rule == "egress.igw-route-without-public-ip"


def test_public_ip_in_private_subnet_reply_leaves_through_nat(tracer):
    t = tracer.trace("internet", "shop-app-a2", 8080)
    routes = [h for h in _failed(t) if h.step == "route table (reply)"]
    assert routes and "nat-" in routes[0].detail


def test_endpoints_by_id_eni_and_ip(tracer):
    snap = tracer.snapshot
    inst = next(i for i in snap.Instances if i.name == "shop-app-a1")
    eni = inst.NetworkInterfaces[0].NetworkInterfaceId
    by_name = tracer.trace("shop-app-a1", "internet", 443)
    for ref in (inst.InstanceId, eni, inst.PrivateIpAddress):
        t = tracer.trace(ref, "internet", 443)
        assert t.verdict == by_name.verdict
        assert t.source.subnet_id == inst.SubnetId


def test_unknown_endpoints_are_user_errors(tracer):
    with pytest.raises(UserError, match="not in the snapshot"):
        tracer.trace("i-0000000000000000", "internet", 443)
    with pytest.raises(UserError, match="not in the snapshot"):
        tracer.trace("no-such-name", "internet", 443)
    with pytest.raises(UserError, match="destination"):
        tracer.trace("shop-alb", "internet", 443)
    with pytest.raises(UserError, match="one end"):
        tracer.trace("internet", "8.8.8.8", 443)
    with pytest.raises(UserError, match="port"):
        tracer.trace("shop-app-a1", "internet", 0)


def test_cli_exit_codes_and_text():
    r = run_cli("trace", "--demo", "--from", "shop-app-b1", "--to", "internet", "--port", "443")
    assert r.returncode == 1, r.stderr
    assert "✗" in r.stdout and "NOT REACHABLE" in r.stdout
    assert "nat.in-private-subnet" in r.stdout and "aws ec2 create-nat-gateway" in r.stdout
    r = run_cli("trace", "--demo", "--from", "internet", "--to", "shop-alb", "--port", "443")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "REACHABLE" in r.stdout and "✓" in r.stdout


def test_cli_json():
    r = run_cli(
        "trace",
        "--demo",
        "--from",
        "shop-app-a1",
        "--to",
        "internet",
        "--port",
        "443",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "reachable" and doc["port"] == 443 and doc["protocol"] == "tcp"
    assert {"step", "status", "where", "detail", "direction", "rule"} <= set(doc["hops"][0])


def test_cli_unknown_id_is_one_line_exit_2():
    r = run_cli("trace", "--demo", "--from", "i-0nothere", "--to", "internet", "--port", "443")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "i-0nothere" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_vpc_filter_limits_endpoints():
    r = run_cli(
        "trace",
        "--demo",
        "--vpc",
        "vpc-0nothere",
        "--from",
        "shop-app-a1",
        "--to",
        "internet",
        "--port",
        "443",
    )
    assert r.returncode == 2 and "vpc-0nothere" in r.stderr
    vpc = demo_snapshot().Vpcs[0].VpcId
    r = run_cli(
        "trace",
        "--demo",
        "--vpc",
        vpc,
        "--from",
        "shop-app-a1",
        "--to",
        "internet",
        "--port",
        "443",
    )
    assert r.returncode == 0, r.stdout + r.stderr
