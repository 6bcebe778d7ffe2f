"""Answer validation: each question's checks, defaults that follow earlier answers, files."""

from __future__ import annotations

import ipaddress
import json

import pytest

from assistant.topology import intent_of
from assistant.walkthrough import AnswerError, Walkthrough
from assistant.walkthrough.costs import load_prices


def walk(**answers) -> Walkthrough:
    """A walkthrough with these answers given in question order (others not yet asked)."""
    wt = Walkthrough()
    while (q := wt.next_question(include_hidden=True)) is not None and answers:
        wt.answer(q.key, answers.pop(q.key, None))
    return wt


@pytest.mark.parametrize("name", ["app", "public-web", "feedback", "my_vpc", "Shop!", "-x", ""])
def test_names_that_would_confuse_the_tier_words_or_tags_are_refused(name):
    wt = Walkthrough()
    if name == "":
        assert wt.answer("name", name) == "main"  # empty takes the default
        return
    with pytest.raises(AnswerError, match="name"):
        wt.answer("name", name)


def test_a_good_name_is_kept_and_carries_no_tier_word():
    assert Walkthrough().answer("name", "Shop") == "shop"
    assert intent_of("shop") == ""


@pytest.mark.parametrize("region", ["useast1", "us-east", "US EAST 1", "mars-north-1x"])
def test_bad_regions_are_refused(region):
    with pytest.raises(AnswerError, match="region"):
        walk(name="shop").answer("region", region)


def test_region_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert walk(name="shop").default("region") == "eu-west-1"


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("8.8.0.0/16", "not a private range"),
        ("100.64.0.0/16", "not a private range"),
        ("10.0.0.0/12", "larger than AWS allows"),
        ("10.0.0.0/25", "too small"),
        ("10.0.0.1/16", "host bits set; the block starting there is 10.0.0.0/16"),
        ("10.0.0.0", "needs a prefix length"),
        ("banana", "not an IPv4 CIDR"),
        ("fd00::/48", "IPv6"),
    ],
)
def test_vpc_cidr_validation(cidr, why):
    wt = walk(name="shop", region="us-east-1", connected_cidrs=None)
    with pytest.raises(AnswerError, match=why):
        wt.answer("vpc_cidr", cidr)


def test_vpc_cidr_overlapping_a_connected_network_is_refused_with_a_suggestion():
    wt = walk(name="shop", region="us-east-1", connected_cidrs="10.0.0.0/8, 192.168.1.0/24")
    assert wt.answers["connected_cidrs"] == ["10.0.0.0/8", "192.168.1.0/24"]
    with pytest.raises(AnswerError, match=r"overlaps 10\.0\.0\.0/8.*try 172\.16\.0\.0/16"):
        wt.answer("vpc_cidr", "10.1.0.0/16")
    # and the default already avoids them
    assert wt.default("vpc_cidr") == "172.16.0.0/16"
    assert wt.answer("vpc_cidr", None) == "172.16.0.0/16"


def test_connected_networks_must_not_overlap_each_other_and_none_means_empty():
    wt = walk(name="shop", region="us-east-1")
    assert wt.answer("connected_cidrs", "none") == []
    with pytest.raises(AnswerError, match="overlaps"):
        wt.answer("connected_cidrs", "10.0.0.0/8 10.2.0.0/16")


@pytest.mark.parametrize(("value", "ok"), [("1", False), ("4", False), ("two", False), ("3", True)])
def test_az_count_is_two_or_three(value, ok):
    wt = walk(name="shop", region="us-east-1", connected_cidrs=None, vpc_cidr=None)
    if ok:
        assert wt.answer("az_count", value) == 3
    else:
        with pytest.raises(AnswerError, match="az_count"):
            wt.answer("az_count", value)


BASE = dict(name="shop", region="us-east-1", connected_cidrs=None, vpc_cidr=None, az_count=2)


def test_tiers_by_number_by_words_and_app_is_required():
    wt = walk(**BASE, availability_zones=None)
    assert wt.answer("tiers", "2") == ["public", "app", "data"]
    assert wt.answer("tiers", "db, private, public") == ["public", "app", "data"]
    assert wt.answer("tiers", ["app"]) == ["app"]
    with pytest.raises(AnswerError, match="app tier"):
        wt.answer("tiers", "public,data")
    with pytest.raises(AnswerError, match="unknown tier"):
        wt.answer("tiers", "public,app,dmz")


def test_nat_choices_state_monthly_cost_and_what_an_az_outage_does():
    wt = walk(**BASE, availability_zones=None, tiers="public,app", traffic_gb=None)
    choices = {c.value: c for c in wt.choices("nat")}
    p = load_prices()
    single = p.nat_gateway_hour * p.hours_per_month + p.public_ipv4_hour * p.hours_per_month
    single += p.nat_gateway_gb * 100
    assert f"${single:,.2f}/month" in choices["single"].detail
    assert "us-east-1a fails" in choices["single"].detail
    assert f"${2 * single - p.nat_gateway_gb * 100:,.2f}/month" in choices["per_az"].detail
    assert "only affects that AZ" in choices["per_az"].detail
    assert "$0/month" in choices["none"].detail
    assert wt.answer("nat", "3") == "per_az"
    assert wt.answer("nat", "shared") == "single"
    with pytest.raises(AnswerError, match="not one of the choices"):
        wt.answer("nat", "two")


