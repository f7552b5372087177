"""An exception nobody expected, from a real slot or a guarded Qt override: logged in errors.log
with where it happened and nothing personal, told to the person in one sentence, and the app goes on
with what was saved."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from organiser.services.group import Group
from organiser.ui import members_view
from organiser.ui.main_window import MainWindow
from organiser.ui.overrides import guarded
from organiser.ui.settings import UiSettings
from organiser.ui.unexpected import LOG_NAME, MAX_BYTES, UnexpectedErrors, notice_text
from tests.cli_in_process import cli_in_process
from tests.ui.conftest import click, click_row

PERSONAL = "Françoise Dupont, 07700 900123"


def notices() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "unexpected-error-notice" and w.isVisible()]


@pytest.fixture
def reporting(demo: Group) -> Iterator[UnexpectedErrors]:
    """The app's hook, as run_app installs it, in place of pytest-qt's capture of slot exceptions."""
    errors = UnexpectedErrors(demo.path.parent.parent)
    errors.install()
    yield errors
    errors.uninstall()
    for box in notices():
        box.close()


@pytest.mark.qt_no_exception_capture
def test_a_fault_in_a_buttons_slot_is_logged_without_personal_data_and_told_in_one_sentence(
        qtbot: Any, demo: Group, tmp_path: Path, reporting: UnexpectedErrors, monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    saved = demo.members.add(name="Saved Before The Fault").id

    def form_with_a_bug(*_args: Any, **_kwargs: Any) -> None:
        raise KeyError(PERSONAL)  # a bug whose message quotes a member

    monkeypatch.setattr(members_view, "RecordDialog", form_with_a_bug)
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    click_row(qtbot, window.members_view.table, 0)
    click(qtbot, window.members_view.edit_button)
    qtbot.waitUntil(lambda: len(notices()) == 1, timeout=3000)
    data_dir = demo.path.parent.parent
    assert notices()[0].text() == notice_text(data_dir / LOG_NAME)
    logged = (data_dir / LOG_NAME).read_text(encoding="utf-8")
    assert "builtins.KeyError" in logged and "members_view.py" in logged and "in edit_member" in logged
    assert "Françoise" not in logged and "07700" not in logged and str(Path.home()) not in logged
    qtbot.mouseClick(notices()[0].button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert window.isVisible()  # the app goes on
    code, out, _err = cli_in_process(data_dir, "member", "show", saved)
    assert code == 0 and "Saved Before The Fault" in out


class _FaultyPaint(QWidget):
    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        raise ZeroDivisionError(PERSONAL)


@pytest.mark.qt_no_exception_capture
def test_a_guarded_override_that_fails_at_every_paint_is_told_once_and_counted_in_the_log(
        qtbot: Any, reporting: UnexpectedErrors) -> None:
    widget = _FaultyPaint()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: len(notices()) == 1, timeout=3000)
    before = reporting.reported
    widget.repaint()
    widget.repaint()
    qtbot.wait(20)
    assert reporting.reported >= before + 2
    assert len(notices()) == 1
    assert "builtins.ZeroDivisionError" in reporting.log_file.read_text(encoding="utf-8")


def _fault(kind: type[BaseException]) -> tuple[type[BaseException], BaseException, Any]:
    try:
        raise kind(PERSONAL)
    except BaseException as exc:  # noqa: BLE001 (what Qt hands sys.excepthook)
        return kind, exc, exc.__traceback__


@pytest.mark.qt_no_exception_capture
def test_a_fault_repeating_all_evening_is_written_once_and_counted(reporting: UnexpectedErrors) -> None:
    """A paint failing at every frame for an evening: 50,000 times, as Qt hands each to the hook."""
    for _ in range(50_000):
        sys.excepthook(*_fault(ZeroDivisionError))
    logged = reporting.log_file.read_text(encoding="utf-8")
    assert logged.count("builtins.ZeroDivisionError") == 1
    assert "the same again (10,001 times in all)" in logged and "(50,000" not in logged
    assert len(logged) < 4_000
    assert reporting.reported == 50_000


@pytest.mark.qt_no_exception_capture
def test_a_stream_of_different_faults_cannot_fill_the_disk(reporting: UnexpectedErrors) -> None:
    """Each fault unlike the one before (a loop through many kinds): errors.log and errors.log.1
    together stay near twice MAX_BYTES, and the newest fault is in errors.log."""
    kinds = [type(f"Fault{n}_" + "x" * 300, (Exception,), {}) for n in range(6_000)]
    for kind in kinds:
        sys.excepthook(*_fault(kind))
    older = reporting.log_file.with_name(f"{LOG_NAME}.1")
    sizes = reporting.log_file.stat().st_size, older.stat().st_size
    assert all(size < MAX_BYTES + 2_000 for size in sizes), sizes
    assert MAX_BYTES * 6 // 10 < sum(sizes) < 2 * MAX_BYTES + 4_000 < 1_100_000, sizes
    assert "Fault5999_" in reporting.log_file.read_text(encoding="utf-8")
    assert older.stat().st_mode & 0o777 == 0o600
