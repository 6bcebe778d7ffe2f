"""Plan generation: subnet CIDRs, NAT placement, names the diagnosis reads, costs, outputs."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from assistant.topology import intent_of
from assistant.walkthrough import Walkthrough
from assistant.walkthrough.costs import estimate, load_prices
from assistant.walkthrough.plan import build_plan
from assistant.walkthrough.questions import subnet_prefix
from assistant.walkthrough.render import plan_sh, plan_terraform, plan_text
from tests.helpers import run_cli

SETS = {
    "defaults": {},
    "two-azs-one-nat": {"name": "shop", "nat": "single", "certificate_arn": ""},
    "three-azs-per-az-data-ipv6": {
        "name": "billing",
        "az_count": 3,
        "tiers": ["public", "app", "data"],
        "nat": "per_az",
        "ipv6": True,
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    },
    "isolated-only": {"name": "vault", "tiers": ["app"], "vpc_cidr": "192.168.8.0/22"},
    "small-24": {"name": "tiny", "vpc_cidr": "10.9.9.0/24", "ipv6": True},
    "public-app-no-nat-no-alb": {
        "name": "lab",
        "nat": "none",
        "internet_facing_app": False,
        "s3_endpoint": False,
    },
}


def plan_for(case: str):
    return Walkthrough.from_answers(SETS[case]).plan()


@pytest.mark.parametrize("case", sorted(SETS))
def test_subnets_fit_the_vpc_do_not_overlap_and_follow_the_layout(case):
    p = plan_for(case)
    vpc = ipaddress.ip_network(p.vpc_cidr)
    nets = [ipaddress.ip_network(s.cidr) for s in p.subnets]
    assert all(n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert {n.prefixlen for n in nets} == {subnet_prefix(p.vpc_cidr, len(p.azs))}
    assert {n.prefixlen for n in nets} <= {vpc.prefixlen + 3, vpc.prefixlen + 4}
    quarters = list(vpc.subnets(prefixlen_diff=2))
    for s in p.subnets:  # each tier in its own quarter, one block per AZ
        q = {"public": 0, "app": 1, "data": 2}[s.tier]
        assert ipaddress.ip_network(s.cidr).subnet_of(quarters[q])
    assert len(p.subnets) == len(p.azs) * len(p.answers["tiers"])


@pytest.mark.parametrize("case", sorted(SETS))
def test_names_carry_the_intent_the_diagnosis_reads(case):
    p = plan_for(case)
    for s in p.subnets:
        assert intent_of(s.name) == s.role, s.name
        assert ("private-app" in s.name) == (s.role == "private")


def test_one_shared_nat_sits_in_the_first_public_subnet_and_serves_every_app_subnet():
    p = plan_for("two-azs-one-nat")
    (nat,) = p.nats
    assert p.subnet(nat.subnet).name == "shop-public-a" and nat.az == "us-east-1a"
    assert nat.serves == ["app_a", "app_b"]
    for rt in p.route_tables:
        if rt.key.startswith("app_rt"):
            assert [(r.destination, r.target) for r in rt.routes] == [("0.0.0.0/0", "nat_a")]


def test_nat_per_az_keeps_each_az_on_its_own_gateway():
    p = plan_for("three-azs-per-az-data-ipv6")
    assert [(n.az, p.subnet(n.subnet).az) for n in p.nats] == [
        (az, az) for az in ("us-east-1a", "us-east-1b", "us-east-1c")
    ]
    for rt in p.route_tables:
        if rt.key.startswith("app_rt"):
            nat = next(n for n in p.nats if n.key == rt.routes[0].target)
            assert p.subnet(rt.subnets[0]).az == nat.az
            assert ("::/0", "eigw") in [(r.destination, r.target_kind) for r in rt.routes]
    data_rt = next(r for r in p.route_tables if r.key == "data_rt")
    assert data_rt.routes == [] and len(data_rt.subnets) == 3
    assert p.s3_endpoint and "data_rt" in p.endpoint_route_tables
    assert "public_rt" not in p.endpoint_route_tables


def test_isolated_only_has_no_gateway_nat_or_load_balancer():
    p = plan_for("isolated-only")
    assert p.igw is None and p.nats == [] and p.alb is None
    assert {s.role for s in p.subnets} == {"isolated"}
    assert all(rt.routes == [] for rt in p.route_tables)
    assert [g.key for g in p.groups] == ["app_sg"] and p.groups[0].ingress == []


def test_security_groups_open_the_alb_to_the_internet_and_the_app_only_to_the_alb():
    p = plan_for("three-azs-per-az-data-ipv6")
    g = {x.key: x for x in p.groups}
    assert {(r.port, r.source) for r in g["alb_sg"].ingress} == {
        (443, "0.0.0.0/0"),
        (80, "0.0.0.0/0"),
    }
    assert [(r.port, r.source) for r in g["app_sg"].ingress] == [(8080, "alb_sg")]
    assert [(r.port, r.source) for r in g["data_sg"].ingress] == [(5432, "app_sg")]
    assert p.alb.subnets == ["public_a", "public_b", "public_c"]


def test_costs_come_from_the_price_table():
    p = plan_for("three-azs-per-az-data-ipv6")
    prices = load_prices()
    lines = {c.item: c for c in p.costs}
    h = prices.hours_per_month
    assert lines["NAT gateway hours"].monthly == pytest.approx(3 * prices.nat_gateway_hour * h)
    assert lines["Public IPv4 addresses"].count == 3 + 3  # NAT EIPs + ALB nodes
    assert lines["Application Load Balancer hours"].monthly == pytest.approx(prices.alb_hour * h)
    assert "Cross-AZ traffic to the shared NAT gateway" not in lines
    assert p.monthly_total == pytest.approx(sum(c.monthly for c in p.costs))
    shared = {c.item for c in plan_for("two-azs-one-nat").costs}
    assert "Cross-AZ traffic to the shared NAT gateway" in shared
    assert [c.monthly for c in plan_for("isolated-only").costs] == [0.0, 0.0]


def test_changing_the_price_table_changes_the_estimate():
    prices = replace(load_prices(), nat_gateway_hour=1.0, date="2030-01")
    lines = estimate(1, 2, False, False, 0, False, prices=prices)
    assert lines[0].monthly == pytest.approx(730.0)
    assert prices.region and load_prices().date  # stated with region and date


def test_text_plan_numbers_steps_with_what_and_why_and_flags_the_placeholder():
    p = plan_for("two-azs-one-nat")
    text = plan_text(p)
    steps = re.findall(r"^\s*\d+\. (.*)\n\s+Creates: (.*)\n\s+Why:\s+(.*)$", text, re.M)
    assert len(steps) == len(p.steps) >= 10
    assert all(a and b and c for a, b, c in steps)
    assert "placeholder" in text and "aws acm request-certificate" in text
    assert "Monthly cost estimate (us-east-1 prices of" in text
    assert "shop-private-app-b" in text and "10.0.80.0/20" in text


@pytest.mark.parametrize("case", sorted(SETS))
def test_script_is_valid_bash_and_every_command_goes_through_the_endpoint_wrapper(case):
    p = plan_for(case)
    sh = plan_sh(p)
    assert sh.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in sh
    assert 'command aws --region "$REGION" ${AWS_ENDPOINT_URL:+--endpoint-url ' in sh
    r = subprocess.run(["bash", "-n"], input=sh, text=True, capture_output=True)
    assert r.returncode == 0, r.stderr
    lines = sh.splitlines()
    creates = [
        (lines[i - 1], x)
        for i, x in enumerate(lines)
        if re.match(r"^  (ec2|elbv2) (create|allocate)-", x)
    ]
    assert len(creates) >= len(p.subnets) + 2
    for make, line in creates:
        # each resource is made once, its id kept in a variable, with how to remove it
        assert re.match(r"^make [A-Z0-9_]+ [a-z]+ '.+' '@aws .+ \{\}.*' \\$", make), make
        if "create-listener" not in line:
            assert "--tag-specifications" in line or "--tags Key=Name" in line, line
    # every resource created is captured in a variable the later commands use
    assert "make VPC_ID vpc 'VPC " in sh
    for s in p.subnets:
        assert f"make {s.key.upper()}_ID subnet 'subnet {s.name}'" in sh
        assert f"tags subnet {s.name})" in sh
    if p.nats:
        ids = " ".join(f'"${n.key.upper()}_ID"' for n in p.nats)
        assert f"aws ec2 wait nat-gateway-available --nat-gateway-ids {ids}" in sh
        wait = sh.index("wait nat-gateway-available")
        assert all(sh.index(f'--nat-gateway-id "${n.key.upper()}_ID"') > wait for n in p.nats)


def test_script_ipv6_helper_splits_the_vpc_block_like_ipaddress():
    sh = plan_sh(plan_for("three-azs-per-az-data-ipv6"))
    func = sh[sh.index("ipv6_subnet() {") : sh.index("}\n", sh.index("printf '%s:%s")) + 2]
    for block in ("2600:1f18:abcd:ef00::/56", "2400:6500:bd21:100::/56", "2a05:d018:10::/56"):
        net = ipaddress.ip_network(block)
        for n in (0, 3, 10, 255):
            r = subprocess.run(
                ["bash", "-c", f"{func}\nipv6_subnet {block} {n}"], capture_output=True, text=True
            )
            assert r.returncode == 0, r.stderr
            assert ipaddress.ip_network(r.stdout) == list(net.subnets(new_prefix=64))[n]


def test_placeholder_certificate_stops_the_script_until_it_is_set(tmp_path):
    sh = plan_sh(plan_for("two-azs-one-nat"))
    assert ': "${CERTIFICATE_ARN:?' in sh
    head = sh[: sh.index("existing=")]
    r = subprocess.run(
        ["bash", "-c", head], capture_output=True, text=True, env={"PATH": "/bin"}, cwd=tmp_path
    )
    assert r.returncode != 0 and "set CERTIFICATE_ARN" in r.stderr
    assert list(tmp_path.iterdir()) == []  # stopped before any state file
    given = plan_sh(plan_for("three-azs-per-az-data-ipv6"))
    assert "CERTIFICATE_ARN=${CERTIFICATE_ARN:-arn:aws:acm:us-east-1:" in given


# -- Terraform ------------------------------------------------------------------------------


def _strip_strings(line: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def hcl_canonical(text: str) -> str:
    """Re-indent and re-align HCL the way `terraform fmt` (hclwrite) does.

    Indentation follows the bracket balance of each line; the `=` of consecutive lines
    that hold a whole attribute is aligned one space after the longest name.
    """
    lines = text.split("\n")
    out: list[list[str]] = []
    depth = 0
    for raw in lines:
        body = raw.strip()
        bare = _strip_strings(body)
        net = sum(bare.count(c) for c in "{[(") - sum(bare.count(c) for c in "}])")
        if net < 0:
            depth += net
        indent = "  " * depth if body else ""
        if net > 0:
            depth += net
        m = re.match(r"^([A-Za-z0-9_\"-]+)\s*=\s*(.*)$", body)
        rhs = _strip_strings(m.group(2)) if m else ""
        whole = m and sum(rhs.count(c) for c in "{[(") == sum(rhs.count(c) for c in "}])")
        out.append([indent, m.group(1), m.group(2)] if whole else [indent + body])
    result, chain = [], []

    def close():
        width = max(len(c[0]) + len(c[1]) for c in chain) if chain else 0
        for ind, key, val in chain:
            result.append(f"{ind}{key}{' ' * (width - len(ind) - len(key) + 1)}= {val}")
        chain.clear()

    for cells in out:
        if len(cells) == 3:
            chain.append(cells)
        else:
            close()
            result.append(cells[0])
    close()
    return "\n".join(result)


def test_canonical_checker_catches_misalignment():
    bad = 'resource "a" "b" {\n  x = 1\n  long_name = 2\n}\n'
    assert hcl_canonical(bad) != bad
    good = 'resource "a" "b" {\n  x         = 1\n  long_name = 2\n}\n'
    assert hcl_canonical(good) == good


@pytest.mark.parametrize("case", sorted(SETS))
def test_terraform_is_in_canonical_format_and_matches_the_plan(case, tmp_path):
    p = plan_for(case)
    tf = plan_terraform(p)
    assert hcl_canonical(tf) == tf
    assert tf.endswith("}\n") and "\n\n\n" not in tf and not re.search(r"[ \t]+\n", tf)
    assert len(re.findall(r'^resource "aws_subnet" ', tf, re.M)) == len(p.subnets)
    assert len(re.findall(r'^resource "aws_nat_gateway" ', tf, re.M)) == len(p.nats)
    assert len(re.findall(r'^resource "aws_route_table" ', tf, re.M)) == len(p.route_tables)
    assert ('resource "aws_lb_listener" "http_redirect"' in tf) == (p.alb is not None)
    for s in p.subnets:
        assert re.search(rf'^  tags +=  ?\{{ Name = "{s.name}" \}}$', tf, re.M), s.name
    if shutil.which("terraform"):
        (tmp_path / "main.tf").write_text(tf)
        r = subprocess.run(
            ["terraform", "fmt", "-check", "-diff", str(tmp_path)], text=True, capture_output=True
        )
        assert r.returncode == 0, r.stdout + r.stderr


def test_terraform_flags_a_placeholder_certificate_with_a_validation():
    tf = plan_terraform(plan_for("two-azs-one-nat"))
    assert 'variable "certificate_arn"' in tf and 'default     = ""' in tf
    assert 'can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))' in tf


# -- the command ------------------------------------------------------------------------------


def test_print_answers_then_answers_gives_the_same_plan_as_defaults(tmp_path):
    printed = run_cli("walkthrough", "--print-answers")
    assert printed.returncode == 0, printed.stderr
    doc = json.loads(printed.stdout)
    assert doc["format"] == "vpc-helper-walkthrough" and doc["nat"] == "single"
    f = tmp_path / "answers.json"
    f.write_text(printed.stdout)
    a = run_cli("walkthrough", "--answers", str(f), "--format", "sh")
    b = run_cli("walkthrough", "--defaults", "--format", "sh")
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout


def test_interactive_prompts_go_to_stderr_and_a_bad_answer_is_asked_again():
    # name, region (bad, then good), then Enter for everything else
    r = run_cli("walkthrough", "--format", "json", input="shop\nnowhere\nus-west-2\n" + "\n" * 20)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["name"] == "shop" and plan["region"] == "us-west-2"
    assert "! region: 'nowhere' is not an AWS region name" in r.stderr
    assert "Why: " in r.stderr and "[1] none:" in r.stderr
    assert "Costs use us-east-1 prices" in " ".join(plan["warnings"])


def test_back_in_the_terminal_changes_the_previous_answer():
    r = run_cli("walkthrough", "--format", "json", input="back\nshop\nback\nweb\n" + "\n" * 20)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "web"
    assert "(this is the first question)" in r.stderr


def test_input_ending_early_and_bad_files_are_one_line_errors(tmp_path):
    r = run_cli("walkthrough", input="shop\n")
    assert r.returncode == 2 and "input ended before the question 'region'" in r.stderr
    bad = tmp_path / "a.json"
    bad.write_text('{"vpc_cidr": "8.8.0.0/16"}')
    r = run_cli("walkthrough", "--answers", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "not a private range" in r.stderr and str(bad) in r.stderr
    bad.write_text("{nope")
    r = run_cli("walkthrough", "--answers", str(bad))
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    r = run_cli("walkthrough", "--answers", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_save_answers_writes_the_file(tmp_path):
    out = tmp_path / "saved.json"
    r = run_cli("walkthrough", "--defaults", "--save-answers", str(out))
    assert r.returncode == 0
    assert Walkthrough.load(out).answers == Walkthrough().take_defaults().answers


def test_verify_against_the_demo_vpc_reports_what_differs(tmp_path):
    f = tmp_path / "answers.json"
    f.write_text(json.dumps({"name": "shop"}))
    r = run_cli(
        "walkthrough",
        "verify",
        "--demo",
        "--vpc",
        "vpc-086d87c82bbcf54fa",
        "--answers",
        str(f),
        "--format",
        "json",
    )
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    statuses = {c["piece"]: c["status"] for c in doc["checks"]}
    assert statuses["VPC shop-vpc"] in ("ok", "wrong")
    assert any(s in ("missing", "wrong") for s in statuses.values())
    assert doc["diagnosis"]["findings"]  # the demo's planted mistakes are reported too
    r = run_cli("walkthrough", "verify", "--demo", "--answers", str(f))
    assert r.returncode == 2 and "exactly one --vpc" in r.stderr


def test_build_plan_is_deterministic():
    a = Walkthrough().take_defaults().answers
    assert build_plan(a).as_dict() == build_plan(dict(a)).as_dict()


FAKE_AWS = """#!/usr/bin/env bash
# Records each call; answers describe-vpcs with None (no VPC yet) and anything else with an id.
echo "$*" >> "$AWS_LOG"
case "$*" in
  *describe-vpcs*Ipv6CidrBlockAssociationSet*) echo "2600:1f18:ab:cd00::/56" ;;
  *describe-vpcs*) echo None ;;
  *"ec2 wait"*|*"elbv2 wait"*|*modify-*|*attach-*) ;;  # these print nothing
  *) echo "id-$RANDOM" ;;
esac
"""


@pytest.mark.parametrize("case", ["three-azs-per-az-data-ipv6", "isolated-only"])
def test_every_aws_call_of_the_script_carries_region_and_endpoint(case, tmp_path):
    """Run the script against a recording `aws`: the AWS CLI v1 does not read AWS_ENDPOINT_URL
    on every version, so each call must pass --endpoint-url itself (and --region)."""
    fake = tmp_path / "bin" / "aws"
    fake.parent.mkdir()
    fake.write_text(FAKE_AWS)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    script = tmp_path / "setup.sh"
    script.write_text(plan_sh(plan_for(case)))
    env = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "AWS_LOG": str(log),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "CERTIFICATE_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/x",
    }
    r = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert len(calls) > 10
    assert all(c.startswith("--region us-east-1 --endpoint-url http://127.0.0.1:9 ") for c in calls)
    assert r.stdout.startswith("VPC_ID=id-")
    env.pop("AWS_ENDPOINT_URL")
    log.unlink()
    r = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "--endpoint-url" not in log.read_text()
