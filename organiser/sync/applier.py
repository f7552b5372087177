"""Applying peers' changesets on a worker thread, so a big first sync never stalls the app.

The worker has its own SQLite connection (and its own `Replica` over the same database);
SQLite serialises its writes with the app's own. Events the apply raises are handed back
and published on the caller's thread, where the app's bridge and the node expect them.

Requests that wait while the worker is busy (a room's links each bring a few changesets at
a time) go to the worker together, as one `Replica.apply`: one transaction, one signature
check per author, one round of events. Applying one changeset alone costs ~1.1 ms of CPU,
sixteen together ~0.13 ms each (measured, tests/perf/room.py). Each caller still gets its
own result: the refusals of what it sent, and incidents noted against the peer that sent it.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from organiser.core.bus import RecordsChanged
from organiser.core.changeset import Changeset
from organiser.store import incidents
from organiser.store.arrivals import held_hashes
from organiser.store.database import connect
from organiser.store.replica import ApplyResult, Replica
from organiser.store.verify import Refusal

# At most this many changesets in one combined apply: a session's chunk is sized to about 50 ms
# of SQLite work (sync/session.py), and a local edit waits for the worker's write lock.
COMBINED_MAX = 4000

Key = tuple[str, int]  # (author, seq)


@dataclass
class _Request:
    changesets: list[Changeset]
    source: str | None
    done: asyncio.Future[ApplyResult]
    keys: dict[Key, str] = field(default_factory=dict)  # (author, seq) -> hash, of what it sent

    def __post_init__(self) -> None:
        self.keys = {(cs.author, cs.seq): cs.hash for cs in self.changesets}


class BackgroundApplier:
    def __init__(self, replica: Replica) -> None:
        self._main = replica
        self._path = replica.database_path()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="organiser-apply")
        self._local = threading.local()
        self._replicas: list[Replica] = []
        self._waiting: list[_Request] = []
        self._busy = False  # a combined apply is on the worker
        self.combined_applies = 0  # worker transactions for apply() requests, for tests and benchmarks

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
        """Start applying (alone, not combined); the future gives (result, events to publish)."""
        return self._executor.submit(self._apply, changesets, source)

    def publish(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, RecordsChanged) and "device" in event.kinds:
                self._main.forget_roster()
            self._main.bus.publish(event)

    async def apply(self, changesets: list[Changeset], source: str | None = None) -> ApplyResult:
        """Apply what `source` sent, together with what other callers wait to apply meanwhile."""
        request = _Request(list(changesets), source, asyncio.get_running_loop().create_future())
        self._waiting.append(request)
        if not self._busy:
            self._start_next()
        return await asyncio.shield(request.done)  # a caller that gives up leaves the others' apply be

    # ---- combining ----------------------------------------------------------------------------

    def _take_batch(self) -> list[_Request]:
        """The waiting requests that go together: up to COMBINED_MAX changesets, and never two
        versions of one (author, seq) from different requests, so each refusal names one version
        and lands with whoever sent it. A request left out goes in the next batch."""
        taken: list[_Request] = []
        keys: dict[Key, str] = {}
        size = 0
        left: list[_Request] = []
        for request in self._waiting:
            clash = any(keys.get(key, digest) != digest for key, digest in request.keys.items())
            if taken and (clash or size + len(request.changesets) > COMBINED_MAX):
                left.append(request)
                continue
            taken.append(request)
            keys.update(request.keys)
            size += len(request.changesets)
        self._waiting = left
        return taken

    def _start_next(self) -> None:
        batch = self._take_batch()
        if not batch:
            self._busy = False
            return
        self._busy = True
        try:
            future = asyncio.wrap_future(self._executor.submit(self._apply_together, batch))
        except RuntimeError as exc:  # closed: the node is stopping and its sessions with it
            batch += self._waiting
            self._waiting = []
            self._busy = False
            _fail(batch, ConnectionError(f"the sync node is stopping ({exc})"))
            return
        future.add_done_callback(lambda done: self._finished(batch, done))

    def _finished(self, batch: list[_Request], done: asyncio.Future[tuple[list[ApplyResult], list[Any]]]) -> None:
        try:
            if done.cancelled():
                raise ConnectionError("the apply was cancelled")  # the applier is closing
            results, events = done.result()
            self.publish(events)
        except Exception as exc:  # the worker's (or a listener's) error reaches every caller of this batch
            _fail(batch, exc)
        else:
            for request, result in zip(batch, results, strict=True):
                if not request.done.done():
                    request.done.set_result(result)
        finally:
            self._start_next()  # whatever happened, the requests waiting behind this batch go on

    def _apply_together(self, batch: list[_Request]) -> tuple[list[ApplyResult], list[Any]]:
        """On the worker: one `Replica.apply` for the whole batch, its result split per request."""
        self.combined_applies += 1
        if len(batch) == 1:
            result, events = self._apply(batch[0].changesets, batch[0].source)
            return [result], events
        replica = self._worker_replica()
        everything = [cs for request in batch for cs in request.changesets]
        held_before = held_hashes(replica.db, everything)
        senders: dict[Key, list[_Request]] = {}
        for request in batch:
            for key in request.keys:
                senders.setdefault(key, []).append(request)
        events: list[Any] = []

        def sender(refusal: Refusal) -> str | None:
            return senders.get((refusal.author, refusal.seq), batch)[0].source

        combined = replica.apply(everything, events=events, source=sender)
        return _split(batch, combined, senders, held_before, replica.db), events

    def close(self) -> None:
        def close_connections() -> None:
            for replica in self._replicas:
                replica.db.close()

        self._executor.submit(close_connections)
        self._executor.shutdown(wait=True)


def _fail(batch: list[_Request], exc: Exception) -> None:
    for request in batch:
        if not request.done.done():
            request.done.set_exception(exc)
            request.done.exception()  # a caller that gave up is not told of it as "never retrieved"


def _split(batch: list[_Request], combined: ApplyResult, senders: dict[Key, list[_Request]],
           held_before: dict[Key, str], db: Database) -> list[ApplyResult]:
    """Each request's share of a combined apply: the refusals of what it sent, the changesets it
    was first to bring (a copy another link brought in the same batch is its duplicate)."""
    results = {id(request): ApplyResult(changed_records=combined.changed_records) for request in batch}
    refused_keys = _share_refusals(batch, combined.refused, senders, results, db)
    for key, requests in senders.items():
        first, *others = requests
        if key in held_before or key in refused_keys:
            for request in requests:
                results[id(request)].duplicates += held_before.get(key) == request.keys[key]
            continue
        results[id(first)].applied += 1
        for request in others:
            results[id(request)].duplicates += 1
    return [results[id(request)] for request in batch]


def _share_refusals(batch: list[_Request], refused: list[Refusal], senders: dict[Key, list[_Request]],
                    results: dict[int, ApplyResult], db: Database) -> set[Key]:
    """Each refusal to every request that sent its changeset; the (author, seq) refused."""
    refused_keys: set[Key] = set()
    for refusal in refused:
        key = (refusal.author, refusal.seq)
        refused_keys.add(key)
        sent_by = senders.get(key, batch[:1])  # every refusal names a changeset of the batch
        for request in sent_by:
            results[id(request)].refused.append(refusal)
        # A refusal no signature vouches for is noted against each peer that sent it, as when each
        # link's changesets were applied alone; the combined apply noted it against the first.
        also = {r.source for r in sent_by[1:] if r.source and r.source != sent_by[0].source}
        if also and refusal.code in incidents.UNVOUCHED:
            for source in sorted(also):
                incidents.note_refusals(db, [refusal], source)
    return refused_keys
