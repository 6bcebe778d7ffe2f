"""Many accounts in one run (`--accounts all|FILE --role-name`), over HTTP against moto.

moto keeps resources per account for assumed-role credentials and serves Organizations. An
organisation of 20 accounts in 2 regions is built once per module: a planted fault (SSH open
to the world) in three accounts, a peering connection between two accounts with a database
reachable across it, one account whose role cannot be assumed and one account throttled by a
proxy that stands where AWS would (it answers as AWS does: an AccessDenied document for
AssumeRole, RequestLimitExceeded for the throttled account's first calls).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest

from assistant.engine import diagnose
from assistant.sources.files import load_snapshot
from assistant.trace import REACHABLE, Tracer
from tests.helpers import run_cli
from tests.live.awsproxy import EC2_VERSION, AwsProxy, error_body

ROLE = "OrgAudit"
REGIONS = ("us-east-1", "eu-west-1")
MEMBERS = 19  # and the management account: 20
PLANTED = (2, 7, 13)  # members with SSH open to the world, in both regions
THROTTLED, DENIED = 4, 9
PEERS = (0, 1)  # a peering connection between these two members
THROTTLE_FIRST = 3  # the throttled account's first calls get RequestLimitExceeded (< attempts)
PLANTED_RULE = "exposure.sg-open-admin-port"
AMI = "ami-12c6146b"
STS_VERSION = "2011-06-15"
_AKID = re.compile(r"Credential=([^/]+)/")


class OrgProxy(AwsProxy):
    """Knows which account each request is signed for (from the AssumeRole answers it
    forwarded); denies AssumeRole into ``deny`` and throttles ``throttle``'s first calls."""

    def __init__(self, upstream: str, deny: str, throttle: str, first: int, no_org: bool = False):
        super().__init__(upstream)
        self.deny, self.throttle, self.first, self.no_org = deny, throttle, first, no_org
        self.account_of: dict[str, str] = {"testing": "123456789012"}
        self.throttled = 0
        self.signed: list[tuple[str, str]] = []  # (account, service:Action or target)

    def _forward(self, path: str, body: bytes, headers: dict[str, str]):
        form = parse_qs(body.decode(errors="replace"))
        action = form.get("Action", [""])[0] or headers.get("X-Amz-Target", "").split(".")[-1]
        version = form.get("Version", [""])[0]
        m = _AKID.search(headers.get("Authorization", ""))
        acct = self.account_of.get(m.group(1) if m else "", "?")
        self.signed.append((acct, action))
        if action == "ListAccounts" and self.no_org:  # Organizations speaks JSON
            doc = b'{"__type": "AWSOrganizationsNotInUseException", "Message": "not in use"}'
            return 400, doc, "application/x-amz-json-1.1"
        if action == "AssumeRole":
            arn = form.get("RoleArn", [""])[0]
            if f":{self.deny}:" in arn:
                msg = f"User is not authorized to perform: sts:AssumeRole on resource: {arn}"
                return 403, error_body(STS_VERSION, "AccessDenied", msg), "text/xml"
            status, data, ctype = super()._forward(path, body, headers)
            key = re.search(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>", data)
            if key:
                self.account_of[key.group(1).decode()] = arn.split(":")[4]
            return status, data, ctype
        if acct == self.throttle and self.throttled < self.first:
            self.throttled += 1
            code = "RequestLimitExceeded" if version == EC2_VERSION else "Throttling"
            return 400, error_body(version, code, "Rate exceeded"), "text/xml"
        return super()._forward(path, body, headers)


def _env(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def _reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def member_ec2(account: str, region: str) -> Any:
    """An EC2 client acting inside ``account`` (credentials of the role assumed there)."""
    sts = boto3.client("sts")
    assert "127.0.0.1" in sts.meta.endpoint_url, "tests must never reach real AWS"
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="build")
    c = c["Credentials"]
    return boto3.client(
        "ec2",
        region_name=region,
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def organisation(members: int = MEMBERS, planted=PLANTED, peers=PEERS) -> dict[str, Any]:
    """The organisation: its member ids, the planted VPCs, the two peered instances."""
    org = boto3.client("organizations")
    assert "127.0.0.1" in org.meta.endpoint_url
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(Email=f"m{i}@example.com", AccountName=f"member-{i}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for i in range(members)
    ]
    out: dict[str, Any] = {"members": ids, "planted": {}}
    for i in planted:
        for region in REGIONS:
            ec2 = member_ec2(ids[i], region)
            vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
            sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
            sg = ec2.create_security_group(GroupName="ops", Description="ops", VpcId=vpc)
            ec2.authorize_security_group_ingress(
                GroupId=sg["GroupId"],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )
            ec2.run_instances(
                ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sub, SecurityGroupIds=[sg["GroupId"]]
            )
            out["planted"].setdefault(ids[i], []).append(sg["GroupId"])
    if peers:
        out |= _peered(ids[peers[0]], ids[peers[1]])
    return out


def _peered(a: str, b: str) -> dict[str, Any]:
    """An app in account ``a`` and a database in account ``b``, joined by VPC peering."""
    ea, eb = member_ec2(a, "us-east-1"), member_ec2(b, "us-east-1")
    side: dict[str, dict[str, str]] = {}
    for name, ec2, cidr in (("app", ea, "10.1.0.0/16"), ("db", eb, "10.2.0.0/16")):
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=sub["Subnet"]["SubnetId"])
        side[name] = {"vpc": vpc, "subnet": sub["Subnet"]["SubnetId"], "rt": rt}
    pcx = ea.create_vpc_peering_connection(
        VpcId=side["app"]["vpc"], PeerVpcId=side["db"]["vpc"], PeerOwnerId=b
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    eb.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ea.create_route(
        RouteTableId=side["app"]["rt"],
        DestinationCidrBlock="10.2.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    eb.create_route(
        RouteTableId=side["db"]["rt"],
        DestinationCidrBlock="10.1.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    app_sg = ea.create_security_group(GroupName="app", Description="app", VpcId=side["app"]["vpc"])
    db_sg = eb.create_security_group(GroupName="db", Description="db", VpcId=side["db"]["vpc"])
    eb.authorize_security_group_ingress(
        GroupId=db_sg["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "10.1.0.0/16"}],
            }
        ],
    )
    app = ea.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        SubnetId=side["app"]["subnet"],
        SecurityGroupIds=[app_sg["GroupId"]],
    )["Instances"][0]["InstanceId"]
    db = eb.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        SubnetId=side["db"]["subnet"],
        SecurityGroupIds=[db_sg["GroupId"]],
    )["Instances"][0]["InstanceId"]
    return {"app": app, "db": db, "pcx": pcx, "db_sg": db_sg["GroupId"], "db_ec2": eb}


