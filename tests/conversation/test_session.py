"""The conversation as plain code: every symptom, both modes, back, pastes, unknowns."""

from __future__ import annotations

import importlib.util
import sys

import orjson
import pytest

from assistant.conversation import questions as qs
from assistant.conversation.session import SYMPTOMS, Session, relevant_rules
from assistant.engine import diagnose
from assistant.sources.builder import Builder
from assistant.sources.demo import build as build_demo
from assistant.sources.demo import demo_snapshot
from assistant.sources.files import snapshot_from_outputs

OPENING = [
    "My private instances can't reach the internet (apt install / docker pull fails)",
    "Users can't reach my app",
    "Is anything exposed that shouldn't be?",
    "Check my whole VPC",
    "Help me set up a new VPC",
]


def rules_of(session: Session) -> set[str]:
    return {f.rule for f in session.findings}


def decided(session: Session) -> set[str]:
    """The rules question mode decided (by answers or pastes) in this conversation."""
    st = qs.rule_status(session.symptom or "", session.answers, qs.pasted_snapshot(session.pasted))
    return st.paste | st.answers


def scan_rules(snapshot, symptom: str, only: set[str] | None = None) -> set[str]:
    """The rules a scan names for a symptom (only those in ``only``, if given)."""
    wanted = relevant_rules(symptom) if only is None else only
    return {f.rule for f in diagnose(snapshot).findings if wanted is None or f.rule in wanted}


def answer(session: Session, *keys: str, finish: bool = True) -> None:
    """Answer the questions in words, then stop the questions (the rest is listed as open)."""
    for k in keys:
        assert session.step == "question", session.turns[-1].text
        session.send(k)
    if finish and session.step == "question":
        session.send("finish")
    assert not finish or session.step == "results"


def questions_session(symptom: str) -> Session:
    s = Session()
    s.start()
    s.send(symptom)
    assert s.step == "source"
    s.send("questions")
    return s


def test_opening_offers_the_five_symptoms_in_order():
    s = Session()
    turn = s.start()[0]
    assert [c.label for c in turn.choices] == OPENING
    assert [sym.label for sym in SYMPTOMS] == OPENING


def test_number_picks_a_choice_and_unknown_text_asks_again():
    s = Session(demo=True)
    s.start()
    s.send("banana")
    assert s.step == "symptom" and "Pick one" in s.turns[-1].text
    s.send("1")
    assert s.symptom == "egress" and s.step == "results"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1", {"nat.in-private-subnet", "egress.igw-route-without-public-ip"}),
        # The demo's load balancer is fine; the app servers' own paths are part of this symptom.
        ("2", {"egress.igw-route-without-public-ip", "exposure.public-ip-in-private-subnet"}),
        ("3", {"exposure.sg-open-admin-port", "exposure.public-ip-in-private-subnet"}),
        (
            "4",
            {
                "nat.in-private-subnet",
                "egress.igw-route-without-public-ip",
                "exposure.sg-open-admin-port",
                "exposure.public-ip-in-private-subnet",
            },
        ),
    ],
)
def test_demo_mode_each_symptom(number, expected):
    s = Session(demo=True)
    s.start()
    turns = s.send(number)
    assert s.mode == "demo"
    assert expected <= rules_of(s)  # the planted mistakes (more rules may speak too)
    assert rules_of(s) == scan_rules(demo_snapshot(), s.symptom)
    assert "tree" in turns[-1].updates and s.tree and s.tree[0].children
    assert "ingress.lb-in-private-subnets" not in rules_of(s)


def test_demo_finding_shows_explanation_and_numbered_fix():
    s = Session(demo=True)
    s.start()
    s.send("1")
    n = next(i for i, f in enumerate(s.findings, 1) if f.rule == "nat.in-private-subnet")
    turn = s.send(str(n))[0]
    assert turn.kind == "finding" and turn.finding.rule == "nat.in-private-subnet"
    assert turn.finding.fix and any(
        "create-nat-gateway" in c for st in turn.finding.fix for c in st.cli
    )


def test_other_findings_can_be_shown():
    s = Session(demo=True)
    s.start()
    s.send("1")
    total = len(diagnose(demo_snapshot()).findings)
    assert s.others and len(s.findings) + len(s.others) == total
    s.send("others")
    assert len(s.findings) == total and s.show_all


