"""The one protocol-aware matcher for security group rules and network ACL entries."""

from __future__ import annotations

import pytest

from assistant.models.snapshot import IpPermission, NetworkAcl, NetworkAclEntry, SecurityGroup
from assistant.policy import (
    acl_decision,
    entry_covers,
    permission_covers,
    ports_of,
    rule_covers,
    sg_match,
)

# (rule protocol, from, to, traffic protocol, port, icmp, expected)
CASES = [
    # -1 is everything
    ("-1", None, None, "tcp", 22, None, True),
    ("-1", None, None, "udp", 53, None, True),
    ("-1", None, None, "icmp", None, (8, 0), True),
    ("all", -1, -1, "tcp", 3389, None, True),
    # TCP and UDP are different protocols on the same port numbers
    ("tcp", 22, 22, "tcp", 22, None, True),
    ("6", 22, 22, "tcp", 22, None, True),
    ("tcp", 22, 22, "udp", 22, None, False),
    ("udp", 0, 6000, "tcp", 22, None, False),
    ("udp", 0, 6000, "udp", 22, None, True),
    ("17", 53, 53, "udp", 54, None, False),
    ("tcp", 20, 21, "tcp", 22, None, False),
    ("tcp", 23, 30, "tcp", 22, None, False),
    ("tcp", None, None, "tcp", 65535, None, True),
    ("tcp", -1, -1, "tcp", 0, None, True),
    ("tcp", 22, 22, "tcp", None, None, True),  # "some TCP port": the rule allows some
    # ICMP type/code are not ports
    ("icmp", 8, -1, "tcp", 22, None, False),
    ("icmp", 8, -1, "tcp", 8, None, False),
    ("1", -1, -1, "tcp", 3389, None, False),
    ("icmp", 8, -1, "icmp", None, (8, 0), True),
    ("icmp", 8, 0, "icmp", None, (8, 0), True),
    ("icmp", 8, 0, "icmp", None, (8, 1), False),
    ("icmp", 8, -1, "icmp", None, (0, 0), False),
    ("icmp", -1, -1, "icmp", None, (3, 4), True),
    ("icmp", 3, 4, "icmp", None, None, True),
    ("icmpv6", -1, -1, "icmp", None, (8, 0), False),
    ("58", 128, -1, "icmpv6", None, (128, 0), True),
    # a specific rule never covers "all traffic"; other protocols match on protocol alone
    ("tcp", 0, 65535, "-1", None, None, False),
    ("47", None, None, "47", None, None, True),
    ("47", None, None, "tcp", 22, None, False),
]


@pytest.mark.parametrize(("rp", "lo", "hi", "proto", "port", "icmp", "expected"), CASES)
def test_rule_covers_table(rp, lo, hi, proto, port, icmp, expected):
    assert rule_covers(rp, lo, hi, proto, port, icmp) is expected
    # the same decision for a security group permission and an ACL entry of that rule
    perm = IpPermission(IpProtocol=rp, FromPort=lo, ToPort=hi)
    assert permission_covers(perm, proto, port, icmp) is expected
    if rp in ("icmp", "1", "icmpv6", "58"):
        e = NetworkAclEntry(RuleNumber=1, Protocol=rp, IcmpTypeCode={"Type": lo, "Code": hi})
    else:
        e = NetworkAclEntry(RuleNumber=1, Protocol=rp, PortRange={"From": lo, "To": hi})
    assert entry_covers(e, proto, port, icmp) is expected


def test_ports_of():
    assert ports_of("-1", None, None) == (0, 65535)
    assert ports_of("tcp", 22, 22) == (22, 22)
    assert ports_of("udp", None, None) == (0, 65535)
    assert ports_of("icmp", 8, -1) is None
    assert ports_of("47", None, None) is None


def test_icmp_echo_from_anywhere_opens_no_port():
    g = SecurityGroup(
        GroupId="sg-1",
        IpPermissions=[
            IpPermission(
                IpProtocol="icmp", FromPort=8, ToPort=-1, IpRanges=[{"CidrIp": "0.0.0.0/0"}]
            )
        ],
    )
    assert sg_match([g], True, "tcp", 22, "0.0.0.0/0") is None
    assert sg_match([g], True, "icmp", 0, "0.0.0.0/0", icmp=(8, 0)) is not None
    assert sg_match([g], True, "icmp", 0, "0.0.0.0/0", icmp=(13, 0)) is None


def test_acl_icmp_entry_decides_only_icmp():
    acl = NetworkAcl(
        NetworkAclId="acl-1",
        VpcId="vpc-1",
        Entries=[
            NetworkAclEntry(
                RuleNumber=90,
                Protocol="1",
                RuleAction="deny",
                CidrBlock="0.0.0.0/0",
                IcmpTypeCode={"Type": 8, "Code": -1},
            ),
            NetworkAclEntry(RuleNumber=100, Protocol="-1", CidrBlock="0.0.0.0/0"),
        ],
    )
    assert acl_decision(acl, False, "tcp", 22).entry.RuleNumber == 100
    assert acl_decision(acl, False, "icmp", 0, icmp=(8, 0)).entry.RuleNumber == 90
    assert acl_decision(acl, False, "icmp", 0, icmp=(0, 0)).entry.RuleNumber == 100