def vpcs_of(account: str, region: str) -> set[str]:
    """An independent oracle: the VPCs a direct read inside ``account`` lists."""
    return {v["VpcId"] for v in member_ec2(account, region).describe_vpcs()["Vpcs"]}


@pytest.fixture(scope="module")
def org(moto_server, tmp_path_factory):
    """The organisation, read once with `collect --accounts all` through the proxy."""
    with pytest.MonkeyPatch.context() as mp:
        _reset(moto_server)
        _env(mp, moto_server)
        built = organisation()
        ids = built["members"]
        with OrgProxy(moto_server, ids[DENIED], ids[THROTTLED], THROTTLE_FIRST) as proxy:
            out = tmp_path_factory.mktemp("org") / "org.json"
            r = run_cli(
                "collect",
                "--accounts",
                "all",
                "--role-name",
                ROLE,
                "--region",
                ",".join(REGIONS),
                "--endpoint-url",
                proxy.url,
                "-o",
                str(out),
            )
        truth = {
            a: {reg: vpcs_of(a, reg) for reg in REGIONS}
            for a in ["123456789012", *ids]
            if a != ids[DENIED]
        }
        yield {**built, "collect": r, "path": out, "proxy": proxy, "truth": truth, "mp": mp}


def test_every_account_and_region_is_read_but_the_one_whose_role_is_denied(org):
    r, ids = org["collect"], org["members"]
    assert r.returncode == 0, r.stderr
    assert f"account(s) not read: {ids[DENIED]}" in r.stderr
    assert "Traceback" not in r.stderr
    snap = load_snapshot(org["path"])
    by_id = {a.Id: a for a in snap.accounts}
    assert len(by_id) == MEMBERS + 1
    assert by_id[ids[DENIED]].status == "not checked"
    assert "AccessDenied" in (by_id[ids[DENIED]].reason or "")
    assert [a for a, x in by_id.items() if x.status != "read"] == [ids[DENIED]]
    (line,) = [n for n in snap.not_checked if n.what == f"account {ids[DENIED]}"]
    assert line.action == "sts:AssumeRole"
    # each account's VPCs, in each region, are exactly what a direct read inside it lists
    for acct, regions in org["truth"].items():
        for region, vpcs in regions.items():
            got = {v.VpcId for v in snap.Vpcs if v.account == acct and v.region == region}
            assert got == vpcs, (acct, region)
    assert not any(v.account == ids[DENIED] for v in snap.Vpcs)
    assert sorted(snap.regions) == sorted(REGIONS)


