"""What a one-shot command may leave unfreed when the process ends.

A scan of a large region holds millions of small objects; freeing them one by one when the
command returns costs a noticeable share of the run (0.8 s of CPU at 10,000 subnets) and
nobody waits for it. The console script (``assistant.cli.entry``) turns this on: a command
hands what it read to ``keep_until_exit`` and the process then ends with ``os._exit`` after
flushing its output. Called in-process (tests, the chat), nothing is kept.
"""

from __future__ import annotations

from typing import Any

_kept: list[Any] = []
_enabled = [False]


def enable() -> None:
    """Let commands keep their data until the process ends (the console script only)."""
    _enabled[0] = True


def keep_until_exit(*objects: Any) -> None:
    """Do not free ``objects`` when the command returns (only when enabled)."""
    if _enabled[0]:
        _kept.extend(objects)


def anything_kept() -> bool:
    return bool(_kept)
