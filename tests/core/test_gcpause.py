"""Pausing the cyclic garbage collector around big batches: it always comes back on, even
when sections overlap across threads, and survivors are frozen only when asked."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from organiser.core.gcpause import gc_paused


@pytest.fixture(autouse=True)
def automatic_collector_on() -> Iterator[None]:
    """A worker that ran a window's test has the automatic collector off for good (ui/collector.py,
    as the app has it): these start from it on, as the command line has it, and leave it as found."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after_overlapping_sections():
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def other_thread() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)
            seen.append(gc.isenabled())

    worker = threading.Thread(target=other_thread)
    with gc_paused():
        worker.start()
        assert inside.wait(5)
        seen.append(gc.isenabled())
    seen.append(gc.isenabled())  # the other section still runs
    release.set()
    worker.join(5)
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_survivors_are_frozen_only_when_a_section_asks():
    gc.unfreeze()
    with gc_paused():
        kept = [{"member": i} for i in range(1000)]
    assert gc.get_freeze_count() == 0
    with gc_paused(freeze_survivors=True):
        kept += [{"event": i} for i in range(1000)]
    assert gc.get_freeze_count() >= 2000
    gc.unfreeze()
    assert gc.isenabled() and len(kept) == 2000
