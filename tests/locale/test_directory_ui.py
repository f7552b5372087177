"""A Lyon, Berlin, Istanbul-born and Polish directory in the app, clicked and typed as a person
does: names in the order a person reads them, found by the letters a person types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.locale.conftest import open_window
from tests.ui.conftest import click_row

PEOPLE = [  # (given, family)
    ("Zoé", "Éluard"), ("Anna", "zeller"), ("Łukasz", "Żółć"), ("Adam", "Lewandowski"), ("İsmail", "Yılmaz"),
    ("Jürgen", "Straße"), ("Éléonore", "Dupont"), ("Marta", "Łukasiewicz"), ("Otto", "Zimmer"), ("Erik", "Eberhard"),
]


@pytest.fixture
def window(qtbot: Any, group: Group, tmp_path: Path) -> Iterator[MainWindow]:
    for given, family in PEOPLE:
        group.members.add(f"{given} {family}", given_name=given, family_name=family)
    win = open_window(qtbot, group, tmp_path)
    qtbot.keyClick(win, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Ctrl+3: Members
    yield win
    win.close()


def names_shown(win: MainWindow) -> list[str]:
    model = win.members_view.table.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_the_directory_orders_surnames_with_accents_and_small_letters_among_the_others(window, qtbot):
    # É among the E's, Ł among the L's, Ż among the Z's, 'zeller' beside 'Zimmer': not after Z.
    qtbot.waitUntil(lambda: len(names_shown(window)) == len(PEOPLE))
    assert names_shown(window) == [
        "Éléonore Dupont", "Erik Eberhard", "Zoé Éluard", "Adam Lewandowski", "Marta Łukasiewicz",
        "Jürgen Straße", "İsmail Yılmaz", "Anna zeller", "Otto Zimmer", "Łukasz Żółć"]
    assert [m.name for m in window.group.members.list()] == names_shown(window)  # the CLI's order too


def test_letters_typed_in_the_directory_jump_to_a_name_whose_first_letter_has_a_stroke(window, qtbot):
    table = window.members_view.table
    qtbot.waitUntil(lambda: len(names_shown(window)) == len(PEOPLE))
    click_row(qtbot, table, 0)
    qtbot.keyClicks(table, "luk")
    assert table.currentIndex().data() == "Łukasz Żółć"


@pytest.mark.parametrize(("typed", "found"), [("yilmaz", "İsmail Yılmaz"), ("ISMAIL", "İsmail Yılmaz"),
                                              ("strasse", "Jürgen Straße"), ("lukasz", "Łukasz Żółć")])
def test_the_search_box_finds_a_name_by_the_letters_a_person_types_for_it(window, qtbot, typed, found):
    view = window.members_view
    qtbot.mouseClick(view.search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.search, typed)
    qtbot.waitUntil(lambda: names_shown(window) == [found], timeout=3000)
