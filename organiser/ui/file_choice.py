"""Where the app asks for a file or a folder: always in Qt's own dialog, never the desktop's.

The desktop's dialog (GTK's on GNOME, which Qt uses there, KDE's on Plasma) adds every file
chosen in it to the desktop's list of recent files (`~/.local/share/recently-used.xbel`), with
the time: the names the app suggests name the meeting and the group ("Rent strike general
assembly 2026-12-03 minutes.md"), and that list outlives the file, a wipe of the group and its
passphrase, for whoever takes the laptop. Qt's own dialog keeps only the folders visited
(`~/.config/QtProject.conf`): tests/ui/test_seized_exports.py shows both, with the gtk3 theme.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

OWN_DIALOG = QFileDialog.Option.DontUseNativeDialog


def file_to_save(parent: QWidget | None, caption: str, start: str, name_filter: str) -> str:
    """The file the person chose to write, or "" if they cancelled."""
    path, _filter = QFileDialog.getSaveFileName(parent, caption, start, name_filter, options=OWN_DIALOG)
    return path


def file_to_open(parent: QWidget | None, caption: str, start: str, name_filter: str) -> str:
    """The file the person chose to read, or "" if they cancelled."""
    path, _filter = QFileDialog.getOpenFileName(parent, caption, start, name_filter, options=OWN_DIALOG)
    return path


def folder(parent: QWidget | None, caption: str, start: str) -> str:
    """The folder the person chose, or "" if they cancelled."""
    return QFileDialog.getExistingDirectory(parent, caption, start,
                                            options=QFileDialog.Option.ShowDirsOnly | OWN_DIALOG)