def test_setup_hands_over_or_says_plainly_it_is_not_there():
    s = Session()
    s.start()
    turn = s.send("5")[0]
    if importlib.util.find_spec("assistant.walkthrough") is None:
        assert "not available in this version yet" in turn.text
        assert [c.key for c in turn.choices] == ["egress", "ingress", "exposure", "whole"]
        s.send("1")
        assert s.step == "source"  # the chat goes on
    else:
        assert s.mode == "walkthrough"


# -- question mode ---------------------------------------------------------------------------


def test_question_has_why_how_and_i_dont_know():
    s = questions_session("egress")
    q = s.turns[-1]
    assert q.kind == "question" and q.why and q.console
    assert "aws ec2 describe-route-tables" in q.command and "--query" in q.command
    assert [c.label for c in q.choices][-2:] == [
        "I don't know",
        "Stop the questions: show what you can conclude",
    ]


def test_egress_demo_nat_situation_by_hand_names_the_scan_rule():
    s = questions_session("egress")
    answer(s, "nat", "available", "nat")  # the route goes to a NAT gateway in this very subnet
    assert s.step == "results"
    assert rules_of(s) == {"nat.in-private-subnet"}
    assert "nat.in-private-subnet" in scan_rules(build_demo().snapshot(), "egress")


def test_questions_that_cannot_change_the_outcome_are_not_asked():
    s = questions_session("egress")
    answer(s, "none", finish=False)
    # With no 0.0.0.0/0 route, nothing about a NAT or an internet gateway can change the
    # diagnosis: those questions are skipped, and only what can still decide a rule is asked.
    asked = [t.question for t in s.turns if t.kind == "question"]
    assert not {"nat_state", "nat_subnet", "igw_attached", "public_ip"} & set(asked)
    assert s.step == "question" and s.question.id.startswith("paste_")
    st = qs.rule_status("egress", s.answers)
    assert "nat.not-available" in st.excluded and "nacl.blocks-return-traffic" in st.open
    s.send("finish")
    assert rules_of(s) == {"egress.no-default-route"}


def test_ingress_question_mode():
    s = questions_session("ingress")
    answer(s, "lb", "internet-facing", "none")
    assert rules_of(s) == {"ingress.lb-in-private-subnets"}


def test_exposure_question_mode():
    s = questions_session("exposure")
    answer(s, "ssh", "yes", "yes")
    assert rules_of(s) == {"exposure.sg-open-admin-port", "exposure.public-ip-in-private-subnet"}
    sev = {f.rule: f.severity.value for f in s.findings}
    assert sev["exposure.sg-open-admin-port"] == "high"


_PASTED_NAMES = {
    "vpcs.json",
    "subnets.json",
    "route-tables.json",
    "internet-gateways.json",
    "nat-gateways.json",
    "instances.json",
    "security-groups.json",
    "load-balancers.json",
}


def test_whole_vpc_question_mode_pastes_equal_a_scan_of_the_same_outputs():
    files = build_demo().cli_files()
    s = questions_session("whole")
    by_coll = {}
    for data in files.values():
        by_coll.setdefault(next(iter(data)), []).append(data)
    while s.step == "question":
        coll = s.question.collections[0]
        key = "Reservations" if coll == "Instances" else coll
        s.send(orjson.dumps(by_coll[key][0]).decode())
    same_files = snapshot_from_outputs(
        {n: d for n, d in files.items() if next(iter(d)) in {*by_coll} and n in _PASTED_NAMES}
    )
    assert rules_of(s) == {f.rule for f in diagnose(same_files).findings}
    assert {"nat.in-private-subnet", "exposure.sg-open-admin-port"} <= rules_of(s)


def test_whole_vpc_skipped_outputs_are_reported_not_checked():
    s = questions_session("whole")
    while s.step == "question":
        s.send("skip")
    text = s.turns[-1].text
    assert "Not checked" in text and "RouteTables" in text


def test_i_dont_know_says_what_cannot_be_concluded_and_moves_on():
    s = questions_session("egress")
    s.send("nat")
    turn = s.send("unknown")[-1]
    # It moves on to the next question that can still decide something: where the NAT sits.
    assert s.step == "question" and s.question.id == "nat_subnet"
    assert "cannot rule out" in turn.text and "nat.not-available" in turn.text
    assert "Question 3" in turn.text
    s.send("nat")
    while s.step == "question":
        s.send("skip" if s.question.id.startswith("paste_") else "unknown")
    end = s.turns[-1].text
    assert rules_of(s) == {"nat.in-private-subnet"}
    assert "I could not rule out" in end and "nat.not-available" in end
    assert "nothing found" not in end


