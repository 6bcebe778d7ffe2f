"""The walkthrough's questions: each with a default, one sentence of why, and a validator.

A validator takes what the user typed (a string) or what an answers file holds (JSON value)
and the answers given so far, and returns the normalised value or raises AnswerError. Later
questions see earlier answers, so the overlap and size checks can name the conflict.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import UserError
from assistant.topology import intent_of
from assistant.walkthrough.costs import load_prices, money, nat_monthly

Answers = dict[str, Any]

RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
TIERS = ("public", "app", "data")
NAT_CHOICES = ("none", "single", "per_az")
# A plan splits the VPC into 16 equal blocks: a quarter per tier, one block per AZ (and one
# spare for a later AZ). When that leaves a two-AZ plan's subnets too small for a load
# balancer (a VPC smaller than /23), each quarter is halved instead: one block per AZ.
SPLIT_BITS = 4
ALB_MIN_PREFIX = 27  # an ALB subnet needs at least a /27
AWS_MIN_PREFIX = 28
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$|^[a-z]$")
_CERT = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
_YES = {"y", "yes", "true", "1", "on"}
_NO = {"n", "no", "false", "0", "off"}


class AnswerError(UserError):
    """An answer that cannot be used; the message says why and what would work."""


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: the stored value, a label and what it means."""

    value: Any
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Question:
    """One question of the walkthrough."""

    key: str
    text: str
    why: str
    kind: str  # text, cidr, cidrs, int, bool, choice
    default: Callable[[Answers], Any]
    validate: Callable[[Any, Answers], Any]
    applies: Callable[[Answers], bool] = field(default=lambda a: True)
    choices: Callable[[Answers], list[Choice]] | None = None
    asked: bool = True  # False: only settable in an answers file
    skipped_when: str = ""  # why the question may not apply, for answers files


# -- helpers --------------------------------------------------------------------------------


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise AnswerError(f"{key}: answer yes or no (got {value!r})")


def _int(value: Any, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise AnswerError(f"{key}: expected a number from {lo} to {hi}, got {value!r}")
    try:
        n = int(str(value).strip())
    except ValueError:
        raise AnswerError(f"{key}: expected a number from {lo} to {hi}, got {value!r}") from None
    if not lo <= n <= hi:
        raise AnswerError(f"{key}: {n} is out of range; use a number from {lo} to {hi}")
    return n


def _network(value: Any, key: str) -> ipaddress.IPv4Network:
    s = str(value).strip()
    try:
        net = ipaddress.ip_network(s, strict=False)
    except ValueError:
        raise AnswerError(f"{key}: {s!r} is not an IPv4 CIDR block like 10.0.0.0/16") from None
    if net.version != 4:
        raise AnswerError(f"{key}: {s} is IPv6; give the IPv4 range (IPv6 is a later question)")
    if str(net) != s and "/" in s:
        raise AnswerError(f"{key}: {s} has host bits set; the block starting there is {net}")
    if "/" not in s:
        raise AnswerError(f"{key}: {s!r} needs a prefix length, like {s}/16")
    return net  # type: ignore[return-value]


def _choose(value: Any, key: str, choices: list[Choice], aliases: dict[str, Any]) -> Any:
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    s = str(value).strip().lower()
    if s.isdigit() and 1 <= int(s) <= len(choices):
        return choices[int(s) - 1].value
    if s in aliases:
        return aliases[s]
    for c in choices:
        if s == str(c.value).lower():
            return c.value
    opts = ", ".join(f"{i} ({c.value})" for i, c in enumerate(choices, 1))
    raise AnswerError(f"{key}: {value!r} is not one of the choices: {opts}")


def split_bits(vpc_cidr: str, az_count: int = 3) -> int:
    """How many bits the plan adds to the VPC's prefix for its subnets (3 or 4)."""
    vpc = ipaddress.ip_network(vpc_cidr).prefixlen
    if az_count <= 2 and vpc + SPLIT_BITS > ALB_MIN_PREFIX:
        return SPLIT_BITS - 1
    return SPLIT_BITS


def words(q: Question, value: Any, choices: list[Choice] | None = None) -> str:
    """An answer as a person reads it: "Yes", "No", "none", a choice's label, "placeholder".

    The terminal prompt and the chat show defaults and answers with it, never ``True`` or
    ``[]``.
    """
    for c in choices or []:
        if c.value == value:
            return c.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "none"
    if value is None or value == "":
        if q.key == "certificate_arn":
            return "placeholder"
        if q.key == "availability_zones":
            return "the region's a, b, c"
        return "none"
    return str(value)


def subnet_prefix(vpc_cidr: str, az_count: int = 3) -> int:
    """The prefix length of every planned subnet for a VPC block and number of AZs."""
    return ipaddress.ip_network(vpc_cidr).prefixlen + split_bits(vpc_cidr, az_count)


def alb_fits(a: Answers) -> bool:
    """Whether the planned public subnets are large enough for a load balancer (/27)."""
    return subnet_prefix(a["vpc_cidr"], a.get("az_count", 2)) <= ALB_MIN_PREFIX


def usable(prefix: int) -> int:
    """Addresses left in a subnet after the five AWS reserves."""
    return 2 ** (32 - prefix) - 5


def default_azs(region: str, count: int) -> list[str]:
    return [f"{region}{c}" for c in "abc"[:count]]


def _env_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


# -- validators -----------------------------------------------------------------------------


def v_name(value: Any, a: Answers) -> str:
    s = str(value).strip().lower()
    if not _NAME.match(s):
        raise AnswerError(
            "name: use 1-20 lowercase letters, digits and dashes, starting with a letter "
            f"(got {value!r})"
        )
    if intent_of(s):
        raise AnswerError(
            f"name: {s!r} contains a word that reads as a subnet tier ({intent_of(s)}); "
            "names like shop, billing or web-prod keep the tiers in the subnet names clear"
        )
    return s


def v_region(value: Any, a: Answers) -> str:
    s = str(value).strip().lower()
    if not _REGION.match(s):
        raise AnswerError(f"region: {value!r} is not an AWS region name like us-east-1")
    return s


def v_connected(value: Any, a: Answers) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value).strip())
    out: list[str] = []
    for item in items:
        s = str(item).strip()
        if not s or s.lower() in ("none", "no", "-"):
            continue
        net = _network(s, "connected_cidrs")
        for prev in out:
            if net.overlaps(ipaddress.ip_network(prev)):
                raise AnswerError(f"connected_cidrs: {net} overlaps {prev}, listed before it")
        out.append(str(net))
    return out


