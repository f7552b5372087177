"""Names with a letter of another alphabet (Ł, Ś, Ż, É, Ñ) sort where a person of the desktop's
language looks for them, never after Z: in Members, at the door, in the RSVP list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialogButtonBox

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.locale.conftest import open_window, type_text
from tests.ui.conftest import open_event, with_modal


@pytest.fixture
def window(qtbot: Any, group: Group, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, group, tmp_path)
    yield win
    win.close()


@pytest.fixture
def desktop_language() -> Iterator[Any]:
    """Sets the desktop's locale for the test, as LANG=pl_PL.UTF-8 does for the app."""
    before = QLocale()

    def use(name: str) -> None:
        QLocale.setDefault(QLocale(name))
    yield use
    QLocale.setDefault(before)


def add_member_by_typing(window: MainWindow, qtbot: Any, name: str) -> None:
    view = window.members_view

    def fill(dialog: Any) -> None:
        qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.name)
        type_text(qtbot, dialog.focusWidget(), name)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    with_modal(lambda: qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton), fill)


def shown(view: Any, among: list[str]) -> list[str]:
    model = view.model()
    rows = [model.index(r, 0).data() for r in range(model.rowCount())]
    return [name for name in rows if name in among]


TYPED = ["Zofia Zielińska", "Łucja Wiśniewska", "Élodie Martin", "Lucyna Nowak", "Żaneta Kowal",
         "Ñuflo García", "Nuria Soler", "Świętosław Bąk", "Sebastián Ortega", "Eva Ruiz"]


@pytest.mark.parametrize(("language", "order"), [
    ("en_GB", ["Élodie Martin", "Eva Ruiz", "Łucja Wiśniewska", "Lucyna Nowak", "Ñuflo García", "Nuria Soler",
               "Sebastián Ortega", "Świętosław Bąk", "Żaneta Kowal", "Zofia Zielińska"]),
    # Polish: Ł after L, Ś after S, Ż after Z, as in a Polish dictionary
    ("pl_PL", ["Élodie Martin", "Eva Ruiz", "Lucyna Nowak", "Łucja Wiśniewska", "Ñuflo García", "Nuria Soler",
               "Sebastián Ortega", "Świętosław Bąk", "Zofia Zielińska", "Żaneta Kowal"]),
    # Spanish: Ñ after N
    ("es_ES", ["Élodie Martin", "Eva Ruiz", "Łucja Wiśniewska", "Lucyna Nowak", "Nuria Soler", "Ñuflo García",
               "Sebastián Ortega", "Świętosław Bąk", "Żaneta Kowal", "Zofia Zielińska"]),
])
def test_members_typed_in_are_listed_in_the_desktops_alphabetical_order(
        window: MainWindow, qtbot: Any, desktop_language: Any, language: str, order: list[str]) -> None:
    desktop_language(language)
    window.switch_to("members")
    for name in TYPED:
        add_member_by_typing(window, qtbot, name)
    assert shown(window.members_view.table, TYPED) == order


def test_at_the_door_the_checked_in_are_listed_alphabetically_accents_aside(
        window: MainWindow, qtbot: Any, desktop_language: Any) -> None:
    desktop_language("en_GB")
    group = window.group
    for name in TYPED:
        group.members.add(name)
    event = group.events.add("Door social", "2031-03-01T18:00", location="Hall")
    open_event(qtbot, window, event.id)
    field = window.events_view.detail.checkin_search
    for name in TYPED:
        field.setFocus()
        type_text(qtbot, field, name)
        qtbot.keyClick(field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: field.text() == "")
    assert shown(window.events_view.detail.rsvp_table, TYPED) == [
        "Élodie Martin", "Eva Ruiz", "Łucja Wiśniewska", "Lucyna Nowak", "Ñuflo García", "Nuria Soler",
        "Sebastián Ortega", "Świętosław Bąk", "Żaneta Kowal", "Zofia Zielińska"]
