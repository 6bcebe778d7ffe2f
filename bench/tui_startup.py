"""Time from `vpc-helper` start to the chat's first screen (target: under 0.5 s).

Runs a fresh interpreter per sample (imports included, as a user pays them), starts the
chat headless at 100x30 and stops when the opening message and its choices are on screen.
Compiled bytecode is kept (in a temporary PYTHONPYCACHEPREFIX, even when
PYTHONDONTWRITEBYTECODE is set) and warmed by a first run, as an installed package has it.
Usage: python bench/tui_startup.py [--runs N] [--demo]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import time
t0 = time.perf_counter()
import asyncio, sys
from assistant.cli import _global_snapshot_paths, build_parser
from assistant.commands.common import merge_global
from assistant.tui.app import ChatApp
from assistant.conversation.session import Session

async def main():
    argv = _global_snapshot_paths(sys.argv[1:])  # as `vpc-helper` parses its command line
    args = merge_global(build_parser(argv).parse_args(argv))
    app = ChatApp(Session.from_args(args))
    async with app.run_test(size=(100, 30)) as pilot:
        while not app.session.choices or app.busy:
            await pilot.pause(0.005)
        await pilot.pause()
        return time.perf_counter() - t0

elapsed = asyncio.run(main())
print(elapsed, "boto3" in sys.modules)
"""


def sample(extra: list[str], pycache: str) -> tuple[float, bool]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout.split()
    return float(out[0]), out[1] == "True"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--demo", action="store_true", help="start as `vpc-helper --demo`")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    extra = ["--demo"] if args.demo else []
    times, boto = [], False
    with tempfile.TemporaryDirectory(prefix="tui-startup-pyc-") as pycache:
        sample(extra, pycache)  # warm the file cache and compile the bytecode
        for _ in range(args.runs):
            t, b = sample(extra, pycache)
            times.append(t)
            boto = boto or b
    result = {
        "runs": args.runs,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "boto3_imported": boto,
        "target_s": 0.5,
        "ok": statistics.median(times) < 0.5 and not boto,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"time to first screen: median {result['median_s']:.3f} s, max {result['max_s']:.3f} s "
            f"over {args.runs} runs (target < 0.5 s); boto3 imported: {boto}"
        )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