@pytest.mark.parametrize("symptom", ["egress", "ingress", "exposure"])
def test_no_symptom_ends_in_nothing_found_while_a_rule_is_open(symptom):
    s = questions_session(symptom)
    first = s.question.choices[0][0]
    s.send(first)
    while s.step == "question":
        s.send("skip" if s.question.id.startswith("paste_") else "unknown")
    end = s.turns[-1].text
    assert s.open_rules and "I could not rule out" in end and "nothing found" not in end
    for rid in s.open_rules:  # each in words, with the command that would settle it
        line = next(x for x in end.splitlines() if f"({rid})" in x)
        assert "to settle it: aws " in line
    assert set(s.open_rules) | decided(s) | qs.rule_status(symptom, s.answers).excluded == (
        qs.symptom_rules(symptom)
    )


def test_back_changes_an_answer():
    s = questions_session("egress")
    answer(s, "nat", "available", "nat")
    assert rules_of(s) == {"nat.in-private-subnet"}
    s.send("back")  # undoes "stop the questions"
    assert s.step == "question" and s.question.id.startswith("paste_")
    s.send("back")
    assert s.step == "question" and s.question.id == "nat_subnet"
    s.send("back")
    assert s.question.id == "nat_state"
    s.send("failed")
    s.send("finish")
    assert rules_of(s) == {"nat.not-available"}


def test_back_with_nothing_to_go_back_to():
    s = questions_session("egress")
    turns = s.back()
    assert "no earlier question" in turns[-1].text


# -- pasted output ----------------------------------------------------------------------------


def one_nat_in_private(b: Builder):
    vpc = b.vpc("10.1.0.0/16", name="v")
    b.igw(vpc, name="igw")
    app = b.subnet(vpc, "10.1.1.0/24", "a", name="private-app-a")
    nat = b.nat(app, name="nat")
    rt = b.route_table(vpc, name="app-rt")
    b.route(rt, "0.0.0.0/0", nat)
    b.associate(rt, app)
    b.instance(app, [], name="app")
    return b


def test_paste_settles_every_question_it_can_and_says_so():
    files = one_nat_in_private(Builder(seed="paste")).cli_files()
    s = questions_session("egress")
    both = {"RouteTables": files["route-tables.json"]["RouteTables"]}
    turns = s.send(orjson.dumps(both).decode())
    assert s.answers["route"] == "nat"
    assert "From what you pasted" in turns[-1].text or "From what you pasted" in s.turns[-2].text
    s.send(orjson.dumps(files["nat-gateways.json"]).decode())
    # The NAT output settles its state and (with the route tables) where it sits.
    assert s.answers["nat_state"] == "available" and s.answers["nat_subnet"] == "nat"
    s.send("finish")
    assert s.step == "results" and rules_of(s) == {"nat.in-private-subnet"}
    assert "sits in" in "\n".join(t.text for t in s.turns)
    # The finding names the user's own resources, as pasted, not made-up ones.
    real_nat = files["nat-gateways.json"]["NatGateways"][0]
    assert s.findings[0].resources[:2] == [real_nat["NatGatewayId"], real_nat["SubnetId"]]
    scan = diagnose(one_nat_in_private(Builder(seed="paste")).snapshot()).findings
    assert [f.key for f in scan if f.rule == "nat.in-private-subnet"] == [s.findings[0].key]


def test_bad_pastes_become_messages():
    s = questions_session("egress")
    assert "could not read it" in s.send("{not json")[-1].text
    assert "--query" in s.send('[["x"]]')[-1].text
    assert "not a recognised AWS CLI output" in s.send('{"Foo": []}')[-1].text
    assert s.step == "question" and s.question.id == "route"


# -- question mode names the same rules as a scan ---------------------------------------------