def test_without_public_subnets_nat_alb_and_ipv6_are_not_asked():
    wt = walk(**BASE, availability_zones=None, tiers="app,data")
    asked = [q.key for q in wt.questions]
    assert "nat" not in asked and "internet_facing_app" not in asked and "ipv6" not in asked
    with pytest.raises(AnswerError, match="does not apply"):
        wt.answer("nat", "single")
    with pytest.raises(AnswerError, match="NAT gateway sits in a public subnet"):
        Walkthrough.from_answers({"tiers": ["app"], "nat": "single"})
    with pytest.raises(AnswerError, match="ipv6: does not apply because the tiers have no public"):
        Walkthrough.from_answers({"tiers": ["app"], "ipv6": True})
    same = Walkthrough.from_answers({"tiers": ["app"], "nat": "none", "ipv6": False})
    assert "nat" not in same.answers and "ipv6" not in same.answers


def test_load_balancer_needs_room_and_a_certificate_from_its_region():
    with pytest.raises(AnswerError, match="needs /27 or larger"):
        Walkthrough.from_answers(
            {"vpc_cidr": "10.0.0.0/24", "az_count": 3, "internet_facing_app": True}
        )
    ok = Walkthrough.from_answers(
        {"vpc_cidr": "10.0.0.0/24", "az_count": 3, "internet_facing_app": False}
    )
    assert ok.answers["vpc_cidr"] == "10.0.0.0/24"
    with pytest.raises(AnswerError, match="its own region"):
        Walkthrough.from_answers(
            {"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"}
        )
    with pytest.raises(AnswerError, match="ACM certificate ARN"):
        Walkthrough.from_answers({"certificate_arn": "my-cert"})
    assert Walkthrough.from_answers({"certificate_arn": "later"}).answers["certificate_arn"] == ""


def test_ports_and_booleans():
    with pytest.raises(AnswerError, match="app_port"):
        Walkthrough.from_answers({"app_port": 70000})
    with pytest.raises(AnswerError, match="yes or no"):
        Walkthrough.from_answers({"s3_endpoint": "maybe"})
    wt = Walkthrough.from_answers(
        {"s3_endpoint": "n", "tiers": "public,app,data", "db_port": "3306"}
    )
    assert wt.answers["s3_endpoint"] is False and wt.answers["db_port"] == 3306


def test_answering_an_earlier_question_again_drops_the_later_answers():
    wt = walk(**BASE, availability_zones=None, tiers="public,app", traffic_gb=None, nat="per_az")
    assert wt.answers["nat"] == "per_az"
    wt.answer("tiers", "app")
    assert "nat" not in wt.answers
    assert wt.next_question().key == "s3_endpoint"


def test_prompt_has_the_question_why_choices_and_default():
    wt = walk(**BASE, availability_zones=None, tiers="public,app", traffic_gb=None)
    text = wt.prompt(wt.next_question())
    assert text.startswith("How private subnets reach the internet")
    assert "Why: " in text and "[3] one NAT gateway per AZ" in text
    assert text.rstrip().endswith("[2: one shared NAT gateway] >")


def test_answers_file_unknown_key_format_and_version():
    with pytest.raises(AnswerError, match="unknown key 'nat_strategy'"):
        Walkthrough.from_answers({"nat_strategy": "single"})
    with pytest.raises(AnswerError, match="'format'"):
        Walkthrough.from_answers({"format": "something-else"})
    with pytest.raises(AnswerError, match="newer"):
        Walkthrough.from_answers({"version": 99})
    with pytest.raises(AnswerError, match="JSON object"):
        Walkthrough.from_answers(["name"])  # type: ignore[arg-type]


def test_answers_document_round_trips():
    wt = Walkthrough.from_answers(
        {"name": "billing", "az_count": 3, "tiers": ["public", "app", "data"], "nat": "per_az"}
    )
    again = Walkthrough.from_answers(json.loads(wt.answers_json()))
    assert again.answers == wt.answers
    assert again.answers["availability_zones"] is None
    assert wt.answers_document()["format"] == "vpc-helper-walkthrough"


def test_availability_zone_override_must_match_region_and_count():
    wt = Walkthrough.from_answers(
        {"region": "us-west-1", "availability_zones": ["us-west-1b", "us-west-1c"]}
    )
    assert wt.plan().azs == ["us-west-1b", "us-west-1c"]
    with pytest.raises(AnswerError, match="not an AZ of us-west-1"):
        Walkthrough.from_answers({"region": "us-west-1", "availability_zones": ["us-east-1a"]})
    with pytest.raises(AnswerError, match="give 2 different AZs"):
        Walkthrough.from_answers({"availability_zones": ["us-east-1a"]})


