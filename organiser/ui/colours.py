"""Colours that read on the palette in use, light or dark: the red that says something is wrong
or late (a dark desktop hands the app a dark palette: the light theme's red on it was near
black), and the grey of hints."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette

RED_ON_LIGHT = "#b3261e"  # 6.0:1 on white
RED_ON_DARK = "#ff7b72"  # 6.6:1 on #2b2b2b


def error_red(palette: QPalette | None = None) -> str:
    """The red for `palette`, else for the application's palette (for models, which have no widget)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return RED_ON_DARK if palette.color(QPalette.ColorRole.Window).lightness() < 128 else RED_ON_LIGHT


def readable_hints(app: QGuiApplication) -> Callable[[], None]:
    """The grey of hints (an empty list's sentence, a field's placeholder) dark enough to read:
    the styles' grey is the text at half strength, 4.0 to 1 on white where 4.5 is the least for
    text. Blended 60 % text to 40 % background instead (5.7 to 1 on white, 6 to 1 on a dark
    desktop's background), and again when the desktop's palette changes. Returns what stops
    following the palette."""

    def blend() -> None:
        palette = app.palette()
        text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
        grey = QColor.fromRgbF(*(0.6 * t + 0.4 * b for t, b in zip(text.getRgbF()[:3], base.getRgbF()[:3],
                                                                     strict=True)))
        if palette.color(QPalette.ColorRole.PlaceholderText) != grey:  # else a loop: this changes the palette
            palette.setColor(QPalette.ColorRole.PlaceholderText, grey)
            app.setPalette(palette)

    blend()
    connection = app.paletteChanged.connect(lambda _palette: blend())
    return lambda: QObject.disconnect(connection)
