"""The topology's one pass over the instances gives what each instance's own properties say."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models.snapshot import (
    GroupRef,
    Instance,
    InstanceState,
    IpAssociation,
    Ipv6Address,
    NetworkInterface,
    Snapshot,
)
from assistant.topology import Topology

# A few group references, each used by many instances: as a large snapshot shares them.
SHARED = [GroupRef(GroupId=g) for g in ("sg-a", "sg-b", None)]


@st.composite
def group_refs(draw) -> list[GroupRef]:
    """References that are shared records, or equal records of their own, or new ones."""
    out = []
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.integers(0, 2))
        if how == 0:
            out.append(draw(st.sampled_from(SHARED)))
        elif how == 1:
            out.append(GroupRef(GroupId=draw(st.sampled_from(SHARED)).GroupId))
        else:
            out.append(GroupRef(GroupId=draw(st.sampled_from(["sg-c", "", "sg-a"]))))
    return out


@st.composite
def interfaces(draw, n: int) -> list[NetworkInterface]:
    out = []
    for k in range(draw(st.integers(0, 3))):
        ip = draw(st.sampled_from([None, "", "198.51.100.1", "198.51.100.2"]))
        v6 = draw(st.lists(st.sampled_from(["2001:db8::1", "2001:db8::2"]), max_size=2))
        out.append(
            NetworkInterface(
                NetworkInterfaceId=f"eni-{n}-{k}",
                Groups=draw(group_refs()),
                Association=None if draw(st.booleans()) else IpAssociation(PublicIp=ip),
                Ipv6Addresses=[Ipv6Address(Ipv6Address=a) for a in v6],
            )
        )
    return out


@st.composite
def instances(draw) -> list[Instance]:
    out = []
    for n in range(draw(st.integers(0, 12))):
        out.append(
            Instance(
                InstanceId=f"i-{n}",
                SubnetId=draw(st.sampled_from([None, "", "subnet-1", "subnet-2"])),
                PublicIpAddress=draw(st.sampled_from([None, "", "203.0.113.9"])),
                Ipv6Address=draw(st.sampled_from([None, "", "2001:db8::9"])),
                SecurityGroups=draw(group_refs()),
                NetworkInterfaces=draw(interfaces(n)),
                State=InstanceState(
                    Name=draw(st.sampled_from(["running", "stopped", "terminated", "pending"]))
                ),
            )
        )
    return out


@settings(max_examples=150, deadline=None, derandomize=True)
@given(insts=instances())
def test_the_instance_index_says_what_each_instance_says(insts):
    topo = Topology(Snapshot(Instances=insts))
    live = [i for i in insts if i.State.Name != "terminated"]
    assert topo.groups_of == {i.InstanceId: i.group_ids for i in insts}
    by_subnet: dict[str, list[Instance]] = {}
    by_group: dict[str, list[Instance]] = {}
    for i in live:
        if i.SubnetId:
            by_subnet.setdefault(i.SubnetId, []).append(i)
        for g in i.group_ids:
            by_group.setdefault(g, []).append(i)
    assert topo.instances_by_subnet == by_subnet
    assert topo.instances_by_group == by_group
    assert topo.instance_subnets == {i.SubnetId for i in insts if i.SubnetId}
    for sid, digests in topo.digests_by_subnet.items():
        assert [d.inst for d in digests] == by_subnet[sid]
        for d in digests:
            i = d.inst
            assert d.running == (i.State.Name == "running")
            assert d.public == bool(i.public_ips)
            assert d.ipv6 == bool(i.ipv6_addresses)
            assert d.groups == i.group_ids
    assert topo.digests_by_subnet.keys() == by_subnet.keys()
