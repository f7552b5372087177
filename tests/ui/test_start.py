"""The start screen: create a group (with refusals shown), open a demo group, open a group
this device already holds, and join refuses an empty or broken code clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from organiser.core.bus import RecordsChanged
from organiser.services.group import Group, create_group
from organiser.ui.bridge import Bridge
from organiser.ui.first_run import StartWindow
from tests.ui.conftest import click_row, retype


def opened(window: StartWindow) -> list[Group]:
    groups: list[Group] = []
    window.groupReady.connect(groups.append)
    return groups


def test_creating_a_group_needs_a_name(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    groups = opened(start)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    assert start.pages.currentIndex() == 1
    start.create()
    assert start.create_error.isVisibleTo(start) and "needs a name" in start.create_error.text()
    assert groups == []
    qtbot.keyClicks(start.group_name, "Allotment Society")
    start.create()
    assert [g.name for g in groups] == ["Allotment Society"]
    groups[0].close()


def test_the_demo_group_has_members_events_and_tasks(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    groups = opened(start)
    qtbot.mouseClick(start.demo_choice, Qt.MouseButton.LeftButton)
    counts = groups[0].status()["counts"]
    assert counts["member"] > 20 and counts["event"] > 5 and counts["task"] > 20 and counts["rsvp"] > 20
    statuses = {t.status for t in groups[0].tasks.list()}
    assert statuses == {"todo", "doing", "done"}
    groups[0].close()


def test_the_demo_group_has_a_meeting_going_on_with_agenda_minutes_a_vote_and_an_action_item(
        qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    groups = opened(start)
    qtbot.mouseClick(start.demo_choice, Qt.MouseButton.LeftButton)
    demo = groups[0]
    meetings = [e for e in demo.events.list() if demo.meetings.items(e.id)]
    assert len(meetings) == 1 and meetings[0].title == "General assembly"
    event = meetings[0].id
    items = demo.meetings.items(event)
    assert len(items) == 5 and all(i.minutes and i.presenter for i in items)
    assert demo.meetings.state(event).current_item == items[1].id  # the welcome is over
    assert items[0].used_seconds > 0
    assert demo.meetings.minutes_text(event).startswith("Welcome: the facilitator opened the assembly")
    (proposal,) = demo.proposals.list(event)
    shown = demo.proposals.show(proposal.id)
    assert shown["status"] == "open" and shown["quorum_met"] and sum(shown["tally"].values()) >= 3
    tasks = [t for t in demo.meetings.tasks(event) if t.agenda_item == items[1].id]
    assert [t.title for t in tasks] == ["Send the letter to the landlord"] and tasks[0].assignee and tasks[0].due
    demo.close()


def test_groups_already_on_this_device_are_offered(qtbot: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    create_group(data, "Food Co-op", "till laptop").close()
    start = StartWindow(data)
    qtbot.addWidget(start)
    groups = opened(start)
    assert start.existing.count() == 1 and start.existing.item(0).text() == "Food Co-op"
    click_row(qtbot, start.existing, 0, double=True)
    assert [g.name for g in groups] == ["Food Co-op"]
    groups[0].close()


def test_joining_refuses_an_empty_or_broken_code(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    join = start.join_buttons.itemAt(2).widget()
    qtbot.mouseClick(join, Qt.MouseButton.LeftButton)
    assert "paste the code" in start.join_error.text()
    qtbot.keyClicks(start.code, "not a code at all")
    qtbot.mouseClick(join, Qt.MouseButton.LeftButton)
    assert start.isEnabled() and start.join_error.isVisibleTo(start)
    assert "code" in start.join_error.text().lower() and start.join_error.text().endswith(".")


def test_a_flood_of_changes_from_peers_reaches_the_views_in_slices(qtbot: Any, group: Group) -> None:
    bridge = Bridge(group.bus, slice_size=10)
    seen: list[RecordsChanged] = []
    bridge.recordsChanged.connect(seen.append)
    ids = [f"{i:032x}" for i in range(35)]
    group.bus.publish(RecordsChanged(frozenset(ids), frozenset({"member"}), "remote"))
    assert seen == [] and bridge.busy
    qtbot.waitUntil(lambda: not bridge.busy, timeout=3000)
    assert [len(e.ids) for e in seen] == [10, 10, 10, 5]
    assert set().union(*(e.ids for e in seen)) == set(ids)
    group.bus.publish(RecordsChanged(frozenset({"a" * 32}), frozenset({"member"}), "local"))
    assert seen[-1].origin == "local" and len(seen) == 5  # your own edits go through at once
    bridge.close()


def test_a_big_import_reaches_the_views_in_slices_as_a_local_change(qtbot: Any, group: Group) -> None:
    bridge = Bridge(group.bus, slice_size=100)
    seen: list[RecordsChanged] = []
    bridge.recordsChanged.connect(seen.append)
    ids = [f"{i:032x}" for i in range(250)]
    group.bus.publish(RecordsChanged(frozenset(ids), frozenset({"member"}), "local"))
    assert seen == [] and bridge.busy  # thousands of imported rows do not land in one go
    qtbot.waitUntil(lambda: not bridge.busy, timeout=3000)
    assert [len(e.ids) for e in seen] == [100, 100, 50]
    assert {e.origin for e in seen} == {"local"}  # not mistaken for a peer's edit
    assert set().union(*(e.ids for e in seen)) == set(ids)
    bridge.close()


def test_joining_with_a_real_invite_code_opens_the_group(qtbot: Any, group: Group, tmp_path: Path) -> None:
    """A member device runs a real sync node on 127.0.0.1 only (no discovery); the start
    screen redeems its invite code over TLS and opens the joined group."""
    import asyncio

    import pytest

    node_module = pytest.importorskip("organiser.net.node")
    import qasync
    from PySide6.QtWidgets import QApplication

    from organiser.ui import asyncjobs

    group.members.add("Already Here")
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    node = node_module.SyncNode(group, listen_host="127.0.0.1", discovery=False)
    joined: list[Group] = []
    try:
        loop.run_until_complete(node.start())
        code = loop.run_until_complete(node.create_invite(expires_seconds=600))
        start = StartWindow(tmp_path / "newcomer")
        qtbot.addWidget(start)
        start.groupReady.connect(joined.append)
        qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
        QApplication.clipboard().setText(code)  # copied on the inviting laptop's screen, pasted here
        start.code.setFocus()
        qtbot.keyClick(start.code, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert start.code.toPlainText().strip() == code
        retype(qtbot, start.join_device, "second laptop")
        qtbot.mouseClick(start.join_buttons.itemAt(2).widget(), Qt.MouseButton.LeftButton)
        loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running), 30))
        assert [g.id for g in joined] == [group.id], start.join_error.text()
        assert "second laptop" in {d.get("name") for d in group.devices()}
    finally:
        loop.run_until_complete(node.stop())
        for g in joined:
            g.close()
        asyncio.set_event_loop(None)
        loop.close()


def test_from_the_keys_return_takes_the_focused_choice_and_escape_comes_back(qtbot: Any, tmp_path: Path) -> None:
    """On the first window (a plain window, not a dialog) Return on a focused button did
    nothing and Escape did not leave a page: a person without a mouse tried both and was stuck
    until they found Space and Alt+B."""
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    groups = opened(start)
    start.show()
    start.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is start, timeout=3000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # Create… → Join…
    assert QApplication.focusWidget() is start.join_choice
    qtbot.keyClick(start.join_choice, Qt.Key.Key_Return)
    assert start.pages.currentIndex() == 2
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert start.pages.currentIndex() == 0 and QApplication.focusWidget() is start.join_choice
    qtbot.keyClick(start.join_choice, Qt.Key.Key_Backtab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Enter)
    assert start.pages.currentIndex() == 1 and QApplication.focusWidget() is start.group_name
    qtbot.keyClicks(start.group_name, "Allotment Society")
    qtbot.keyClick(start.group_name, Qt.Key.Key_Return)
    assert [g.name for g in groups] == ["Allotment Society"]
    groups[0].close()


def test_the_first_window_marks_the_focused_choice_from_the_start_and_after_escape(
        qtbot: Any, tmp_path: Path) -> None:
    """The keys were on Create a new group when the window opened, and back on it after Escape,
    with nothing drawn to say so: a person without a mouse saw three alike buttons."""
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    start.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is start, timeout=3000)
    assert QApplication.focusWidget() is start.create_choice
    qtbot.waitUntil(lambda: start.testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange), timeout=2000)
    marked = start.create_choice.grab().toImage()
    qtbot.keyClick(start.create_choice, Qt.Key.Key_Tab)  # the keys go on to Join…
    unmarked = start.create_choice.grab().toImage()
    assert unmarked != marked, "the focused choice looked like the others"
    qtbot.keyClick(start.join_choice, Qt.Key.Key_Backtab)
    qtbot.keyClick(start.create_choice, Qt.Key.Key_Space)
    assert start.pages.currentIndex() == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is start.create_choice
    assert start.create_choice.grab().toImage() != unmarked
