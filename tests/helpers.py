"""Helpers for tests: run the command as a user would."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, input: str | None = None):
    """Run `vpc-helper` as a subprocess (python -m assistant) and return the result."""
    import subprocess

    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    if env:
        e.update(env)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=e,
        cwd=cwd or ROOT,
        input=input,
        timeout=120,
    )
