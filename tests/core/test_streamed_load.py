"""Large files are read in pieces and their repeated records shared: the snapshot is the same.

Oracle: the same folder read whole (pieces disabled). Every piece size, from one item per piece
to the whole file, must give a byte-identical snapshot dump and identical file statuses and
error lines; a file that is not one list as the AWS CLI prints it, or that is broken anywhere,
must give exactly what reading it whole gives.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.canonical import canonical
from assistant.engine import diagnose
from assistant.models.compact import Compactor
from assistant.redact import RedactionKey, redact
from assistant.sources import files
from assistant.sources.demo import DEMO_DIR
from assistant.sources.files import dump_snapshot, load_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    generate(out, 60, per_subnet=2, fault_share=0.1, seed=3)
    # The demo's outputs too, as the AWS CLI prints them (4-space indent).
    for p in DEMO_DIR.glob("*.json"):
        (out / f"demo-{p.name}").write_text(json.dumps(json.loads(p.read_text()), indent=4))
    return out


def _load(path, monkeypatch, large: int, block: int):
    monkeypatch.setattr(files, "_LARGE", large)
    monkeypatch.setattr(files, "_BLOCK", block)
    try:
        snap = load_snapshot(path)
    except files.SnapshotError as e:
        return ("error", str(e))
    # Pieces put each resource's own lists in order as they are read: compared in the order
    # every command sees (canonical), which then sorts only what is left.
    return (dump_snapshot(canonical(snap)), [f.model_dump() for f in snap.files])


def _whole(path, monkeypatch):
    return _load(path, monkeypatch, 1 << 60, 1 << 20)


def test_the_big_files_are_read_in_pieces(region, monkeypatch):
    calls = []
    real = files._parse_items
    monkeypatch.setattr(files, "_parse_items", lambda text: calls.append(1) or real(text))
    _load(region, monkeypatch, 0, 4096)
    assert len(calls) > 50  # the test below compares something that did happen


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(block=st.integers(min_value=1, max_value=300_000))
def test_any_piece_size_gives_the_same_snapshot(region, monkeypatch, block):
    assert _load(region, monkeypatch, 0, block) == _whole(region, monkeypatch)


BROKEN = {
    "truncated": lambda t: t[: len(t) // 2],
    "broken item": lambda t: t.replace('"SubnetId": "', '"SubnetId": ', 1),
    "invalid value": lambda t: t.replace('"CidrBlock": "10.', '"CidrBlock": "999.', 1),
    "wrong type in the last piece": lambda t: '"VpcId": 7, "x": "'.join(t.rsplit('"VpcId": "', 1)),
    "another key after the list": lambda t: t.rstrip()[:-1].rstrip() + ',\n    "NextToken": "x"\n}',
    "two-space indent": lambda t: json.dumps(json.loads(t), indent=2),
    "byte order mark": lambda t: "\ufeff" + t,
    "trailing garbage": lambda t: t + "]",
    "empty list": lambda t: '{\n    "Subnets": [\n    ]\n}',
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_file_not_as_expected_gives_what_reading_it_whole_gives(
    region, tmp_path, monkeypatch, name
):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in region.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    subnets = folder / "subnets.json"
    subnets.write_text(BROKEN[name](subnets.read_text()))
    whole = _whole(folder, monkeypatch)
    assert _load(folder, monkeypatch, 0, 2048) == whole
    assert _load(folder, monkeypatch, 0, 1 << 20) == whole


def _reversed_lists(value):
    if isinstance(value, dict):
        return {k: _reversed_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reversed_lists(v) for v in reversed(value)]
    return value


def test_lists_in_any_order_and_mixed_sources_give_the_same_canonical_snapshot(
    region, tmp_path, monkeypatch
):
    """Every list reversed, and a second (small, read whole) instances file beside the large
    one: the collection mixes resources ordered while read with others."""
    folder = tmp_path / "in"
    (folder / "more").mkdir(parents=True)
    for p in region.iterdir():
        doc = _reversed_lists(json.loads(p.read_text()))
        (folder / p.name).write_text(json.dumps(doc, indent=4))
    extra = json.loads((region / "demo-instances.json").read_text())
    (folder / "more" / "instances.json").write_text(json.dumps(_reversed_lists(extra), indent=4))
    (folder / "demo-instances.json").unlink()
    small = (folder / "more" / "instances.json").stat().st_size + 1
    assert (folder / "instances.json").stat().st_size > small
    monkeypatch.setattr(files, "_LARGE", small)
    snap = load_snapshot(folder)
    assert "Instances" not in snap.nested_in_order  # one of its files was read whole
    monkeypatch.setattr(files, "_LARGE", 0)
    assert "Instances" in load_snapshot(region).nested_in_order  # read in pieces only
    assert _load(folder, monkeypatch, small, 4096) == _whole(folder, monkeypatch)
    ours = _load(folder, monkeypatch, 0, 4096)[0].replace(str(folder).encode(), b"<in>")
    assert ours == _load(region, monkeypatch, 0, 4096)[0].replace(str(region).encode(), b"<in>")


def test_shared_records_are_shared_and_never_changed(region, monkeypatch):
    monkeypatch.setattr(files, "_LARGE", 0)
    snap = load_snapshot(region)
    tags = {}
    for inst in snap.Instances:
        for t in inst.Tags:
            if t.Key != "Name":
                tags.setdefault((t.Key, t.Value), set()).add(id(t))
    assert tags and all(len(ids) == 1 for ids in tags.values())  # one object per tag
    canonical(snap)
    after_order = dump_snapshot(snap)
    diagnose(snap)
    redact(snap, RedactionKey())
    assert dump_snapshot(snap) == after_order  # nothing changed a shared record in place
    monkeypatch.setattr(files, "_LARGE", 1 << 60)
    plain = load_snapshot(region)
    canonical(plain)
    assert dump_snapshot(plain) == after_order


def test_compactor_keeps_values_and_equality():
    from assistant.models.snapshot import Instance

    raw = {
        "InstanceId": "i-1",
        "Tags": [{"Key": "Tier", "Value": "web"}],
        "SecurityGroups": [{"GroupId": "sg-1"}],
        "NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-1", "Groups": [{"GroupId": "sg-1"}], "Attachment": {}}
        ],
    }
    a, b = Instance.model_validate(raw), Instance.model_validate(dict(raw, InstanceId="i-2"))
    dumps = [a.model_dump(), b.model_dump()]
    c = Compactor()
    c.resources([a, b])
    assert [a.model_dump(), b.model_dump()] == dumps
    assert a.Tags[0] is b.Tags[0] and a.SecurityGroups[0] is a.NetworkInterfaces[0].Groups[0]
    assert a.NetworkInterfaces[0] is not b.NetworkInterfaces[0]  # it holds a list: not shared
    assert a == Instance.model_validate(raw)


def test_outputs_read_whole_and_live_snapshots_are_compacted_alike(region, monkeypatch):
    """Large outputs read whole (another formatting) and live snapshots share records too."""
    monkeypatch.setattr(files, "_LARGE", 1 << 60)
    monkeypatch.setattr(files, "_SHARE_FROM", 1 << 60)
    plain = load_snapshot(region)
    expected = dump_snapshot(canonical(plain.model_copy(deep=True)))
    monkeypatch.setattr(files, "_SHARE_FROM", 2)
    shared = load_snapshot(region)
    tags = [t for i in shared.Instances for t in i.Tags if t.Key == "Tier"]
    assert len({id(t) for t in tags}) < len(tags)
    assert dump_snapshot(canonical(shared)) == expected
    files.compact_large(plain)
    tags = [t for i in plain.Instances for t in i.Tags if t.Key == "Tier"]
    assert len({id(t) for t in tags}) < len(tags)
    assert dump_snapshot(canonical(plain)) == expected


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    lists=st.lists(
        st.lists(st.tuples(st.sampled_from("abcdE"), st.sampled_from(["x", "y", ""])), min_size=2),
        min_size=1,
        max_size=8,
    )
)
def test_remembered_list_orders_sort_as_the_canonical_order(lists):
    """The loader's sort remembers orders by the items' ids: the same result as sorting each
    list anew, for lists seen again, with duplicate ids, or in another order."""
    from assistant.canonical import ListOrder, _sort_in_place
    from assistant.models.snapshot import Tag

    order = ListOrder()
    for pairs in lists + lists[::-1]:
        ours = [Tag(Key=k, Value=v) for k, v in pairs]
        theirs = list(ours)
        order.sort(ours, "Tags")
        _sort_in_place(theirs, "Tags")
        assert [id(x) for x in ours] == [id(x) for x in theirs]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    ids=st.lists(st.text(alphabet="ai-0:/._Z", min_size=1, max_size=4), min_size=2, max_size=12)
    | st.lists(
        st.sampled_from(["a", "a#", "a-", "a'", "a~", "a ", "a!", "i-0", "i-0a", "Z", "a.b", "a/"]),
        min_size=2,
        max_size=12,
        unique=True,
    ),
    subnets=st.lists(st.sampled_from(["subnet-1", None, "s#", "subnet-1-b"]), min_size=12),
    primary=st.lists(st.sampled_from([None, 0, 1]), min_size=12),
)
@example(ids=["a", "a#"], subnets=[None] * 12, primary=[None] * 12)
@example(ids=["a", "a b"], subnets=["s#"] * 12, primary=[1] * 12)
def test_ordering_by_plain_ids_alone_is_the_canonical_order(ids, subnets, primary):
    """Large collections are ordered by their own ids alone when those are distinct plain
    texts: the order is the one the whole ids give (prefixes, quotes and characters that sort
    below a quote included, which must take the whole-ids path), with and without a primary."""
    from assistant.canonical import _ids, _plain_first_ids, _sort_in_place
    from assistant.models.snapshot import Instance, NetworkInterface

    insts = [Instance(InstanceId=i, SubnetId=s) for i, s in zip(ids, subnets, strict=False)]
    enis = [
        NetworkInterface.model_validate(
            {"NetworkInterfaceId": i, "SubnetId": s}
            | ({"Attachment": {"DeviceIndex": p}} if p is not None else {})
        )
        for i, s, p in zip(ids, subnets, primary, strict=False)
    ]
    for items, name in ((insts, "Instances"), (enis, "NetworkInterfaces")):
        ours = list(items)
        _sort_in_place(ours, name)
        fast = _plain_first_ids(items)
        if fast is not None:
            lead = {
                id(x): (
                    x.Attachment is None or x.Attachment.DeviceIndex is None,
                    (x.Attachment.DeviceIndex if x.Attachment else None) or 0,
                )
                if name == "NetworkInterfaces"
                else ()
                for x in items
            }
            whole = sorted(items, key=lambda x: (lead[id(x)], _ids(x)))
            assert [id(x) for x in ours] == [id(x) for x in whole]
        plain = all(re.fullmatch(r"[A-Za-z0-9._:/-]+", i) for i in ids)
        assert (fast is not None) == (plain and len(set(ids)) == len(ids))
