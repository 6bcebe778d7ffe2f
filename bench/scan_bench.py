"""Scan wall time and peak memory at 100, 1,000 and 10,000 subnets (5 instances per subnet).

Each size is generated as AWS CLI output files, then measured in a fresh process:
the floor (a bare json.load of the same files), the scan itself (load and validate, derive
facts, run the rules, render JSON; "peak MB" is that process's peak RSS) and the whole
`vpc-helper scan --snapshot DIR --format json` command from start to exit (interpreter start
and imports included). Prints one line per size.

    python bench/scan_bench.py [--sizes 100 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate import generate, write  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, directory = sys.argv[1], Path(sys.argv[2])
t0 = time.perf_counter()
if mode == "floor":
    for p in sorted(directory.glob("*.json")):
        with open(p) as fh:
            json.load(fh)
    phases = {}
else:
    from assistant.sources.files import load_snapshot
    from assistant.engine import diagnose
    from assistant.engine.diagnose import default_engine
    from assistant.render import render_json
    default_engine()
    t0 = time.perf_counter()
    snap = load_snapshot(directory)
    t1 = time.perf_counter()
    d = diagnose(snap)
    t2 = time.perf_counter()
    render_json(d)
    t3 = time.perf_counter()
    phases = {"load": t1 - t0, "diagnose": t2 - t1, "render": t3 - t2,
              "findings": len(d.findings)}
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "rss_mb": rss, **phases}))
"""


def measure(mode: str, directory: Path) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(directory)],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        check=True,
    )
    return json.loads(r.stdout)


def measure_cli(directory: Path) -> float:
    """Wall time of the whole `vpc-helper scan` command, start to exit."""
    import time

    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "scan",
            "--snapshot",
            str(directory),
            "--format",
            "json",
        ],
        stdout=subprocess.DEVNULL,
        cwd=HERE.parent,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description="scan wall time and peak memory")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    a = ap.parse_args()
    print(
        f"{'subnets':>8} {'instances':>9} {'MB json':>8} {'json.load':>9} {'scan':>7} "
        f"{'load':>6} {'rules':>6} {'peak MB':>8} {'findings':>8} {'command':>8}"
    )
    for n in a.sizes:
        files, _planted = generate(n, 5)
        with tempfile.TemporaryDirectory() as tmp:
            size = write(files, Path(tmp))
            floor = measure("floor", Path(tmp))
            scan = measure("scan", Path(tmp))
            cli_wall = measure_cli(Path(tmp))
        print(
            f"{n:>8} {n * 5:>9} {size / 1e6:>8.1f} {floor['wall']:>8.2f}s {scan['wall']:>6.2f}s "
            f"{scan['load']:>5.2f}s {scan['diagnose']:>5.2f}s {scan['rss_mb']:>8.0f} "
            f"{scan['findings']:>8} {cli_wall:>7.2f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
