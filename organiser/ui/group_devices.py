"""Laptops, the group's devices: each device's role and the laptops waiting for an admin,
the table kept tall enough for a room's laptops, and what an admin does there (Make admin,
Vouch…, Remove laptop…). A part of PeersView (ui/peers_view.py), which builds the widgets."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QSplitter, QTableView

from organiser.core.errors import OrganiserError
from organiser.services.group import Group
from organiser.services.vouching import LET_IN_BY_A_MEMBER, WAITING
from organiser.ui.devices_dialog import RemoveDeviceDialog, ask_to_vouch
from organiser.ui.dialogs import show_error
from organiser.ui.models.group import DevicesModel
from organiser.ui.models.live import ROW_ROLE
from organiser.ui.widgets import EmptyHint

DEVICE_ROWS_SHOWN = 6  # a room's laptops; a bigger group's table scrolls


class GroupDevicesPane:
    """The group's devices pane of PeersView: the widgets below are PeersView's."""

    group: Group
    status: Signal
    devices: DevicesModel
    device_table: QTableView
    device_empty: EmptyHint
    device_detail: QLabel
    admin_note: QLabel
    make_admin_button: QPushButton
    vouch_button: QPushButton
    split: QSplitter

    if TYPE_CHECKING:  # PeersView's and QWidget's: stubs here would hide them, as a base class before them
        def _place_note(self) -> str: ...
        def _show_removals(self) -> None: ...
        def _ask_before_admitting(self) -> None: ...
        def isVisible(self) -> bool: ...  # noqa: N802 (Qt name)

    def _fit_device_rows(self) -> None:
        """Hold every device of the group in sight (up to DEVICE_ROWS_SHOWN): with three laptops the
        splitter left the table one row and a scroll bar once a removal was noted under it."""
        table = self.device_table
        rows = min(max(self.devices.rowCount(), 1), DEVICE_ROWS_SHOWN)
        needed = (table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
                  + 2 * table.frameWidth())
        least = max(needed, table.fontMetrics().height() * 4)
        self.device_empty.least = least  # the hint under an empty table sets the height back to its least
        table.setMinimumHeight(least)
        QTimer.singleShot(0, self, self._make_room_for_devices)  # once the table's new height is laid out

    def _make_room_for_devices(self) -> None:
        """The splitter keeps its panes' sizes when a table's minimum grows: give the devices' pane
        what its table now needs, from the panes with room to spare (else the view grows and scrolls)."""
        short = self.device_table.minimumHeight() - self.device_table.height()
        if short <= 0 or not self.isVisible():
            return
        sizes, middle = self.split.sizes(), 1

        def spare(pane: int) -> int:
            return max(0, sizes[pane] - self.split.widget(pane).minimumSizeHint().height())

        for pane in sorted((p for p in range(len(sizes)) if p != middle), key=spare, reverse=True):
            taken = min(spare(pane), short)
            sizes[pane] -= taken
            sizes[middle] += taken
            short -= taken
        sizes[middle] += max(0, short)
        self.split.setSizes(sizes)

    def _show_device(self) -> None:
        selected = self.device_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        admin_here = row is not None and self.group.membership.is_admin()
        self.make_admin_button.setEnabled(admin_here and not row.admin and row.state != WAITING)
        vouchable = row is not None and (row.state in (LET_IN_BY_A_MEMBER, WAITING) or row.waiting_on_it > 0)
        self.vouch_button.setEnabled(admin_here and vouchable)
        self._show_admin_note()
        if row is None:
            self.device_detail.setText(" ".join(filter(None, ("Click a laptop to see who let it in.",
                                                              html.escape(self.devices.unlisted)))))
            return
        if row.state == WAITING:
            self.device_detail.setText(f"<b>{html.escape(row.name)}</b>: waiting for an admin. "
                                       f"{html.escape(row.invited_by)}, a laptop a member let in, admitted it before "
                                       "invitations by members reached one step: what it writes is kept aside until "
                                       f"an admin vouches for it (Vouch…). Its id: {row.id}")
            return
        invited = "founded the group" if row.invited_by == "founded the group" else f"let in by {row.invited_by}"
        if row.state == LET_IN_BY_A_MEMBER:  # why Vouch… is offered
            invited += ", a member's laptop: it cannot invite in turn until an admin vouches for it"
        this = " (this laptop)" if row.this_device else ""
        self.device_detail.setText(f"<b>{html.escape(row.name)}</b>{this}: {html.escape(invited)}; "
                                   f"its id: {row.id}")
        self._ask_before_admitting()

    def _show_admin_note(self) -> None:
        """While the group has one admin, what losing its laptop would mean, and what to do now."""
        only = self.group.membership.only_admin()
        if only is None or self._place_note():  # a removed laptop or a restored copy no longer hears who is admin
            self.admin_note.hide()
            return
        if only.this_device:
            self.admin_note.setText("This laptop is the group's only admin. If it is lost or stolen, nobody can "
                                    "remove it or admit a laptop: click a laptop you trust, then Make admin.")
        else:
            self.admin_note.setText(f"'{only.name}' is the group's only admin. If that laptop is lost "
                                    "or stolen, nobody can remove it or admit a laptop: ask its member to make a "
                                    "second admin.")
        self.admin_note.show()

    def make_admin(self) -> None:
        selected = self.device_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        if row is None:
            return
        try:
            device = self.group.membership.promote(row.id)
        except OrganiserError as exc:
            show_error(self, f"Cannot make '{row.name}' an admin", exc)
            return
        self.devices.reload()
        self._show_device()
        self.status.emit(f"'{device.name}' is now an admin.")

    def vouch(self) -> QMessageBox | None:
        """Ask, naming what follows, then vouch for the selected laptop (services/vouching.py)."""
        selected = self.device_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        if row is None:
            return None
        try:
            planned = self.group.membership.plan_vouch(row.id)
        except OrganiserError as exc:
            show_error(self, f"Cannot vouch for '{row.name}'", exc)
            return None
        box = ask_to_vouch(self, planned)
        box.finished.connect(lambda _result: box.clickedButton() is box.vouch_button and self._vouch(row, planned))
        return box

    def _vouch(self, row: Any, planned: Any) -> None:
        try:  # what the admin was asked about, and nothing that came to wait since
            done = self.group.membership.carry_out(planned)
        except OrganiserError as exc:
            show_error(self, f"Cannot vouch for '{row.name}'", exc)
            return
        self.devices.reload()
        self._show_device()
        self.status.emit(done.sentence())

    def remove_device(self) -> RemoveDeviceDialog:
        selected = self.device_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        dialog = RemoveDeviceDialog(self.group, self, chosen_id=getattr(row, "id", None))
        dialog.removed.connect(lambda d: (self.devices.reload(), self._show_removals(),
                                          self.status.emit(f"Removed '{d.name}' for good.")))
        dialog.open()
        return dialog
