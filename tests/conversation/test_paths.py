"""Path questions in the chat: the parser, and the Session answering with the path trace."""

from __future__ import annotations

import orjson
import pytest

from assistant.conversation.paths import (
    INTERNET,
    PathQuestion,
    close_matches,
    parse_path_question,
)
from assistant.conversation.session import Session
from assistant.conversation.transcript import load, replay, save, to_markdown
from assistant.sources.demo import demo_snapshot

B1 = "i-0ef185b1397a02bbb"  # shop-app-b1 in the demo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can i-0abc reach the internet?", PathQuestion("i-0abc", INTERNET, None)),
        ("Can shop-app-b1 reach the internet on 443", PathQuestion("shop-app-b1", INTERNET, 443)),
        ("is i-0abc reachable from the internet on port 22", PathQuestion(INTERNET, "i-0abc", 22)),
        ("can users reach shop-alb", PathQuestion(INTERNET, "shop-alb", None)),
        ("can i-0abc reach i-0def on 5432", PathQuestion("i-0abc", "i-0def", 5432)),
        ("can i-0abc talk to 10.0.1.5", PathQuestion("i-0abc", "10.0.1.5", None)),
        ("can i-0abc reach 10.0.1.5:5432?", PathQuestion("i-0abc", "10.0.1.5", 5432)),
        (
            "can shop-admin be reached from anyone over ssh",
            PathQuestion(INTERNET, "shop-admin", 22),
        ),
        ("does i-1 reach i-2 on udp/53", PathQuestion("i-1", "i-2", 53, "udp")),
        ("can i-1 reach i-2 123/udp", PathQuestion("i-1", "i-2", 123, "udp")),
        ("trace shop-admin to internet", PathQuestion("shop-admin", INTERNET, None)),
        (
            "can my shop-app-a1 instance reach the load balancer shop-alb",
            PathQuestion("shop-app-a1", "shop-alb", None),
        ),
    ],
)
def test_parser_reads_plain_questions(text, expected):
    assert parse_path_question(text) == expected


@pytest.mark.parametrize("text", ["hello", "why is it broken?", "1", "", "nat.in-private-subnet"])
def test_parser_leaves_other_text_alone(text):
    assert parse_path_question(text) is None


def test_close_matches_for_a_slip_and_a_prefix():
    snap = demo_snapshot()
    assert close_matches("shop-ap-b1", snap)[0] == "shop-app-b1"
    assert B1 in close_matches("i-0ef185", snap)
    assert "shop-alb" not in close_matches("shop-alb", snap, lbs=False)


def demo_results(symptom: str = "egress") -> Session:
    s = Session(demo=True)
    s.start()
    s.send(symptom)
    assert s.step == "results"
    return s


def test_typed_question_on_the_demo_shows_the_blocked_hop_and_the_fix():
    s = demo_results()
    [turn] = s.send("can shop-app-b1 reach the internet?")
    t = turn.trace
    assert turn.kind == "trace" and t is not None
    assert t.source.id == B1 and t.destination.kind == "internet" and t.port == 443
    assert t.verdict == "not reachable"
    blocked = t.blocked[0]
    assert blocked.step == "NAT gateway's route table" and blocked.where.startswith("rtb-")
    assert "0.0.0.0/0 -> nat-" in blocked.detail  # the deciding configuration line
    assert [f.rule for f in t.fixes] == ["nat.in-private-subnet"]
    assert t.fixes[0].fix  # with its fix steps
    assert "I assumed port 443" in turn.text and "No: it is blocked" in turn.text
    assert s.step == "results" and any(c.key == "trace" for c in s.choices)


def test_given_port_is_used_and_lb_default_is_said():
    s = demo_results("ingress")
    [turn] = s.send("can users reach shop-alb")
    assert turn.trace is not None and turn.trace.port == 443
    assert "I assumed port 443" in turn.text
    [turn] = s.send("is shop-admin reachable from the internet on port 22")
    assert turn.trace is not None and turn.trace.port == 22
    assert "assumed" not in turn.text


def test_instance_to_instance_without_port_asks_for_it():
    s = demo_results()
    [turn] = s.send("can shop-app-a1 reach shop-app-b1")
    assert s.step == "trace_port" and not s.digits_pick
    assert "On which port" in turn.text
    [turn] = s.send("5432")
    assert turn.trace is not None and turn.trace.port == 5432
    assert turn.trace.verdict == "not reachable"  # the app group does not admit 5432


def test_unknown_endpoint_lists_close_matches_as_corrected_questions():
    s = demo_results()
    [turn] = s.send("can shop-ap-b1 reach the internet")
    assert turn.kind == "error" and turn.trace is None
    assert "shop-ap-b1" in turn.text and "shop-app-b1" in turn.text
    first = s.choices[0]
    assert first.key == "can shop-app-b1 reach the internet?"
    [turn] = s.send(first.key)
    assert turn.trace is not None and turn.trace.source.id == B1


