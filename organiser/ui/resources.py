"""The app icon and desktop entry, loaded with importlib.resources.

They live in the top-level resources/ folder; organiser/resources is a link to it, so they
are package data of `organiser` (pyproject's package-data includes resources/*)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


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


def view_icon(name: str, colour: QColor) -> QIcon:
    """A sidebar icon from resources/icons (one set, stroke-drawn in currentColor), drawn in
    `colour`, the palette's text colour, so it reads on a light or a dark theme."""
    text = resource_bytes(f"icons/{name}.svg").decode("utf-8").replace("currentColor", colour.name())
    icon = QIcon()
    for size in (20, 40):  # normal and high-density screens
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        QSvgRenderer(QByteArray(text.encode("utf-8"))).render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def help_page(name: str) -> str:
    """A page of the user guide shipped with the app (resources/help), read locally."""
    return resource_bytes(f"help/{name}").decode("utf-8")