def v_vpc_cidr(value: Any, a: Answers) -> str:
    net = _network(value, "vpc_cidr")
    if not any(net.subnet_of(r) for r in RFC1918):
        raise AnswerError(
            f"vpc_cidr: {net} is not a private range; use a block inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)"
        )
    if net.prefixlen < 16:
        raise AnswerError(f"vpc_cidr: {net} is larger than AWS allows; use /16 to /24")
    if net.prefixlen > 24:
        raise AnswerError(
            f"vpc_cidr: {net} is too small to split into subnets for 2-3 AZs; use /16 to /24"
        )
    for other in a.get("connected_cidrs", []):
        if net.overlaps(ipaddress.ip_network(other)):
            raise AnswerError(
                f"vpc_cidr: {net} overlaps {other}, a network this VPC will connect to; "
                f"routing between overlapping ranges does not work (try {suggest_cidr(a)})"
            )
    return str(net)


def suggest_cidr(a: Answers) -> str:
    """The first common /16 that overlaps none of the connected networks."""
    others = [ipaddress.ip_network(c) for c in a.get("connected_cidrs", [])]
    candidates = [f"10.{i}.0.0/16" for i in range(0, 256, 1)]
    candidates += [f"172.{i}.0.0/16" for i in range(16, 32) if i != 17]
    candidates += ["192.168.0.0/16"]
    for c in candidates:
        net = ipaddress.ip_network(c)
        if not any(net.overlaps(o) for o in others):
            return c
    return "10.0.0.0/16"


def v_az_count(value: Any, a: Answers) -> int:
    return _int(value, "az_count", 2, 3)


def v_azs(value: Any, a: Answers) -> list[str] | None:
    if value in (None, "", []):
        return None
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value).strip())
    azs = [str(x).strip() for x in items if str(x).strip()]
    region = a.get("region", "")
    for az in azs:
        if not (az.startswith(region) and re.fullmatch(r"[a-z]", az[len(region) :] or "")):
            raise AnswerError(
                f"availability_zones: {az!r} is not an AZ of {region} (like {region}a)"
            )
    if len(set(azs)) != len(azs) or len(azs) != a.get("az_count", len(azs)):
        raise AnswerError(
            f"availability_zones: give {a.get('az_count')} different AZs, one per az_count"
        )
    return azs


def _tier_choices(a: Answers) -> list[Choice]:
    return [
        Choice(
            ["public", "app"],
            "public + private app",
            "load balancers and NAT in public subnets, app servers in private subnets",
        ),
        Choice(
            ["public", "app", "data"],
            "public + private app + isolated data",
            "adds data subnets with no internet route, for databases and caches",
        ),
        Choice(
            ["app"],
            "isolated only",
            "app subnets with no internet route at all, reached "
            "over VPN, peering or Transit Gateway",
        ),
        Choice(["app", "data"], "isolated app + isolated data", "as above, with data subnets"),
    ]


