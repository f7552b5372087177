"""Fixtures for the desktop app: a small demo group and its main window, offscreen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from organiser.services.demo import DemoSize, add_sample_meeting, populate
from organiser.services.group import Group
from organiser.ui.date_time_fields import DateTimeField
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from organiser.ui.spoken import voice
from tests.conftest import FROZEN_NOW, add_device, sync_pair

NOW = FROZEN_NOW


@pytest.fixture
def node_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop over the test's QApplication, for real sync nodes beside a window, as in the app."""
    import qasync
    from PySide6.QtWidgets import QApplication

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def demo(group: Group) -> Group:
    populate(group, DemoSize(members=30, events=8, tasks=20), now=NOW, seed=3)
    return group


@pytest.fixture
def window(qtbot: Any, demo: Group, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def meeting(window: MainWindow, qtbot: Any) -> tuple[MainWindow, str]:
    """The window on the Meeting view (Ctrl+5, as a person opens it) of the event selected at start."""
    event_id = window.events_view.current_id()
    assert event_id is not None
    window.windowHandle().requestActivate()  # shortcuts reach the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # Ctrl+5: Meeting
    assert window.current_view() == "meeting" and window.meeting_view.event_id == event_id
    return window, event_id


@pytest.fixture
def evening(qtbot: Any, demo: Group, tmp_path: Path) -> Iterator[MainWindow]:
    """The window of a group whose General assembly is on now, with its sample meeting (an agenda
    under way, minutes, a proposal being voted on, an action item), as the demo button makes it."""
    assembly = next(event.id for event in demo.events.list()
                    if event.title == "General assembly" and event.start.startswith(NOW.date().isoformat()))
    add_sample_meeting(demo, assembly)
    win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    assert win.events_view.current_id() == assembly  # the meeting on now: what the Meeting view shows
    yield win
    win.close()


def second_laptop(demo: Group, data_dir: Path, name: str) -> Iterator[Group]:
    """For a fixture to yield from: another device of the demo group, synced by hand, closed after the test."""
    other = add_device(demo, data_dir, name)
    sync_pair(demo, other)
    yield other
    other.close()


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmation questions are answered Yes (the person confirms the delete)."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


@pytest.fixture
def warnings_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Error dialogs are recorded instead of waiting for a click."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a, **k: shown.append(text))
    return shown


@pytest.fixture
def large_font(qapp: QApplication) -> Iterator[None]:
    """The system's font half as large again (a desktop's large-text setting, for eyes that need it)."""
    usual = qapp.font()
    large = qapp.font()
    large.setPointSizeF(usual.pointSizeF() * 1.5)
    qapp.setFont(large)
    yield
    qapp.setFont(usual)


def with_modal(trigger: Callable[[], Any], handle: Callable[[QWidget], None]) -> Any:
    """Run `trigger` (which opens a modal dialog) and let `handle` drive that dialog. The dialog
    is looked for on each turn of the event loop for up to 5 s (a menu may open first)."""
    turns = {"left": 500}

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            turns["left"] -= 1
            assert turns["left"] > 0, "no dialog opened"
            QTimer.singleShot(10, drive)
            return
        try:
            handle(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()
    QTimer.singleShot(0, drive)
    return trigger()


def click_row(qtbot: Any, view: QAbstractItemView, row: int, column: int = 0, *, double: bool = False) -> None:
    """Click a row as a person does: the mouse at the middle of its cell on the viewport."""
    index = view.model().index(row, column)
    view.scrollTo(index)
    rect = view.visualRect(index)
    assert rect.isValid() and view.viewport().rect().intersects(rect), f"row {row} is not on screen"
    point = rect.center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    if double:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def row_of_text(view: QAbstractItemView, text: str, column: int = 0) -> int:
    """The row whose cell shows `text` (what a person looks for before clicking)."""
    model = view.model()
    for row in range(model.rowCount()):
        if model.index(row, column).data() == text:
            return row
    raise AssertionError(f"no row shows {text!r}")


def click(qtbot: Any, widget: QWidget) -> None:
    """Click a widget where a person aims: its middle, or for a check box or radio button
    stretched wider than its text, the middle of what it shows (the box and its label)."""
    shown = widget.sizeHint().boundedTo(widget.size())
    pos = QPoint(shown.width() // 2, widget.height() // 2)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def choose(qtbot: Any, combo: QComboBox, text: str) -> None:
    """Pick an entry of a drop-down as a person does: click it open, move down (or up) the list
    with the arrow keys to the entry, press Return. (A click on the entry is ignored offscreen:
    the popup takes a release that quick after opening as the end of the opening click.)"""
    found = combo.findText(text)
    assert found >= 0, f"{text!r} is not offered"
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    popup = combo.view()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    for _ in range(combo.count()):
        at = popup.currentIndex().row()
        if at == found:
            break
        qtbot.keyClick(popup, Qt.Key.Key_Down if at < found else Qt.Key.Key_Up)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=2000)
    assert combo.currentText() == text


def click_tab(qtbot: Any, tabs: QTabWidget, title: str) -> None:
    bar = tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i).replace("&", "").startswith(title))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index


