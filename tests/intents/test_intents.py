"""Intents: the file, the selectors, the three intents of the issue on the demo and on built
scenarios, the command's output and exit codes."""

from __future__ import annotations

import json
import tomllib

import pytest

from assistant.cli import main
from assistant.intents import HOLDS, UNDECIDED_STATUS, VIOLATED, IntentError, parse_intents
from assistant.intents.check import Checker, check_intents, port_boundaries, split
from assistant.models.snapshot import Tag
from assistant.sources.builder import Builder, classic
from assistant.sources.demo import demo_snapshot
from assistant.sources.files import dump_snapshot

ISSUE = """
[[forbid]]            # nothing outside may reach the databases, on any port
from = "internet"
to = { tag = { tier = "db" } }
ports = "all"

[[require]]           # app servers must reach the internet on 443
from = { subnet_tag = { tier = "app" } }
to = "internet"
port = 443

[[forbid]]            # prod and dev never talk
from = { vpc_tag = { env = "prod" } }
to = { vpc_tag = { env = "dev" } }
ports = "all"
"""


def intents(text: str = ISSUE):
    return parse_intents(tomllib.loads(text), "intents.toml")


def by_kind(results):
    return {(r.intent.kind, r.intent.number): r for r in results}


def tagged_demo():
    """The demo, tagged the way the issue's intents speak: the admin host holds data
    (tier=db), the private app subnets are tier=app, the VPC is env=prod."""
    s = demo_snapshot()
    for i in s.Instances:
        if i.name == "shop-admin":
            i.Tags.append(Tag(Key="tier", Value="db"))
    for sub in s.Subnets:
        if sub.name.startswith("shop-private-app"):
            sub.Tags.append(Tag(Key="tier", Value="app"))
    s.Vpcs[0].Tags.append(Tag(Key="env", Value="prod"))
    return s


# -- the file ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[allow]]\nfrom='internet'\nto='x'\nport=1", "allow: unknown table"),
        ("[[forbid]]\nto='internet'\nport=1", "forbid[1].from: missing"),
        ("[[forbid]]\nfrom='internet'\nto='x'", "forbid[1].ports: missing"),
        ("[[forbid]]\nfrom='internet'\nto='x'\nport=70000", "forbid[1].port:"),
        ("[[forbid]]\nfrom='internet'\nto='x'\nports='9-3'", "forbid[1].ports:"),
        ("[[require]]\nfrom='internet'\nto={tagg={a='b'}}\nport=1", "require[1].to.tagg: unknown"),
        ("[[require]]\nfrom='internet'\nto='x'\nport=1\nprotocol='icmp'", "require[1].protocol"),
        ("[[require]]\nfrom='internet'\nto='x'\nport=1\nprots=1", "require[1].prots: unknown"),
    ],
)
def test_bad_files_name_file_and_field(text, message):
    with pytest.raises(IntentError, match="intents.toml: " + message.replace("[", r"\[")):
        intents(text)


def test_ports_parse_and_merge():
    (i,) = intents("[[forbid]]\nfrom='internet'\nto='x'\nports=[443, '80-90', 85, '1000-1001']")
    assert i.ports == ((80, 90), (443, 443), (1000, 1001))
    (j,) = intents("[[forbid]]\nfrom='internet'\nto='x'\nports='all'\nprotocol='all'")
    assert j.ports == ((1, 65535),) and j.protocols == ("6", "17")


def test_port_intervals_cut_at_rule_boundaries():
    s = demo_snapshot()
    cuts = port_boundaries(s)
    parts = split(1, 65535, cuts)
    assert parts[0][0] == 1 and parts[-1][1] == 65535
    assert all(b + 1 == c for (_, b), (c, _) in zip(parts, parts[1:], strict=False))
    assert (22, 22) in parts and (8080, 8080) in parts  # a rule's port is its own interval
    assert len(parts) < 40  # decided by intervals, not by 65,535 ports


def test_unknown_names_are_errors_naming_the_intent():
    with pytest.raises(IntentError, match=r"\[\[forbid\]\] #1.to: 'no-such-host'"):
        check_intents(
            demo_snapshot(), intents("[[forbid]]\nfrom='internet'\nto='no-such-host'\nport=1")
        )


