"""Samira's laptop holds two groups, the tenant union and the food bank: she goes from one to the
other in the app as a person does (File > Other group…, double-click), and the window, the next
start and the command line all agree on which group she is looking at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from organiser.app import AppController
from organiser.services.group import create_group, prepare_join
from organiser.services.group_folders import find_group_dir
from organiser.ui.first_run import StartWindow
from organiser.ui.unlock import UnlockWindow
from tests.ui.conftest import click, click_row, row_of_text, settle, with_modal

TENANTS = "Riverside Tenants Union"
FOOD_BANK = "Eastside Food Bank"


def _two_groups(data_dir: Path) -> tuple[Path, Path]:
    """The tenant union first, then the food bank (made last, so the current group at first)."""
    tenants = create_group(data_dir, TENANTS, "samira laptop")
    tenants.members.add("Samira Haddad", emails=["samira@tenants.example"])
    tenants.close()
    food = create_group(data_dir, FOOD_BANK, "samira laptop")
    food.members.add("Samira Haddad", emails=["samira@foodbank.example"])
    food.close()
    return tenants.path, food.path


def _open_other_group(qtbot: Any, controller: Any, name: str) -> None:
    """File > Other group… from the keys (Alt+F, G), then a double-click on the group's name in the
    start screen's list."""
    window = controller.window
    window.activateWindow()  # the keys reach the active window, as on a desktop
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # Alt+F: the File menu
    menu = window.other_group_action.associatedObjects()[0]
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.keyClick(menu, Qt.Key.Key_G)  # Other &group…
    settle(controller, qtbot, lambda: controller.start_window is not None and controller.start_window.isVisible())
    listing = controller.start_window.existing
    click_row(qtbot, listing, row_of_text(listing, name), double=True)
    settle(controller, qtbot, lambda: controller.window is not None and controller.group is not None
           and controller.group.name == name)


def test_the_group_opened_from_the_start_screen_is_the_one_the_next_start_and_the_command_line_use(
        qtbot: Any, controller: Any) -> None:
    tenants, _food = _two_groups(controller.data_dir)
    controller.start()
    assert controller.group.name == FOOD_BANK  # made last
    _open_other_group(qtbot, controller, TENANTS)

    # `organiser member add ...` typed now, without --group, goes to the group on screen
    assert find_group_dir(controller.data_dir, None) == tenants
    controller.window.close()
    next_start = AppController(controller.data_dir, None)
    next_start.start()
    try:
        assert next_start.group is not None and next_start.group.name == TENANTS
    finally:
        next_start.window.close()
        next_start.window.deleteLater()  # by Qt now, not by the collector in a later test's teardown
        next_start.group.close()


def test_the_window_names_its_group_above_the_views_and_follows_a_switch(qtbot: Any, controller: Any) -> None:
    _two_groups(controller.data_dir)
    controller.start()
    label = controller.window.group_label
    assert label.isVisible() and label.text() == FOOD_BANK
    assert controller.window.sidebar.isAncestorOf(label)  # beside the views, not only in the title bar
    old = controller.window
    _open_other_group(qtbot, controller, TENANTS)
    label = controller.window.group_label
    assert label.isVisible() and label.text() == TENANTS
    assert controller.window.windowTitle().startswith(TENANTS)
    # The first group's window is deleted by Qt's loop, at a safe point, though something still
    # refers to it: left to the collector (it is held in cycles), it went at any moment, even
    # while Qt was handing one of its widgets an event, and the app crashed (SIGSEGV).
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(old)


def test_the_same_person_in_both_groups_is_two_records_and_editing_one_leaves_the_other(
        qtbot: Any, controller: Any) -> None:
    _two_groups(controller.data_dir)
    controller.start()
    _open_other_group(qtbot, controller, TENANTS)
    window = controller.window
    window.switch_to("members")
    view = window.members_view
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=3000)
    click_row(qtbot, view.table, 0)

    def new_phone(dialog: Any) -> None:
        qtbot.keyClicks(dialog.form.phones, "07700 900123")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)

    with_modal(lambda: click(qtbot, view.edit_button), new_phone)
    (in_tenants,) = controller.group.members.list("samira")
    assert in_tenants.phones == ["07700 900123"]

    _open_other_group(qtbot, controller, FOOD_BANK)
    (in_food_bank,) = controller.group.members.list("samira")
    assert in_food_bank.id != in_tenants.id
    assert in_food_bank.emails == ["samira@foodbank.example"] and in_food_bank.phones == []


