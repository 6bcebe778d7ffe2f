"""The whole `vpc-helper scan` process against a bare `json.load` of the same files.

For each size (subnets; 5 instances per subnet) a realistic region is generated once
(bench/generate.py, cached under --cache), then measured as whole processes, each the median
of --repeat rounds that run every size in turn (so that a drift of the machine's speed
weighs on all sizes alike; runs under 2 s at least 11 times), side by side:

- floor: `python -c` that `json.load`s every file the scan reads, start to exit;
- scan: `vpc-helper scan --snapshot ... --format json`, start to exit (interpreter start,
  imports, load, facts, rules, rendering, output to /dev/null).

Peak memory is the child process's peak RSS (``wait4``). The per-subnet cost is the scan's
wall time above that of a 10-subnet region, divided by the extra subnets; its growth is
given from the smallest to the largest size. Files the installed loader does not read (an
output it does not know yet) are listed and left out of both.

    python bench/scan_bench.py [--sizes 1000 10000 50000] [--repeat 3] [--profile] [--traces 400]

``--profile`` runs the scan once more per size in-process and prints where the CPU time goes
(and the process's peak memory as each stage ends)
(CPU, not wall: the machine is shared): imports, load, canonical order, topology + facts,
engine, findings, render, gc (time inside the cyclic collector, from ``gc.callbacks``), and
the rest; then the facts stage by kind (CPU time inside each producer and how many facts it
made). ``--traces N`` times N traces per size after
the snapshot is loaded (instance to internet, internet to load balancer, instance to instance,
internet to instance, in turn).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

FIXED_SUBNETS = 10
FLOOR = "import json, sys\nfor p in sys.argv[1:]:\n    with open(p) as fh:\n        json.load(fh)\n"
_FIRST_KEY = re.compile(rb'^\s*\{\s*"([^"]+)"')

PROFILE = r"""
import gc, io, json, sys, time, contextlib
t_start = time.process_time()
import assistant.cli
import assistant.engine.diagnose
dg = sys.modules["assistant.engine.diagnose"]
import assistant.engine.host as host
import assistant.render as render
import assistant.render.json_out as jo
import assistant.sources.files as files
t_imports = time.process_time() - t_start
stages = {}
peaks = {}  # the process's peak RSS (MB) when each stage last ended
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    return 0
def timed(name, fn, consume=False):
    def wrapper(*a, **k):
        t = time.process_time()
        try:
            out = fn(*a, **k)
            if consume:
                out = list(out)
            return out
        finally:
            stages[name] = stages.get(name, 0.0) + time.process_time() - t
            peaks[name] = hwm()
    return wrapper
files.load_snapshot = timed("load", files.load_snapshot)
dg.Topology = timed("topology", dg.Topology)
dg.facts_for = timed("facts", dg.facts_for, consume=True)
host.RuleEngine.run = timed("engine", host.RuleEngine.run)
dg.default_engine = timed("engine setup", dg.default_engine)
dg.render_finding = timed("findings", dg.render_finding)
dg.subnet_summaries = timed("subnet summaries", dg.subnet_summaries)
dg._not_checked = timed("not checked", dg._not_checked)
jo.render_json = timed("render", jo.render_json)
jo.render_json_bytes = timed("render", jo.render_json_bytes)
try:
    import assistant.canonical as canon
    canon.canonical = timed("canonical order", canon.canonical)
except ImportError:
    pass
render.render_json = jo.render_json
by_kind = {}
try:
    import assistant.engine.facts._base as fb
    def timed_producer(kind, fn):
        def wrapper(topo, **kw):
            t = time.process_time()
            out = list(fn(topo, **kw))
            k = by_kind.setdefault(kind, [0.0, 0])
            k[0] += time.process_time() - t
            k[1] += len(out)
            return out
        return wrapper
    for _kind, _fn in list(fb.PRODUCERS.items()):
        fb.PRODUCERS[_kind] = timed_producer(_kind, _fn)
except ImportError:
    pass
gc_time = [0.0, 0]
def on_gc(phase, info, _t=[0.0]):
    if phase == "start":
        _t[0] = time.process_time()
    else:
        gc_time[0] += time.process_time() - _t[0]
        gc_time[1] += 1
gc.callbacks.append(on_gc)
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    rc = assistant.cli.main(["scan", "--snapshot", *sys.argv[1:], "--format", "json"])
total = time.process_time() - t_start
print(json.dumps({"imports": t_imports, **stages, "gc": gc_time[0], "gc_runs": gc_time[1],
                  "total": total, "rc": rc, "by_kind": by_kind, "peaks": peaks}))