def test_trace_a_path_step_by_step():
    s = demo_results()
    [turn] = s.send("trace")
    assert s.step == "trace_from"
    keys = [c.key for c in turn.choices]
    assert keys[0] == "internet" and B1 in keys and "cancel" in keys
    assert any("shop-app-b1" in c.label for c in turn.choices)
    [turn] = s.send("internet")
    assert s.step == "trace_to"
    assert "shop-alb" in [c.key for c in turn.choices]
    assert "internet" not in [c.key for c in turn.choices]
    [turn] = s.send("nothing-like-this")
    assert turn.kind == "error" and s.step == "trace_to"
    [turn] = s.send("shop-alb")
    assert s.step == "trace_port"
    assert [c.key for c in turn.choices][:2] == ["80", "443"]  # the listeners first
    [turn] = s.send("80")
    assert turn.trace is not None and turn.trace.port == 80
    assert turn.trace.destination.kind == "load-balancer" and s.step == "results"


def test_trace_can_be_cancelled():
    s = demo_results()
    s.send("trace")
    s.send("cancel")
    assert s.step == "results" and any(c.key == "f1" for c in s.choices)


def test_egress_offers_paths_of_private_instances():
    s = demo_results()
    paths = [c for c in s.choices if c.key.startswith("path:")]
    assert 1 <= len(paths) <= 3
    assert f"path:{B1}" in [c.key for c in paths]
    # none of the offered instances has a public address
    snap = s.snapshot
    assert snap is not None
    pub = {i.InstanceId for i in snap.Instances if i.public_ips}
    assert not pub & {c.key[5:] for c in paths}
    [turn] = s.send(f"path:{B1}")
    assert turn.trace is not None and turn.trace.blocked


def test_other_symptoms_offer_no_egress_paths_but_can_trace():
    s = demo_results("exposure")
    assert not [c for c in s.choices if c.key.startswith("path:")]
    assert any(c.key == "trace" for c in s.choices)


def question_session(*answers: str) -> Session:
    s = Session()
    s.start()
    s.send("egress")
    s.send("questions")
    for a in answers:
        s.send(a)
    if s.step == "question":
        s.send("finish")  # stop the questions: the rest is listed as not ruled out
    return s


def test_question_mode_traces_the_scenario_built_from_answers():
    s = question_session("nat", "available", "nat")
    assert s.step == "results"
    assert "path:answers" in [c.key for c in s.choices]
    assert "trace" not in [c.key for c in s.choices]  # no real instances to pick from
    [turn] = s.send("path:answers")
    t = turn.trace
    assert t is not None and t.verdict == "not reachable"
    assert t.blocked[0].step == "NAT gateway's route table"
    assert t.unknown  # its groups and ACLs were never asked: said as unknown
    assert [f.rule for f in t.fixes] == ["nat.in-private-subnet"]


def test_question_mode_without_a_route_offers_no_path():
    s = question_session("unknown")
    while s.step == "question":
        s.send("unknown")
    assert "path:answers" not in [c.key for c in s.choices]


def test_transcript_records_and_replays_traces(tmp_path):
    s = demo_results()
    s.send("can shop-app-b1 reach the internet?")
    md, js = save(s, tmp_path / "t.json")
    assert "✗ NAT gateway's route table" in md.read_text()
    data = load(js)
    assert data["traces"][0]["from"] == B1 and data["traces"][0]["verdict"] == "not reachable"
    assert replay(data)["matches"]
    data["traces"][0]["verdict"] = "reachable"  # as if an older version had said so
    js.write_bytes(orjson.dumps(data))
    result = replay(load(js))
    assert not result["matches"] and "was reachable" in result["traces"][0]
    assert "Trace tcp/443" in to_markdown(s)


def test_question_mode_trace_shows_no_made_up_address():
    s = question_session("nat", "available", "nat")
    [turn] = s.send("path:answers")
    assert turn.trace is not None
    nat_hop = next(h for h in turn.trace.hops if h.step == "NAT gateway")
    assert "a public IP" in nat_hop.detail
    assert turn.trace.source.label == "an address in your instance's subnet"
    assert "10.0.1.10" not in turn.text


def test_ingress_question_mode_traces_the_internet_to_the_load_balancer():
    s = Session()
    s.start()
    s.send("ingress")
    s.send("questions")
    for a in ("lb", "internet-facing", "some", "yes", "finish"):
        s.send(a)
    assert s.step == "results"
    offered = {c.key: c.label for c in s.choices}
    assert "load balancer" in offered["path:answers"]
    [turn] = s.send("path:answers")
    t = turn.trace
    assert t is not None and t.source.kind == "internet" and t.destination.kind == "load-balancer"
    assert t.verdict != "reachable" and t.unknown  # listeners, groups, ACLs were not asked
    assert "I assumed port 443" in turn.text


def test_ingress_question_mode_to_an_instance_hides_its_made_up_address():
    s = Session()
    s.start()
    s.send("ingress")
    s.send("questions")
    while s.step == "question":
        q = s.question
        assert q is not None
        key = {"entry": "instance", "inst_route": "igw", "igw_attached": "yes"}.get(q.id)
        s.send(key or ("yes" if any(c.key == "yes" for c in s.choices) else "unknown"))
    [turn] = s.send("path:answers")
    t = turn.trace
    assert t is not None and t.destination.kind == "instance"
    snap = s.snapshot
    assert snap is not None
    made_up = {ip for i in snap.Instances for ip in i.public_ips}
    assert made_up and not any(ip in h.detail for h in t.hops for ip in made_up)


def test_typed_path_question_in_question_mode_says_what_it_can_do():
    s = question_session("nat", "available", "nat")
    [turn] = s.send("can i-0abc reach the internet?")
    assert turn.trace is None and "only in a VPC I have read" in turn.text
    assert "path:answers" in [c.key for c in s.choices]