# -- the issue's three intents on the demo -----------------------------------------------------
def test_issue_intents_on_the_demo():
    res = by_kind(check_intents(tagged_demo(), intents()))
    db = res[("forbid", 1)]
    assert db.status == VIOLATED and db.broken == 1
    assert [p.ports for p in db.examples] == [[(22, 22)]]  # only SSH gets through
    assert db.fix.hop.step == "security group ingress"
    assert db.fix.rule == "exposure.sg-open-admin-port"
    assert any("revoke-security-group-ingress" in c and "--port 22" in c for c in db.fix.cli)
    assert db.evidence.verdict == "reachable" and db.evidence.port == 22

    app = res[("require", 1)]
    assert app.status == VIOLATED and app.pairs == 4 and app.broken == 2
    assert {p.source.split()[0] for p in app.examples} == {
        "i-0ef185b1397a02bbb",
        "i-0c0a2b4080b26caaf",
    }
    assert app.fix.hop.status == "fail" and app.fix.rule == "nat.in-private-subnet"
    assert any(f.rule == "nat.in-private-subnet" for f in app.evidence.fixes)

    envs = res[("forbid", 2)]
    assert envs.status == HOLDS and "`to` selects no endpoint" in envs.notes[0]


def test_fixing_the_allowing_hop_makes_the_intent_hold():
    """Metamorphic: remove the rule the finding names, and the forbid intent holds."""
    s = tagged_demo()
    (db,) = [r for r in check_intents(s, intents()) if r.intent.kind == "forbid"][:1]
    gid = db.fix.hop.where
    g = next(g for g in s.SecurityGroups if g.GroupId == gid)
    g.IpPermissions = [p for p in g.IpPermissions if p.port_range() != (22, 22)]
    again = check_intents(s, intents())[0]
    assert again.status == HOLDS and again.pairs == 1


# -- built scenarios: a data tier, two environments --------------------------------------------
def two_envs(db_open: bool = False, acl_blocks_443: bool = False, peered: bool = False, back=False):
    b = Builder(seed="envs")
    prod = classic(b, name="prod", data_tier=True)
    dev = classic(b, name="dev", cidr="10.1.0.0/16", app_per_az=1)
    for vpc, env in ((prod["vpc"], "prod"), (dev["vpc"], "dev")):
        b.find("Vpcs", "VpcId", vpc)["Tags"].append({"Key": "env", "Value": env})
    for s in prod["private"]:
        b.find("Subnets", "SubnetId", s)["Tags"].append({"Key": "tier", "Value": "app"})
    db = b.instance(prod["data"][0], [prod["db_sg"]], name="db-1", tier="db")
    b.instance(prod["data"][1], [prod["db_sg"]], name="db-2", tier="db")
    if db_open:  # the mistake: the database open to the world, and public
        g = b.security_group(prod["vpc"], "db-public", ingress=[b.perm(5432, "0.0.0.0/0")])
        inst = b.find("Instances", "InstanceId", db)
        inst["SecurityGroups"].append({"GroupId": g, "GroupName": "db-public"})
        for eni in inst["NetworkInterfaces"]:
            eni["Groups"].append({"GroupId": g, "GroupName": "db-public"})
        b.associate(prod["public_rt"], prod["data"][0])
        b.find("Instances", "InstanceId", db)["PublicIpAddress"] = "54.1.2.3"
    if acl_blocks_443:
        from tests.rules.scenarios import ALLOW_ALL_IN, custom_acl, entry

        custom_acl(
            b,
            prod["vpc"],
            [prod["private"][0]],
            [ALLOW_ALL_IN, entry(90, "deny", True, ports=(443, 443)), entry(100, "allow", True)],
        )
    if peered:
        pcx = b.peering(prod["vpc"], dev["vpc"])
        for rt in prod["private_rt"]:
            b.route(rt, "10.1.0.0/16", pcx)
        if back:  # the dev side routes the replies back over the peering
            for rt in dev["private_rt"]:
                b.route(rt, "10.0.0.0/16", pcx)
        g = b.find("SecurityGroups", "GroupId", dev["app_sg"])
        g["IpPermissions"].append(
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            }
        )
    return b.snapshot()


def test_healthy_two_environments():
    """Nothing breaks an intent. prod -> dev: the isolated data subnets have no route (holds
    for them); the app subnets send dev's addresses to their NAT gateway, which the trace does
    not follow, so those pairs are undecided rather than passed."""
    db, envs, app = check_intents(two_envs(), intents())
    assert (db.status, app.status) == (HOLDS, HOLDS)
    assert db.pairs == 2 and app.pairs == 4
    assert envs.status == UNDECIDED_STATUS and envs.broken == 0
    assert envs.pairs == 6 * 2 and envs.undecided == 4 * 2  # 4 app servers x 2 dev servers


