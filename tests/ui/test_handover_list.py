"""The removed door laptop's list of what did not reach the group, as its volunteer copies it for an
admin: each change in the words and the clock the app shows elsewhere, not Python's or the wire's."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from organiser.core.bus import PeersChanged
from organiser.services.group import create_group
from organiser.services.removed_here import REMOVED_NOTICE
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import add_device, sync_pair
from tests.ui.conftest import click, open_event, with_modal
from tests.ui.test_door import type_at_door


def test_the_list_of_what_did_not_reach_the_group_reads_as_people_write(qtbot: Any, tmp_path: Path) -> None:
    """A walk-in registered with an email and checked in on the removed door laptop was listed as
    "emails: ['marta.q@example.org']" and "checked in at: 2026-12-02T17:36:00+00:00"; José's check-in
    (he had answered yes before) named no event at all."""
    office = create_group(tmp_path / "office", "Riverside Tenants Union", "Sam's laptop")
    door = add_device(office, tmp_path / "door", "Door laptop")
    try:
        event = office.events.add("General assembly", "2031-03-06T19:00")
        office.events.rsvp(event.id, office.members.add("José Núñez").id, "yes")
        sync_pair(office, door)
        win = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        open_event(qtbot, win, event.id)
        office.membership.remove("Door laptop")
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 1} {office.device_id}")
        door.bus.publish(PeersChanged())
        notice = win.removed_notice
        qtbot.waitUntil(notice.isVisible, timeout=3000)

        detail = win.events_view.detail
        type_at_door(qtbot, win, "jose")  # RSVPed before the removal: its check-in alone names no event
        qtbot.waitUntil(lambda: detail.checkin_search.text() == "", timeout=3000)
        type_at_door(qtbot, win, "Marta Quispe")

        def register(dialog: Any) -> None:
            dialog.contact.setFocus()
            qtbot.keyClicks(dialog.contact, "marta.q@example.org")
            click(qtbot, next(b for b in dialog.buttons.buttons() if b.text().startswith("&Register")))

        with_modal(lambda: click(qtbot, detail.door_banner.buttons[0]), register)
        qtbot.waitUntil(notice.list_button.isEnabled, timeout=3000)
        click(qtbot, notice.list_button)
        dialog = notice.dialog
        changed = [dialog.model.index(r, 2).data() for r in range(dialog.model.rowCount())]
        what = [dialog.model.index(r, 1).data() for r in range(dialog.model.rowCount())]
        assert what[0] == "check-in or RSVP 'José Núñez' at General assembly", what
        assert any("emails: marta.q@example.org" in c for c in changed), changed
        said = " ".join(changed)
        assert "['" not in said
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", said), said  # the wire's clock
        click(qtbot, dialog.copy_button)
        copied = QApplication.clipboard().text()
        assert "['" not in copied and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", copied), copied
        dialog.close()
    finally:
        office.close()
        door.close()


def test_remove_device_chooses_the_laptop_selected_in_the_groups_devices(qtbot: Any, tmp_path: Path) -> None:
    """Sam clicked Door laptop in The group's devices, then Remove laptop…: the dialog asked "Which
    device?" again with nothing chosen, and Remove for good stayed greyed out."""
    from tests.ui.conftest import click_row, row_of_text
    from tests.ui.test_peers_state import open_peers

    office = create_group(tmp_path / "office", "Riverside Tenants Union", "Sam's laptop")
    door = add_device(office, tmp_path / "door", "Door laptop")
    try:
        sync_pair(office, door)
        window = MainWindow(office, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(window)
        window.show()
        open_peers(qtbot, window)
        table = window.peers_view.device_table
        click_row(qtbot, table, row_of_text(table, "Door laptop"))
        seen: list[tuple[str, bool]] = []

        def look(dialog: Any) -> None:
            seen.append((dialog.devices.currentIndex().data() or "", dialog.remove_button.isEnabled()))
            dialog.reject()

        with_modal(lambda: click(qtbot, window.peers_view.remove_device_button), look)
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)  # the dialog opens without blocking the window
        assert seen == [("Door laptop, let in by Sam's laptop", True)]
        assert [d.name for d in office.membership.list() if d.removed] == []  # nothing removed by looking
        window.close()
    finally:
        office.close()
        door.close()


def test_the_removed_notice_says_plainly_what_it_cannot_tell(qtbot: Any, tmp_path: Path) -> None:
    """The notice read "(what was entered between the removal and then, this laptop cannot tell)"."""
    from tests.ui.conftest import reads

    office = create_group(tmp_path / "office", "Riverside Tenants Union", "Sam's laptop")
    door = add_device(office, tmp_path / "door", "Door laptop")
    try:
        sync_pair(office, door)
        window = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(window)
        window.show()
        office.membership.remove("Door laptop")
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 1} {office.device_id}")
        door.bus.publish(PeersChanged())
        qtbot.waitUntil(window.removed_notice.isVisible, timeout=3000)
        assert reads(window.removed_notice.not_reached) == (
            "Nothing entered here since this laptop was told is missing from the group. Anything entered before "
            "that but after the removal may be: this laptop cannot tell.")
        window.close()
    finally:
        office.close()
        door.close()
