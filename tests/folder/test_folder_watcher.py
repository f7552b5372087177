"""While the app or `serve` runs, a watcher passes over the folders every ~1.5 s: an edit on one
laptop appears on the other within seconds, with no command typed."""

from __future__ import annotations

import asyncio
import time

from organiser.core.bus import RecordsChanged
from organiser.services.folders import FolderWatcher
from tests.folder.conftest import folders, make_group


def test_watchers_carry_an_edit_across_a_folder_within_seconds(tmp_path):
    a, b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(a).add(str(shared))
    folders(b).add(str(shared))
    seen: list[RecordsChanged] = []
    b.bus.subscribe(RecordsChanged, seen.append)

    async def scenario() -> float:
        watchers = [FolderWatcher(a.replica, interval=0.3), FolderWatcher(b.replica, interval=0.3)]
        for watcher in watchers:
            watcher.start()
        try:
            await asyncio.sleep(0.5)
            made = a.members.add("Arrives by itself")
            started = time.monotonic()
            deadline = started + 20
            while time.monotonic() < deadline:
                if any(made.id in event.ids for event in seen):
                    return time.monotonic() - started
                await asyncio.sleep(0.05)
            raise AssertionError("the edit did not arrive through the folder within 20 s")
        finally:
            for watcher in watchers:
                await watcher.stop()

    asyncio.run(scenario())
    assert [m.name for m in b.members.list()] == ["Arrives by itself"]
    assert a.replica.state_hash() == b.replica.state_hash()
    assert folders(b).status(str(shared))["last_pass_at"] is not None


def test_a_pass_that_fails_on_one_folder_does_not_stop_the_passes_over_the_others(tmp_path, monkeypatch):
    """A folder whose pass raises (a bug, a file no check foresaw) is said in its status; the
    watcher still passes over the folders after it."""
    from organiser.services import folders as folder_service
    from organiser.store import folders as store

    a, b = make_group(tmp_path, 2)
    broken, working = tmp_path / "broken", tmp_path / "working"
    for path in (broken, working):
        path.mkdir()
        folders(a).add(str(path))
        folders(b).add(str(path))
    real_run = folder_service.FolderPass.run

    def run(self):
        if self.folder == str(broken):
            raise RuntimeError("something no check foresaw")
        return real_run(self)

    monkeypatch.setattr(folder_service.FolderPass, "run", run)
    made = a.members.add("Carried by the other folder")
    reports, _events = FolderWatcher(a.replica)._pass()
    assert [r.folder for r in reports] == [str(working)]
    assert "something no check foresaw" in store.folder(a.db, str(broken)).last_error
    folders(b).sync(str(working))
    assert made.id in {m.id for m in b.members.list()}


def test_a_watcher_that_died_with_an_error_still_stops_and_closes_its_connection(tmp_path, monkeypatch):
    """Stopping the watcher is part of locking the app and closing a group: a watcher whose loop
    had died with an error raised it again there, so Lock now failed and the group stayed open."""
    (a,) = make_group(tmp_path, 1)
    watcher = FolderWatcher(a.replica, interval=0.05)

    async def dies() -> None:
        watcher._worker()  # its connection is open, as after a first pass
        raise RuntimeError("no running event loop")

    monkeypatch.setattr(watcher, "_run", dies)

    async def scenario() -> None:
        watcher.start()
        assert watcher._task is not None
        await asyncio.wait([watcher._task], timeout=10)
        assert watcher._task.done()
        await watcher.stop()

    asyncio.run(scenario())
    assert watcher._task is None
    assert watcher._replicas
    for replica in watcher._replicas:
        try:
            replica.db.execute("SELECT 1")
        except Exception as exc:  # closed, as it should be
            assert "closed" in str(exc).lower()
        else:
            raise AssertionError("the watcher's connection is still open")


def test_a_folder_that_stays_unusable_is_logged_once_not_at_every_pass(tmp_path, caplog):
    """From the folder walk: a full stick wrote the same long warning to the log every second."""
    import logging

    a, _b = make_group(tmp_path, 2)
    stick = tmp_path / "stick"
    stick.mkdir()
    folders(a).add(str(stick))
    stick.rename(tmp_path / "pocket")

    async def passes() -> None:
        watcher = FolderWatcher(a.replica)
        try:
            for _ in range(3):
                await watcher.pass_now()
            (tmp_path / "pocket").rename(stick)
            await watcher.pass_now()
            stick.rename(tmp_path / "pocket")
            await watcher.pass_now()
        finally:
            await watcher.stop()

    with caplog.at_level(logging.INFO, logger="organiser.services.folders"):
        asyncio.run(passes())
    said = [r.getMessage() for r in caplog.records if r.name == "organiser.services.folders"]
    assert len([m for m in said if "is not there" in m]) == 2  # once, and once again after it was back
    assert any("can be used again" in m for m in said)