def test_database_open_to_the_world_is_traced_to_its_group():
    db = check_intents(two_envs(db_open=True), intents())[0]
    assert db.status == VIOLATED and db.broken == 1
    assert db.examples[0].destination.endswith("(db-1)") and db.examples[0].ports == [(5432, 5432)]
    assert db.fix.hop.step == "security group ingress"
    assert db.fix.rule == "exposure.sg-open-database-port"
    assert "--port 5432 --cidr 0.0.0.0/0" in db.fix.cli[0]


def test_acl_blocking_443_breaks_the_require_at_the_acl():
    app = by_kind(check_intents(two_envs(acl_blocks_443=True), intents()))[("require", 1)]
    assert app.status == VIOLATED and app.broken == 2 and app.pairs == 4
    assert app.fix.hop.step.startswith("network ACL outbound")
    assert app.fix.rule == "nacl.blocks-egress-web"


def test_peered_environments_are_decided_through_the_peering():
    """The trace follows peering: without dev's route back, prod cannot talk to dev (the
    replies are lost); with it, prod reaches dev's app port and the forbid is violated."""
    one_way = by_kind(check_intents(two_envs(peered=True), intents()))[("forbid", 2)]
    assert one_way.status == HOLDS and one_way.undecided == 0
    both = by_kind(check_intents(two_envs(peered=True, back=True), intents()))[("forbid", 2)]
    assert both.status == VIOLATED
    assert "8080" in str(both.examples[0].ports) or "8080" in both.examples[0].model_dump_json()


def test_internet_is_split_where_rules_name_parts_of_it():
    """An office range allowed to the database is part of the internet: forbid catches it,
    though 0.0.0.0/0 is not allowed."""
    b = Builder(seed="office")
    o = classic(b, data_tier=True)
    g = b.security_group(o["vpc"], "office", ingress=[b.perm(5432, "198.51.100.0/24")])
    db = b.instance(o["public"][0], [g], name="db-1", public_ip=True, tier="db")
    assert db
    res = check_intents(b.snapshot(), intents())[0]
    assert res.status == VIOLATED
    assert res.examples[0].source.startswith("198.51.100.0 (internet address")
    assert "--cidr 198.51.100.0/24" in res.fix.cli[0]


def test_equivalent_endpoints_share_one_trace():
    b = Builder(seed="many")
    o = classic(b, app_per_az=30)
    for iid in o["apps"]:
        b.find("Instances", "InstanceId", iid)["Tags"].append({"Key": "tier", "Value": "app"})
    checker = Checker(b.snapshot())
    (r,) = checker.check(intents("[[require]]\nfrom={tag={tier='app'}}\nto='internet'\nport=443"))
    assert r.status == HOLDS and r.pairs == 60
    assert r.traces == 2  # one per subnet class, not one per instance


