"""One typed event bus for the core. Subscribing returns the unsubscribe.

Handlers run on the thread that publishes; the Qt bridge re-emits them as signals so
UI handlers run on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordsChanged:
    """Records were written, locally or from a peer."""

    ids: frozenset[str]
    kinds: frozenset[str]
    origin: str  # "local" or "remote"


@dataclass(frozen=True)
class ChangesetsStored:
    """New changesets entered the change log (the sync layer pushes them on)."""

    count: int
    authors: frozenset[str] = field(default_factory=frozenset)
    # Where they went in the change log, as (first id, last id) per insert: the window's watch of
    # the store (ui/store_watch.py) leaves these to this event, reading only other processes' rows.
    log_ids: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ChangesetRefused:
    author: str
    seq: int
    reason: str  # in the words of the checks, for logs
    code: str = "refused"  # the incident's reason (store/incidents.py WORDING says it for people)
    device: str = ""  # the device it is counted against: the author, or the peer that passed it on
    note: str = ""  # a detail for people, e.g. how far ahead a clock is


@dataclass(frozen=True)
class ClockWarning:
    device: str
    ahead_seconds: float


@dataclass(frozen=True)
class PeersChanged:
    """A peer appeared, connected, synced, or went away (published by the sync layer)."""


@dataclass(frozen=True)
class SyncProgress:
    """Progress of a long sync or import: done of total (total 0 when unknown)."""

    done: int
    total: int
    what: str = "sync"


Event = RecordsChanged | ChangesetsStored | ChangesetRefused | ClockWarning | PeersChanged | SyncProgress


class EventBus:
    def __init__(self) -> None:
        self._handlers: list[tuple[type, Callable[[object], None]]] = []
        self._lock = threading.Lock()

    def subscribe(self, event_type: type, handler: Callable) -> Callable[[], None]:
        entry = (event_type, handler)
        with self._lock:
            self._handlers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def listens(self, event_type: type) -> bool:
        """Whether anyone subscribed to this type of event: if not, it need not be built."""
        return any(issubclass(event_type, t) for t, _handler in self._handlers)

    def publish(self, event: object) -> None:
        with self._lock:
            handlers = [h for t, h in self._handlers if isinstance(event, t)]
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # a broken listener must not break a write
                log.exception("event handler %r failed on %r", handler, event)