def open_event(qtbot: Any, window: Any, event_id: str) -> None:
    """Click the event's row in the agenda (the Agenda tab opened first)."""
    view = window.events_view
    window.switch_to("events")
    click_tab(qtbot, view.tabs, "Agenda")
    click_row(qtbot, view.list, view.agenda.row_of(event_id))
    assert view.current_id() == event_id


def retype(qtbot: Any, widget: QWidget, text: str) -> None:
    """Select what a field holds and type over it, as a person does (Ctrl+A, then the keys)."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def type_datetime(qtbot: Any, field: DateTimeField, text: str, time_typed: str | None = None) -> None:
    """Enter a day and time like '2031-06-14 15:00' as a person does: click into the day, select
    what is there, type the day; Tab to the time, type it (as `time_typed`, e.g. '3pm', when
    given) and Tab on."""
    day, _, hour = text.partition(" ")
    qtbot.mouseClick(field.date, Qt.MouseButton.LeftButton, pos=QPoint(8, field.date.height() // 2))
    qtbot.keyClick(field.date, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field.date, day)
    qtbot.keyClick(field.date, Qt.Key.Key_Tab)
    assert field.window().focusWidget() is field.time  # Tab went from the day to the time
    qtbot.keyClick(field.time, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field.time, time_typed or hour)
    qtbot.keyClick(field.time, Qt.Key.Key_Tab)
    assert field.dateTime().toString("yyyy-MM-dd HH:mm") == text, field.dateTime().toString("yyyy-MM-dd HH:mm")


def pick(qtbot: Any, picker: QLineEdit, typed: str, expected: str) -> None:
    """Type part of a name into a picker, then take the entry from the list that opens."""
    picker.setFocus()
    qtbot.keyClicks(picker, typed)
    popup = picker.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    model = popup.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == expected)
    for _ in range(row + 1):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert picker.text() == expected


def click_menu(qtbot: Any, window: Any, action: Any) -> None:
    """Open the menu bar's menu that holds `action` with a click, then click the action."""
    bar = window.menuBar()
    menu = next(m for m in bar.findChildren(QMenu) if action in m.actions())
    title = bar.actionGeometry(menu.menuAction()).center()
    # The pointer goes to the menu's title first, as a hand does: a menu takes no click where the
    # pointer was when it opened, and a pointer an earlier test left on this item would be there.
    qtbot.mouseMove(bar, title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=title)
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    where = menu.actionGeometry(action).center()
    qtbot.mouseMove(menu, where)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=where)


