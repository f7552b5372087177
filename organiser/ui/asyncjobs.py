"""Running the network layer's coroutines from widgets: keep a strong reference to each
task (asyncio only keeps weak ones), and hand the outcome back as a plain callback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Future[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], on_done: Callable[[Any], None] | None = None,
          on_error: Callable[[BaseException], None] | None = None) -> asyncio.Future[Any]:
    """Schedule `coro` on the app's event loop (qasync's, inside the Qt loop)."""
    loop = asyncio.get_event_loop()
    task = asyncio.ensure_future(coro, loop=loop)
    _running.add(task)

    def finished(t: asyncio.Future[Any]) -> None:
        _running.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background job failed", exc_info=exc)
        elif on_done is not None:
            on_done(t.result())

    task.add_done_callback(finished)
    return task
