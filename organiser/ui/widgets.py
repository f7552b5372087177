"""Small widgets the forms and views share: a record picker with search, a banner, a line that keeps
its place, an empty list's sentence, columns fitted to a table, the Yes / Maybe / No buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

from organiser.services.group import Group
from organiser.store import queries
from organiser.ui.click_through import ClickThrough
from organiser.ui.colours import error_red
from organiser.ui.narrow import ButtonRow, CompactButton
from organiser.ui.overrides import guarded
from organiser.ui.spoken import voice, with_clear_button


def error_colour(widget: QWidget) -> str:
    """A red that reads on the widget's palette, light or dark."""
    return error_red(widget.palette())


class SteadyLine(QLabel):
    """A message line that holds, from the start and empty, the room a message like `sample` takes
    at its width: the message comes while a person works on the form (on leaving a day typed that
    cannot be read, as they click the next field), and the fields below stay under the pointer."""

    def __init__(self, sample: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample = sample
        self.setWordWrap(True)

    def _room(self, width: int) -> int:
        box = self.fontMetrics().boundingRect(QRect(0, 0, max(width, 1), 10_000), Qt.TextFlag.TextWordWrap,
                                              self.sample)
        margins = self.contentsMargins()
        return box.height() + margins.top() + margins.bottom()

    @guarded
    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt name): empty, a label says it has none
        return True

    @guarded
    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt name)
        return max(super().heightForWidth(width) if self.text() else 0, self._room(width))

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name): the layout asks heightForWidth for the rest
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.fontMetrics().lineSpacing()))


class RecordPicker(QLineEdit):
    """Type a few letters of a member's name (or an event's title) and pick from matches.
    Matches come from the full-text index, so this stays quick with 50,000 members."""

    picked = Signal(str)

    def __init__(self, group: Group, kind: str, field: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group, self.kind, self.field = group, kind, field
        self.record_id: str | None = None
        self._choices: dict[str, str] = {}
        self.setPlaceholderText(placeholder)
        with_clear_button(self)
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.activated.connect(self._choose)
        self.setCompleter(completer)
        self._click_through = ClickThrough(completer.popup(), self)  # Yes clicked with the list open
        self.textEdited.connect(self._search)

    def matches(self, text: str, limit: int = 12) -> list[tuple[str, str]]:
        rows = queries.find_records(self.group.db, self.kind, text, limit)
        return [(rid, str(values.get(self.field) or "")) for rid, values in rows]

    def _search(self, text: str) -> None:
        self.record_id = None
        found = queries.find_records(self.group.db, self.kind, text, 12)
        names = [str(values.get(self.field) or "") for _rid, values in found]
        labels = []
        self._choices = {}
        for (rid, values), name in zip(found, names, strict=True):
            # two members of one name are told apart by what a person knows of them
            label = name if names.count(name) == 1 else f"{name} ({_telling_detail(values) or rid[:6]})"
            if label in self._choices:
                label = f"{name} ({rid[:6]})"
            self._choices[label] = rid
            labels.append(label)
        self._model.setStringList(labels)

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completer().popup()
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and popup.isVisible()
                and popup.currentIndex().isValid()):
            # Enter with the list open takes the entry it shows, once. Qt hands that Enter to this
            # field first and then to the list: acting on both did everything twice (the door said
            # the person it had just checked in was "already checked in").
            event.accept()  # accepted, the list does nothing more than close
            popup.hide()
            self._choose(str(popup.currentIndex().data()))
            return
        super().keyPressEvent(event)

    def _choose(self, label: str) -> None:
        rid = self._choices.get(label)
        if rid:
            self.set_record(rid, label)
            self.picked.emit(rid)

    def set_record(self, record_id: str | None, label: str | None = None) -> None:
        self.record_id = record_id
        if record_id and label is None:
            found = queries.rows_by_ids(self.group.db, [record_id]).get(record_id)
            label = str(found.values.get(self.field) or "") if found else ""
        self.setText(label or "")

    def value(self) -> str | None:
        if self.record_id:
            return self.record_id
        text = self.text().strip()
        if not text:
            return None
        exact = [rid for label, rid in self._choices.items() if label.casefold() == text.casefold()]
        if len(exact) == 1:
            return exact[0]
        return text  # the service refuses it with a sentence naming the field

    def is_known(self) -> bool:
        """Whether the text names a record that exists (picked, or typed exactly as listed)."""
        value = self.value()
        if value is None:
            return True
        found = queries.rows_by_ids(self.group.db, [value]).get(value)
        return found is not None and found.kind == self.kind and not found.deleted


