"""The door of a neighbourhood association's evening: names typed on whatever keyboard the door
laptop has, without the Turkish or Polish letters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.locale.conftest import open_window, type_text
from tests.ui.conftest import open_event


@pytest.fixture
def window(qtbot: Any, group: Group, tmp_path: Path) -> Iterator[MainWindow]:
    for name in ("İsmail Yılmaz", "Łukasz Żółć", "Éléonore Dupont", "محمد"):
        group.members.add(name)
    win = open_window(qtbot, group, tmp_path)
    yield win
    win.close()


@pytest.mark.parametrize(("typed", "checked_in"), [("ismail yilmaz", "İsmail Yılmaz"), ("Yilmaz", "İsmail Yılmaz"),
                                                   ("lukasz zolc", "Łukasz Żółć"), ("محمد", "محمد")])
def test_a_name_typed_without_its_own_letters_at_the_door_checks_that_member_in(window, qtbot, typed, checked_in):
    group = window.group
    event = group.events.add("Mahalle toplantısı", "2027-03-20T18:00", tz="Europe/Istanbul")
    open_event(qtbot, window, event.id)
    field = window.events_view.detail.checkin_search
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    type_text(qtbot, field, typed)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: group.events.attendance(event.id).checked_in == 1, timeout=3000)
    (arrived,) = [r.member for r in group.events.rsvps(event.id) if r.checked_in_at]
    assert group.members.get(arrived).name == checked_in
