"""The red that says something is wrong or late, readable on the palette in use, light or dark
(a dark desktop hands the app a dark palette: the light theme's red on it was near black)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette

RED_ON_LIGHT = "#b3261e"  # 6.0:1 on white
RED_ON_DARK = "#ff7b72"  # 6.6:1 on #2b2b2b


def error_red(palette: QPalette | None = None) -> str:
    """The red for `palette`, else for the application's palette (for models, which have no widget)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return RED_ON_DARK if palette.color(QPalette.ColorRole.Window).lightness() < 128 else RED_ON_LIGHT
