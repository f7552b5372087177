"""Copying what a member pastes once (members' email addresses, an invite code) without leaving it in
the desktop's clipboard history.

Clipboard managers keep what is copied, and some keep it on disk across sessions (KDE's Klipper
saves its history by default, in ~/.local/share/klipper). Copied with the hint password managers use,
`x-kde-passwordManagerHint: secret`, Klipper and the managers that honour it leave it out of their
history; pasting works as before.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

SECRET_HINT = "x-kde-passwordManagerHint"


def copy_privately(text: str) -> None:
    data = QMimeData()
    data.setText(text)
    data.setData(SECRET_HINT, b"secret")
    QGuiApplication.clipboard().setMimeData(data)
