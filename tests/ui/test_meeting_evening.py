"""A tenant union's meeting evening, as its host met it: three laptops (door, minutes,
projector) in three network namespaces under Xvfb, driven with clicks and keys (2026-12-02).
Each test does what a person did there, and failed before its mend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from organiser.services.group import Group
from tests.ui.conftest import second_laptop


@pytest.fixture
def minutes_laptop(demo: Group, tmp_path: Path) -> Iterator[Group]:
    """The laptop taking the minutes: a second device of the same group, synced by hand."""
    yield from second_laptop(demo, tmp_path / "minutes", "minutes laptop")


def _type_into(qtbot: Any, field: Any, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)


def _type_where_the_keys_are(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _key(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


# ---- agenda -------------------------------------------------------------------------------------

def test_after_return_adds_an_item_the_next_title_is_typed_into_the_title_box(meeting: Any, qtbot: Any) -> None:
    """Title, Tab, minutes, Return left the keys in the time box: the next title typed went
    nowhere, and its first space pressed Add."""
    window, event_id = meeting
    view = window.meeting_view
    qtbot.mouseClick(view.item_title, Qt.MouseButton.LeftButton)
    for title, minutes in (("Welcome and introductions", "5"), ("Repairs survey results", "15"),
                           ("Any other business", "")):
        _type_where_the_keys_are(qtbot, title)
        if minutes:
            _key(qtbot, Qt.Key.Key_Tab)
            _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            _type_where_the_keys_are(qtbot, minutes)
        _key(qtbot, Qt.Key.Key_Return)
    added = [(i.title, i.minutes) for i in window.group.meetings.items(event_id)][-3:]
    # the last had no time box typed: it does not take the one before's
    assert added == [("Welcome and introductions", 5), ("Repairs survey results", 15), ("Any other business", None)]
