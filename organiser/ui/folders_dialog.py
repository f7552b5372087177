"""Laptops > Sync through a folder…: the group's shared folders and how far each has it.

Adding a folder is typing (or choosing) its path; the app then passes over it every few
seconds (services/folders.py FolderWatcher), and "Sync now" makes a pass at once. Selecting a
folder shows, per device, the last of its changes the folder holds and whether it has read
everything there, and the files that were ignored or refused, with why.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.services import clock
from organiser.services.folder_invites import make_folder_invite
from organiser.services.folder_trouble import OTHER_FILES, waiting_to_be_admitted
from organiser.services.folders import Folders
from organiser.services.group import Group
from organiser.ui.asyncjobs import spawn
from organiser.ui.bidi import day_text
from organiser.ui.clipboard import copy_privately
from organiser.ui.dialogs import show_error
from organiser.ui.file_choice import folder as choose_folder
from organiser.ui.overrides import guarded
from organiser.ui.widgets import size_on_screen

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ["Folder", "Last checked", "Files in it", "State"]


# Where a desktop mounts a USB stick ({user}: the login name): Choose… opens at the first there.
MEDIA_PLACES = ["/run/media/{user}", "/media/{user}", "/media"]
REFRESH_MS = 1000  # the app's watcher passes every second: the dialog follows what it found
INVITE_DAYS = 7  # the most an invite stays valid: a stick may take days to reach the far laptop


NOT_THERE = "the folder is not there: plug the stick in, or if the folder moved, remove it and add it at its new place."
CANNOT_USE = "cannot be used now: select it for what to do"
WAITING = "this laptop waits to be admitted: select it for what to do"


def _trouble(status: dict[str, Any]) -> str:
    """The sentence saying what stops the folder, with what to do; empty when nothing does."""
    if not status["reachable"]:
        return status["last_error"] or NOT_THERE
    return status["last_error"]


def _state(status: dict[str, Any]) -> str:
    """The State cell: short, so the path stays in view; the sentence is its tooltip and below."""
    if _trouble(status):
        return CANNOT_USE
    if waiting_to_be_admitted(status):
        return WAITING
    behind = [d["name"] for d in status["devices"] if not d["removed"] and not d["caught_up"]]
    problems = len([p for p in status["problems"] if p["path"] != OTHER_FILES])  # the stick's documents are fine
    parts = ["every laptop has read everything" if not behind else f"not yet read by {', '.join(behind)}"]
    if problems:
        parts.append(f"{problems} file{'s' if problems != 1 else ''} ignored")
    return "; ".join(parts)


def last_checked(epoch: float | None, now: dt.datetime) -> str:
    """When the folder was last passed over: the time alone today; with its day (and year)
    before, or a stick checked last Monday reads as checked today."""
    if not epoch:
        return "not yet"
    when = dt.datetime.fromtimestamp(epoch)
    if when.date() == now.date():
        return when.strftime("%H:%M:%S")
    return day_text(when, "%a %-d %b %H:%M" if when.year == now.year else "%a %-d %b %Y %H:%M")


class FoldersDialog(QDialog):
    synced = Signal()  # a pass made from here finished (for tests and the status line)

    def __init__(self, group: Group, watcher: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync through a folder")
        self.group = group
        self.folders = Folders(group.replica)
        self.watcher = watcher
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setModel(self.model)
        self.table.setAccessibleName("Sync folders")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # The path is what tells folders apart: it takes the spare width, elided in the middle
        # (where paths differ least), with the whole path in its tooltip.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.explanation = QLabel(
            "Carry the group's changes through a folder that Syncthing, Nextcloud or a USB stick syncs. "
            "For a USB stick, plug it in and Choose… it (or a folder on it); each laptop adds the folder "
            "where it sees it. Each laptop writes only its own files there, encrypted, in a folder of its own "
            "(named below once chosen): whoever holds the folder sees sizes and times, nothing else.")
        self.explanation.setWordWrap(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText("Path of a shared folder")
        self.path.setAccessibleName("Folder to add")
        self.choose_button = QPushButton("&Choose…")
        self.choose_button.clicked.connect(self.choose)
        self.add_button = QPushButton("&Add folder")
        self.add_button.clicked.connect(self.add)
        self.path.returnPressed.connect(self.add)
        add_row = QHBoxLayout()
        add_row.addWidget(self.path, 1)
        add_row.addWidget(self.choose_button)
        add_row.addWidget(self.add_button)
        self.sync_button = QPushButton("&Sync now")
        self.sync_button.clicked.connect(self.sync_now)
        self.remove_button = QPushButton("&Remove folder")
        self.remove_button.clicked.connect(self.remove)
        self.invite_button = QPushButton("&Invite a laptop through it…")
        self.invite_button.setToolTip("Leave a one-time invite in the selected folder, for a laptop that "
                                      "meets the group only through it")
        self.invite_button.clicked.connect(self.invite)
        actions = QHBoxLayout()
        actions.addWidget(self.sync_button)
        actions.addWidget(self.remove_button)
        actions.addWidget(self.invite_button)
        actions.addStretch(1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAccessibleName("Selected folder")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        # Return in the path field adds the folder; no button of the dialog takes it first.
        for button in (self.choose_button, self.add_button, self.sync_button, self.remove_button,
                       self.invite_button, *buttons.buttons()):
            button.setAutoDefault(False)
            button.setDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(add_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        size_on_screen(self, 720, 480)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_selected())
        self.reload()
        # The watcher passes on its own, and a stick may be pulled out at any time: what is shown
        # follows while the dialog is open.
        self.refresh = QTimer(self)
        self.refresh.setInterval(REFRESH_MS)
        self.refresh.timeout.connect(self._follow)

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.reload()
        self.refresh.start()

    def _follow(self) -> None:
        """A tick of the refresh: what the passes found, while the group's window is open."""
        owner = self.parentWidget()
        if owner is not None and not owner.window().isVisible():  # the group is closing (or locked)
            self.refresh.stop()
            self.close()
            return
        self.reload()

    @guarded
    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        self.refresh.stop()  # a closed dialog reads nothing (the group may be closing)
        super().hideEvent(event)

    # ---- what is shown ----------------------------------------------------------------------

    def reload(self) -> None:
        chosen = self.chosen()
        self.model.removeRows(0, self.model.rowCount())
        for info in self.folders.list():
            status = self.folders.status(info.path)
            cells = [info.path, last_checked(info.last_pass_at, clock.now()), str(status["segments"]), _state(status)]
            items = [QStandardItem(text) for text in cells]
            items[0].setData(info.path, PATH_ROLE)
            items[0].setToolTip(info.path)
            items[3].setToolTip(_trouble(status) or waiting_to_be_admitted(status))
            self.model.appendRow(items)
        # Sized again for what the rows say now (ResizeToContents alone kept the empty list's widths).
        for column in range(1, len(COLUMNS)):
            self.table.resizeColumnToContents(column)
        for row in range(self.model.rowCount()):
            if self.model.item(row, 0).data(PATH_ROLE) == chosen:
                self.table.selectRow(row)
        self.show_selected()

    def chosen(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].data(PATH_ROLE) if rows else None

    def show_selected(self) -> None:
        path = self.chosen()
        self.sync_button.setEnabled(self.model.rowCount() > 0)
        self.remove_button.setEnabled(path is not None)
        self.invite_button.setEnabled(path is not None)
        if path is None:
            self.detail.setText("Select a folder to see how far it has each laptop's changes."
                                if self.model.rowCount() else "No folder yet: type or choose one above.")
            return
        status = self.folders.status(path)
        trouble = _trouble(status)
        said = trouble[0].upper() + trouble[1:] if trouble else waiting_to_be_admitted(status)
        lines = [f"<b>{html.escape(said)}</b>"] if said else []
        for d in status["devices"]:
            read = "has read everything" if d["caught_up"] else (
                "has not read everything yet" if d["reads_folder"] else "has not used this folder yet")
            held = (f"the folder holds its changes up to number {d['in_folder']}" if d["in_folder"]
                    else "the folder holds none of its changes")
            lines.append(f"<b>{html.escape(d['name'])}</b>{' (removed)' if d['removed'] else ''}: {held}; {read}")
        if status["writes_in"]:
            lines.append(f"This laptop writes its files in {html.escape(status['writes_in'])}; "
                         "the other folders there are the other laptops' (or another group's).")
        lines += [html.escape(p["why"]) if p["path"] == OTHER_FILES else
                  f"Ignored {html.escape(p['path'])}: {html.escape(p['why'])}" for p in status["problems"][:10]]
        self.detail.setText("<br>".join(lines))

    # ---- acting -----------------------------------------------------------------------------

    def choose(self) -> None:
        """Pick the folder (opened where sticks appear), and add it: choosing is the person's answer."""
        path = choose_folder(self, "Choose a shared folder", start_folder(self.path.text()))
        if path:
            self.path.setText(path)
            self.add()

    def add(self) -> None:
        try:
            info = self.folders.add(self.path.text())
        except OrganiserError as exc:
            show_error(self, "Cannot add the folder", exc)
            return
        self.path.clear()
        self.reload()
        for row in range(self.model.rowCount()):
            if self.model.item(row, 0).data(PATH_ROLE) == info.path:
                self.table.selectRow(row)
        self.sync_now()

    def remove(self) -> None:
        path = self.chosen()
        if path is None:
            return
        self.folders.remove(path)
        self.reload()

    def invite(self) -> None:
        """A one-time invite left in the selected folder; its code is shown, to send apart from it."""
        path = self.chosen()
        if path is None:
            return
        try:
            code = make_folder_invite(self.group, path, INVITE_DAYS * 86400)
        except (OrganiserError, OSError) as exc:
            show_error(self, "Cannot leave an invite in the folder", exc)
            return
        copy_privately(code)
        box = QMessageBox(QMessageBox.Icon.Information, "Invite a laptop through the folder",
                          f"<p>An invite is in {html.escape(path)}. Its code (copied):</p><p><b>{code}</b></p>"
                          "<p>Send the code apart from the folder (a message, a call), never with the stick. On "
                          "the far laptop, the start screen's <i>Join a group</i> takes it and asks for the folder; "
                          f"this laptop admits it at its next pass. The code admits one laptop, for {INVITE_DAYS} "
                          "days.</p>", QMessageBox.StandardButton.Ok, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()
        self.reload()

    def sync_now(self) -> None:
        if self.watcher is None:  # no app loop (tests, a build without one): a pass right here
            try:
                self.folders.sync()
            except OrganiserError as exc:
                show_error(self, "The folder pass failed", exc)
            self.reload()
            self.synced.emit()
            return
        self.sync_button.setEnabled(False)

        def done(_reports: Any) -> None:
            self.reload()
            self.synced.emit()

        def failed(exc: BaseException) -> None:
            self.reload()
            show_error(self, "The folder pass failed", exc)

        spawn(self.watcher.pass_now(), on_done=done, on_error=failed)


def start_folder(typed: str = "") -> str:
    """Where a folder chooser opens: the folder typed, else where this desktop mounts sticks, else home."""
    if typed.strip() and os.path.isdir(os.path.expanduser(typed)):
        return os.path.expanduser(typed)
    user = os.environ.get("USER") or os.path.basename(os.path.expanduser("~"))
    for place in MEDIA_PLACES:
        folder = place.format(user=user)
        if os.path.isdir(folder):
            return folder
    return os.path.expanduser("~")