@pytest.fixture
def controller(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """The app's controller on a qasync loop, with the network off (this test opens no socket) and
    no passes over shared folders (these groups have none). Between its `settle` calls a test turns
    Qt's loop with asyncio's not running (in the app it runs throughout), and a folder pass that
    ended then would find no running loop and stop the watcher with a RuntimeError, which has
    nothing to do with what these tests check (it failed one run in five)."""
    import qasync

    from organiser import app

    async def no_folder_watcher(_group: Any) -> None:
        return None

    monkeypatch.setattr(app, "load_sync_node", lambda: (None, "Network off in this test."))
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    made = app.AppController(tmp_path / "data", None)
    monkeypatch.setattr(made, "_start_folder_watcher", no_folder_watcher)
    made.loop = loop
    try:
        yield made
    finally:
        windows = [w for w in (made.window, made.unlock_window, made.start_window) if w is not None]
        for widget in windows:
            widget.close()
            widget.deleteLater()  # deleted here, by Qt, not by the collector during a later test
        if made.copying_window is not None:
            made.copying_window.finish()
        made.stop_watching_idle()  # else it filters the next tests' events, its timer running
        if made.group is not None:
            made.group.close()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        asyncio.set_event_loop(None)
        loop.close()


def settle(controller: Any, qtbot: Any, condition: Any) -> None:
    """Run the controller's loop until `condition()` holds (for at most about 5 s), then assert it."""
    async def wait() -> None:
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
    controller.loop.run_until_complete(wait())
    assert condition()


@pytest.fixture
def loop(qtbot: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """The app's asyncio loop inside Qt's (qasync), for the dialogs that talk to the network."""
    import qasync

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def finish_jobs(loop: asyncio.AbstractEventLoop) -> None:
    """Run the loop until the app's network jobs started so far are done (at most 30 s)."""
    from organiser.ui import asyncjobs

    loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running), 30))


def reads(label: QLabel) -> str:
    """What a person reads in a label: its text as written, or as rendered when Qt takes it for rich text."""
    if label.textFormat() == Qt.TextFormat.PlainText or (
            label.textFormat() == Qt.TextFormat.AutoText and not QtGui.Qt.mightBeRichText(label.text())):
        return label.text()
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()



@contextmanager
def peers_on_no_network(qtbot: Any, group: Group, tmp_path: Path,
                        node_loop: asyncio.AbstractEventLoop) -> Iterator[MainWindow]:
    """The window with Laptops open, its node listening where only the laptop itself
    reaches it (a laptop on no network yet) and looking for nobody."""
    from organiser.net.node import SyncNode

    here = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    node_loop.run_until_complete(here.start())
    try:
        window = MainWindow(group, here, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(window)
        window.show()
        qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["peers"]), Qt.MouseButton.LeftButton)
        assert window.current_view() == "peers"
        yield window
        window.close()
    finally:
        node_loop.run_until_complete(here.stop())


@pytest.fixture
def said() -> Iterator[list[str]]:
    """Every sentence sent to the screen reader while the test runs."""
    heard: list[str] = []
    voice.said.connect(heard.append)
    yield heard
    voice.said.disconnect(heard.append)


def vote_by_someone_outside_the_working_group(window: MainWindow, qtbot: Any) -> Any:
    """Quentin, checked in but not in Housing, picked to vote on a proposal only Housing votes on,
    and Record vote clicked once: the meeting's decisions pane, showing the refusal."""
    group = window.group
    event_id = window.events_view.current_id()
    quentin = group.members.add("Quentin Newcomer")
    group.events.checkin(event_id, quentin.id)
    group.proposals.add(event_id, "Repaint the stairwell", "consent", voters="role:working group: Housing")
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["meeting"]), Qt.MouseButton.LeftButton)
    view = window.meeting_view.decisions
    qtbot.waitUntil(lambda: any(p.title == "Repaint the stairwell" for p, _t in view.proposals.rows), timeout=3000)
    row = next(n for n, (p, _t) in enumerate(view.proposals.rows) if p.title == "Repaint the stairwell")
    click_row(qtbot, view.proposal_view, row)
    qtbot.waitUntil(lambda: view.voter.findText("Quentin Newcomer") >= 0, timeout=3000)
    choose(qtbot, view.voter, "Quentin Newcomer")
    click(qtbot, view.vote_button)
    return view