def test_the_throttled_account_is_slowed_not_lost(org):
    ids, proxy = org["members"], org["proxy"]
    assert proxy.throttled == THROTTLE_FIRST  # it was throttled ...
    snap = load_snapshot(org["path"])
    # ... and read whole: nothing of it is missing, nothing not checked
    assert not [n for n in snap.not_checked if ids[THROTTLED] in n.reason + n.what]
    for region in REGIONS:
        got = {v.VpcId for v in snap.Vpcs if v.account == ids[THROTTLED] and v.region == region}
        assert got == org["truth"][ids[THROTTLED]][region]


def test_reads_are_read_only_and_the_printed_policies_cover_them(org):
    r = run_cli("iam-policy", "--accounts", "--role-name", ROLE)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    member = set(doc["MemberRolePolicy"]["Statement"][0]["Action"])
    caller_stmts = doc["CallerPolicy"]["Statement"]
    caller = {a for s in caller_stmts for a in s["Action"]}
    assert caller == {"sts:AssumeRole", "organizations:ListAccounts"}
    assume = next(s for s in caller_stmts if s["Action"] == ["sts:AssumeRole"])
    assert assume["Resource"] == f"arn:aws:iam::*:role/{ROLE}"
    service = {"AssumeRole": "sts", "GetCallerIdentity": "sts", "ListAccounts": "organizations"}
    ids = set(org["members"])
    for acct, action in org["proxy"].signed:
        assert action.startswith(("Describe", "Get", "List", "Search", "AssumeRole")), action
        if acct == "123456789012" and action in service:  # the caller's own calls
            assert f"{service[action]}:{action}" in caller | {"sts:GetCallerIdentity"}
        else:
            assert acct in ids | {"123456789012"}, (acct, action)
            assert any(a.endswith(":" + action) for a in member), action


