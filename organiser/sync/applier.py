"""Applying peers' changesets on a worker thread, so a big first sync never stalls the app.

The worker has its own SQLite connection (and its own `Replica` over the same database);
SQLite serialises its writes with the app's own. Events the apply raises are handed back
and published on the caller's thread, where the app's bridge and the node expect them.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from organiser.core.bus import RecordsChanged
from organiser.core.changeset import Changeset
from organiser.store.database import connect
from organiser.store.replica import ApplyResult, Replica


class BackgroundApplier:
    def __init__(self, replica: Replica) -> None:
        self._main = replica
        self._path = replica.database_path()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="organiser-apply")
        self._local = threading.local()
        self._replicas: list[Replica] = []

    def _worker_replica(self) -> Replica:
        replica = getattr(self._local, "replica", None)
        if replica is None:
            main = self._main
            # What peers sent can be asked for again, so this connection need not fsync
            # every step; local edits keep synchronous=FULL on the app's connection.
            db = connect(self._path, synchronous="NORMAL")
            replica = Replica(db, group_id=main.group_id, device_id=main.device_id, key=main.key())
            self._local.replica = replica
            self._replicas.append(replica)
        return replica

    def _apply(self, changesets: list[Changeset], source: str | None) -> tuple[ApplyResult, list[Any]]:
        events: list[Any] = []
        result = self._worker_replica().apply(changesets, events=events, source=source)
        return result, events

    def submit(self, changesets: list[Changeset], source: str | None = None) -> Future[tuple[ApplyResult, list[Any]]]:
        """Start applying; the future gives (result, events to publish)."""
        return self._executor.submit(self._apply, changesets, source)

    def publish(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, RecordsChanged) and "device" in event.kinds:
                self._main.forget_roster()
            self._main.bus.publish(event)

    async def apply(self, changesets: list[Changeset], source: str | None = None) -> ApplyResult:
        result, events = await asyncio.wrap_future(self.submit(changesets, source))
        self.publish(events)
        return result

    def close(self) -> None:
        def close_connections() -> None:
            for replica in self._replicas:
                replica.db.close()

        self._executor.submit(close_connections)
        self._executor.shutdown(wait=True)
