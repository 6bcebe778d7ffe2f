"""An intent's verdict equals brute force: every endpoint pair, every port, one trace each.

The checker groups endpoints into classes and ports into intervals; the oracle does neither. On
small random topologies (groups that name each other, narrow CIDRs that split a subnet, custom
network ACLs with port ranges, an office range on the internet) both must agree on the verdict
and on the number of pairs that break the intent.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.intents import FORBID, HOLDS, UNDECIDED_STATUS, VIOLATED, Intent, check
from assistant.intents.check import EXAMPLES, Checker
from assistant.intents.select import Catalog, Member
from assistant.sources.builder import Builder
from assistant.trace import NOT_REACHABLE, REACHABLE, UNDECIDED, Tracer
from assistant.trace.endpoints import INTERNET, Endpoint

MAX_PORT = 32
SOURCES = ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/28", "198.51.100.0/24"]
SELECTORS = [
    "internet",
    {"tag": {"tier": "a"}},
    {"tag": {"tier": "b"}},
    {"subnet_tag": {"zone": "pub"}},
    {"sg_tag": {"team": "x"}},
    "10.0.1.0/28",
]

port = st.integers(1, MAX_PORT)
port_range = st.tuples(port, port).map(lambda t: (min(t), max(t)))
# weighted towards open rules, so that flows get far enough for every hop to matter
perm = st.tuples(port_range, st.sampled_from([*SOURCES, *SOURCES[:2], "group"]))
acl_entry = st.tuples(st.sampled_from(["allow", "allow", "deny"]), port_range)


@st.composite
def topology(draw):
    b = Builder(seed="oracle")
    vpc = b.vpc("10.0.0.0/16", name="v")
    igw = b.igw(vpc)
    pub_rt = b.route_table(vpc, name="pub")
    b.route(pub_rt, "0.0.0.0/0", igw)
    pub = b.subnet(vpc, "10.0.1.0/24", "a", name="pub", map_public_ip=True)
    b.find("Subnets", "SubnetId", pub)["Tags"].append({"Key": "zone", "Value": "pub"})
    b.associate(pub_rt, pub)
    prv = b.subnet(vpc, "10.0.2.0/24", "a", name="prv")
    groups = []
    for n in range(3):
        g = b.security_group(vpc, f"g{n}")
        if draw(st.booleans()):
            b.find("SecurityGroups", "GroupId", g)["Tags"].append({"Key": "team", "Value": "x"})
        groups.append(g)
    for g in groups:
        perms = []
        for (lo, hi), src in draw(st.lists(perm, min_size=1, max_size=3)):
            other = draw(st.sampled_from(groups)) if src == "group" else None
            p = b.perm(lo, None if other else src, group=other)
            p["ToPort"] = hi
            perms.append(p)
        sg = b.find("SecurityGroups", "GroupId", g)
        sg["IpPermissions"] = perms
        if draw(st.booleans()):
            lo, hi = draw(port_range)
            sg["IpPermissionsEgress"] = [
                {
                    "IpProtocol": "tcp",
                    "FromPort": lo,
                    "ToPort": hi,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ]
    for subnet in (pub, prv):
        if draw(st.booleans()):
            entries = []
            for k, (action, (lo, hi)) in enumerate(
                draw(st.lists(acl_entry, min_size=1, max_size=3))
            ):
                for egress in (False, True):
                    entries.append(
                        {
                            "RuleNumber": 10 + k,
                            "Protocol": "6",
                            "RuleAction": action,
                            "Egress": egress,
                            "CidrBlock": draw(st.sampled_from(SOURCES)),
                            "PortRange": {"From": lo, "To": hi},
                        }
                    )
            for egress in (False, True):  # replies on ephemeral ports
                entries.append(
                    {
                        "RuleNumber": 100,
                        "Protocol": "6",
                        "RuleAction": "allow",
                        "Egress": egress,
                        "CidrBlock": "0.0.0.0/0",
                        "PortRange": {"From": 1024, "To": 65535},
                    }
                )
            acl = b.nacl(vpc, name=f"acl-{subnet}", entries=entries)
            b.nacl_associate(acl, subnet)
    for n in range(draw(st.integers(3, 5))):
        subnet = draw(st.sampled_from([pub, prv]))
        chosen = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=2, unique=True))
        iid = b.instance(
            subnet,
            chosen,
            name=f"h{n}",
            public_ip=draw(st.booleans()),
            tier=draw(st.sampled_from("ab")),
        )
        if subnet == pub and draw(st.booleans()):  # an address inside the narrow 10.0.1.0/28
            inst = b.find("Instances", "InstanceId", iid)
            ip = f"10.0.1.{n + 2}"
            inst["PrivateIpAddress"] = ip
            for eni in inst["NetworkInterfaces"]:
                eni["PrivateIpAddress"] = ip
    return b.snapshot()


@st.composite
def intent(draw):
    src = draw(st.sampled_from(SELECTORS))
    dst = draw(st.sampled_from([s for s in SELECTORS if s != "internet" or src != "internet"]))
    lo, hi = draw(st.one_of(st.just((1, MAX_PORT)), port_range))
    return Intent(
        kind=draw(st.sampled_from(["forbid", "require"])),
        number=1,
        source=src,
        dest=dst,
        ports=((lo, hi),),
        protocol="tcp",
        file="oracle",
    )


def _oracle_endpoints(catalog: Catalog, sel) -> list[Endpoint]:
    """Every endpoint, one by one; the internet as any address plus sample addresses inside
    and outside the office range the rules name."""
    if sel == "internet":
        return [
            Endpoint(INTERNET, "internet", "the internet"),
            Endpoint(INTERNET, "198.51.100.77", "office", ip="198.51.100.77"),
            Endpoint(INTERNET, "203.0.113.9", "elsewhere", ip="203.0.113.9"),
        ]
    return [x.ep for x in catalog.select(sel, "oracle", True) if isinstance(x, Member)]


def brute_force(snapshot, it: Intent) -> tuple[str, int, dict]:
    """The verdict, the number of pairs that break the intent and, per such pair, the ports."""
    tracer = Tracer(snapshot)
    catalog = Catalog(snapshot, tracer.resolver)
    forbid = it.kind == FORBID
    broken = unknown = 0
    bad_ports: dict[tuple[str, str], list[tuple[int, int]]] = {}
    srcs = _oracle_endpoints(catalog, it.source)
    dsts = _oracle_endpoints(catalog, it.dest)
    for a in srcs:
        for b in dsts:
            if a.id == b.id or (a.outside and b.outside):
                continue
            verdicts = set()
            bad = []
            for p in range(it.ports[0][0], it.ports[0][1] + 1):
                v = tracer.trace_endpoints(a, b, p, "6").verdict
                verdicts.add(v)
                if v == (REACHABLE if forbid else NOT_REACHABLE):
                    if bad and bad[-1][1] == p - 1:
                        bad[-1] = (bad[-1][0], p)
                    else:
                        bad.append((p, p))
            if bad:
                broken += 1
                bad_ports[(a.label, b.label)] = bad
            elif UNDECIDED in verdicts:
                unknown += 1
    if broken:
        return VIOLATED, broken, bad_ports
    if unknown:
        return UNDECIDED_STATUS, 0, bad_ports
    return HOLDS, 0, bad_ports


@settings(derandomize=True, max_examples=150, deadline=None)
@given(topology(), intent())
def test_verdict_equals_brute_force(snapshot, it):
    check.EXAMPLES = 10_000  # list every pair that breaks the intent, to compare them all
    try:
        res = Checker(snapshot).check_one(it)
    finally:
        check.EXAMPLES = EXAMPLES
    status, broken, bad_ports = brute_force(snapshot, it)
    if not res.pairs and res.notes:  # a side selects nothing: nothing to trace either way
        assert broken == 0
        return
    assert res.status == status, (it.describe(), res.notes)
    if "internet" not in (it.source, it.dest):  # the internet is counted by its parts
        assert res.broken == broken
        assert {(p.source, p.destination): p.ports for p in res.examples} == bad_ports