def _telling_detail(values: dict[str, Any]) -> str:
    """What tells a record apart from another of the same name: a member's email or phone, an
    event's day."""
    for field in ("emails", "phones"):
        listed = values.get(field)
        if isinstance(listed, list) and listed and isinstance(listed[0], str):
            return listed[0]
    start = values.get("start")
    return start[:10] if isinstance(start, str) else ""


class Banner(QFrame):
    """A calm strip at the top of a pane: a message and up to two buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)  # a role, so it follows light/dark
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # names from peers and files in it show as written
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: list[QPushButton] = []
        self._layout = QHBoxLayout(self)
        self._layout.addWidget(self.label, 1)
        self.setAccessibleName("Notice")
        self.hide()

    def show_message(self, text: str, *actions: tuple[str, Any]) -> None:
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        self.label.setText(text)
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(callback)
            self._layout.addWidget(button)
            self.buttons.append(button)
        self.show()
        voice.say(self.label, text)  # shown where the eyes are, said for the ears (Orca)
        QTimer.singleShot(0, self, self._into_view)  # once laid out

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._into_view()  # its sentence wrapped to more lines as the view was laid out

    def _into_view(self) -> None:
        """A notice below the fold of a scrolling view (the door at 200 %) is scrolled to, to be read."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None and self.isVisible():
            area.ensureWidgetVisible(self, 0, 0)


class _FittedColumns(QObject):
    """Keeps a table's columns at their preferred widths, narrowed together when the table is
    narrower than their sum, so the last column shows on a 1366-pixel laptop, until the
    person drags a column's edge: from then on their widths are theirs."""

    def __init__(self, table: QAbstractItemView, widths: Sequence[int], least: Sequence[int]) -> None:
        super().__init__(table)
        self.table, self.widths, self.least = table, list(widths), list(least)
        self.fitting = False
        self.by_hand = False
        header = table.horizontalHeader()
        header.sectionResized.connect(self._resized)
        table.viewport().installEventFilter(self)
        self.fit()

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize and not self.by_hand:
            self.fit()
        return False

    def _resized(self, column: int, _old: int, _new: int) -> None:
        # the last column stretches with the window by itself; any other moved without us is the person
        if not self.fitting and column < len(self.widths):
            self.by_hand = True

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        least = [max(header.sectionSizeHint(c), self.least[c]) for c in range(len(self.widths))]  # heading whole
        # the stretched last column: its heading, and never narrower than Qt's default section
        last = max(header.sectionSizeHint(len(self.widths)), header.defaultSectionSize())
        room = self.table.viewport().width() - last
        # Narrow them all by one share; a column that would go below its heading keeps its heading's
        # width and the others share what is left.
        pinned: set[int] = set()
        for _ in self.widths:
            rest = [c for c in range(len(self.widths)) if c not in pinned]
            share = min(1.0, max(0, room - sum(least[c] for c in pinned)) / max(1, sum(self.widths[c] for c in rest)))
            narrow = {c for c in rest if self.widths[c] * share < least[c]}
            if not narrow:
                break
            pinned |= narrow
        self.fitting = True
        try:
            for column, width in enumerate(self.widths):
                header.resizeSection(column, least[column] if column in pinned else int(width * share))
        finally:
            self.fitting = False


def fit_columns(table: QAbstractItemView, widths: Sequence[int], least: Sequence[int] = ()) -> None:
    """Give the table's first columns these widths, narrowed together to fit the table, none
    below its heading or its `least` width (the last column, not listed, stretches)."""
    table.horizontalHeader().setStretchLastSection(True)
    _FittedColumns(table, widths, [*least, *[0] * (len(widths) - len(least))])


# A search box given one letter (which matches much of a big group) waits this long for the next.
SINGLE_LETTER_WAIT_MS = 200
TITLE_BAR = 40  # room the window manager's title bar takes above a window


