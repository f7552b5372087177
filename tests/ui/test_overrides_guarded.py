"""An exception inside one of our overrides of a Qt virtual function (a paint, a model's data, an
event filter) is reported and the window stays: left to shiboken, an exception raised by C code
there (a ValueError from date()) crashed the app (SIGSEGV) while Python code was calling into Qt."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QListView, QWidget

import organiser.ui
from organiser.ui.overrides import guarded, is_guarded

# Methods of ours that share a name with a Qt one but are not Qt's virtual functions, and a
# thread's body, which runs on its own thread (no Python call into Qt waits on it) and handles
# its own exceptions (Qt's QThread.run, the fall-back, would start an event loop).
NOT_VIRTUAL = {"create", "update", "find", "run"}


def a_day_python_cannot_hold() -> date:
    return date(10000, 1, 1)  # ValueError raised by C code, as a grid's days of January 10000 did


class Poster(QWidget):
    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        a_day_python_cannot_hold()


class Days(QAbstractListModel):
    @guarded(fallback=0)
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 3

    @guarded
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.row() == 1:
            return str(a_day_python_cannot_hold())
        return f"day {index.row()}" if role == Qt.ItemDataRole.DisplayRole else None


def test_a_paint_that_fails_inside_a_grab_is_reported_and_the_widget_is_drawn(qtbot: Any) -> None:
    """Unguarded, this grab crashed the test process (SIGSEGV in PepException_GetArgs)."""
    poster = Poster()
    qtbot.addWidget(poster)
    poster.resize(120, 80)  # not shown: drawn only by the grab, inside which it failed
    with qtbot.captureExceptions() as reported:
        picture = poster.grab()
    assert picture.size() == QSize(120, 80)
    assert [str(exc) for _type, exc, _tb in reported] == ["year 10000 is out of range"]


def test_a_row_whose_text_fails_is_reported_and_the_list_shows_the_others(qtbot: Any) -> None:
    days = Days()
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(days)
    with qtbot.captureExceptions() as reported:
        view.grab()
        widths = [view.sizeHintForRow(row) for row in range(days.rowCount())]
    assert reported and all(str(exc) == "year 10000 is out of range" for _type, exc, _tb in reported)
    assert len(widths) == 3 and days.index(0).data() == "day 0" and days.index(2).data() == "day 2"


def test_every_override_of_a_qt_virtual_function_in_the_app_is_guarded() -> None:
    for module in pkgutil.walk_packages(organiser.ui.__path__, "organiser.ui."):
        importlib.import_module(module.name)
    unguarded = []
    for cls in _subclasses(QWidget.__mro__[-2]):  # Shiboken.Object: every Qt class
        if not cls.__module__.startswith("organiser."):
            continue
        qt_classes = [base for base in cls.__mro__ if base.__module__.startswith("PySide6.")]
        ours = [base for base in cls.__mro__ if base.__module__.startswith("organiser.")]  # mixins too
        for owner in ours:
            for name, method in vars(owner).items():
                if (inspect.isfunction(method) and not name.startswith("__") and name not in NOT_VIRTUAL
                        and any(hasattr(base, name) for base in qt_classes) and not is_guarded(method)):
                    unguarded.append(f"{owner.__module__}.{owner.__qualname__}.{name}")
    assert sorted(set(unguarded)) == [], "decorate these with @guarded (organiser/ui/overrides.py)"


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_a_guarded_override_called_from_python_takes_its_arguments_by_name() -> None:
    days = Days()
    assert days.data(days.index(2), role=Qt.ItemDataRole.DisplayRole) == "day 2"
