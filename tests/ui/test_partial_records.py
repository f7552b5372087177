"""Records a peer's edit began without the fields their kind needs (the change that made them
comes later, from a third laptop) are left out of every view, at start-up and as they arrive."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from organiser.core.changeset import Op
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_pair
from tests.ui.test_events_view import agenda_texts
from tests.ui.test_members_view import names_shown


def _partial_records(event_id: str) -> list[Op]:
    rsvp = secrets.token_hex(16)
    return [Op("event", secrets.token_hex(16), "location", "Hall B"),
            Op("event", secrets.token_hex(16), "start", "2027-01-15T19:00"),  # no title
            Op("task", secrets.token_hex(16), "status", "doing"),
            Op("member", secrets.token_hex(16), "emails", ["ghost@example.org"]),
            Op("rsvp", rsvp, "event", event_id), Op("rsvp", rsvp, "answer", "yes")]


def _whole_event(title: str) -> list[Op]:
    rid = secrets.token_hex(16)
    return [Op("event", rid, "title", title), Op("event", rid, "start", "2027-01-20T19:00"),
            Op("event", rid, "tz", "Europe/Berlin")]


def _blank_rows(win: MainWindow) -> list[str]:
    blanks = [f"agenda row {r.id}" for r in win.events_view.agenda.rows if r.event is not None and not r.event.title]
    blanks += [f"member row {n}" for n, name in enumerate(names_shown(win)) if not name]
    blanks += [f"task {t.id}" for t in win.task_cache.tasks.values() if not t.title]
    return blanks


def test_partial_records_are_left_out_at_start_and_as_they_arrive(demo: Group, qtbot: Any, tmp_path: Path) -> None:
    other = add_device(demo, tmp_path / "other", "minutes laptop")
    try:
        sync_pair(demo, other)
        peer = BadPeer(other)
        some_event = demo.events.list()[0].id
        members_before = len(names_shown_after_start(demo, qtbot, tmp_path, peer, some_event))
        win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui2"))
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.events_view.agenda.rowCount() > 0, timeout=10_000)
        win.switch_to("members")
        qtbot.waitUntil(lambda: len(names_shown(win)) == members_before, timeout=10_000)
        # while the window is open: more partial records, then a whole event to know they were all taken
        demo.replica.apply([peer.sign(_partial_records(some_event)), peer.sign(_whole_event("Arrived whole"))],
                           source=other.device_id)
        win.switch_to("events")
        qtbot.waitUntil(lambda: any("Arrived whole" in (t or "") for t in agenda_texts(win)), timeout=10_000)
        qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        assert _blank_rows(win) == []
        win.switch_to("members")
        qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        assert _blank_rows(win) == []
        assert len(names_shown(win)) == members_before
        win.close()
    finally:
        other.close()


def names_shown_after_start(demo: Group, qtbot: Any, tmp_path: Path, peer: BadPeer, event_id: str) -> list[str]:
    """Partial records already stored when the window opens: the window starts and shows none."""
    demo.replica.apply([peer.sign(_partial_records(event_id))], source=peer.device.device_id)
    win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui1"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.events_view.agenda.rowCount() > 0, timeout=10_000)
    win.switch_to("members")
    qtbot.waitUntil(lambda: len(names_shown(win)) == len(demo.members.list()), timeout=10_000)
    assert _blank_rows(win) == []
    names = names_shown(win)
    win.close()
    return names
