"""A member with poor eyesight sets the screen's scale to 200 %: a 1366x800 laptop is then a
screen of 683x400 points, less a panel. The window is no wider than that on any view, so no
button lies past the screen's right edge where no scrolling reaches it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QTableView,
    QWidget,
)

from organiser.ui.dialogs import InviteDialog
from organiser.ui.main_window import VIEWS, MainWindow
from organiser.ui.widgets import EmptyHint
from tests.ui.test_keyboard_walk import activate
from tests.ui.test_small_screens import (
    TITLE_BAR,
    click_view,
    cut_off,
    fits_whole,
    settled,
    shown_text,
    sideways_scrolls,
    size_window,
    text_too_wide,
)

DOUBLED_LAPTOP = (683, 368)  # 1366x800 at 200 %, less a 32-point panel


def test_at_200_percent_the_window_fits_the_laptops_width_on_every_view(window: MainWindow, qtbot: Any) -> None:
    """The line under the event ("1 of 40 places checked in · RSVPs: …") stood on one line and
    made the window 759 points wide: Delete, Check in and Copy emails… were past the screen's edge."""
    for name in VIEWS:
        click_view(window, qtbot, name)
        size_window(window, qtbot, DOUBLED_LAPTOP)
    click_view(window, qtbot, "events")
    settled(qtbot, lambda: not past_the_right_edge(window))
    assert sideways_scrolls(window.events_view) == []
    assert past_the_right_edge(window) == []


SMALLER_DOUBLED_LAPTOP = QSize(640, 368)  # 1280x800 at 200 %, less a 32-point panel


def test_at_200_percent_a_1280x800_laptop_holds_the_window_whole_on_every_view(evening: MainWindow,
                                                                              qtbot: Any) -> None:
    """The window could not be narrower than 681 points, and the screen has 640: Events' agenda
    and event side by side, and the task list's filters on one line, held it wider, and its right
    part could not be reached. The least the window's own layout asks for is what is measured, on
    each view as it is shown, with the List tab of Tasks too (a page not shown counts in a tab's least)."""
    window = evening
    too_wide = {}
    for name in VIEWS:
        click_view(window, qtbot, name)
        least = window.minimumSizeHint()
        if least.boundedTo(SMALLER_DOUBLED_LAPTOP) != least:
            too_wide[name] = least.toTuple()
    assert too_wide == {}
    for name in VIEWS:
        click_view(window, qtbot, name)
        size_window(window, qtbot, SMALLER_DOUBLED_LAPTOP.toTuple())
        view = window.views[name]
        settled(qtbot, lambda v=view: not sideways_scrolls(v) and not past_the_right_edge(window))  # type: ignore[misc]
        assert (name, sideways_scrolls(view), past_the_right_edge(window)) == (name, [], [])
        assert window.statusBar().geometry().bottom() < SMALLER_DOUBLED_LAPTOP.height()
    # made wide again (the scale back at 100 %): Events' agenda and event stand side by side again
    click_view(window, qtbot, "events")
    size_window(window, qtbot, (1280, 800))
    columns = window.events_view.detail.parentWidget()
    qtbot.waitUntil(lambda: columns.orientation() == Qt.Orientation.Horizontal, timeout=2000)


def past_the_right_edge(window: MainWindow) -> list[str]:
    """The buttons on show that stand, whole or in part, right of the window's edge."""
    return [button.text() for button in window.findChildren(QPushButton) if button.isVisible()
            and button.mapTo(window, button.rect().topRight()).x() >= window.width()]


DOUBLED_DIALOG = QSize(DOUBLED_LAPTOP[0], DOUBLED_LAPTOP[1] - TITLE_BAR)  # a dialog and its title bar


def test_at_200_percent_the_invite_dialog_keeps_its_buttons_on_screen(window: MainWindow, qtbot: Any) -> None:
    """Invite a laptop… on a laptop on no network: the note, the QR code and the long code stood
    one under the other, 560 points high, and Close was below the screen's edge."""
    from organiser.net.pairing import make_invite

    code = make_invite(window.group, ["192.0.2.7:7777"])
    dialog = InviteDialog(code, 24, window, unreachable="This laptop is not on a network that other laptops "
                          "can reach: join the room's Wi-Fi (or the hotspot the group uses), then make a new "
                          "invite: these codes name no address another laptop can reach.")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.resize(dialog.size().boundedTo(DOUBLED_DIALOG))
    settled(qtbot, lambda: not cut_off(dialog))
    assert dialog.size().boundedTo(DOUBLED_DIALOG) == dialog.size(), f"too large: {dialog.size()}"
    assert cut_off(dialog) == []
    close = dialog.findChild(QDialogButtonBox)
    assert dialog.rect().contains(close.geometry()) and dialog.rect().contains(dialog.copy_button.geometry())