def test_one_report_with_the_account_of_every_finding_and_a_summary_per_account(org):
    ids, path = org["members"], org["path"]
    r = run_cli("scan", "--snapshot", str(path), "--format", "json")
    assert r.returncode == 1, r.stderr  # findings, and an account not read
    doc = json.loads(r.stdout)
    read = {a["account"] for a in doc["summary"]["accounts"] if a["status"] == "read"}
    assert len(read) == MEMBERS and ids[DENIED] not in read
    assert doc["findings"] and all(f["account"] in read for f in doc["findings"])
    planted = {f["account"] for f in doc["findings"] if f["rule"] == PLANTED_RULE}
    assert planted == {ids[i] for i in PLANTED}  # fires where planted, and nowhere else
    for f in doc["findings"]:
        if f["rule"] == PLANTED_RULE:
            assert any(g in f["resources"] for g in org["planted"][f["account"]])
    for a in doc["summary"]["accounts"]:
        mine = [f for f in doc["findings"] if f["account"] == a["account"]]
        assert sum(a["counts"].values()) == len(mine)
    text = run_cli("scan", "--snapshot", str(path), "--min-severity", "medium")
    assert text.returncode == 1
    assert f"{ids[DENIED]} (member-{DENIED}): NOT CHECKED: could not assume" in text.stdout
    assert f"{MEMBERS} of {MEMBERS + 1} account(s) read" in text.stdout
    for i in PLANTED:
        assert re.search(rf"MEDIUM +{ids[i]}  {re.escape(PLANTED_RULE)}", text.stdout) or (
            re.search(rf"HIGH +{ids[i]}  {re.escape(PLANTED_RULE)}", text.stdout)
        )


def test_a_path_between_two_accounts_is_traced_across_them(org):
    snap = load_snapshot(org["path"])
    t = Tracer(snap).trace(org["app"], org["db"], 5432)
    assert t.verdict == REACHABLE, [(h.step, h.detail) for h in t.hops]
    assert any(h.step == "VPC peering" for h in t.hops)
    # near miss: the database account alone does not know the app's side
    db_acct = org["members"][PEERS[1]]
    only_db = snap.model_copy()
    only_db.Instances = [i for i in snap.Instances if i.account == db_acct]
    assert org["app"] not in {i.InstanceId for i in only_db.Instances}


def test_findings_of_an_account_do_not_depend_on_the_others_read(org, tmp_path):
    """Metamorphic: an accounts file naming a few of them, shuffled, gives those accounts the
    same findings as the whole organisation."""
    ids = org["members"]
    some = [ids[13], ids[3], ids[2]]
    listing = tmp_path / "accounts.txt"
    listing.write_text("# a few\n" + "\n".join(f"{a}  member {a}" for a in some) + "\n")
    r = run_cli(
        "scan",
        "--accounts",
        str(listing),
        "--role-name",
        ROLE,
        "--region",
        ",".join(REGIONS),
        "--format",
        "json",
    )
    assert r.returncode == 1, r.stderr
    part = json.loads(r.stdout)
    whole = json.loads(run_cli("scan", "--snapshot", str(org["path"]), "--format", "json").stdout)

    def keyed(doc: dict, acct: str) -> list:
        return sorted((f["rule"], f["resources"]) for f in doc["findings"] if f["account"] == acct)

    assert {a["account"] for a in part["summary"]["accounts"]} == set(some)
    for a in some:
        assert keyed(part, a) == keyed(whole, a) and keyed(part, a)


def test_throttling_and_denial_do_not_change_what_is_found_elsewhere(org):
    """The combined snapshot diagnosed in-process: the same findings for the planted accounts
    in both regions, one per region."""
    snap = load_snapshot(org["path"])
    d = diagnose(snap)
    from assistant.sources.org import annotate

    annotate(d, snap)
    hits = [f for f in d.findings if f.rule == PLANTED_RULE]
    region_of = {s.GroupId: s.region for s in snap.SecurityGroups}
    for i in PLANTED:
        regions = {
            region_of[r]
            for f in hits
            if f.account == org["members"][i]
            for r in f.resources
            if r in region_of
        }
        assert regions == set(REGIONS)


# -- small organisations and bad input --------------------------------------------------


