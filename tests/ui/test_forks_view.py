"""Laptops > Forks, used as a person would: see the fork, click it, press Keep one
version..., click the version to keep, read what happens, press Keep this version."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from organiser.services.group import Group
from organiser.ui.peers_view import PeersView
from tests.conftest import sync_pair
from tests.forked import sign_two_versions
from tests.ui.conftest import reads


def _click_row(qtbot: Any, view: Any, row: int) -> None:
    index = view.model().index(row, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())


def _dialog() -> Any:
    return [w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Keep one version" and w.isVisible()][0]


def _forks_panel(qtbot: Any, group: Group) -> Any:
    """Laptops on `group`'s laptop, shown, its panel listing the fork."""
    view = PeersView(group, None)
    qtbot.addWidget(view)
    view.show()
    panel = view.incidents
    qtbot.waitUntil(panel.forks.isVisible, timeout=5000)
    return panel


def _keep_dialog(qtbot: Any, panel: Any) -> Any:
    """The fork's row clicked, then Keep one version…: its dialog."""
    _click_row(qtbot, panel.forks, 0)
    qtbot.mouseClick(panel.keep_button, Qt.MouseButton.LeftButton)
    return _dialog()


def test_an_admin_sees_the_fork_picks_a_version_and_every_record_of_it_shows(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    a, b = two_devices
    a.members.add("Ana")
    sign_two_versions(a, b)
    panel = _forks_panel(qtbot, a)
    sentence = panel.forks.model().index(0, 0).data()
    assert sentence.startswith("'minutes laptop' signed 2 different versions of its change number")
    assert not panel.keep_button.isEnabled()
    dialog = _keep_dialog(qtbot, panel)
    rows = [dialog.model.item(r).text() for r in range(dialog.model.rowCount())]
    assert any("member 'Left'" in text for text in rows) and any("member 'Right'" in text for text in rows)
    assert not dialog.keep_button.isEnabled()
    right = next(r for r, text in enumerate(rows) if "member 'Right'" in text)
    _click_row(qtbot, dialog.versions, right)
    assert dialog.keep_button.isEnabled()
    assert dialog.explanation.text().startswith("Every laptop of the group will show what this version writes "
                                                "(member 'Right')")
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert {m.name for m in a.members.list()} == {"Ana", "Right"}
    qtbot.waitUntil(lambda: "'door laptop' kept version" in (panel.forks.model().index(0, 0).data() or ""),
                    timeout=2000)


def test_a_device_that_is_not_an_admin_sees_the_fork_but_cannot_keep_a_version(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    a, b = two_devices
    sign_two_versions(a, b)
    panel = _forks_panel(qtbot, b)
    dialog = _keep_dialog(qtbot, panel)
    assert not dialog.versions.isEnabled()
    _click_row(qtbot, dialog.versions, 0)
    assert not dialog.keep_button.isEnabled()
    dialog.close()
    assert b.forks.list()[0].open


def test_a_forking_member_cannot_hide_the_dialogs_words_with_markup_in_what_it_wrote(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    """The forking device chooses what its versions write: a name ending in `<!--` hid the rest of
    the explanation (that what it wrote after is kept too, and the other version set aside for good)."""
    from tests.bad_peer import BadPeer, new_member

    a, b = two_devices
    sync_pair(a, b)
    modified = BadPeer(b)
    seq, prev = modified.seq + 1, modified.prev
    hidden = modified.sign(new_member("<b>Harmless</b><!--"))
    other = modified.sign(new_member("Right"), seq=seq, prev=prev)
    a.replica.apply([hidden, other])
    panel = _forks_panel(qtbot, a)
    dialog = _keep_dialog(qtbot, panel)
    rows = [dialog.model.item(r).text() for r in range(dialog.model.rowCount())]
    _click_row(qtbot, dialog.versions, next(r for r, text in enumerate(rows) if "Harmless" in text))
    shown = reads(dialog.explanation)
    assert "member '<b>Harmless</b><!--'" in shown
    assert shown.endswith("The other version is set aside for good, kept as proof.")
    dialog.close()
