"""A group whose working groups have long names ("Neighbourhood food bank, community kitchen and
winter warm space"): the drop-downs that list them were as wide as the longest, and on a 1280x800
laptop at 150 % (853 points) or 200 % (640) Members' search shrank to a letter and the window,
or the meeting's New proposal dialog, grew past the screen's edge."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize

from organiser.ui.main_window import VIEWS, MainWindow
from tests.ui.conftest import choose, click, with_modal
from tests.ui.test_large_scale import past_the_right_edge
from tests.ui.test_small_screens import click_view, settled, size_window

FOOD_BANK = "Neighbourhood food bank, community kitchen and winter warm space"
AT_150 = QSize(853, 501)  # 1280x800 at 150 %, less a 32-point panel
AT_200 = QSize(640, 368)  # 1280x800 at 200 %, less a 32-point panel


@pytest.fixture
def long_names(evening: MainWindow) -> MainWindow:
    evening.group.members.add("Ngozi Adeyemi", roles=[f"working group: {FOOD_BANK}",
                                                      "facilitator of the tenants' general assembly"])
    return evening


@pytest.mark.parametrize("screen", [AT_150, AT_200], ids=["150%", "200%"])
def test_members_filters_leave_room_to_search_and_the_window_fits(long_names: MainWindow, qtbot: Any,
                                                                 screen: QSize) -> None:
    window = long_names
    click_view(window, qtbot, "members")
    view = window.members_view
    qtbot.waitUntil(lambda: view.working_group.findText(FOOD_BANK) >= 0, timeout=3000)
    too_wide = {}
    for name in VIEWS:
        click_view(window, qtbot, name)
        least = window.minimumSizeHint()
        if least.boundedTo(screen) != least:
            too_wide[name] = least.toTuple()
    assert too_wide == {}
    click_view(window, qtbot, "members")
    size_window(window, qtbot, screen.toTuple())
    choose(qtbot, view.working_group, FOOD_BANK)  # chosen, it is cut with … and whole in its tooltip
    settled(qtbot, lambda: not past_the_right_edge(window))
    assert past_the_right_edge(window) == []
    assert view.search.width() >= view.search.fontMetrics().averageCharWidth() * 12  # room to type a name
    assert view.working_group.shown_text().endswith("…") and FOOD_BANK in view.working_group.toolTip()
    assert view.model.rowCount() == 1


def test_who_votes_on_a_new_proposal_is_no_wider_than_its_kind(long_names: MainWindow, qtbot: Any) -> None:
    window = long_names
    click_view(window, qtbot, "meeting")
    seen: dict[str, Any] = {}

    def look(dialog: Any) -> None:
        choose(qtbot, dialog.voters, f"Members of the working group {FOOD_BANK}")
        seen["width"] = dialog.sizeHint().width()
        seen["voters"], seen["kind"] = dialog.voters.sizeHint().width(), dialog.kind.sizeHint().width()
        seen["letter"] = dialog.kind.fontMetrics().averageCharWidth()
        seen["tooltip"] = dialog.voters.toolTip()
        dialog.reject()

    with_modal(lambda: click(qtbot, window.meeting_view.decisions.new_proposal_button), look)
    assert seen["voters"] <= seen["kind"] + seen["letter"]  # as wide, give or take the rounding of a letter
    assert seen["width"] <= AT_200.width()
    assert FOOD_BANK in seen["tooltip"]