# -- the command -------------------------------------------------------------------------------
def test_check_command_formats_and_exit_codes(tmp_path, capsys):
    snap = tmp_path / "snap.json"
    snap.write_bytes(dump_snapshot(tagged_demo()))
    f = tmp_path / "intents.toml"
    f.write_text(ISSUE)
    assert main(["check", str(f), "--snapshot", str(snap)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("3 intents: 1 hold, 2 violated")
    assert "✗ VIOLATED  forbid internet -> {tag tier=db} on tcp all ports" in out
    assert "Allowed at: security group ingress  sg-" in out
    assert main(["check", str(f), "--snapshot", str(snap), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [x["status"] for x in doc["intents"]] == ["violated", "holds", "violated"]
    assert doc["intents"][0]["fix"]["rule"] == "exposure.sg-open-admin-port"
    assert doc["intents"][0]["evidence"]["verdict"] == "reachable"
    assert main(["check", str(f), "--snapshot", str(snap), "--format", "markdown"]) == 1
    md = capsys.readouterr().out
    assert "| ✗ VIOLATED | forbid internet -> {tag tier=db} on tcp all ports | 1 | 1 |" in md
    f.write_text(
        "[[forbid]]\nfrom = 'internet'\nto = { tag = { Role = 'worker' } }\nports = 'all'\n"
    )
    assert main(["check", str(f), "--snapshot", str(snap)]) == 0
    assert "1 intents: 1 hold, 0 violated" in capsys.readouterr().out


def test_check_bad_input_is_one_line_exit_2(tmp_path, capsys):
    f = tmp_path / "i.toml"
    f.write_text("[[forbid]]\nfrom = 'internet'\n")
    assert main(["check", str(f), "--demo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "forbid[1].to: missing" in err
    assert main(["check", str(tmp_path / "none.toml"), "--demo"]) == 2


def test_scan_with_intents(tmp_path, capsys):
    f = tmp_path / "intents.toml"
    f.write_text(
        "[[forbid]]\nfrom = 'internet'\nto = { tag = { Role = 'admin' } }\nports = 'all'\n"
    )
    assert main(["scan", "--demo", "--intents", str(f), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] and doc["intents"]["intents"][0]["status"] == "violated"
    main(["scan", "--demo", "--intents", str(f)])
    assert "Intents\n1 intents: 0 hold, 1 violated" in capsys.readouterr().out


def test_acl_port_ranges_split_the_ports():
    """The group allows 1-48, the ACL only 10-20: exactly 10-20 get through."""
    from tests.rules.scenarios import ALLOW_ALL_OUT, custom_acl, entry

    b = Builder(seed="acl")
    o = classic(b)
    g = b.security_group(o["vpc"], "wide", ingress=[b.perm((1, 48), "0.0.0.0/0")])
    b.instance(o["public"][0], [g], name="web", public_ip=True, tier="db")
    custom_acl(
        b,
        o["vpc"],
        [o["public"][0]],
        [
            entry(100, "allow", False, ports=(10, 20)),
            entry(110, "allow", False, ports=(1024, 65535)),
            ALLOW_ALL_OUT,
        ],
    )
    text = "[[forbid]]\nfrom='internet'\nto={tag={tier='db'}}\nports='1-48'"
    (r,) = check_intents(b.snapshot(), intents(text))
    assert r.status == VIOLATED and r.examples[0].ports == [(10, 20)]


def test_narrow_cidrs_split_a_subnet():
    """Two app servers alike but for their address: only the one inside the /28 the database
    admits breaks the intent."""
    b = Builder(seed="narrow")
    o = classic(b, data_tier=True, app_per_az=0)
    db_sg = b.security_group(o["vpc"], "db", ingress=[b.perm(5432, "10.0.16.0/28")])
    b.instance(o["data"][0], [db_sg], name="db-1", tier="db")
    for n, ip in enumerate(("10.0.16.5", "10.0.16.100")):
        iid = b.instance(o["private"][0], [o["app_sg"]], name=f"app-{n}", tier="app")
        inst = b.find("Instances", "InstanceId", iid)
        inst["PrivateIpAddress"] = ip
        for eni in inst["NetworkInterfaces"]:
            eni["PrivateIpAddress"] = ip
    text = "[[forbid]]\nfrom={tag={tier='app'}}\nto={tag={tier='db'}}\nports='all'"
    (r,) = check_intents(b.snapshot(), intents(text))
    assert r.status == VIOLATED and r.pairs == 2 and r.broken == 1
    assert r.examples[0].source.endswith("(app-0)")


def test_readme_shows_real_output(capsys):
    """Every line of the README's `check` example (but the trimmed ones) is what the command
    prints."""
    from tests.helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("$ vpc-helper check examples/intents/demo.toml --demo\n", 1)[1]
    block = block.split("```", 1)[0]
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["check", "examples/intents/demo.toml", "--demo"]) == 1
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out.splitlines()
    shown = [line for line in block.splitlines() if "…" not in line]
    missing = [line for line in shown if line not in out]
    assert not missing and len(shown) > 20, missing


def test_destinations_behind_a_load_balancer_are_named_and_the_lb_can_be_checked():
    text = "[[forbid]]\nfrom='internet'\nto={tag={Role='app'}}\nports='all'"
    (direct,) = check_intents(demo_snapshot(), intents(text))
    assert direct.status == HOLDS  # nothing reaches the app servers directly...
    assert "targets of load balancer shop-alb" in direct.notes[0]  # ...and it says what is not
    (via_lb,) = check_intents(
        demo_snapshot(), intents(text.replace("{tag={Role='app'}}", "'shop-alb'"))
    )
    assert via_lb.status == VIOLATED and via_lb.examples[0].ports == [(80, 80), (443, 443)]