def test_a_join_that_never_reached_its_group_is_not_offered_as_a_group(qtbot: Any, tmp_path: Path) -> None:
    """A tenant-union laptop given the food bank's code for a laptop that did not make it is refused
    before it is admitted; the folder kept for a retry is no group to open from the start screen."""
    data = tmp_path / "data"
    create_group(data, TENANTS, "ana laptop").close()
    prepare_join(data, "51ea93eaeb71699e920cf106556942a0")  # what a refused `join` leaves
    start = StartWindow(data)
    qtbot.addWidget(start)
    shown = [start.existing.item(row).text() for row in range(start.existing.count())]
    assert shown == [TENANTS]
    start.close()


def test_the_start_screen_marks_the_group_open_in_the_window_behind_it(qtbot: Any, controller: Any) -> None:
    _two_groups(controller.data_dir)
    controller.start()
    window = controller.window
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    menu = window.other_group_action.associatedObjects()[0]
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.keyClick(menu, Qt.Key.Key_G)
    settle(controller, qtbot, lambda: controller.start_window is not None and controller.start_window.isVisible())
    listing = controller.start_window.existing
    assert sorted(listing.item(row).text() for row in range(listing.count())) == [
        f"{FOOD_BANK} (open now)", TENANTS]


def test_wiping_one_group_names_it_and_leaves_the_other(qtbot: Any, controller: Any) -> None:
    tenants, food = _two_groups(controller.data_dir)
    controller.start()
    said: list[str] = []

    def confirm(dialog: Any) -> None:
        said.extend(label.text() for label in dialog.findChildren(QLabel))
        qtbot.keyClicks(dialog.word, "WIPE")
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(controller.window.wipe_action.trigger, confirm)
    settle(controller, qtbot, lambda: controller.start_window is not None)
    text = " ".join(said)
    assert f"copy of <b>{FOOD_BANK}</b>" in text and "The other group on this laptop stays as it is." in text
    assert not food.exists() and tenants.exists()
    listing = controller.start_window.existing
    assert [listing.item(row).text() for row in range(listing.count())] == [TENANTS]


def test_with_two_encrypted_groups_the_unlock_screen_says_which_and_that_the_other_passphrase_is_not_it(
        qtbot: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    tenants = create_group(data, TENANTS, "samira laptop", passphrase="tenants hold the line together")
    tenants.close()
    food = create_group(data, FOOD_BANK, "samira laptop", passphrase="nobody goes hungry on our street")
    food.close()
    unlock = UnlockWindow(data, food.path.name)
    qtbot.addWidget(unlock)
    unlock.show()
    opened: list[Any] = []
    unlock.unlocked.connect(opened.append)
    shown = unlock.findChildren(QLabel)
    label = f"Encrypted group {food.path.name[:6]}"
    assert any(f"This laptop holds 2 groups: this one is {label}" in text.text() for text in shown)
    start = StartWindow(data)  # the list that Other group… shows names it the same way
    qtbot.addWidget(start)
    assert f"{label} (locked)" in [start.existing.item(row).text() for row in range(start.existing.count())]

    qtbot.keyClicks(unlock.passphrase, "tenants hold the line together")  # the other group's passphrase
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    hint = "Each group on this laptop has its own passphrase: for another group, choose Other group…"
    qtbot.waitUntil(lambda: hint in unlock.message.text(), timeout=30_000)  # the key is derived on a worker
    assert opened == []


def test_a_group_name_written_as_markup_shows_as_typed_above_the_views(qtbot: Any, tmp_path: Path) -> None:
    """A joining laptop takes the group's name from the member that admits it: one in bad faith can
    send any text, and the label above the views and its tooltip render markup."""
    from PySide6 import QtGui
    from PySide6.QtWidgets import QToolTip

    from organiser.ui.main_window import MainWindow
    from organiser.ui.settings import UiSettings

    name = "Tenants <b>Union</b><!--"
    group = create_group(tmp_path / "g", name, "samira laptop")
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    label = window.group_label
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(label.text()))
    assert not rich and label.text() == name
    QToolTip.showText(label.mapToGlobal(label.rect().center()), label.toolTip(), label)
    shown = QtGui.QTextDocument()
    shown.setHtml(QToolTip.text()) if QtGui.Qt.mightBeRichText(QToolTip.text()) else shown.setPlainText(
        QToolTip.text())
    assert name in shown.toPlainText()
    QToolTip.hideText()
    window.close()
    group.close()