_TIER_ALIASES = {"private": "app", "private-app": "app", "db": "data", "database": "data"}


def v_tiers(value: Any, a: Answers) -> list[str]:
    if isinstance(value, str) and value.strip().isdigit():
        return list(_choose(value, "tiers", _tier_choices(a), {}))
    items = value if isinstance(value, list) else re.split(r"[,+\s]+", str(value).strip())
    tiers = []
    for t in items:
        t = _TIER_ALIASES.get(str(t).strip().lower(), str(t).strip().lower())
        if not t:
            continue
        if t not in TIERS:
            raise AnswerError(f"tiers: unknown tier {t!r}; use public, app and data")
        if t not in tiers:
            tiers.append(t)
    if "app" not in tiers:
        raise AnswerError("tiers: the app tier is where the servers live; it cannot be left out")
    tiers = [t for t in TIERS if t in tiers]
    return tiers


def _nat_choices(a: Answers) -> list[Choice]:
    p = load_prices()
    n = a.get("az_count", 2)
    gb = a.get("traffic_gb", 100)
    single = nat_monthly(1, gb, p)
    per = nat_monthly(n, gb, p)
    first = (a.get("availability_zones") or default_azs(a.get("region", "us-east-1"), n))[0]
    return [
        Choice(
            "none",
            "none",
            "$0/month; app subnets get no internet route (isolated): no "
            "apt or docker pull; an AZ outage affects only that AZ",
        ),
        Choice(
            "single",
            "one shared NAT gateway",
            f"about {money(single)}/month at {gb} GB; if {first} fails, private subnets in "
            "every AZ lose internet access; other AZs pay $0.01/GB each way to reach it",
        ),
        Choice(
            "per_az",
            "one NAT gateway per AZ",
            f"about {money(per)}/month at {gb} GB ({n} gateways); an AZ outage only "
            "affects that AZ",
        ),
    ]


_NAT_ALIASES = {
    "shared": "single",
    "one": "single",
    "per-az": "per_az",
    "peraz": "per_az",
    "0": "none",
    "no": "none",
}


def v_nat(value: Any, a: Answers) -> str:
    nat = _choose(value, "nat", _nat_choices(a), _NAT_ALIASES)
    if nat != "none" and "public" not in a.get("tiers", []):
        raise AnswerError(
            "nat: a NAT gateway sits in a public subnet and the tiers have none; "
            "choose none, or go back and add the public tier"
        )
    return nat


def v_alb(value: Any, a: Answers) -> bool:
    yes = _bool(value, "internet_facing_app")
    if yes and "public" not in a.get("tiers", []):
        raise AnswerError(
            "internet_facing_app: an internet-facing load balancer needs public subnets, "
            "and the tiers have none"
        )
    if yes and not alb_fits(a):
        prefix = subnet_prefix(a["vpc_cidr"], a.get("az_count", 2))
        raise AnswerError(
            f"internet_facing_app: {a['vpc_cidr']} with {a.get('az_count', 2)} AZs gives "
            f"/{prefix} subnets and a load balancer needs /{ALB_MIN_PREFIX} or larger; use "
            "2 AZs, or a /23 VPC or larger"
        )
    return yes


def v_port(key: str) -> Callable[[Any, Answers], int]:
    def check(value: Any, a: Answers) -> int:
        return _int(value, key, 1, 65535)

    return check


def v_cert(value: Any, a: Answers) -> str:
    s = "" if value is None else str(value).strip()
    if s.lower() in ("", "none", "placeholder", "later", "-"):
        return ""
    m = _CERT.match(s)
    if not m:
        raise AnswerError(
            "certificate_arn: expected an ACM certificate ARN like "
            "arn:aws:acm:us-east-1:123456789012:certificate/..., or leave it empty for a "
            "placeholder"
        )
    if m.group(1) != a.get("region"):
        raise AnswerError(
            f"certificate_arn: the certificate is in {m.group(1)}, but a load balancer can only "
            f"use a certificate from its own region ({a.get('region')})"
        )
    return s


def v_bool(key: str) -> Callable[[Any, Answers], bool]:
    def check(value: Any, a: Answers) -> bool:
        return _bool(value, key)

    return check


def v_traffic(value: Any, a: Answers) -> int:
    return _int(value, "traffic_gb", 0, 10_000_000)


def _public(a: Answers) -> bool:
    return "public" in a.get("tiers", [])


