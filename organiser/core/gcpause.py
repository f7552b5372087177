"""Pausing Python's cyclic garbage collector while a big batch of changesets is decoded
and applied.

A first sync creates hundreds of thousands of small tuples and dicts; each few hundred of
them trigger a collection that walks every object alive, which cost a third of the time of
decoding. The objects made here hold no reference cycles, so nothing is lost by collecting
once the batch is done. Safe across threads: the collector comes back on when the last
paused section ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_freeze = False


@contextmanager
def gc_paused(*, freeze_survivors: bool = False) -> Iterator[None]:
    """`freeze_survivors`: when the last paused section ends, move what is still alive out
    of the collector's sight (`gc.freeze`) rather than let its next full pass walk all of
    it (an import leaves tens of thousands of objects behind; only cycles made meanwhile
    stay allocated, and imports make very few)."""
    global _depth, _was_enabled, _freeze
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
        _freeze |= freeze_survivors
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _freeze:
                    gc.freeze()
                    _freeze = False
                if _was_enabled:
                    gc.enable()
