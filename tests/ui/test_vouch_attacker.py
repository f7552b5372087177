"""Laptops, Vouch…, against a member acting in bad faith (the door laptop's): the admin clicks
the laptop it means and reads a question about that laptop, and a puppet named like a laptop of
the group is said to be another laptop."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.conftest import add_device, sync_all, waiting_scene
from tests.store.test_vouch_attacker import _admit_puppets
from tests.ui.conftest import click_row, row_of_text
from tests.ui.test_vouch_button import _open_view, _the_question


@pytest.fixture
def after_the_update(tmp_path: Any) -> Any:
    made = waiting_scene(tmp_path)
    yield made
    for g in made:
        g.close()


def test_a_click_on_the_minutes_laptop_vouches_for_it_not_for_a_puppet_named_with_its_id(
        qtbot: Any, after_the_update: Any, tmp_path: Any) -> None:
    admin, door, middle, minutes = after_the_update
    puppet = add_device(door, tmp_path / "puppet", minutes.device_id)  # named with the minutes laptop's id
    after_the_update.append(puppet)
    sync_all(after_the_update, rounds=2)
    view = _open_view(qtbot, admin)

    click_row(qtbot, view.device_table, row_of_text(view.device_table, "minutes laptop"))
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    assert question.text().startswith("Vouch for 'minutes laptop'?")
    qtbot.mouseClick(question.vouch_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: admin.membership.states()[minutes.device_id] == "member", timeout=2000)
    assert admin.membership.states()[puppet.device_id] == "member, let in by a member"


def test_the_question_says_a_puppet_named_door_laptop_is_another_laptop(qtbot: Any, after_the_update: Any) -> None:
    admin, door, middle, minutes = after_the_update
    (poser,) = _admit_puppets(middle, ["d\u043e\u043er laptop"])  # Cyrillic o's
    sync_all(after_the_update, rounds=2)
    view = _open_view(qtbot, admin)

    click_row(qtbot, view.device_table, row_of_text(view.device_table, "middle laptop"))
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    assert (f"'d\u043e\u043er laptop' (not the group's 'door laptop': another laptop, {poser[:8]})"
            in question.text())
    assert "1 of them is named like a laptop of the group, and is another laptop." in question.text()
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)


def test_the_question_about_a_puppets_flood_of_long_names_fits_a_laptop_at_150_percent(
        qtbot: Any, after_the_update: Any) -> None:
    """200 laptops named with 200 letters each, some named like the door laptop with a long tail: the
    question was wider and taller than the screen, its buttons below the edge, each name cut off."""
    admin, door, middle, minutes = after_the_update
    names = [("W" if n % 2 else "m") * 200 for n in range(196)] + ["door laptop"] * 3  # 200 with the minutes laptop
    _admit_puppets(middle, names)
    sync_all(after_the_update, rounds=2)
    view = _open_view(qtbot, admin)

    click_row(qtbot, view.device_table, row_of_text(view.device_table, "middle laptop"))
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    shown = question.frameGeometry()
    assert shown.width() <= 910 and shown.height() <= 480  # 1366x768 at 150 %
    assert "'door laptop' (not the group's 'door laptop': another laptop" in question.text()
    assert "W" * 49 not in question.text() and "m" * 49 not in question.text()
    assert "'" + "m" * 47 + "…' (" in question.text()  # shortened, and told apart from its namesakes
    assert "and 192 more" in question.text() and "3 of them are named like laptops of the group" in question.text()
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
