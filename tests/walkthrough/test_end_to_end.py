"""The generated bash plan, run with the real AWS CLI against the moto server, then read back.

For each answer set: generate `--format sh`, run it with `aws` (the awscli package), save the
VPC with the commands of `vpc-helper collect-commands`, then `scan` must find nothing of
medium or higher and `walkthrough verify` must report every planned piece present.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.sources.files import collect_commands
from tests.helpers import run_cli

ANSWER_SETS = {
    "two-azs-one-nat": {
        "name": "shop",
        "az_count": 2,
        "tiers": ["public", "app"],
        "nat": "single",
        "internet_facing_app": True,
        "certificate_arn": "ACM",  # replaced by a certificate requested from moto's ACM
    },
    "three-azs-nat-per-az-data-ipv6": {
        "name": "billing",
        "vpc_cidr": "10.20.0.0/16",
        "az_count": 3,
        "tiers": ["public", "app", "data"],
        "nat": "per_az",
        "internet_facing_app": True,
        "certificate_arn": "",  # placeholder: the script needs CERTIFICATE_ARN
        "app_port": 3000,
        "db_port": 5432,
        "ipv6": True,
    },
    "no-nat-isolated-only": {
        "name": "vault",
        "vpc_cidr": "192.168.8.0/22",
        "az_count": 2,
        "tiers": ["app", "data"],
        "s3_endpoint": True,
    },
}


def aws_cli() -> str:
    """The `aws` of this Python environment first (the awscli test dependency), then PATH."""
    found = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    if not found:
        pytest.fail("the AWS CLI is not installed: the awscli package is a test dependency")
    return found


def bash(script: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PATH"] = os.path.dirname(aws_cli()) + os.pathsep + e.get("PATH", "")
    e.update(env or {})
    assert e["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1")  # never real AWS
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=e, capture_output=True, text=True, timeout=300
    )


def request_certificate(tmp_path: Path) -> str:
    r = bash(
        'aws --endpoint-url "$AWS_ENDPOINT_URL" acm request-certificate '
        "--domain-name app.example.com --query CertificateArn --output text",
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def save_vpc(tmp_path: Path) -> Path:
    """Save the account the way `collect-commands` does: one file per describe command.

    The single commands of collect_commands() are made over HTTP with boto3 (the same API
    calls the AWS CLI makes, without a CLI start-up per file); its loops over VPCs, load
    balancers and target groups are repeated here.
    """
    import boto3

    out = tmp_path / "snapshot"
    out.mkdir()
    clients = {s: boto3.client(s, region_name="us-east-1") for s in ("ec2", "elbv2")}
    assert all(c.meta.endpoint_url.startswith("http://127.0.0.1") for c in clients.values())

    def save(name: str, service: str, op: str, **kw) -> dict:
        doc = getattr(clients[service], op.replace("-", "_"))(**kw)
        doc.pop("ResponseMetadata", None)
        (out / name).write_text(json.dumps(doc, default=str))
        return doc

    for line in collect_commands():
        words = line.split()
        if words[0] == "aws" and words[-2] == ">":
            save(words[-1], words[1], words[2])
    for vpc in json.loads((out / "vpcs.json").read_text())["Vpcs"]:
        v = vpc["VpcId"]
        for attr, tag in (("enableDnsSupport", "support"), ("enableDnsHostnames", "hostnames")):
            save(
                f"vpc-attr-dns-{tag}-{v}.json",
                "ec2",
                "describe-vpc-attribute",
                VpcId=v,
                Attribute=attr,
            )
    for lb in json.loads((out / "load-balancers.json").read_text())["LoadBalancers"]:
        arn = lb["LoadBalancerArn"]
        save(
            f"listeners-{arn.rsplit('/', 1)[-1]}.json",
            "elbv2",
            "describe-listeners",
            LoadBalancerArn=arn,
        )
    for tg in json.loads((out / "target-groups.json").read_text())["TargetGroups"]:
        save(
            f"target-health-{tg['TargetGroupName']}.json",
            "elbv2",
            "describe-target-health",
            TargetGroupArn=tg["TargetGroupArn"],
        )
    return out


@pytest.mark.parametrize("case", sorted(ANSWER_SETS))
def test_generated_script_builds_a_vpc_that_verifies(aws, tmp_path, case):
    answers = dict(ANSWER_SETS[case])
    env = {}
    if answers.get("certificate_arn") == "ACM":
        answers["certificate_arn"] = request_certificate(tmp_path)
    elif "certificate_arn" in answers:
        env["CERTIFICATE_ARN"] = request_certificate(tmp_path)
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))

    gen = run_cli("walkthrough", "--answers", str(answers_file), "--format", "sh")
    assert gen.returncode == 0, gen.stderr
    script = tmp_path / "setup.sh"
    script.write_text(gen.stdout)
    ran = bash(f"bash {script}", tmp_path, env)
    assert ran.returncode == 0, ran.stderr
    vpc_id = ran.stdout.strip().splitlines()[-1].removeprefix("VPC_ID=")
    assert vpc_id.startswith("vpc-")

    snap = save_vpc(tmp_path)
    scan = run_cli("scan", "--snapshot", str(snap), "--vpc", vpc_id, "--format", "json")
    assert scan.returncode in (0, 1), scan.stderr
    findings = json.loads(scan.stdout)["findings"]
    serious = [f for f in findings if f["severity"] in ("medium", "high", "critical")]
    assert serious == [], [f["title"] for f in serious]

    ver = run_cli(
        "walkthrough",
        "verify",
        "--snapshot",
        str(snap),
        "--vpc",
        vpc_id,
        "--answers",
        str(answers_file),
        "--format",
        "json",
    )
    assert ver.returncode == 0, ver.stdout + ver.stderr
    doc = json.loads(ver.stdout)
    assert doc["ok"] is True
    bad = [c for c in doc["checks"] if c["status"] != "ok"]
    assert bad == []
    pieces = {c["piece"] for c in doc["checks"]}
    plan = json.loads(
        run_cli("walkthrough", "--answers", str(answers_file), "--format", "json").stdout
    )
    for s in plan["subnets"]:
        assert f"subnet {s['name']} ({s['tier']})" in pieces
    for n in plan["nats"]:
        assert f"NAT gateway {n['name']}" in pieces
    if plan["alb"]:
        assert {"HTTPS listener 443", "HTTP listener 80 (redirect)"} <= pieces
    roles = {s["subnet_id"]: s["role"] for s in json.loads(scan.stdout)["subnets"]}
    assert sorted(roles.values()) == sorted(s["role"] for s in plan["subnets"])

    # The same verification reading the VPC live (the collector, over HTTP).
    live = run_cli(
        "walkthrough",
        "verify",
        "--endpoint-url",
        aws,
        "--region",
        plan["region"],
        "--vpc",
        vpc_id,
        "--answers",
        str(answers_file),
        "--format",
        "json",
    )
    assert live.returncode == 0, live.stdout + live.stderr
    assert json.loads(live.stdout)["checks"] == doc["checks"]


def test_verify_reports_a_broken_route_and_an_extra_nat(aws, tmp_path):
    """Change the VPC after the script ran (a private subnet routed to the internet gateway,
    a NAT gateway nobody planned): verify names each difference and exits 1."""
    answers = dict(ANSWER_SETS["two-azs-one-nat"], internet_facing_app=False)
    answers.pop("certificate_arn")
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    gen = run_cli("walkthrough", "--answers", str(answers_file), "--format", "sh")
    script = tmp_path / "setup.sh"
    script.write_text(gen.stdout)
    ran = bash(f"bash {script}", tmp_path)
    assert ran.returncode == 0, ran.stderr
    vpc_id = ran.stdout.strip().splitlines()[-1].removeprefix("VPC_ID=")
    broken = bash(
        'set -euo pipefail\nE="--endpoint-url $AWS_ENDPOINT_URL"\n'
        f"rt=$(aws $E ec2 describe-route-tables --filters Name=vpc-id,Values={vpc_id} "
        "Name=tag:Name,Values=shop-private-app-rt-b --query 'RouteTables[0].RouteTableId' "
        "--output text)\n"
        "igw=$(aws $E ec2 describe-internet-gateways "
        f"--filters Name=attachment.vpc-id,Values={vpc_id} "
        "--query 'InternetGateways[0].InternetGatewayId' --output text)\n"
        "aws $E ec2 replace-route --route-table-id $rt --destination-cidr-block 0.0.0.0/0 "
        "--gateway-id $igw\n"
        f"sub=$(aws $E ec2 describe-subnets --filters Name=vpc-id,Values={vpc_id} "
        "Name=tag:Name,Values=shop-public-b --query 'Subnets[0].SubnetId' --output text)\n"
        "eip=$(aws $E ec2 allocate-address --domain vpc --query AllocationId --output text)\n"
        "aws $E ec2 create-nat-gateway --subnet-id $sub --allocation-id $eip >/dev/null\n",
        tmp_path,
    )
    assert broken.returncode == 0, broken.stderr
    snap = save_vpc(tmp_path)
    ver = run_cli(
        "walkthrough",
        "verify",
        "--snapshot",
        str(snap),
        "--vpc",
        vpc_id,
        "--answers",
        str(answers_file),
    )
    assert ver.returncode == 1, ver.stdout + ver.stderr
    lines = ver.stdout.splitlines()
    route = next(x for x in lines if "routes of shop-private-app-b" in x)
    assert route.split()[0] == "WRONG" and "0.0.0.0/0 -> igw-" in route and "planned" in route
    subnet = next(x for x in lines if "subnet shop-private-app-b" in x)
    assert subnet.split()[0] == "WRONG" and "it is public, planned private" in subnet
    assert next(x for x in lines if "subnet shop-private-app-a" in x).split()[0] == "OK"
    assert any(x.split()[:1] == ["EXTRA"] and "NAT gateway nat-" in x for x in lines)


def test_a_script_that_fails_half_way_resumes_on_a_rerun_and_its_cleanup_removes_it_all(
    proxy, tmp_path
):
    """Against the moto server, behind a proxy that makes CreateNatGateway fail: the script
    lists what it made and how to remove it; run again (the cause gone), it resumes with the
    same VPC and nothing twice; the cleanup file then removes every piece."""
    import boto3

    answers = dict(ANSWER_SETS["two-azs-one-nat"], internet_facing_app=False)
    answers.pop("certificate_arn")
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    script = tmp_path / "setup.sh"
    script.write_text(
        run_cli("walkthrough", "--answers", str(answers_file), "--format", "sh").stdout
    )
    env = {"AWS_ENDPOINT_URL": proxy.url}

    proxy.errors["CreateNatGateway"] = (400, "InsufficientAddressCapacity")
    first = bash(f"bash {script}", tmp_path, env)
    assert first.returncode != 0
    report = first.stderr[first.stderr.index("!! Stopped at: ") :]
    assert report.startswith("!! Stopped at: 5. NAT gateway shop-nat-a in shop-public-a")
    assert "InsufficientAddressCapacity" in first.stderr
    ec2 = boto3.client("ec2", region_name="us-east-1")
    assert ec2.meta.endpoint_url.startswith("http://127.0.0.1")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["shop-vpc"]}])["Vpcs"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    assert len(subnets["Subnets"]) == 4
    for piece in [vpc["VpcId"], *(s["SubnetId"] for s in subnets["Subnets"])]:
        assert piece in report
    assert f"ec2 delete-vpc --vpc-id {vpc['VpcId']}" in report.splitlines()[-1]
    assert f"--endpoint-url {proxy.url} " in report

    proxy.errors.clear()
    again = bash(f"bash {script}", tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith(f"VPC_ID={vpc['VpcId']}")
    assert again.stderr.count("(recorded, still there; skipped)") >= 7
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["shop-vpc"]}])["Vpcs"]
    assert [v["VpcId"] for v in vpcs] == [vpc["VpcId"]]
    mine = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    assert len(ec2.describe_subnets(Filters=mine)["Subnets"]) == 4
    nats = ec2.describe_nat_gateways(Filters=mine)["NatGateways"]
    assert [n["State"] for n in nats] == ["available"]
    assert len(ec2.describe_addresses()["Addresses"]) == 1  # the first run's address, reused
    ver = run_cli(
        "walkthrough", "verify", "--endpoint-url", proxy.url, "--region", "us-east-1",
        "--vpc", vpc["VpcId"], "--answers", str(answers_file),
    )  # fmt: skip
    assert ver.returncode == 0, ver.stdout + ver.stderr

    cleanup = bash(f"bash {tmp_path / 'shop-vpc.cleanup.sh'}", tmp_path, env)
    assert cleanup.returncode == 0, cleanup.stderr
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["shop-vpc"]}])["Vpcs"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_subnets(Filters=mine)["Subnets"] == []
    assert not (tmp_path / "shop-vpc.state").exists()
