"""Python's cycle collector runs on the app's thread only: an object held in a reference cycle is
deleted there, never on a worker's thread (organiser/ui/collector.py)."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any

from PySide6.QtWidgets import QApplication

from organiser.ui.collector import collect_on_gui_thread
from organiser.ui.lock import IdleLock


class Keeper:
    """What holds a Qt object in a cycle (a controller, a lambda connected to the object's own signal)."""


def test_a_ticking_idle_watch_left_in_a_cycle_goes_on_the_app_s_thread_while_a_worker_allocates(qtbot: Any) -> None:
    """Collected on the worker (the automatic collector runs where the allocations are), the watch's
    running timer stayed registered with the app's thread, which fired it into freed memory: SIGSEGV."""
    collect_on_gui_thread(QApplication.instance())
    gc.collect()
    keeper = Keeper()
    keeper.watch = IdleLock(0.005)  # its timer runs: 0.3 s
    keeper.watch.keeper = keeper
    collected = weakref.ref(keeper)
    del keeper
    made: list[list[int]] = []  # as a worker deriving a key or reading a backup allocates
    worker = threading.Thread(target=lambda: made.extend([i] for i in range(100_000)))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: collected() is None, timeout=3000)  # the timer's 0.3 s go by meanwhile
    qtbot.wait(400)  # and again, with the watch gone
    assert len(made) == 100_000


def test_a_closed_asyncio_loop_with_a_timeout_pending_goes_on_the_app_s_thread_while_a_worker_allocates(
        qtbot: Any) -> None:
    """A test's qasync loop closed with a timeout still pending (a sync's) keeps that Qt timer; its
    timer object, in the loop's cycles, collected on a worker, crashed the next test inside qasync."""
    import qasync

    collect_on_gui_thread(QApplication.instance())
    gc.collect()
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)

    async def a_step_with_a_timeout() -> None:
        asyncio.get_running_loop().call_later(0.3, lambda: None)
        await asyncio.sleep(0.01)

    loop.run_until_complete(a_step_with_a_timeout())
    asyncio.set_event_loop(None)
    loop.close()
    collected = weakref.ref(loop)
    del loop
    made: list[list[int]] = []
    worker = threading.Thread(target=lambda: made.extend([i] for i in range(100_000)))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: collected() is None, timeout=3000)
    qtbot.wait(400)  # past the pending timeout's 0.3 s
    assert len(made) == 100_000