def _scenarios():
    def nat_private(b):
        return one_nat_in_private(b)

    def no_route(b):
        vpc = b.vpc("10.2.0.0/16", name="v")
        app = b.subnet(vpc, "10.2.1.0/24", "a", name="private-app-a")
        rt = b.route_table(vpc, name="rt")
        b.associate(rt, app)
        b.instance(app, [], name="app")
        return b

    def igw_no_ip(b):
        vpc = b.vpc("10.3.0.0/16", name="v")
        igw = b.igw(vpc, name="igw")
        app = b.subnet(vpc, "10.3.1.0/24", "a", name="worker-a")
        rt = b.route_table(vpc, name="rt")
        b.route(rt, "0.0.0.0/0", igw)
        b.associate(rt, app)
        b.instance(app, [], name="worker")
        return b

    def nat_failed(b):
        vpc = b.vpc("10.4.0.0/16", name="v")
        igw = b.igw(vpc, name="igw")
        pub = b.subnet(vpc, "10.4.0.0/24", "a", name="public-a")
        prt = b.route_table(vpc, name="prt")
        b.route(prt, "0.0.0.0/0", igw)
        b.associate(prt, pub)
        app = b.subnet(vpc, "10.4.1.0/24", "a", name="private-app-a")
        nat = b.nat(pub, name="nat", state="failed")
        rt = b.route_table(vpc, name="rt")
        b.route(rt, "0.0.0.0/0", nat)
        b.associate(rt, app)
        b.instance(app, [], name="app")
        return b

    def healthy(b):
        vpc = b.vpc("10.5.0.0/16", name="v")
        igw = b.igw(vpc, name="igw")
        pub = b.subnet(vpc, "10.5.0.0/24", "a", name="public-a")
        prt = b.route_table(vpc, name="prt")
        b.route(prt, "0.0.0.0/0", igw)
        b.associate(prt, pub)
        app = b.subnet(vpc, "10.5.1.0/24", "a", name="private-app-a")
        nat = b.nat(pub, name="nat")
        rt = b.route_table(vpc, name="rt")
        b.route(rt, "0.0.0.0/0", nat)
        b.associate(rt, app)
        b.instance(app, [], name="app")
        return b

    return {
        "nat-in-private": (nat_private, ["nat", "available", "nat"]),
        "no-route": (no_route, ["none"]),
        "igw-without-ip": (igw_no_ip, ["igw", "yes", "no"]),
        "nat-failed": (nat_failed, ["nat", "failed"]),
        "healthy": (healthy, ["nat", "available", "igw", "yes"]),
    }


@pytest.mark.parametrize("name", list(_scenarios()))
def test_egress_answers_by_hand_name_the_same_rules_as_a_scan(name):
    make, keys = _scenarios()[name]
    snap = make(Builder(seed=name)).snapshot()
    s = questions_session("egress")
    answer(s, *keys)
    assert s.step == "results"
    assert rules_of(s) == scan_rules(snap, "egress", only=decided(s))


@pytest.mark.parametrize("name", list(_scenarios()))
def test_egress_pasting_the_situation_names_the_same_rules_as_a_scan(name):
    make, _ = _scenarios()[name]
    b = make(Builder(seed=name))
    files = b.cli_files()
    s = questions_session("egress")
    for f in (
        "instances.json",
        "route-tables.json",
        "subnets.json",
        "nat-gateways.json",
        "internet-gateways.json",
    ):
        if s.step != "question":
            break
        s.send(orjson.dumps(files[f]).decode())
    answer(s)
    assert rules_of(s) == scan_rules(b.snapshot(), "egress", only=decided(s))
    # Pasted ids carry into the findings: the same rule on the same resources as the scan.
    scan = {f.key for f in diagnose(b.snapshot()).findings if f.rule in rules_of(s)}
    assert {f.key for f in s.findings} == scan


def test_question_snapshot_is_the_collector_shape():
    snap = qs.build_snapshot(
        "egress", {"route": "nat", "nat_state": "available", "nat_subnet": "nat"}
    )
    assert snap.has("RouteTables") and snap.has("NatGateways")
    assert snap.NatGateways[0].SubnetId in {s.SubnetId for s in snap.Subnets}


# -- live reading --------------------------------------------------------------------------------


def test_live_reading_unavailable_becomes_a_message(monkeypatch):
    import assistant.sources

    # As in a build without the live collector: the module cannot be imported.
    monkeypatch.setitem(sys.modules, "assistant.sources.live", None)
    monkeypatch.delattr(assistant.sources, "live", raising=False)
    s = Session(region="us-east-1")
    s.start()
    turns = s.send("1")
    assert turns[-1].kind == "error"
    assert "not available" in turns[-1].text and s.step == "source"
    s.send("1")  # answer questions instead
    assert s.mode == "questions"


def test_live_reading_against_the_api_server(aws):
    seen: list[str] = []
    s = Session(region="us-east-1", endpoint_url=aws, progress=seen.append)
    s.start()
    turns = s.send("4")
    assert s.mode == "live" and s.step == "results", turns[-1].text
    assert s.diagnosis is not None and s.tree
    assert any(line.startswith("reading") for line in seen)


