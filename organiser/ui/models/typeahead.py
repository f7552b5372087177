"""Type-ahead in long lists: letters typed in a table or list go to the next row whose text
starts with them, accents ignored ("ele" finds Éléonore, "yi" Yılmaz). Qt's own search asked for every cell
through Python, one at a time: 400-600 ms a letter on 3,000 tasks in the running app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from organiser.core.letters import plain

TYPE_AHEAD = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap




def type_ahead(model: Any, start: QModelIndex | QPersistentModelIndex, role: int, value: Any, hits: int,
               flags: Qt.MatchFlag, text_at: Callable[[int, int], str]) -> list[QModelIndex] | None:
    """The first row from `start` on (then from the top) whose text in start's column begins
    with `value`, as `QAbstractItemModel.match` answers a view's type-ahead; None for any other
    search, which the model leaves to Qt."""
    if role != Qt.ItemDataRole.DisplayRole or hits != 1 or not isinstance(value, str) \
            or Qt.MatchFlag(flags) != TYPE_AHEAD or start.parent().isValid():
        return None
    typed, column, count = plain(value), start.column(), model.rowCount()
    first = max(start.row(), 0)
    for row in (*range(first, count), *range(0, first)):
        if plain(text_at(row, column) or "").startswith(typed):
            return [model.index(row, column)]
    return []