"""


TRACE = r"""
import json, random, statistics, sys, time
from assistant.sources.files import load_snapshot
from assistant.trace import Tracer
n = int(sys.argv[1])
snap = load_snapshot(sys.argv[2:])
t0 = time.perf_counter()
tracer = Tracer(snap)
_ = tracer.topo.views
setup = time.perf_counter() - t0
rnd = random.Random(7)
running = [i.InstanceId for i in snap.Instances if i.State.Name == "running"]
lbs = [lb.LoadBalancerName for lb in snap.LoadBalancers]
tracer.trace(running[0], "internet", 443)  # warm-up: reads the rule catalogue once
names = ["instance -> internet", "internet -> load balancer", "instance -> instance",
         "internet -> instance"]
by = {k: [] for k in names}
for q in range(n):
    kind = q % 4
    if kind == 0:
        args = (rnd.choice(running), "internet", 443)
    elif kind == 1:
        args = ("internet", rnd.choice(lbs), 443)
    elif kind == 2:
        args = (rnd.choice(running), rnd.choice(running), 8080)
    else:
        args = ("internet", rnd.choice(running), 22)
    t = time.perf_counter()
    tracer.trace(*args)
    by[names[kind]].append((time.perf_counter() - t) * 1000)
every = [x for v in by.values() for x in v]
print(json.dumps({"setup_ms": setup * 1000, "mean": statistics.mean(every),
                  "median": statistics.median(every), "max": max(every),
                  "by": {k: statistics.mean(v) for k, v in by.items() if v}}))
