"""The app icon and desktop entry, loaded with importlib.resources.

They live in the top-level resources/ folder; organiser/resources is a link to it, so they
are package data of `organiser` (pyproject's package-data includes resources/*)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon, QPixmap


def resource_bytes(name: str) -> bytes:
    return resources.files("organiser").joinpath("resources", name).read_bytes()


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("organiser.svg", "organiser.png"):
        try:
            data = resource_bytes(name)
        except OSError:
            continue
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            icon.addPixmap(pixmap)
    return icon