def test_scan_all_exit_code_covers_the_whole_run(aws):
    built = organisation(members=2, planted=(), peers=None)
    ids = built["members"]
    with OrgProxy(aws, ids[1], "-", 0) as proxy:
        r = run_cli(
            "scan",
            "--accounts",
            "all",
            "--role-name",
            ROLE,
            "--endpoint-url",
            proxy.url,
            "--min-severity",
            "critical",
        )
    # nothing at or above critical, but one account could not be read: not an all-clear
    assert r.returncode == 1, r.stderr
    assert f"{ids[1]} (member-1): NOT CHECKED" in r.stdout
    assert "2 of 3 account(s) read" in r.stdout
    assert "reading accounts" not in r.stderr  # no progress display off a terminal
    r = run_cli("scan", "--accounts", "all", "--role-name", ROLE, "--min-severity", "critical")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 of 3 account(s) read" in r.stdout


def test_no_account_readable_is_an_error(aws):
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    with OrgProxy(aws, "123456789012", "-", 0) as proxy:
        r = run_cli("scan", "--accounts", "all", "--role-name", ROLE, "--endpoint-url", proxy.url)
    assert r.returncode == 2
    assert r.stderr.startswith("vpc-helper: error: no account could be read")
    assert len(r.stderr.strip().splitlines()) == 1


def test_not_in_an_organisation_is_one_line(aws):
    with OrgProxy(aws, "-", "-", 0, no_org=True) as proxy:
        r = run_cli("scan", "--accounts", "all", "--role-name", ROLE, "--endpoint-url", proxy.url)
    assert r.returncode == 2
    assert "not in an organisation" in r.stderr and "--accounts FILE" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content, expected",
    [
        ("111111111111\n# comment\n\n222222222222 prod\n", ["111111111111", "222222222222"]),
        ('["111111111111", "222222222222"]', ["111111111111", "222222222222"]),
        (
            json.dumps(
                {
                    "Accounts": [
                        {"Id": "111111111111", "Name": "a", "Status": "ACTIVE"},
                        {"Id": "333333333333", "Name": "gone", "Status": "SUSPENDED"},
                        {"Id": "222222222222", "Name": "b", "Status": "ACTIVE"},
                    ]
                }
            ),
            ["111111111111", "222222222222"],
        ),
    ],
)
def test_accounts_file_formats(tmp_path, content, expected):
    from assistant.sources.org import read_accounts_file

    p = tmp_path / "a"
    p.write_text(content)
    assert [a.id for a in read_accounts_file(p)] == expected


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("11111111111\n", (), "line 1: '11111111111' is not a 12-digit account id"),
        ("# nothing\n", (), "lists no account"),
        ('{"Accounts": 3}', (), "expected a list of account ids"),
        ("[1, 2", (), "is not valid JSON"),
        (None, (), "not found"),
        ("111111111111\n", ("--role-name", "bad name!"), "is not an IAM role name"),
        ("111111111111\n", ("--demo",), "leave out --demo"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(aws, tmp_path, content, args, message):
    p = tmp_path / "accounts"
    if content is not None:
        p.write_text(content)
    extra = list(args) if "--role-name" in args else ["--role-name", ROLE, *args]
    r = run_cli("scan", "--accounts", str(p), *extra)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_role_name_without_accounts_and_accounts_without_role(aws, tmp_path):
    r = run_cli("scan", "--role-name", ROLE)
    assert r.returncode == 2 and "--role-name goes with --accounts" in r.stderr
    r = run_cli("collect", "--accounts", "all", "-o", str(tmp_path / "x.json"))
    assert r.returncode == 2 and "--accounts needs --role-name" in r.stderr


def test_progress_display_on_a_terminal(aws):
    """On a terminal stderr shows accounts done / total, requests and errors."""
    import pty
    import subprocess
    import sys

    organisation(members=2, planted=(), peers=None)
    import threading

    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), COLUMNS="120")
    chunks: list[bytes] = []

    def drain() -> None:  # read as it is written: a full terminal buffer would block the run
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "scan", "--accounts", "all", "--role-name", ROLE],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        timeout=120,
    )
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    seen = b"".join(chunks)
    text = seen.decode(errors="replace")
    assert proc.returncode in (0, 1), text
    assert "reading accounts" in text and "requests" in text and "errors" in text
    assert re.search(r"\d/3", text), text
