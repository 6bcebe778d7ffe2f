"""Pause the cyclic garbage collector while building many small objects.

Loading a large snapshot creates hundreds of thousands of model objects and no reference
cycles; with the collector running, most of the time goes into repeated full collections.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (nests; restores the previous state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