def size_on_screen(window: QWidget, width: int, height: int) -> None:
    """Resize a dialog to the size it is made at, but no larger than the screen it opens on (less
    a title bar), nor smaller than its layout needs. A 1366x768 laptop at 150 % is a 910x512
    screen: a 600-high dialog put its buttons below the edge, out of reach."""
    screen = (window.parentWidget() or window).screen() or QGuiApplication.primaryScreen()
    size = QSize(width, height)
    if screen is not None:
        size = size.boundedTo(screen.availableGeometry().size() - QSize(0, TITLE_BAR))
    window.resize(size.expandedTo(window.minimumSizeHint()))


class _WrappedHeight(QObject):
    def __init__(self, label: QLabel) -> None:
        super().__init__(label)
        self.label = label
        label.installEventFilter(self)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            label = self.label
            label.setMinimumHeight(0)  # a label's height for a width is never less than its minimum
            label.setMinimumHeight(max(label.heightForWidth(label.width()), 0))
        return False


def hold_wrapped_height(label: QLabel) -> None:
    """Keep a word-wrapped label's minimum height at what its text needs at its width. A splitter
    pane counts a wrapped label as one line, so when its text wrapped to two the widgets below
    were laid over each other (Laptops at 150 %: the buttons over the table's edge)."""
    _WrappedHeight(label)


class EmptyHint(QLabel):
    """A sentence in the middle of an empty list or table, saying what would be there and how
    to add the first one; hidden as soon as the view has a row. It shows whole: close to the
    view's edges when the view is low, and the view grows to hold it when even that is not
    enough (a 1024x600 screen cut the Peers view's sentences in half)."""

    MARGIN, TIGHT = 16, 2

    def __init__(self, view: QAbstractItemView, text: str) -> None:
        super().__init__(text, view.viewport())
        self.view = view
        self.least = view.minimumHeight()  # the view's own minimum, when the sentence needs less
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("empty-hint")
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setContentsMargins(self.MARGIN, self.MARGIN, self.MARGIN, self.MARGIN)
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)  # its focus, to frame the sentence while the keys are there
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.update_shown)  # a slot of this label: dropped when the label goes
        self.update_shown()

    @guarded
    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize and watched is not self.view:  # the viewport's
            self._fit()
        elif watched is self.view and event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._show_focus(event.type() == QEvent.Type.FocusIn)
        return False

    def _show_focus(self, focused: bool) -> None:
        """An empty list draws nothing to say it has the keys (the style marks the current row,
        and there is none): Ctrl+2 or Tab landed on a blank board column and the person could
        not see where they were. The sentence is framed in the highlight colour meanwhile."""
        self.setStyleSheet(f"QLabel#{self.objectName()} {{ border: 2px solid palette(highlight); }}" if focused else "")
        self._fit()

    def update_shown(self, *_args: object) -> None:
        self.setVisible(self.view.model().rowCount() == 0)
        self._fit()

    def set_hint(self, text: str) -> None:
        self.setText(text)
        self._fit()

    def _fit(self) -> None:
        viewport = self.view.viewport()
        self.setGeometry(viewport.rect())
        if not self.view.isVisible():  # not laid out yet: its width says nothing
            return
        least = self.least
        if not self.isHidden():
            width, room = viewport.width(), viewport.height()
            self.setContentsMargins(self.MARGIN, self.MARGIN, self.MARGIN, self.MARGIN)
            if self.heightForWidth(width) > room:
                self.setContentsMargins(self.MARGIN, self.TIGHT, self.MARGIN, self.TIGHT)
            least = max(least, self.heightForWidth(width) + self.view.height() - room)
        if self.view.minimumHeight() != least:
            self.view.setMinimumHeight(least)


ANSWERS = (("yes", "&Yes"), ("maybe", "May&be"), ("no", "N&o"))


class AnswerButtons(QWidget):
    """Yes / Maybe / No for an RSVP: the answer given shows pressed; clicking another changes it."""

    answered = Signal(str)

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(label)
        self.buttons: dict[str, QPushButton] = {}
        for answer, text in ANSWERS:
            button = CompactButton(text)
            button.setCheckable(True)
            button.setAccessibleName(f"Answer {answer}")
            button.clicked.connect(lambda _checked=False, a=answer: self.answered.emit(a))
            self.buttons[answer] = button
        # on two lines in a narrow pane (Members at 150 %), where one squeezed "Coming?" to "Coming"
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(ButtonRow(self.label, *self.buttons.values(), packed=True))

    def show_answer(self, answer: str | None) -> None:
        for name, button in self.buttons.items():
            button.setChecked(name == answer)