QUESTIONS: list[Question] = [
    Question(
        "name",
        "A short name for this network (it starts every Name tag)",
        "Name tags are how you, the console and vpc-helper tell the pieces apart.",
        "text",
        lambda a: "main",
        v_name,
    ),
    Question(
        "region",
        "AWS region",
        "Put the VPC in the region closest to your users; everything in it stays there.",
        "text",
        lambda a: _env_region(),
        v_region,
    ),
    Question(
        "connected_cidrs",
        "Networks this VPC will connect to (office VPN, on-premises, other VPCs): CIDR blocks, "
        "comma-separated, or none",
        "Peering and VPN routes cannot work between overlapping ranges, so the VPC's block "
        "must avoid them.",
        "cidrs",
        lambda a: [],
        v_connected,
    ),
    Question(
        "vpc_cidr",
        "The VPC's IPv4 block",
        "A private /16 leaves room for every subnet you will ever need; it cannot be "
        "changed later, only added to.",
        "cidr",
        suggest_cidr,
        v_vpc_cidr,
    ),
    Question(
        "az_count",
        "How many availability zones (2 or 3)",
        "Two AZs keep the app up when one AZ fails; three keep two thirds of capacity "
        "through a failure.",
        "int",
        lambda a: 2,
        v_az_count,
    ),
    Question(
        "availability_zones",
        "Availability zone names (only when region+a, b, c are not right for your account)",
        "Some accounts lack an AZ letter in a region.",
        "text",
        lambda a: None,
        v_azs,
        asked=False,
    ),
    Question(
        "tiers",
        "Which subnet tiers",
        "Public subnets hold what the internet must reach, private app subnets your servers, "
        "isolated data subnets what nothing outside the VPC should reach.",
        "choice",
        lambda a: ["public", "app"],
        v_tiers,
        choices=_tier_choices,
    ),
    Question(
        "traffic_gb",
        "Expected GB a month from private subnets to the internet (for the cost estimate)",
        "NAT gateways charge per GB processed.",
        "int",
        lambda a: 100,
        v_traffic,
        asked=False,
    ),
    Question(
        "nat",
        "How private subnets reach the internet (NAT gateways)",
        "Servers in private subnets need a NAT gateway for updates and outside APIs; one "
        "per AZ survives an AZ failure, one shared costs less.",
        "choice",
        lambda a: "single" if _public(a) else "none",
        v_nat,
        applies=_public,
        skipped_when="the tiers have no public subnets",
        choices=_nat_choices,
    ),
    Question(
        "internet_facing_app",
        "Will users reach an app from the internet (an Application Load Balancer in the public "
        "subnets)",
        "The load balancer is the only thing in public subnets that users reach; the app "
        "servers stay private behind it.",
        "bool",
        lambda a: _public(a) and alb_fits(a),
        v_alb,
        applies=_public,
        skipped_when="the tiers have no public subnets",
    ),
    Question(
        "app_port",
        "The port your app servers listen on",
        "The load balancer forwards to it, and the app's security group allows it from the "
        "load balancer only.",
        "int",
        lambda a: 8080,
        v_port("app_port"),
        applies=lambda a: bool(a.get("internet_facing_app")),
        skipped_when="there is no internet-facing app",
    ),
    Question(
        "certificate_arn",
        "ACM certificate ARN for HTTPS (empty: a placeholder the plan flags)",
        "HTTPS needs a certificate from ACM in the same region; HTTP on port 80 only "
        "redirects to HTTPS.",
        "text",
        lambda a: "",
        v_cert,
        applies=lambda a: bool(a.get("internet_facing_app")),
        skipped_when="there is no internet-facing app",
    ),
    Question(
        "db_port",
        "The port of the database in the data tier",
        "The data tier's security group allows this port from the app servers only.",
        "int",
        lambda a: 5432,
        v_port("db_port"),
        applies=lambda a: "data" in a.get("tiers", []),
        skipped_when="there is no data tier",
    ),
    Question(
        "s3_endpoint",
        "Add an S3 gateway endpoint",
        "It is free and sends S3 traffic (packages, backups, logs) around the NAT gateway, "
        "saving its per-GB charge.",
        "bool",
        lambda a: True,
        v_bool("s3_endpoint"),
    ),
    Question(
        "ipv6",
        "Enable IPv6 (a /56 from Amazon, with an egress-only internet gateway for private subnets)",
        "IPv6 egress through an egress-only gateway is free, unlike NAT; leave it off unless "
        "your software uses IPv6.",
        "bool",
        lambda a: False,
        v_bool("ipv6"),
        applies=_public,
        skipped_when="the tiers have no public subnets",
    ),
]

BY_KEY = {q.key: q for q in QUESTIONS}
