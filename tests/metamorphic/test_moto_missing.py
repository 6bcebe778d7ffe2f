"""Missing is unknown on snapshots read over HTTP from the moto server (as from a real account).

The reference architecture with some planted mistakes is collected once; then every collection
is deleted in turn (not read, or read but filtered to nothing) and the diagnosis may only lose
findings or gain ``not_checked`` entries, never gain a finding of medium or higher.
"""

from __future__ import annotations

from assistant.engine import diagnose
from assistant.models.snapshot import COLLECTIONS
from assistant.sources.live import collect
from tests.live.scenario import clients, nat, open_ssh_to_world
from tests.metamorphic.test_missing_is_unknown import _drop, _new_findings


def test_deleting_a_collection_of_a_moto_snapshot_adds_no_finding(shop):
    ec2, _ = clients()
    open_ssh_to_world(ec2, shop["app_sg"])
    nat(ec2, shop["private"][1], "misplaced-nat")
    snap = collect(regions=["us-east-1"], vpc_ids=[shop["vpc"]])
    full = diagnose(snap)
    assert {"exposure.sg-open-admin-port", "nat.in-private-subnet"} <= {
        f.rule for f in full.findings
    }
    for coll in COLLECTIONS:
        if not getattr(snap, coll, None) and coll not in snap.provided:
            continue
        for provided in (False, True):
            new = _new_findings(full, diagnose(_drop(snap, coll, provided)))
            assert not new, f"{coll} ({'filtered' if provided else 'not read'}) adds {new}"
