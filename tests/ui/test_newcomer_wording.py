"""What a new secretary reads on a first evening, as written: a laptop named with an apostrophe,
the import's summary. Real sync nodes on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import create_group
from tests.ui.conftest import peers_on_no_network, reads

node_module = pytest.importorskip("organiser.net.node")


def test_peers_and_group_names_sams_laptop_with_its_apostrophe_not_an_html_code(
        qtbot: Any, tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """Sam names the laptop "Sam's laptop" when creating the group; Laptops read
    "This device, Sam&#x27;s laptop, is listening" while it was on no network."""
    group = create_group(tmp_path / "a", "Riverside Tenants Union", "Sam's laptop")
    try:
        with peers_on_no_network(qtbot, group, tmp_path, node_loop) as window:
            said = reads(window.peers_view.state)
            assert said.startswith("This laptop, Sam's laptop, is ready, but this laptop is not on a network")
            assert "&#" not in said
    finally:
        group.close()


def test_once_a_laptop_joined_the_invite_no_longer_says_no_other_laptop_can_reach_this_one(
        qtbot: Any, group: Any, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    """Sam's invite said in red that this laptop is on no network others reach; the door laptop then
    joined with the short code, and the red sentence still stood above "'Door laptop' joined the group"."""
    from tests.ui.test_invite_pair import invite_shown

    with invite_shown(qtbot, group, loop) as (dialog, join):
        assert dialog.unreachable.isVisible()  # 127.0.0.1 only: as on a laptop on no network yet
        join(tmp_path / "door", "Door laptop")
        assert reads(dialog.spoken_panel.status).startswith("'Door laptop' joined the group")
        assert not dialog.unreachable.isVisible()


def test_choose_in_the_import_window_opens_in_the_home_folder_not_where_the_app_was_started(
        qtbot: Any, group: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started with `make run`, File > Import… > Choose… opened on the app's source folder (the
    working directory); Sam's spreadsheet is in the home folder, where Save as PDF… already opens."""
    from PySide6.QtWidgets import QFileDialog, QWidget

    from organiser.ui.transfer_dialogs import ImportDialog
    from tests.ui.conftest import with_modal

    home, started_in = tmp_path / "home", tmp_path / "source"
    home.mkdir()
    started_in.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(started_in)
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    dialog.show()
    seen: list[str] = []

    def look(chooser: QWidget) -> None:
        assert isinstance(chooser, QFileDialog)
        seen.append(chooser.directory().absolutePath())
        chooser.reject()

    with_modal(lambda: qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton), look)
    assert seen == [str(home)]


def test_the_door_s_list_of_names_does_not_lie_over_yes_maybe_no(qtbot: Any, window: Any) -> None:
    """Sam types "anabel" to record Ana's RSVP and goes for Yes: the list of matching names opened right
    over Yes / Maybe / No, so the click meant for Yes picked a name, and picking a name checks that
    person in (a day before the meeting)."""
    from PySide6.QtCore import QRect

    from tests.ui.conftest import click, open_event

    group = window.group
    event = group.events.add("General assembly", "2031-03-06T19:00")
    for name in ("Anabel Ruiz", "Anabel Ortiz"):
        group.members.add(name)
    open_event(qtbot, window, event.id)
    detail = window.events_view.detail
    field = detail.checkin_search
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, "anabel")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    names_at = QRect(popup.mapToGlobal(popup.rect().topLeft()), popup.size())
    for answer, button in detail.answer.buttons.items():
        at = QRect(button.mapToGlobal(button.rect().topLeft()), button.size())
        assert not names_at.intersects(at), f"the list of names covers {answer}"
    qtbot.keyClicks(field, " r")  # one name left
    popup.hide()  # as the click outside it does
    click(qtbot, detail.answer.buttons["yes"])
    ana = next(m for m in group.members.list() if m.name == "Anabel Ruiz")
    assert group.events.rsvp_of(event.id, ana.id).answer == "yes"
    assert not group.events.rsvp_of(event.id, ana.id).checked_in_at


def test_save_as_pdf_suggests_a_name_with_the_meetings_day_as_the_minutes_do(
        qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sam saved "General assembly 2026-12-03 minutes.pdf" and then "General assembly - Attendance
    sheet.pdf": next week's assembly suggests that same name again, over this week's sheet."""
    from PySide6.QtWidgets import QFileDialog

    from tests.ui.conftest import click, open_event, with_modal

    event = window.group.events.add("General assembly", "2031-03-06T19:00")
    open_event(qtbot, window, event.id)
    offered: list[str] = []

    def person_cancels(_parent: Any, _caption: str, start: str, *_a: Any, **_k: Any) -> tuple[str, str]:
        offered.append(Path(start).name)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", person_cancels)
    with_modal(lambda: click(qtbot, window.events_view.detail.print_button),
               lambda dialog: click(qtbot, dialog.pdf_button))

    def rsvp_list(dialog: Any) -> None:
        click(qtbot, dialog.radios["rsvps"])
        click(qtbot, dialog.pdf_button)

    with_modal(lambda: click(qtbot, window.events_view.detail.print_button), rsvp_list)
    assert offered == ["General assembly 2031-03-06 attendance sheet.pdf", "General assembly 2031-03-06 RSVP list.pdf"]


def test_a_click_on_yes_while_the_list_of_names_is_open_records_the_answer(qtbot: Any, window: Any) -> None:
    """Sam types "anabel r" and clicks Yes while the list of matching names still shows: the click only
    closed the list (an open list takes the next click, wherever it lands), and Sam had to click again."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from tests.ui.conftest import open_event

    group = window.group
    event = group.events.add("General assembly", "2031-03-06T19:00")
    anabel = group.members.add("Anabel Ruiz")
    open_event(qtbot, window, event.id)
    detail = window.events_view.detail
    field = detail.checkin_search
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, "anabel r")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    yes = detail.answer.buttons["yes"]
    at = yes.mapToGlobal(yes.rect().center())
    # While a list is open, Qt hands the window's mouse presses to the list, wherever they land
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        QApplication.sendEvent(popup, QMouseEvent(kind, QPointF(popup.mapFromGlobal(at)), QPointF(at),
                                                  Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton,
                                                  Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: group.events.rsvp_of(event.id, anabel.id).answer == "yes", timeout=2000)
    assert not popup.isVisible()
    assert not group.events.rsvp_of(event.id, anabel.id).checked_in_at
