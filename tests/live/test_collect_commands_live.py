"""The commands `collect-commands` prints, run with the real AWS CLI against the moto server:
the folder they write loads to what the live collector reads, collection by collection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.models.registry import BY_COLLECTION, collect_commands
from assistant.sources.files import load_snapshot
from assistant.sources.live import collect
from tests.live.scenario import classic, hub, peering, prefix_list, vpn

AWS = Path(sys.executable).parent / "aws"


def _world() -> dict:
    shop = classic(app_per_az=1)
    blog = classic(name="blog", cidr="10.1.0.0/16", with_lb=False, app_per_az=0)
    h = hub({"shop": shop, "blog": blog})
    return {
        "shop": shop,
        "blog": blog,
        "hub": h,
        "pcx": peering(shop["vpc"], blog["vpc"]),
        "pl": prefix_list(["203.0.113.0/24", "198.51.100.0/24"]),
        "vpn": vpn(blog["vpc"]),
    }


def _comparable(snap, coll: str):
    items = getattr(snap, coll)
    if isinstance(items, dict):
        return {
            k: [x.model_dump() if hasattr(x, "model_dump") else x for x in v]
            if isinstance(v, list)
            else v
            for k, v in items.items()
        }
    key = BY_COLLECTION[coll].id_key
    return sorted((x.model_dump() for x in items), key=lambda d: str(d.get(key)))


@pytest.mark.skipif(not AWS.exists() or not shutil.which("bash"), reason="needs the AWS CLI")
def test_collect_commands_with_the_aws_cli_load_as_the_live_read(aws, tmp_path):
    _world()
    lines = [c for c in collect_commands("us-east-1") if not c.startswith("#")]
    (tmp_path / ".commands").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, PATH=f"{AWS.parent}{os.pathsep}{os.environ['PATH']}")
    # each line as a user would paste it into bash; a few at a time (the CLI starts slowly)
    r = subprocess.run(
        ["xargs", "-P", "4", "-d", "\n", "-n", "1", "bash", "-ec"],
        stdin=(tmp_path / ".commands").open(),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    files = load_snapshot(tmp_path)
    assert all(f.status == "read" for f in files.files), [
        f for f in files.files if f.status != "read"
    ]
    live = collect(regions=["us-east-1"])
    assert live.not_checked == [] and files.not_checked == []
    assert set(files.provided) == set(live.provided)
    for coll in sorted(set(live.provided) - {"VpcAttributes"}):
        assert _comparable(files, coll) == _comparable(live, coll), coll
    assert [v.EnableDnsSupport for v in files.Vpcs] == [v.EnableDnsSupport for v in live.Vpcs]