"""


# Children keep their compiled bytecode (in a temporary PYTHONPYCACHEPREFIX, even when
# PYTHONDONTWRITEBYTECODE is set), as an installed package has it; the first (fixed-cost) scan
# compiles it.
_PYCACHE = tempfile.mkdtemp(prefix="vpc-helper-bench-pycache-")
CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": _PYCACHE,
}


def run_child(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one child process, start to exit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=CHILD_ENV
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} ... failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def readable(directory: Path) -> tuple[list[str], list[str]]:
    """(files the loader reads, 'file (key)' for those it does not know)."""
    try:
        from assistant.models.registry import BY_KEY as known_keys
    except ImportError:  # before the registry
        from assistant.sources.files import AWS_OUTPUTS as known_keys

    known = set(known_keys) | {"VpcId"}  # describe-vpc-attribute outputs start with VpcId
    keep, skipped = [], []
    for p in sorted(directory.glob("*.json")):
        with p.open("rb") as fh:
            m = _FIRST_KEY.match(fh.read(200))
        key = m.group(1).decode() if m else "?"
        if key in known:
            keep.append(str(p))
        else:
            skipped.append(f"{p.name} ({key})")
    return keep, skipped


def region(cache: Path, subnets: int) -> Path:
    """The generated region for ``subnets`` (made once, then reused)."""
    d = cache / f"region-{subnets}"
    stamp = d / ".complete"
    if not stamp.exists():
        t = time.perf_counter()
        planted = generate(d, subnets)
        stamp.write_text(json.dumps(planted))
        print(f"  generated {d} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return d


def scan_args(paths: list[str]) -> list[str]:
    return [sys.executable, "-m", "assistant", "scan", "--snapshot", *paths, "--format", "json"]


# Runs shorter than this are repeated at least SHORT_REPEAT times: a few tens of milliseconds
# of noise are a tenth of the per-subnet cost at 1,000 subnets, where the fixed cost is
# subtracted from a run of 0.7 s (and each run costs little).
SHORT, SHORT_REPEAT = 2.0, 11


def interleaved(
    jobs: dict[object, list[str]], repeat: int
) -> dict[object, tuple[float, float, float]]:
    """Per job, (median wall, median CPU, max peak RSS MB) over ``repeat`` rounds that each run
    every job in turn; a job whose first run is short runs ``SHORT_REPEAT`` times in all
    (or ``repeat``, if more), spread over the rounds."""
    runs: dict[object, list[tuple[float, float, float]]] = {k: [] for k in jobs}
    short: set[object] = set()
    for r in range(repeat):
        share = SHORT_REPEAT // repeat + (r < SHORT_REPEAT % repeat)  # a short job's runs now
        for k, args in jobs.items():
            runs[k].append(run_child(args))
            if r == 0 and runs[k][0][0] < SHORT:
                short.add(k)
            if k in short:
                runs[k] += [run_child(args) for _ in range(share - 1)]
    return {
        k: (
            statistics.median(x[0] for x in v),
            statistics.median(x[1] for x in v),
            max(x[2] for x in v),
        )
        for k, v in runs.items()
    }


def profile(paths: list[str]) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", PROFILE, *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=CHILD_ENV,
    )
    if r.returncode != 0:
        raise SystemExit(f"profile failed: {r.stderr[-800:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description="whole-process scan against json.load")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vpc-helper-bench"))
    ap.add_argument("--profile", action="store_true", help="also print the time per stage")
    ap.add_argument(
        "--traces", type=int, default=0, help="also time this many traces after load, per size"
    )
    a = ap.parse_args()

    fixed_dir = region(a.cache, FIXED_SUBNETS)
    fixed_paths, skipped = readable(fixed_dir)
    if skipped:
        print(f"not read by this build (left out of both): {', '.join(skipped)}")
    run_child(scan_args(fixed_paths))  # compiles the bytecode once, as an install does
    # The runs are interleaved, round by round (the fixed-cost scan, then each size's floor and
    # scan), so that a drift of the shared machine's speed weighs on every size alike: the
    # per-subnet growth compares sizes.
    jobs: dict[object, list[str]] = {"fixed": scan_args(fixed_paths)}
    sizes: dict[int, tuple[list[str], float]] = {}
    for n in a.sizes:
        paths, _ = readable(region(a.cache, n))
        sizes[n] = (paths, sum(Path(p).stat().st_size for p in paths) / 1e6)
        jobs[("floor", n)] = [sys.executable, "-c", FLOOR, *paths]
        jobs[("scan", n)] = scan_args(paths)
    runs = interleaved(jobs, a.repeat)
    fixed, fixed_cpu, _ = runs["fixed"]
    print(
        f"fixed cost (scan of {FIXED_SUBNETS} subnets, whole process): {fixed:.2f} s wall, "
        f"{fixed_cpu:.2f} s CPU"
    )
    print(
        f"wall (CPU) seconds, median of {a.repeat} interleaved rounds "
        f"({max(a.repeat, SHORT_REPEAT)} runs for those under {SHORT:.0f} s)"
    )
    print(
        f"{'subnets':>8} {'instances':>9} {'MB':>6} {'json.load':>13} {'scan':>13} "
        f"{'ratio':>11} {'floor MB':>8} {'scan MB':>8} {'µs/subnet':>11}"
    )
    rows = []
    for n in a.sizes:
        paths, size = sizes[n]
        floor, floor_cpu, floor_mb = runs[("floor", n)]
        scan, scan_cpu, scan_mb = runs[("scan", n)]
        per = (scan - fixed) / (n - FIXED_SUBNETS) * 1e6
        per_cpu = (scan_cpu - fixed_cpu) / (n - FIXED_SUBNETS) * 1e6
        rows.append((n, per, per_cpu))
        print(
            f"{n:>8} {n * 5:>9} {size:>6.0f} {floor:>5.2f} ({floor_cpu:>5.2f}) "
            f"{scan:>5.2f} ({scan_cpu:>5.2f}) {scan / floor:>4.2f} ({scan_cpu / floor_cpu:>4.2f}) "
            f"{floor_mb:>8.0f} {scan_mb:>8.0f} {per:>4.0f} ({per_cpu:>4.0f})",
            flush=True,
        )
        if a.profile:
            p = profile(paths)
            by_kind = p.pop("by_kind", {})
            peaks = p.pop("peaks", {})
            shown = {k: v for k, v in p.items() if k not in ("total", "rc", "gc_runs")}
            rest = p["total"] - sum(v for k, v in shown.items() if k != "gc")
            parts = ", ".join(f"{k} {v:.2f}" for k, v in shown.items())
            print(
                f"         profile (CPU s): {parts} ({p['gc_runs']} collections, inside the "
                f"stages), rest {rest:.2f}; total {p['total']:.2f}",
                flush=True,
            )
            if by_kind:
                top = sorted(by_kind.items(), key=lambda kv: -kv[1][0])
                kinds = ", ".join(f"{k} {t:.2f} ({n:,})" for k, (t, n) in top if t >= 0.005)
                made = sum(n for _, n in by_kind.values())
                print(
                    f"         facts by kind (CPU s, facts made; {made:,} in all): {kinds}",
                    flush=True,
                )
            seen = ", ".join(f"{k} {v}" for k, v in peaks.items())
            print(
                f"         peak RSS after each stage (MB; facts are listed at once here, the "
                f"scan streams them): {seen}",
                flush=True,
            )
        if a.traces:
            r = subprocess.run(
                [sys.executable, "-c", TRACE, str(a.traces), *paths],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=CHILD_ENV,
            )
            if r.returncode != 0:
                raise SystemExit(f"trace bench failed: {r.stderr[-800:]}")
            t = json.loads(r.stdout.strip().splitlines()[-1])
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in t["by"].items())
            print(
                f"         trace after load ({a.traces} traces): mean {t['mean']:.2f} ms, "
                f"median {t['median']:.2f}, max {t['max']:.2f} (indexes {t['setup_ms']:.0f} ms; "
                f"means: {kinds})",
                flush=True,
            )
    if len(rows) > 1:
        (n0, c0, u0), (n1, c1, u1) = rows[0], rows[-1]
        print(
            f"per-subnet cost {n0} -> {n1} subnets: wall {c0:.0f} -> {c1:.0f} µs "
            f"({c1 / c0 - 1:+.0%}), CPU {u0:.0f} -> {u1:.0f} µs ({u1 / u0 - 1:+.0%})"
        )


if __name__ == "__main__":
    main()
