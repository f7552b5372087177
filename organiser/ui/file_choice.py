"""Where the app asks for a file or a folder: always in Qt's own dialog, never the desktop's, and
the dialog's memory of folders visited put back as it was.

The desktop's dialog (GTK's on GNOME, which Qt uses there, KDE's on Plasma) adds every file
chosen in it to the desktop's list of recent files (`~/.local/share/recently-used.xbel`), with
the time: the names the app suggests name the meeting and the group ("Rent strike general
assembly 2026-12-03 minutes.md"), and that list outlives the file, a wipe of the group and its
passphrase, for whoever takes the laptop. Qt's own dialog keeps the folders visited instead, in
`~/.config/QtProject.conf` (shared by every Qt app): people keep a group's files in a folder named
after it ("Marsh Lane Tenants Union"), so that list too named the group after a wipe. It is put
back as it was before the dialog opened. tests/ui/test_seized_exports.py shows all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

OWN_DIALOG = QFileDialog.Option.DontUseNativeDialog
# What Qt's file dialog writes when it closes (QFileDialogPrivate::saveSettings) that names folders;
# the rest (view mode, column widths, the sidebar's home folder) names nothing of the group.
VISITED_KEYS = ("FileDialog/history", "FileDialog/lastVisited")

T = TypeVar("T")


@contextmanager
def folders_visited_not_kept() -> Iterator[None]:
    """Run a Qt file dialog, then put its settings' folders visited back as they were."""
    before = {key: QSettings(QSettings.Scope.UserScope, "QtProject").value(key) for key in VISITED_KEYS}
    try:
        yield
    finally:
        settings = QSettings(QSettings.Scope.UserScope, "QtProject")
        for key, value in before.items():
            if value is None:
                settings.remove(key)
            else:
                settings.setValue(key, value)
        settings.sync()


def _asked(ask: Callable[[], T]) -> T:
    with folders_visited_not_kept():
        return ask()


def file_to_save(parent: QWidget | None, caption: str, start: str, name_filter: str) -> str:
    """The file the person chose to write, or "" if they cancelled."""
    path, _filter = _asked(lambda: QFileDialog.getSaveFileName(parent, caption, start, name_filter,
                                                                 options=OWN_DIALOG))
    return path


def file_to_open(parent: QWidget | None, caption: str, start: str, name_filter: str) -> str:
    """The file the person chose to read, or "" if they cancelled."""
    path, _filter = _asked(lambda: QFileDialog.getOpenFileName(parent, caption, start, name_filter,
                                                                 options=OWN_DIALOG))
    return path


def folder(parent: QWidget | None, caption: str, start: str) -> str:
    """The folder the person chose, or "" if they cancelled."""
    return _asked(lambda: QFileDialog.getExistingDirectory(parent, caption, start,
                                                           options=QFileDialog.Option.ShowDirsOnly | OWN_DIALOG))
