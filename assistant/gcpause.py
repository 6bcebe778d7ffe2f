"""Pause the cyclic garbage collector while building many small objects.

Loading a large snapshot creates hundreds of thousands of model objects and no reference
cycles; with the collector running, most of the time goes into repeated full collections.
Leaving the pause does not collect: it freezes what was built (``gc.freeze()``), so those
long-lived objects are never scanned again by later collections (rendering, the chat). Freed
objects go as always by reference counting; only cyclic garbage made inside the pause would
stay, and the code run there makes none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def pause() -> bool:
    """Disable the cyclic collector; whether it was enabled (hand it to ``resume``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


def resume(was_enabled: bool) -> None:
    """End a pause begun by ``pause``: if the collector was enabled then, the objects alive
    now are frozen out of later collections (instead of collected) and it runs again."""
    if was_enabled:
        gc.freeze()
        gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (nests; restores the previous state).

    On leaving the outermost pause, the objects alive then are frozen out of later
    collections instead of collected."""
    was_enabled = pause()
    try:
        yield
    finally:
        resume(was_enabled)