def test_a_chat_can_drive_the_conversation_one_question_at_a_time():
    from assistant.walkthrough.render import render_plan

    replies = {"name": "web", "az_count": "3", "tiers": "2", "nat": "3", "ipv6": "yes"}
    wt, seen = Walkthrough(), []
    while (q := wt.next_question()) is not None:
        seen.append(q.key)
        assert q.why.endswith(".") and wt.prompt(q)
        wt.answer(q.key, replies.get(q.key))  # None: the default, as Enter does
    assert wt.done and "availability_zones" not in seen and "traffic_gb" not in seen
    plan = wt.plan()
    assert len(plan.nats) == 3 and plan.ipv6 and len(plan.subnets) == 9
    assert render_plan(plan, "sh").startswith("#!/usr/bin/env bash")
    assert 'resource "aws_egress_only_internet_gateway"' in render_plan(plan, "terraform")
    with pytest.raises(ValueError, match="unknown plan format"):
        render_plan(plan, "yaml")


VPC_SIZES = [f"10.0.0.0/{n}" for n in range(16, 25)]


@pytest.mark.parametrize("cidr", VPC_SIZES)
@pytest.mark.parametrize("azs", [2, 3])
@pytest.mark.parametrize("tiers", ["1", "2", "3", "4"])
def test_enter_for_every_default_works_for_every_vpc_size(cidr, azs, tiers):
    """Taking the default of every question after the VPC block, AZ count and tiers never
    gives an answer the next check refuses, and every planned subnet is one AWS accepts."""
    wt = Walkthrough()
    given = {"vpc_cidr": cidr, "az_count": str(azs), "tiers": tiers}
    while (q := wt.next_question(include_hidden=True)) is not None:
        wt.answer(q.key, given.get(q.key))  # None: Enter, the default
    plan = wt.plan()
    assert all(ipaddress.ip_network(s.cidr).prefixlen <= 28 for s in plan.subnets)
    if plan.alb is not None:
        for key in plan.alb.subnets:
            assert ipaddress.ip_network(plan.subnet(key).cidr).prefixlen <= 27


def test_a_24_vpc_with_two_azs_keeps_the_load_balancer_with_27_subnets():
    wt = Walkthrough.from_answers({"vpc_cidr": "10.0.0.0/24"})
    assert wt.answers["internet_facing_app"] is True
    plan = wt.plan()
    assert plan.alb is not None
    assert {ipaddress.ip_network(s.cidr).prefixlen for s in plan.subnets} == {27}
    # three AZs do not fit a load balancer: its default is then no, and saying yes says why
    wt = Walkthrough.from_answers({"vpc_cidr": "10.0.0.0/24", "az_count": 3})
    assert wt.answers["internet_facing_app"] is False
    with pytest.raises(AnswerError, match=r"/28 subnets .* use 2 AZs"):
        Walkthrough.from_answers(
            {"vpc_cidr": "10.0.0.0/24", "az_count": 3, "internet_facing_app": "yes"}
        )


def test_defaults_are_shown_in_words_never_as_python_values():
    wt = Walkthrough()
    seen = {}
    while (q := wt.next_question(include_hidden=True)) is not None:
        seen[q.key] = wt.default_words(q.key)
        assert wt.default_words(q.key) in wt.prompt(q) or not q.asked
        wt.answer(q.key, None)
    assert seen["connected_cidrs"] == "none"
    assert seen["s3_endpoint"] == "Yes" and seen["ipv6"] == "No"
    assert seen["internet_facing_app"] == "Yes"
    assert seen["tiers"] == "public + private app" and seen["nat"] == "one shared NAT gateway"
    assert seen["certificate_arn"] == "placeholder"
    for text in seen.values():
        assert text and not any(bad in text for bad in ("True", "False", "[", "(", "None"))
    assert wt.words("connected_cidrs", ["10.1.0.0/16"]) == "10.1.0.0/16"


def test_back_forgets_the_last_answer_and_asks_that_question_again():
    wt = Walkthrough()
    assert wt.back() is None
    wt.answer("name", "shop")
    wt.answer("region", "eu-west-1")
    q = wt.next_question()
    assert q.key == "connected_cidrs"
    assert wt.back().key == "region"
    assert wt.answers == {"name": "shop"} and wt.next_question().key == "region"
    assert wt.back().key == "name" and wt.answers == {}
    # going back over a question that changed what applies asks in the new order
    wt = Walkthrough.from_answers({"tiers": ["app"]})
    while wt.back() is not None and "tiers" in wt.answers:
        pass
    assert wt.next_question().key == "tiers"
    wt.answer("tiers", "1")
    assert wt.next_question().key == "nat"
