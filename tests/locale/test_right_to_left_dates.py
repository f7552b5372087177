"""An Arabic laptop (LANG=ar_EG.UTF-8): the event's day is written in Arabic inside the app's
English line, and its times must still read in their order, 19:00 before 21:00."""

from __future__ import annotations

import locale
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument, QTextLayout, QTextOption

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.locale.conftest import open_window
from tests.ui.conftest import open_event

LOCALE_SOURCE = Path("/usr/share/i18n/locales/ar_EG")


@pytest.fixture
def arabic_days(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Day and month names in Arabic, as on a laptop whose LANG is ar_EG.UTF-8 (the locale is
    compiled here from the C library's sources, as `locale-gen` does)."""
    if shutil.which("localedef") is None or not LOCALE_SOURCE.exists():
        pytest.skip("needs localedef and the C library's locale sources (Debian package 'locales')")
    built = tmp_path / "locales"
    built.mkdir()
    subprocess.run(["localedef", "-i", "ar_EG", "-f", "UTF-8", str(built / "ar_EG.UTF-8")], check=False,
                   capture_output=True, timeout=120)
    monkeypatch.setenv("LOCPATH", str(built))
    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, "ar_EG.UTF-8")
    except locale.Error:
        pytest.skip("the ar_EG.UTF-8 locale could not be compiled here")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_TIME, before)


@pytest.fixture
def window(qtbot: Any, group: Group, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, group, tmp_path)
    yield win
    win.close()


def visual_x(text: str, piece: str) -> float:
    """Where `piece` starts on screen when `text` is laid out as a left-to-right line."""
    layout = QTextLayout(text)
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.LeftToRight)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(10_000)
    layout.endLayout()
    return line.cursorToX(text.index(piece))[0]


def test_an_events_times_read_in_order_beside_its_day_written_in_arabic(window: Any, qtbot: Any, arabic_days):
    event = window.group.events.add("اجتماع الحي", "2027-03-18T19:00", end="2027-03-18T21:00",
                                    tz="Europe/Paris", location="Salle des fêtes")
    open_event(qtbot, window, event.id)
    document = QTextDocument()
    document.setHtml(window.events_view.detail.info.text())
    when = document.toPlainText().split("·")[0]
    assert "مارس" in when  # the month in the laptop's language
    assert visual_x(when, "19:00") < visual_x(when, "21:00")
