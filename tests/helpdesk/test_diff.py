"""diff: identity independent of order, one-sided data never "fixed", tag renames shown."""

from __future__ import annotations

import json
import random

import pytest

from assistant.diff import diff, identity, render_diff_markdown, render_diff_text
from assistant.models.finding import Finding, Severity
from assistant.models.snapshot import COLLECTIONS, Snapshot
from assistant.sources.demo import demo_snapshot
from assistant.sources.files import dump_snapshot


def shuffled(doc, rng: random.Random):
    """``doc`` with every list in it shuffled (a configuration that means the same)."""
    if isinstance(doc, dict):
        return {k: shuffled(v, rng) for k, v in doc.items()}
    if isinstance(doc, list):
        items = [shuffled(x, rng) for x in doc]
        rng.shuffle(items)
        return items
    return doc


def _doc():
    return json.loads(dump_snapshot(demo_snapshot()))


def test_identity_ignores_resource_order():
    a = Finding(rule="r", severity=Severity.high, title="t", resources=["b", "a", "c"])
    b = a.model_copy(update={"resources": ["c", "a", "b"]})
    assert identity(a) == identity(b)
    assert identity(a) != identity(a.model_copy(update={"resources": ["a", "b"]}))


@pytest.mark.parametrize("seed", range(4))
def test_the_same_configuration_shuffled_is_no_change(seed):
    doc = _doc()
    before = Snapshot.model_validate(doc)
    rng = random.Random(seed)
    after = Snapshot.model_validate(
        {k: (shuffled(v, rng) if k in COLLECTIONS else v) for k, v in doc.items()}
    )
    r = diff(before, after)
    assert not r.fixed and not r.introduced and not r.not_comparable
    assert len(r.unchanged) == len(r.before.findings) and r.changes == []


@pytest.mark.parametrize("coll", ["InternetGateways", "NatGateways", "SecurityGroups", "Subnets"])
def test_data_on_one_side_only_is_not_comparable_never_fixed(coll):
    full = Snapshot.model_validate(_doc())
    doc = _doc()
    doc[coll] = []
    doc["provided"] = [c for c in doc["provided"] if c != coll]
    partial = Snapshot.model_validate(doc)
    forward, backward = diff(full, partial), diff(partial, full)
    blind = {r for n in forward.after.not_checked for r in n.rules}
    assert blind  # the collection matters to some rule
    assert not any(f.rule in blind for f in forward.fixed), [f.rule for f in forward.fixed]
    assert not any(f.rule in blind for f in backward.introduced)
    assert {f.rule for f in forward.not_comparable} == {
        f.rule for f in forward.before.findings if f.rule in blind
    }
    assert any(c.startswith(f"{coll}: read only in the before") for c in forward.changes)
    text = render_diff_text(forward)
    if forward.not_comparable:
        assert "Not comparable" in text and "not comparable" in text.splitlines()[-1]


def test_tag_renames_are_listed_as_changes():
    doc = _doc()
    sid = doc["Subnets"][0]["SubnetId"]
    old = next(t["Value"] for t in doc["Subnets"][0]["Tags"] if t["Key"] == "Name")
    for t in doc["Subnets"][0]["Tags"]:
        if t["Key"] == "Name":
            t["Value"] = "renamed-\x1b]0;x\x07|`"
    r = diff(demo_snapshot(), Snapshot.model_validate(doc))
    line = next(c for c in r.changes if sid in c and "tag Name" in c)
    assert old in line and "renamed-" in line
    text, md = render_diff_text(r), render_diff_markdown(r)
    assert "\x1b" not in text and "\x1b" not in md and "\\x1b" in text
