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