def test_live_reading_failure_is_a_message_with_a_way_on(aws):
    s = Session(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    s.start()
    turn = s.send("1")[-1]
    assert turn.kind == "error" and "could not read the configuration" in turn.text
    assert s.step == "source"
    s.send("questions")
    assert s.mode == "questions"


def test_live_asks_region_when_none_is_set(monkeypatch):
    for k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    s = Session()
    s.start()
    s.send("1")
    s.send("live")
    assert s.step == "region"
    assert "does not look like a region" in s.send("moon-base")[-1].text


def test_snapshot_files_mode(tmp_path):
    from assistant.sources.demo import DEMO_DIR

    s = Session(snapshot_paths=[str(DEMO_DIR)])
    s.start()
    s.send("1")
    assert s.mode == "snapshot" and "nat.in-private-subnet" in rules_of(s)


def test_unreadable_snapshot_becomes_a_message(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{")
    s = Session(snapshot_paths=[str(bad)])
    s.start()
    turn = s.send("1")[-1]
    assert turn.kind == "error" and "could not read the snapshot" in turn.text
    assert s.step == "source"
    s.send("demo")
    assert s.mode == "demo" and s.findings


def test_chat_refuses_demo_with_snapshot():
    import argparse

    from assistant.errors import UserError
    from assistant.tui.app import run_chat

    with pytest.raises(UserError, match="either --demo or --snapshot"):
        run_chat(argparse.Namespace(demo=True, snapshot=["x.json"]))


def test_setup_walkthrough_in_the_chat_reaches_a_plan(tmp_path):
    from assistant.conversation.transcript import save

    s = Session()
    s.start()
    s.send("5")
    assert s.mode == "walkthrough" and s.turns[-1].why
    for _ in range(40):
        if s.step != "walkthrough":
            break
        default = next(c for c in s.choices if c.key == "(default)")
        s.send(default.key)
    assert s.step == "results", s.turns[-1].text
    assert "plan" in s.turns[-1].text.lower() and s.walkthrough_answers
    md, _ = save(s, tmp_path / "setup.json")
    answers = orjson.loads((tmp_path / "setup.answers.json").read_bytes())
    assert answers == s.walkthrough_answers and answers["format"] == "vpc-helper-walkthrough"


def test_several_vpcs_ask_which_one(tmp_path):
    b = Builder(seed="two-vpcs")
    one_nat_in_private(b)
    other = b.vpc("10.9.0.0/16", name="other")
    b.subnet(other, "10.9.1.0/24", "a", name="other-a")
    for name, data in b.cli_files().items():
        (tmp_path / name).write_bytes(orjson.dumps(data))
    s = Session(snapshot_paths=[str(tmp_path)])
    s.start()
    turn = s.send("1")[-1]
    assert s.step == "vpc" and len(turn.choices) == 3 and "tree" in turn.updates
    s.send("1")  # the first VPC listed
    assert s.step == "results" and s.vpc_ids and len(s.tree) == 1


@pytest.mark.parametrize(
    ("symptom", "keys"),
    [
        ("egress", ["nat", "available", "none"]),
        ("ingress", ["lb", "internet-facing", "none"]),
        ("exposure", ["ssh", "yes", "yes"]),
    ],
)
def test_question_mode_never_shows_made_up_ids(symptom, keys):
    import re

    s = questions_session(symptom)
    answer(s, *keys)
    assert s.findings
    made_up = re.compile(r"\b(vpc|subnet|rtb|nat|igw|i|sg|eipalloc)-0[0-9a-f]{8,}\b")
    for f in s.findings:
        text = " ".join([f.title, *f.resources, *(c for st in f.fix for c in st.cli)])
        assert not made_up.search(text), text
        assert any("YOUR" in r or "THE-" in r or "LOAD-BALANCER" in r for r in f.resources)


@pytest.mark.parametrize(
    ("typed", "symptom", "traced"),
    [
        ("why can't shop-app-b1 reach the internet", "egress", "not reachable"),
        ("Why cannot shop-app-b1 access the internet?", "egress", "not reachable"),
        ("is port 22 open to the world", "exposure", None),
        ("can users reach shop-alb", "ingress", "reachable"),
        ("apt install hangs on my server", "egress", None),
    ],
)
def test_typed_questions_at_the_opening_are_understood(typed, symptom, traced):
    s = Session(demo=True)
    s.start()
    out = s.send(typed)
    assert s.symptom == symptom and out[0].text.startswith("I understood:")
    assert any(t.kind == "diagnosis" for t in out)
    traces = [t.trace for t in out if t.trace is not None]
    if traced is None:
        assert not traces
    else:
        assert [t.verdict for t in traces] == [traced]


def test_unclear_opening_text_asks_again_with_examples():
    s = Session()
    s.start()
    turn = s.send("hello there")[-1]
    assert s.step == "symptom" and "in your own words" in turn.text and len(turn.choices) == 5


def test_opening_question_without_a_vpc_asks_how_to_read_it_then_traces():
    s = Session()
    s.start()
    s.send("why can't shop-app-b1 reach the internet")
    assert s.step == "source" and s.symptom == "egress"
    out = s.send("demo")
    assert [t.trace.verdict for t in out if t.trace is not None] == ["not reachable"]


def _answer_paths(symptom: str, limit: int = 60) -> list[list[str]]:
    """Every sequence of answers in words (depth first, bounded), ending where words end."""
    out: list[list[str]] = []

    def walk(prefix: list[str]) -> None:
        if len(out) >= limit:
            return
        s = questions_session(symptom)
        for k in prefix:
            s.send(k)
        q = s.question
        if s.step != "question" or q is None or q.id.startswith("paste_"):
            out.append(prefix)
            return
        for key, _ in q.all_choices():
            walk([*prefix, key])

    walk([])
    return out


@pytest.mark.parametrize("symptom", ["egress", "ingress", "exposure"])
def test_no_answer_path_yields_an_invented_fact(symptom):
    import re

    for path in _answer_paths(symptom):
        s = questions_session(symptom)
        answer(s, *path)
        made = qs._made_up(s.snapshot, set())
        for f in s.findings:
            texts = [f.title, *f.evidence, f.explanation, f.check or ""]
            texts += [x for st in f.fix for x in (st.action, st.console or "", *st.cli)]
            blob = "\n".join(texts)
            assert "YOUR" not in blob and "THE-" not in blob, (path, blob)
            for fact in made["ids"] | made["azs"] | made["cidrs"] | made["ips"]:
                assert not re.search(rf"(?<![\w.-]){re.escape(fact)}(?![\w-])", blob), (
                    path,
                    fact,
                    blob,
                )
            for name in made["names"]:
                assert f"({name}" not in blob and f"{name}," not in blob, (path, name, blob)
            assert not re.search(r"\b0 instance", blob), (path, blob)  # never counted


def _egress_with_a_low_and_a_high(b: Builder) -> Builder:
    """Two private subnets through one NAT gateway in another AZ (LOW nat.cross-az), and a
    network ACL on one of them that drops the replies (HIGH nacl.blocks-return-traffic)."""
    vpc = b.vpc("10.6.0.0/16", name="v")
    igw = b.igw(vpc, name="igw")
    pub = b.subnet(vpc, "10.6.0.0/24", "b", name="public-b")
    prt = b.route_table(vpc, name="prt")
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub, name="nat")
    rt = b.route_table(vpc, name="rt")
    b.route(rt, "0.0.0.0/0", nat)
    for n, az in ((1, "a"), (2, "b")):
        app = b.subnet(vpc, f"10.6.{n}.0/24", az, name=f"private-app-{az}")
        b.associate(rt, app)
        b.instance(app, [], name=f"app-{az}")
        if az == "b":
            acl = b.nacl(
                vpc,
                name="tight",
                entries=[
                    {
                        "RuleNumber": 100,
                        "Protocol": "6",
                        "RuleAction": "allow",
                        "Egress": e,
                        "CidrBlock": "0.0.0.0/0",
                        "PortRange": {"From": 443, "To": 443},
                    }
                    for e in (True, False)
                ],
            )
            b.nacl_associate(acl, app)
    return b


def test_symptom_view_lists_what_lies_on_the_path_first_by_severity(tmp_path):
    from assistant.sources.files import dump_snapshot

    snap = _egress_with_a_low_and_a_high(Builder(seed="rank")).snapshot()
    path = tmp_path / "snap.json"
    path.write_bytes(dump_snapshot(snap))
    s = Session(snapshot_paths=[str(path)])
    s.start()
    s.send("egress")
    rules = [f.rule for f in s.findings]
    assert "nacl.blocks-return-traffic" in rules and "nat.cross-az" in rules
    assert rules.index("nacl.blocks-return-traffic") < rules.index("nat.cross-az")
    assert not {"nacl.blocks-return-traffic", "sg.no-egress"} & {f.rule for f in s.others}
    ranks = [f.severity.rank for f in s.findings]
    on_path = s._on_path(s.findings)
    split = sum(1 for f in s.findings if f.key in on_path)
    assert all(f.key in on_path for f in s.findings[:split])  # the path's findings first,
    assert ranks[:split] == sorted(ranks[:split], reverse=True)  # each part by severity
    assert ranks[split:] == sorted(ranks[split:], reverse=True)


def _egress_on_path_low_off_path_high(b: Builder) -> Builder:
    """A private subnet with an instance behind a NAT gateway in another AZ (LOW nat.cross-az,
    on the path), and a spare private subnet with no instance whose network ACL drops the
    replies (HIGH nacl.blocks-return-traffic, on no path: nothing runs there)."""
    vpc = b.vpc("10.6.0.0/16", name="v")
    igw = b.igw(vpc, name="igw")
    pub = b.subnet(vpc, "10.6.0.0/24", "b", name="public-b")
    prt = b.route_table(vpc, name="prt")
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub, name="nat")
    rt = b.route_table(vpc, name="rt")
    b.route(rt, "0.0.0.0/0", nat)
    app = b.subnet(vpc, "10.6.1.0/24", "a", name="private-app-a")
    b.associate(rt, app)
    b.instance(app, [], name="app-a")
    spare = b.subnet(vpc, "10.6.2.0/24", "b", name="private-spare-b")
    b.associate(rt, spare)
    entries = [
        {
            "RuleNumber": 100,
            "Protocol": "6",
            "RuleAction": "allow",
            "Egress": e,
            "CidrBlock": "0.0.0.0/0",
            "PortRange": {"From": 443, "To": 443},
        }
        for e in (True, False)
    ]
    b.nacl_associate(b.nacl(vpc, name="tight", entries=entries), spare)
    return b


def _describe_outputs(snap) -> dict[str, list[dict]]:
    """The snapshot as the describe-* outputs a user would paste (one document each)."""
    from assistant.models.snapshot import COLLECTIONS

    docs = {}
    for c in COLLECTIONS:
        v = getattr(snap, c, None)
        if isinstance(v, list) and v:
            items = [x.model_dump(mode="json", exclude_none=True) for x in v]
            docs[c] = [{"Reservations": [{"Instances": items}]} if c == "Instances" else {c: items}]
    return docs


def test_question_mode_ranks_the_symptom_view_path_first_like_the_other_modes(tmp_path):
    from assistant.sources.files import dump_snapshot
    from tests.conversation.test_equivalence import drive

    snap = _egress_on_path_low_off_path_high(Builder(seed="rank-q")).snapshot()
    asked = drive("egress", _describe_outputs(snap))
    rules = [f.rule for f in asked.findings]
    # The LOW finding on the traced path comes before the HIGH one where nothing runs,
    # although the diagnosis (by severity alone) orders them the other way round.
    assert rules.index("nat.cross-az") < rules.index("nacl.blocks-return-traffic"), rules
    sev = {f.rule: f.severity.rank for f in asked.findings}
    assert sev["nat.cross-az"] < sev["nacl.blocks-return-traffic"]
    assert "lie on the path itself" in asked.turns[-1].text
    # The same order as the symptom view of the same configuration read from a file.
    path = tmp_path / "snap.json"
    path.write_bytes(dump_snapshot(snap))
    scanned = Session(snapshot_paths=[str(path)])
    scanned.start()
    scanned.send("egress")
    both = set(rules) & {f.rule for f in scanned.findings}
    assert {"nat.cross-az", "nacl.blocks-return-traffic"} <= both
    assert [r for r in rules if r in both] == [f.rule for f in scanned.findings if f.rule in both]


def _two_private_instances(b: Builder) -> Builder:
    """One instance behind a NAT gateway in a public subnet, one with no route out."""
    vpc = b.vpc("10.7.0.0/16", name="v")
    igw = b.igw(vpc, name="igw")
    pub = b.subnet(vpc, "10.7.0.0/24", "a", name="public-a")
    prt = b.route_table(vpc, name="prt")
    b.route(prt, "0.0.0.0/0", igw)
    b.associate(prt, pub)
    nat = b.nat(pub, name="nat")
    good = b.subnet(vpc, "10.7.1.0/24", "a", name="app-a")
    grt = b.route_table(vpc, name="good-rt")
    b.route(grt, "0.0.0.0/0", nat)
    b.associate(grt, good)
    bad = b.subnet(vpc, "10.7.2.0/24", "a", name="batch-a")
    brt = b.route_table(vpc, name="bad-rt")
    b.associate(brt, bad)
    b.instance(good, [], name="web-1")
    b.instance(bad, [], name="batch-1")
    return b


@pytest.mark.parametrize(("which", "route"), [("batch-1", "none"), ("web-1", "nat")])
def test_a_paste_with_several_instances_asks_which_one(which, route):
    b = _two_private_instances(Builder(seed="several"))
    files = b.cli_files()
    s = questions_session("egress")
    s.send(orjson.dumps(files["route-tables.json"]).decode())
    assert s.step == "question" and "route" not in s.answers  # which table is it?
    turn = s.send(orjson.dumps(files["instances.json"]).decode())[-1]
    assert s.step == "pick" and "which instance" in turn.text
    labels = [c.label for c in turn.choices]
    assert any("web-1" in x for x in labels) and any("batch-1" in x for x in labels)
    n = next(i for i, x in enumerate(labels, 1) if x.startswith(which))
    s.send(str(n))
    assert s.answers["route"] == route and "Question 2" in s.turns[-1].text or s.step == "question"
    s.send("finish")
    expected = {"none": {"egress.no-default-route"}, "nat": set()}[route]
    assert expected <= rules_of(s)
    # Back undoes the pick and what it settled.
    s.send("back")
    s.send("back")
    assert "focus_instance" not in s.answers and "route" not in s.answers


def test_a_paste_that_settles_nothing_says_why_and_skips_no_number():
    files = one_nat_in_private(Builder(seed="why")).cli_files()
    s = questions_session("egress")
    turn = s.send(orjson.dumps(files["vpcs.json"]).decode())[-1]
    assert "this is aws ec2 describe-vpcs" in turn.text
    assert "needs aws ec2 describe-instances" in turn.text or "describe-route-tables" in turn.text
    assert s.question.id == "route"
    turn = s.send(orjson.dumps(files["route-tables.json"]).decode())[-1]
    assert s.answers["route"] == "nat" and "Question 2:" in turn.text  # no number skipped


def test_question_mode_tree_shows_only_what_was_pasted():
    s = questions_session("egress")
    answer(s, "nat", "available", "nat")
    assert s.tree == []  # the scenario built from answers is not the user's VPC
    files = one_nat_in_private(Builder(seed="tree")).cli_files()
    s = questions_session("egress")
    for name in ("subnets.json", "route-tables.json"):
        s.send(orjson.dumps(files[name]).decode())
    answer(s)
    shown = str([n.model_dump() for n in s.tree])
    vpc = files["subnets.json"]["Subnets"][0]["VpcId"]
    assert vpc in shown and "private-app-a" in shown and "YOUR" not in shown


# app-a's instance has no security group, so nothing leaves it: the require breaks and the
# forbid holds, on the same configuration.
@pytest.mark.parametrize("kind, verdict", [("require", "VIOLATED"), ("forbid", "HOLDS")])
def test_intents_follow_the_diagnosis_of_a_snapshot_not_of_answers(tmp_path, kind, verdict):
    from assistant.sources.files import dump_snapshot

    snap = _egress_on_path_low_off_path_high(Builder(seed="intents")).snapshot()
    path = tmp_path / "snap.json"
    path.write_bytes(dump_snapshot(snap))
    intents = tmp_path / "intents.toml"
    intents.write_text(
        f'[[{kind}]]\nfrom = {{ subnet_tag = {{ Name = "private-app-a" }} }}\n'
        'to = "internet"\nport = 443\n'
    )
    s = Session(snapshot_paths=[str(path)], intents_path=str(intents))
    s.start()
    s.send("egress")
    assert [t.kind for t in s.turns[-2:]] == ["diagnosis", "intents"]
    assert f"{verdict}  {kind}" in s.turns[-1].text, s.turns[-1].text
    assert s.step == "results" and s.choices[0].key == "f1"
    s.send("restart")  # the file is kept for the next diagnosis
    s.send("egress")
    assert s.turns[-1].kind == "intents"
    # Question mode builds a scenario from answers: it is not the user's network, so the
    # intents are not checked against it.
    q = Session(intents_path=str(intents))
    q.start()
    q.send("egress")
    q.send("questions")
    answer(q, "none")
    assert all(t.kind != "intents" for t in q.turns)
