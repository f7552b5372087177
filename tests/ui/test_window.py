"""The main window: views by shortcut, remembered view and geometry, status bar, invite
dialog with a real code from the network layer (its node is never started), import/export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from organiser.services.group import Group
from organiser.ui import asyncjobs
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.ui.conftest import click_menu, row_of_text


def test_shortcuts_switch_views_and_the_last_view_is_remembered(qtbot: Any, demo: Group, tmp_path: Path) -> None:
    settings = UiSettings(tmp_path / "ui")
    win = MainWindow(demo, None, settings=settings)
    qtbot.addWidget(win)
    win.show()
    win.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    qtbot.mouseClick(win.sidebar.widgetForAction(win.view_actions["members"]), Qt.MouseButton.LeftButton)
    assert win.current_view() == "members"
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert win.current_view() == "tasks"
    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert win.current_view() == "tasks" and win.tasks_view.tabs.currentIndex() == 1
    win.resize(760, 540)  # within the offscreen screen, which restoreGeometry clamps to
    size = (win.size().width(), win.size().height())
    win.close()
    again = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(again)
    assert again.current_view() == "tasks"
    assert (again.size().width(), again.size().height()) == size == (760, 540)
    assert again.peer_label.text() == "Network off"


def test_alt_v_then_a_letter_opens_each_view_from_the_keyboard(window: MainWindow, qtbot: Any) -> None:
    """The View menu's entries each have their own letter, as the other menus' do."""
    from PySide6.QtWidgets import QMenu

    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    for letter, view in ((Qt.Key.Key_M, "members"), (Qt.Key.Key_T, "tasks"), (Qt.Key.Key_P, "peers"),
                         (Qt.Key.Key_I, "meeting"), (Qt.Key.Key_E, "events")):
        qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
        menu = QApplication.activePopupWidget()
        assert menu.title() == "&View"
        qtbot.keyClick(menu, letter)
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None, timeout=3000)
        assert window.current_view() == view
    letters = [action.text().split("&")[1][:1].lower() for action in window.menuBar().actions()[2].menu().actions()
               if action.text()]
    assert len(letters) == len(set(letters)) == 6, letters  # five views and the projector, no letter twice


def test_every_control_in_the_views_has_an_accessible_name(window: MainWindow) -> None:
    from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLineEdit

    for view in window.views.values():
        for widget in view.findChildren(QAbstractItemView) + view.findChildren(QLineEdit) + \
                view.findChildren(QComboBox):
            if isinstance(widget.parent(), QComboBox | QAbstractItemView) or not widget.isVisibleTo(view):
                continue  # a combo's own popup list or line edit, or a hidden internal part
            assert widget.accessibleName(), f"{widget!r} in {type(view).__name__} has no accessible name"


def test_import_and_export_say_clearly_when_they_are_not_available(window: MainWindow, qtbot: Any,
                                                                    warnings_shown: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def missing(name: str, *a: Any) -> Any:
        if name == "organiser.ui.transfer_dialogs":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", missing)
    click_menu(qtbot, window, window.import_action)
    assert warnings_shown == ["Import is not part of this build of Organiser yet."]


def test_sync_progress_shows_in_the_status_bar(window: MainWindow) -> None:
    from organiser.core.bus import SyncProgress

    window.group.bus.publish(SyncProgress(300, 1200, "sync"))
    assert window.progress.isVisibleTo(window) and window.progress.value() == 300
    assert window.sync_label.text() == "Syncing: 300 of 1,200"
    window.group.bus.publish(SyncProgress(1200, 1200, "sync"))
    assert not window.progress.isVisibleTo(window)


def test_the_invite_dialog_shows_a_real_invite_code(qtbot: Any, demo: Group, tmp_path: Path) -> None:
    node_module = pytest.importorskip("organiser.net.node")
    import qasync

    from organiser.net.invite_code import decode_invite
    from organiser.net.spoken_code import looks_spoken

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    try:
        node = node_module.SyncNode(demo, listen_host="127.0.0.1", discovery=False)  # never started
        win = MainWindow(demo, node, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.switch_to("peers")
        shown: list[Any] = []
        win.peers_view.inviteShown.connect(shown.append)
        qtbot.mouseClick(win.peers_view.invite_button, Qt.MouseButton.LeftButton)
        loop.run_until_complete(asyncio.gather(*asyncjobs._running))
        assert len(shown) == 1
        dialog = shown[0]
        code = dialog.code_view.toPlainText()
        assert decode_invite(code).group_id == demo.id
        assert not dialog.qr.pixmap().isNull() and dialog.qr.pixmap().width() > 100
        assert "scan it" not in dialog.findChild(QLabel).text()  # laptops have no scanner
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        assert QApplication.clipboard().text() == code
        assert dialog.copied.text().startswith("Copied")  # the click shows it did something
        assert looks_spoken(dialog.spoken_panel.code.text())  # and the short code to read aloud, above
        dialog.close()
        loop.run_until_complete(asyncio.gather(*asyncjobs._running))  # closing withdrew the short code
        assert dialog.spoken_panel.spoken.state == "withdrawn"
        win.close()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_big_views_are_read_on_a_worker_thread_and_miss_nothing(qtbot: Any, two_devices: tuple[Group, Group],
                                                                 tmp_path: Path) -> None:
    from tests.conftest import sync_pair

    a, b = two_devices
    for n in range(40):
        a.members.add(f"Member {n:02d}")
    a.tasks.add("Count the chairs")
    win = MainWindow(a, None, settings=UiSettings(tmp_path / "ui"), background=True)
    qtbot.addWidget(win)
    win.show()
    win.switch_to("members")
    assert win.members_view.model.loading or win.members_view.model.loaded
    b.members.add("Arrived While Reading")  # a peer's change lands while the directory is read
    sync_pair(a, b)
    qtbot.waitUntil(lambda: win.members_view.model.loaded and not win.bridge.busy, timeout=5000)
    names = [r.name for r in win.members_view.model.rows]
    assert len(names) == 41 and "Arrived While Reading" in names
    win.switch_to("tasks")
    qtbot.waitUntil(lambda: win.tasks_view.loaded, timeout=5000)
    assert win.tasks_view.columns["todo"].model.rowCount() == 1
    win.close()


def test_connect_to_address_refuses_an_empty_address_and_reports_an_unreachable_one(
        qtbot: Any, demo: Group, tmp_path: Path, warnings_shown: list[str]) -> None:
    node_module = pytest.importorskip("organiser.net.node")
    import qasync

    from tests.ui.conftest import click, with_modal

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    node = node_module.SyncNode(demo, listen_host="127.0.0.1", discovery=False)  # this machine only
    try:
        loop.run_until_complete(node.start())
        win = MainWindow(demo, node, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        win.switch_to("peers")
        view = win.peers_view
        # Listening where no other laptop reaches it: no address to type there, and what to do instead
        assert f"127.0.0.1:{node.port}" not in view.state.text()
        assert "not on a network that other laptops can reach" in view.state.text()
        seen: dict[str, Any] = {}

        def connect(dialog: Any) -> None:
            seen["port"] = dialog.port.text()
            ok = dialog.findChild(QDialogButtonBox).buttons()[0]
            click(qtbot, ok)  # no address typed
            seen["error"] = dialog.error.text()
            qtbot.mouseClick(dialog.host, Qt.MouseButton.LeftButton)
            qtbot.keyClicks(dialog.host, "127.0.0.1:9")  # nothing listens there
            click(qtbot, ok)

        with_modal(lambda: click(qtbot, view.connect_button), connect)
        assert seen["port"] == ""  # not this laptop's own port: the other laptop listens on its own
        assert seen["error"].startswith("Address:")
        loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running, return_exceptions=True), 30))
        assert len(warnings_shown) == 1 and "127.0.0.1:9" in warnings_shown[0] and warnings_shown[0].endswith(".")
        win.close()
    finally:
        loop.run_until_complete(node.stop())
        asyncio.set_event_loop(None)
        loop.close()


def test_status_messages_go_when_their_view_is_left(window: MainWindow, qtbot: Any) -> None:
    from tests.ui.conftest import click_row

    def sidebar(name: str) -> None:
        qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions[name]), Qt.MouseButton.LeftButton)

    sidebar("members")
    view = window.members_view
    name = view.table.model().index(0, 0).data()
    click_row(qtbot, view.table, 0)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert window.statusBar().currentMessage() == f"Deleted {name}."
    sidebar("tasks")
    assert window.statusBar().currentMessage() == ""


def test_help_opens_the_user_guide_shipped_with_the_app_and_the_shortcuts(window: MainWindow, qtbot: Any) -> None:
    from tests.ui.conftest import with_modal

    seen: dict[str, str] = {}
    click_menu(qtbot, window, window.guide_action)
    guide = window.guide_window
    assert guide is not None and guide.isVisible()
    seen.update(guide=guide.browser.toPlainText())
    guide.close()
    assert "Organiser: the user guide" in seen["guide"] and "Register and check in" in seen["guide"]
    with_modal(lambda: click_menu(qtbot, window, window.shortcuts_action),
               lambda d: seen.update(keys=d.browser.toPlainText()))
    assert "Ctrl+1" in seen["keys"] and "Events" in seen["keys"] and "Ctrl+N" in seen["keys"]


def test_the_user_guide_stays_open_beside_the_window_while_a_person_follows_it(window: MainWindow,
                                                                              qtbot: Any) -> None:
    """A newcomer reads a step in the guide and does it in the window: the guide must not block the
    window (it was a modal dialog: nothing could be clicked until it was closed)."""
    window.windowHandle().requestActivate()  # F1 reaches the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window.guide_window
    assert guide is not None and guide.isVisible() and not guide.isModal()
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    assert window.current_view() == "members"
    assert guide.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F1)  # again: the same window comes forward, not a second
    assert window.guide_window is guide and guide.isVisible()
    guide.close()


def test_the_user_guide_tells_a_secretary_how_to_bring_in_a_spreadsheet_and_how_locking_works(
        window: MainWindow, qtbot: Any) -> None:
    """The first evening's questions, answered where a newcomer looks (Help): how the member list in
    a spreadsheet gets in, how to hand lists to another tool, whose passphrase the lock screen wants."""
    window.windowHandle().requestActivate()  # F1 reaches the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window.guide_window
    assert guide is not None
    text = guide.browser.toPlainText()
    guide.close()
    assert "File → Import…" in text and "Columns" in text and "Flat=notes" in text
    assert "Merge likely duplicates" in text and "Skip invalid items" in text
    assert "File → Export…" in text
    assert "Lock now" in text and "15 minutes" in text and "each laptop has its own" in text


def test_sidebar_icons_follow_a_dark_palette(window: MainWindow, qtbot: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    def lightest(action_name: str) -> int:
        image = window.view_actions[action_name].icon().pixmap(20, 20).toImage()
        return max(QColor(image.pixel(x, y)).lightness() for x in range(20) for y in range(20)
                   if QColor.fromRgba(image.pixel(x, y)).alpha() > 200)

    before = window.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    window.setPalette(dark)
    assert lightest("events") > 200  # light strokes on a dark window
    window.setPalette(before)
    light_text = before.color(QPalette.ColorRole.WindowText).lightness()
    assert abs(lightest("events") - light_text) < 60


def test_an_empty_group_says_in_each_view_what_goes_there(qtbot: Any, group: Group, tmp_path: Path) -> None:
    win = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    hints = {}
    for name, hint in (("events", lambda: win.events_view.agenda_empty),
                       ("tasks", lambda: win.tasks_view.columns["todo"].empty),
                       ("members", lambda: win.members_view.empty),
                       ("peers", lambda: win.peers_view.peer_empty)):
        win.switch_to(name)
        qtbot.waitUntil(lambda h=hint: h().isVisible(), timeout=3000)
        hints[name] = hint().text()
    assert hints["events"].startswith("No upcoming events. Create one with New event")
    assert hints["tasks"].startswith("Nothing to do yet")
    assert hints["members"].startswith("No members yet. Add the first with Add member")
    assert hints["peers"].startswith("No other laptop of the group is nearby yet")
    group.members.add("First Member")
    win.switch_to("members")
    assert not win.members_view.empty.isVisible()
    win.close()


def test_clicking_a_device_nearby_says_where_it_is_and_its_state(qtbot: Any, two_devices: tuple[Group, Group],
                                                                 tmp_path: Path) -> None:
    """A real sync node on 127.0.0.1 only (no discovery): the group's other device is listed."""
    node_module = pytest.importorskip("organiser.net.node")
    import qasync

    from tests.ui.conftest import click_row

    a, b = two_devices
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    here = node_module.SyncNode(a, listen_host="127.0.0.1", discovery=False)
    try:
        loop.run_until_complete(here.start())
        win = MainWindow(a, here, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        win.switch_to("peers")
        view = win.peers_view
        view.refresh_peers()
        assert not view.peer_detail.isVisible()
        row = row_of_text(view.peer_table, b.device_name)
        state = view.peer_table.model().index(row, 1).data()
        click_row(qtbot, view.peer_table, row)
        assert view.peer_detail.isVisible()
        assert view.peer_detail.text() == f"<b>{b.device_name}</b>: {state}, nothing exchanged yet."
        win.close()
    finally:
        loop.run_until_complete(here.stop())
        asyncio.set_event_loop(None)
        loop.close()


def test_peers_and_group_says_how_big_the_group_has_grown_here(window: MainWindow, qtbot: Any) -> None:
    """A year on, 'how big is our group now?': the Laptops view says the changes kept and
    the room they take on this laptop, and why every laptop keeps them."""
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["peers"]), Qt.MouseButton.LeftButton)
    changes = window.group.size()["changes"]
    shown = window.peers_view.size_label.text()
    assert shown.startswith(f"The group holds {changes:,} changes since ")
    assert " kB on this laptop" in shown or " MB on this laptop" in shown
    assert window.peers_view.size_label.isVisible()