def squeezed(view: QWidget) -> list[str]:
    """The wrapped sentences on show given less height than their words need at their width."""
    return [label.text() for label in view.findChildren(QLabel)
            if label.isVisible() and label.wordWrap() and not isinstance(label, EmptyHint)
            and label.height() < label.heightForWidth(label.width())]


def test_at_200_percent_the_door_shows_a_walk_in_whole_and_the_window_stays_on_screen(
        window: MainWindow, qtbot: Any) -> None:
    """The door laptop at 200 %, a name not in the directory typed and Enter: the note "Nobody
    called … Register and check in…" was crushed to a sliver, and the window grew past the
    screen's bottom edge, the status bar with it."""
    size_window(window, qtbot, DOUBLED_LAPTOP)
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Find: the door field
    door = window.events_view.detail
    assert QApplication.focusWidget() is door.checkin_search
    qtbot.keyClicks(door.checkin_search, "Wendel Walkin")
    qtbot.keyClick(door.checkin_search, Qt.Key.Key_Return)
    qtbot.waitUntil(door.door_banner.isVisible, timeout=2000)
    register = door.door_banner.buttons[0]
    settled(qtbot, lambda: not squeezed(window.events_view) and register.height() >= register.sizeHint().height())
    assert window.size().toTuple() == DOUBLED_LAPTOP
    assert squeezed(window.events_view) == []
    assert register.height() >= register.sizeHint().height()
    assert window.statusBar().geometry().bottom() < DOUBLED_LAPTOP[1]
    # the view scrolls to the note, below the fold, and the field typed in stays in sight
    qtbot.waitUntil(lambda: register.visibleRegion().boundingRect() == register.rect(), timeout=2000)
    assert door.checkin_search.visibleRegion().boundingRect() == door.checkin_search.rect()


def cut_headings(table: QTableView) -> list[str]:
    """The column headings of the table narrower than their words (and the sort arrow)."""
    header = table.horizontalHeader()
    metrics, margin = header.fontMetrics(), header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin)
    cut = []
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        words = str(table.model().headerData(section, Qt.Orientation.Horizontal))
        arrow = metrics.height() if header.isSortIndicatorShown() and header.sortIndicatorSection() == section else 0
        if metrics.horizontalAdvance(words) + 2 * margin + arrow > header.sectionSize(section):
            cut.append(words)
    return cut


def test_in_a_large_font_the_door_list_and_the_task_lists_show_their_headings_whole(
        large_font: None, window: MainWindow, qtbot: Any) -> None:
    """A large-font setting (half as large again): the door list's "Checked in" read "Checked ir"."""
    size_window(window, qtbot, (1366, 768))
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    detail = window.events_view.detail
    found = {"door": cut_headings(detail.rsvp_table)}
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)  # the event's Tasks tab
    qtbot.waitUntil(detail.task_table.isVisible, timeout=2000)
    found["event's tasks"] = cut_headings(detail.task_table)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Tasks: the List tab
    qtbot.waitUntil(window.tasks_view.table.isVisible, timeout=2000)
    found["task list"] = cut_headings(window.tasks_view.table)
    assert {where: cut for where, cut in found.items() if cut} == {}


def narrowed(view: QWidget) -> list[str]:
    """The buttons shown in the view's scroll area whose text does not fit inside them, or that
    stand, whole or in part, right of its edge (below it is where scrolling up and down reaches)."""
    area = view.findChild(QScrollArea)
    found = []
    for button in area.widget().findChildren(QPushButton):
        if not button.isVisible():
            continue
        right = button.mapTo(area.viewport(), button.rect().topRight()).x()
        if text_too_wide(button) or right >= area.viewport().width():
            found.append(shown_text(button))
    return found


def test_at_200_percent_the_meeting_stacks_its_columns_and_scrolls_only_up_and_down(
        evening: MainWindow, qtbot: Any) -> None:
    """The host at 200 %: the agenda, the minutes and the decisions side by side needed some 580
    points of the 534 the view had, and the view scrolled sideways with Decisions past the edge."""
    window, view = evening, evening.meeting_view
    size_window(window, qtbot, DOUBLED_LAPTOP)
    click_view(window, qtbot, "meeting")
    assert "General assembly" in view.heading.text()
    settled(qtbot, lambda: not sideways_scrolls(view) and not narrowed(view))
    assert sideways_scrolls(view) == []
    assert narrowed(view) == []
    assert past_the_right_edge(window) == []
    # the window made wide again (the laptop back at 100 %): the columns stand side by side again
    size_window(window, qtbot, (1366, 768))
    qtbot.waitUntil(lambda: view.splitter.orientation() == Qt.Orientation.Horizontal, timeout=2000)
    settled(qtbot, lambda: fits_whole(view))
    assert sideways_scrolls(view) == []
    assert cut_off(view) == []
