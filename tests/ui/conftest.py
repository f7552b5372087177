"""Fixtures for the desktop app: a small demo group and its main window, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from organiser.services.demo import DemoSize, populate
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import FROZEN_NOW

NOW = FROZEN_NOW


@pytest.fixture
def demo(group: Group) -> Group:
    populate(group, DemoSize(members=30, events=8, tasks=20), now=NOW, seed=3)
    return group


@pytest.fixture
def window(qtbot: Any, demo: Group, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmation questions are answered Yes (the person confirms the delete)."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


@pytest.fixture
def warnings_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Error dialogs are recorded instead of waiting for a click."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a, **k: shown.append(text))
    return shown


def with_modal(trigger: Callable[[], Any], handle: Callable[[QWidget], None]) -> Any:
    """Run `trigger` (which opens a modal dialog) and let `handle` drive that dialog."""
    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None, "no dialog opened"
        try:
            handle(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()
    QTimer.singleShot(0, drive)
    return trigger()
