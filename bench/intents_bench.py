"""Intent check speed on a large snapshot: 10,000 instances (2,000 subnets of 5).

Run: python bench/intents_bench.py [--subnets N] [--per-subnet N] [--db-share F]
Tags a share of the instances tier=db (every tenth subnet: a database tier), then decides
"the internet must not reach tier=db on any port" and "app servers must reach the internet on
443", and prints the time to load, to index, and to check each intent (target: < 2 s after load).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.intents import parse_intents  # noqa: E402
from assistant.intents.check import Checker  # noqa: E402
from assistant.models.snapshot import Tag  # noqa: E402
from assistant.sources.files import snapshot_from_outputs  # noqa: E402
from bench.generate import generate  # noqa: E402

INTENTS = {
    "forbid": [{"from": "internet", "to": {"tag": {"tier": "db"}}, "ports": "all"}],
    "require": [{"from": {"tag": {"tier": "app"}}, "to": "internet", "port": 443}],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subnets", type=int, default=2000)
    ap.add_argument("--per-subnet", type=int, default=5)
    ap.add_argument("--db-every", type=int, default=10, help="one subnet in N is a db tier")
    a = ap.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    files, _ = generate(a.subnets, a.per_subnet)
    snap = snapshot_from_outputs(files)
    db_subnets = {s.SubnetId for n, s in enumerate(snap.Subnets) if n % a.db_every == 0}
    for i in snap.Instances:
        tier = "db" if i.SubnetId in db_subnets else "app"
        i.Tags.append(Tag(Key="tier", Value=tier))
    t1 = time.perf_counter()
    c1 = time.process_time()
    n_db = sum(1 for i in snap.Instances if i.SubnetId in db_subnets)
    print(
        f"snapshot: {len(snap.Instances)} instances ({n_db} tier=db), {len(snap.Subnets)} "
        f"subnets, {len(snap.SecurityGroups)} security groups; generated and loaded in "
        f"{t1 - t0:.2f} s (cpu {c1 - c0:.2f} s)"
    )
    checker = Checker(snap)
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"index (tracer, endpoints, port boundaries): {t2 - t1:.2f} s (cpu {c2 - c1:.2f} s)")
    for intent in parse_intents(INTENTS, "bench"):
        t, c = time.perf_counter(), time.process_time()
        r = checker.check_one(intent)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(
            f"{intent.describe()}: {r.status}, {r.pairs} pairs, {r.broken} broken, "
            f"{r.traces} traces, {dt:.2f} s (cpu {dc:.2f} s)"
        )
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"total after load: {wall:.2f} s (cpu {cpu:.2f} s)")


if __name__ == "__main__":
    main()
