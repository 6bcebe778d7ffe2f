"""The Terraform plan builds what the shell plan builds, resource by resource.

Both outputs are parsed back into one vocabulary, a sorted list of (kind, key attributes):
the script from its `make`/`once`/`aws` lines (with what AWS adds by itself, such as a new
security group's allow-all egress, ::/0 too in a VPC with IPv6), main.tf from its resource
blocks. References become (kind, key) on both sides. Ordering that AWS enforces is part of the
comparison: a NAT gateway or an internet-facing load balancer must come after the attached
internet gateway (the script's order; a reference or depends_on in Terraform).
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.walkthrough import AnswerError, Walkthrough
from assistant.walkthrough.render import plan_sh, plan_terraform

Resource = tuple  # (kind, *key attributes)
NEEDS_IGW = ("nat", "lb")

# -- the shell script ---------------------------------------------------------------------


def _script_lines(sh: str) -> list[list[str]]:
    """Each command line of the script as words (continuation lines joined)."""
    out = []
    for line in sh.replace("\\\n", " ").splitlines():
        words = line.strip()
        if words.startswith(("make ", "once ", "aws ")):
            out.append(shlex.split(words))
    return out


def _opts(words: list[str]) -> dict[str, list[str]]:
    """--flag value... pairs (a flag followed by several values keeps them all)."""
    out: dict[str, list[str]] = {}
    flag = None
    for w in words:
        if w.startswith("--"):
            flag = w[2:]
            out.setdefault(flag, [])
        elif flag is not None:
            out[flag].append(w)
    return out


def _var_key(var: str, kind: str) -> tuple[str, str]:
    base = var.removesuffix("_ID").removesuffix("_ARN").lower()
    key = {
        "vpc": "this",
        "igw": "this",
        "eigw": "this",
        "vpce": "s3",
        "lb": "app",
        "tg": "app",
        "eip": base.removeprefix("eip_"),
        "listener": base.removesuffix("_listener"),
    }.get(kind, base)
    return kind, key


def _tag_name(words: list[str]) -> str:
    for w in words:
        m = re.search(r"(?:tags [a-z-]+ |Key=Name,Value=)([a-z0-9-]+)", w)
        if m:
            return m.group(1)
    return ""


def shell_resources(sh: str) -> list[Resource]:
    refs: dict[str, tuple[str, str]] = {}

    def ref(word: str) -> tuple[str, str] | str:
        m = re.fullmatch(r"\$([A-Z0-9_]+)", word)
        return refs[m.group(1)] if m else word

    out: list[Resource] = []
    vpc: dict = {}
    subnets: dict[str, dict] = {}
    after_igw = False
    for words in _script_lines(sh):
        if words[0] == "make":
            var, kind = words[1], words[2]
            cmd = words[5:]
        elif words[0] == "once":
            var, kind, cmd = "", "", words[2:]
        else:
            var, kind, cmd = "", "", words[1:]
        op, o = cmd[1], _opts(cmd[2:])
        name = _tag_name(cmd)
        key = _var_key(var, kind) if var else None
        if key:
            refs[var] = key
        if op == "create-vpc":
            vpc = {"cidr": o["cidr-block"][0], "ipv6": "amazon-provided-ipv6-cidr-block" in o}
            vpc["name"] = name
        elif op == "modify-vpc-attribute":
            for attr in ("enable-dns-support", "enable-dns-hostnames"):
                if attr in o:
                    vpc[attr] = json.loads(o[attr][0])["Value"]
        elif op == "create-internet-gateway":
            out.append(("igw", name))
        elif op == "attach-internet-gateway":
            out.append(("igw-attachment", ref(o["internet-gateway-id"][0]), ref(o["vpc-id"][0])))
            after_igw = True
        elif op == "create-egress-only-internet-gateway":
            out.append(("eigw", name, ref(o["vpc-id"][0])))
        elif op == "create-subnet":
            v6 = o.get("ipv6-cidr-block", [None])[0]
            index = int(v6.split()[-1].rstrip(")")) if v6 else None
            subnets[key[1]] = {
                "cidr": o["cidr-block"][0],
                "az": o["availability-zone"][0],
                "ipv6_index": index,
                "assign_ipv6": False,
                "name": name,
            }
        elif op == "modify-subnet-attribute":
            subnets[ref(o["subnet-id"][0])[1]]["assign_ipv6"] = (
                "assign-ipv6-address-on-creation" in o
            )
        elif op == "create-route-table":
            out.append(("rtb", key[1], name, ref(o["vpc-id"][0])))
        elif op == "create-route":
            dest = (o.get("destination-cidr-block") or o["destination-ipv6-cidr-block"])[0]
            target = next(
                ref(o[f][0])
                for f in ("gateway-id", "nat-gateway-id", "egress-only-internet-gateway-id")
                if f in o
            )
            out.append(("route", ref(o["route-table-id"][0]), dest, target))
        elif op == "associate-route-table":
            out.append(("association", ref(o["subnet-id"][0]), ref(o["route-table-id"][0])))
        elif op == "allocate-address":
            out.append(("eip", key[1], name, o["domain"][0]))
        elif op == "create-nat-gateway":
            subnet, eip = ref(o["subnet-id"][0]), ref(o["allocation-id"][0])
            out.append(("nat", key[1], name, subnet, eip, after_igw))
        elif op == "create-vpc-endpoint":
            rts = tuple(sorted(ref(x) for x in o["route-table-ids"]))
            out.append(("vpce", o["service-name"][0], o["vpc-endpoint-type"][0], rts, name))
        elif op == "create-security-group":
            out.append(("sg", key[1], o["group-name"][0], o["description"][0], name))
            # What AWS gives every new group: all traffic out, to ::/0 too with IPv6.
            out.append(("egress", key, "-1", "0.0.0.0/0"))
            if vpc["ipv6"]:
                out.append(("egress", key, "-1", "::/0"))
        elif op == "authorize-security-group-ingress":
            perm = dict(
                re.findall(
                    r"(IpProtocol|FromPort|ToPort|CidrIp|GroupId|Description)=([^,}]+)",
                    o["ip-permissions"][0],
                )
            )
            source = ref(perm["GroupId"]) if "GroupId" in perm else perm["CidrIp"]
            out.append(
                (
                    "ingress",
                    ref(o["group-id"][0]),
                    perm["IpProtocol"],
                    int(perm["FromPort"]),
                    int(perm["ToPort"]),
                    source,
                    perm["Description"].strip("'"),
                )
            )
        elif op == "create-load-balancer":
            out.append(
                (
                    "lb",
                    o["name"][0],
                    o["scheme"][0] == "internal",
                    o["type"][0],
                    tuple(ref(x) for x in o["subnets"]),
                    tuple(ref(x) for x in o["security-groups"]),
                    name,
                    after_igw,
                )
            )
        elif op == "create-target-group":
            out.append(
                (
                    "tg",
                    o["name"][0],
                    int(o["port"][0]),
                    o["protocol"][0],
                    ref(o["vpc-id"][0]),
                    o["target-type"][0],
                    o["health-check-path"][0],
                    name,
                )
            )
        elif op == "create-listener":
            action = dict(re.findall(r"(\w+)=([^,{}]+)", o["default-actions"][0]))
            if action["Type"] == "forward":
                target = ref(action["TargetGroupArn"])
            else:
                target = (action["Protocol"], action["Port"], action["StatusCode"])
            out.append(
                (
                    "listener",
                    ref(o["load-balancer-arn"][0]),
                    int(o["port"][0]),
                    o["protocol"][0],
                    o.get("ssl-policy", [None])[0],
                    "certificate" if "certificates" in o else None,
                    action["Type"],
                    target,
                )
            )
    out.append(
        (
            "vpc",
            vpc["cidr"],
            vpc["ipv6"],
            vpc.get("enable-dns-support", False),
            vpc.get("enable-dns-hostnames", False),
            vpc["name"],
        )
    )
    for k, s in subnets.items():
        out.append(("subnet", k, s["cidr"], s["az"], s["ipv6_index"], s["assign_ipv6"], s["name"]))
    return sorted(out, key=repr)


# -- the Terraform -------------------------------------------------------------------------

TF_KIND = {
    "aws_vpc": "vpc",
    "aws_internet_gateway": "igw",
    "aws_egress_only_internet_gateway": "eigw",
    "aws_subnet": "subnet",
    "aws_route_table": "rtb",
    "aws_eip": "eip",
    "aws_nat_gateway": "nat",
    "aws_vpc_endpoint": "vpce",
    "aws_security_group": "sg",
    "aws_lb": "lb",
    "aws_lb_target_group": "tg",
    "aws_lb_listener": "listener",
}


def tf_blocks(tf: str) -> dict[tuple[str, str], dict]:
    """resource blocks as {(type, name): {attribute: raw value}} (nested blocks flattened)."""
    blocks: dict[tuple[str, str], dict] = {}
    current: dict | None = None
    path: list[str] = []
    for line in tf.splitlines():
        s = line.strip()
        m = re.match(r'^resource "(\w+)" "(\w+)" \{$', line)
        if m:
            current = blocks.setdefault((m.group(1), m.group(2)), {})
            path = []
            continue
        if current is None:
            continue
        if line == "}":
            current = None
        elif s.endswith("{") and "=" not in s:
            path.append(s[:-1].strip())
        elif s == "}":
            path.pop()
        elif "=" in s:
            k, v = (x.strip() for x in s.split("=", 1))
            current[".".join([*path, k])] = v
    return blocks


def _tf_value(v: str):
    if v.startswith('"'):
        return json.loads(v)
    if v in ("true", "false"):
        return v == "true"
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return v


def tf_resources(tf: str) -> list[Resource]:
    blocks = tf_blocks(tf)

    def ref(v: str):
        m = re.fullmatch(r"(aws_\w+)\.(\w+)\.(id|arn)", v)
        return (TF_KIND[m.group(1)], m.group(2)) if m else _tf_value(v)

    def refs(v: str) -> tuple:
        return tuple(ref(x.strip()) for x in v.strip("[]").split(",") if x.strip())

    def name(b: dict) -> str:
        m = re.search(r'Name = "([^"]+)"', b.get("tags", ""))
        return m.group(1) if m else ""

    def needs(addr: tuple[str, str], seen=None) -> set[tuple[str, str]]:
        """Every resource block this one depends on, directly or through others."""
        seen = set() if seen is None else seen
        for v in blocks[addr].values():
            for t, n in re.findall(r"\b(aws_\w+)\.(\w+)\b", v):
                if (t, n) in blocks and (t, n) not in seen:
                    seen.add((t, n))
                    needs((t, n), seen)
        return seen

    igw = ("aws_internet_gateway", "this")
    out: list[Resource] = []
    for (t, n), b in blocks.items():
        v = {k: _tf_value(x) for k, x in b.items()}
        if t == "aws_vpc":
            out.append(
                (
                    "vpc",
                    v["cidr_block"],
                    v.get("assign_generated_ipv6_cidr_block", False),
                    v["enable_dns_support"],
                    v["enable_dns_hostnames"],
                    name(b),
                )
            )
        elif t == "aws_internet_gateway":
            out.append(("igw", name(b)))
            out.append(("igw-attachment", ("igw", n), ref(b["vpc_id"])))
        elif t == "aws_egress_only_internet_gateway":
            out.append(("eigw", name(b), ref(b["vpc_id"])))
        elif t == "aws_subnet":
            m = re.search(
                r"cidrsubnet\(aws_vpc\.this\.ipv6_cidr_block, 8, (\d+)\)",
                b.get("ipv6_cidr_block", ""),
            )
            out.append(
                (
                    "subnet",
                    n,
                    v["cidr_block"],
                    v["availability_zone"],
                    int(m.group(1)) if m else None,
                    v.get("assign_ipv6_address_on_creation", False),
                    name(b),
                )
            )
        elif t == "aws_route_table":
            out.append(("rtb", n, name(b), ref(b["vpc_id"])))
        elif t == "aws_route":
            dest = v.get("destination_cidr_block") or v["destination_ipv6_cidr_block"]
            target = next(
                ref(b[f])
                for f in ("gateway_id", "nat_gateway_id", "egress_only_gateway_id")
                if f in b
            )
            out.append(("route", ref(b["route_table_id"]), dest, target))
        elif t == "aws_route_table_association":
            out.append(("association", ref(b["subnet_id"]), ref(b["route_table_id"])))
        elif t == "aws_eip":
            out.append(("eip", n, name(b), v["domain"]))
        elif t == "aws_nat_gateway":
            out.append(
                (
                    "nat",
                    n,
                    name(b),
                    ref(b["subnet_id"]),
                    ref(b["allocation_id"]),
                    igw in needs((t, n)),
                )
            )
        elif t == "aws_vpc_endpoint":
            rts = tuple(sorted(refs(b["route_table_ids"])))
            out.append(("vpce", v["service_name"], v["vpc_endpoint_type"], rts, name(b)))
        elif t == "aws_security_group":
            out.append(("sg", n, v["name"], v["description"], name(b)))
        elif t == "aws_vpc_security_group_egress_rule":
            cidr = v.get("cidr_ipv4") or v["cidr_ipv6"]
            out.append(("egress", ref(b["security_group_id"]), v["ip_protocol"], cidr))
        elif t == "aws_vpc_security_group_ingress_rule":
            source = (
                ref(b["referenced_security_group_id"])
                if "referenced_security_group_id" in b
                else v["cidr_ipv4"]
            )
            out.append(
                (
                    "ingress",
                    ref(b["security_group_id"]),
                    v["ip_protocol"],
                    v["from_port"],
                    v["to_port"],
                    source,
                    v["description"],
                )
            )
        elif t == "aws_lb":
            out.append(
                (
                    "lb",
                    v["name"],
                    v["internal"],
                    v["load_balancer_type"],
                    refs(b["subnets"]),
                    refs(b["security_groups"]),
                    name(b),
                    igw in needs((t, n)),
                )
            )
        elif t == "aws_lb_target_group":
            out.append(
                (
                    "tg",
                    v["name"],
                    v["port"],
                    v["protocol"],
                    ref(b["vpc_id"]),
                    v["target_type"],
                    v["health_check.path"],
                    name(b),
                )
            )
        elif t == "aws_lb_listener":
            kind = v["default_action.type"]
            out.append(
                (
                    "listener",
                    ref(b["load_balancer_arn"]),
                    v["port"],
                    v["protocol"],
                    v.get("ssl_policy"),
                    "certificate" if "certificate_arn" in b else None,
                    kind,
                    ref(b["default_action.target_group_arn"])
                    if kind == "forward"
                    else (
                        v["default_action.redirect.protocol"],
                        v["default_action.redirect.port"],
                        v["default_action.redirect.status_code"],
                    ),
                )
            )
        else:
            raise AssertionError(f"no comparison for Terraform resource {t}")
    return sorted(out, key=repr)


# -- the comparison -------------------------------------------------------------------------

TIERS = [["public", "app"], ["public", "app", "data"], ["app"], ["app", "data"]]
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"


@st.composite
def answer_sets(draw) -> dict:
    return {
        "name": draw(st.sampled_from(["shop", "billing", "web-prod"])),
        "region": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        "vpc_cidr": draw(
            st.sampled_from(
                ["10.0.0.0/16", "10.20.0.0/20", "192.168.8.0/22", "172.16.4.0/23", "10.9.9.0/24"]
            )
        ),
        "az_count": draw(st.sampled_from([2, 3])),
        "tiers": draw(st.sampled_from(TIERS)),
        "nat": draw(st.sampled_from(["none", "single", "per_az"])),
        "internet_facing_app": draw(st.booleans()),
        "app_port": draw(st.sampled_from([80, 3000, 8080])),
        "db_port": draw(st.sampled_from([3306, 5432])),
        "certificate_arn": draw(st.sampled_from(["", CERT])),  # a us-east-1 certificate
        "s3_endpoint": draw(st.booleans()),
        "ipv6": draw(st.booleans()),
    }


def plan_of(answers: dict):
    public = "public" in answers["tiers"]
    a = dict(answers)
    if not public:  # these questions are not asked without public subnets
        for k in ("nat", "internet_facing_app", "ipv6", "app_port", "certificate_arn"):
            a.pop(k)
    elif not a["internet_facing_app"]:
        a.pop("app_port")
        a.pop("certificate_arn")
    if "data" not in a["tiers"]:
        a.pop("db_port")
    try:
        return Walkthrough.from_answers(a).plan()
    except AnswerError:
        assume(False)


@settings(
    derandomize=True,
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(answer_sets())
def test_terraform_builds_what_the_script_builds(answers):
    plan = plan_of(answers)
    sh, tf = shell_resources(plan_sh(plan)), tf_resources(plan_terraform(plan))
    assert sh == tf
    kinds = {r[0] for r in sh}
    assert {"vpc", "subnet", "rtb", "association", "sg", "egress"} <= kinds
    assert len([r for r in sh if r[0] == "subnet"]) == len(plan.subnets)
    for r in sh:  # what AWS refuses without an attached internet gateway comes after it
        if r[0] in NEEDS_IGW:
            assert r[-1] is True, r


BIG = {
    "name": "billing",
    "az_count": 3,
    "tiers": ["public", "app", "data"],
    "nat": "per_az",
    "internet_facing_app": True,
    "ipv6": True,
    "certificate_arn": CERT,
}


@pytest.mark.parametrize(
    ("change", "what"),
    [
        # the two differences the comparison exists for
        (
            lambda tf: re.sub(
                r'(resource "aws_lb" "app" \{.*?)\n +depends_on += \[aws_internet_gateway\.this\]',
                r"\1",
                tf,
                count=1,
                flags=re.S,
            ),
            "lb",
        ),
        (
            lambda tf: re.sub(
                r'resource "aws_vpc_security_group_egress_rule" "app_sg_all_ipv6" \{[^}]*\}\n\n',
                "",
                tf,
            ),
            "egress",
        ),
        # and near misses: one attribute of one resource
        (lambda tf: tf.replace('"10.0.80.0/20"', '"10.0.96.0/20"', 1), "subnet"),
        (
            lambda tf: tf.replace(
                "cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, 5)",
                "cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, 7)",
            ),
            "subnet",
        ),
        (lambda tf: tf.replace("aws_nat_gateway.nat_b.id", "aws_nat_gateway.nat_a.id", 1), "route"),
        (
            lambda tf: tf.replace(
                "from_port                    = 8080", "from_port                    = 8081"
            ),
            "ingress",
        ),
    ],
)
def test_the_comparison_sees_one_changed_resource(change, what):
    plan = Walkthrough.from_answers(BIG).plan()
    tf = plan_terraform(plan)
    changed = change(tf)
    assert changed != tf, what
    sh = shell_resources(plan_sh(plan))
    other = tf_resources(changed)
    assert sh == tf_resources(tf)
    diff = set(sh) ^ set(other)
    assert diff and {r[0] for r in diff} == {what}
