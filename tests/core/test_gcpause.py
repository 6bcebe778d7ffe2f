"""The collector pause: off inside, back on after, what was built is frozen, not collected."""

from __future__ import annotations

import gc

from assistant.gcpause import gc_paused


def test_pause_nests_and_restores():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one paused
    assert gc.isenabled()


def test_objects_built_in_the_pause_are_frozen_out_of_later_collections():
    before = gc.get_freeze_count()
    with gc_paused():
        built = [[i] for i in range(1000)]  # lists: always tracked by the collector
    try:
        assert gc.get_freeze_count() >= before + len(built)
    finally:
        gc.unfreeze()


def test_a_disabled_collector_stays_disabled_and_nothing_is_frozen():
    gc.disable()
    try:
        before = gc.get_freeze_count()
        with gc_paused():
            [[i] for i in range(100)]
        assert not gc.isenabled()
        assert gc.get_freeze_count() == before
    finally:
        gc.enable()
