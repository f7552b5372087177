"""What lets a view fit a narrow screen: a row of buttons that wraps onto more lines, headings
that wrap, columns that ask for no more height than they need.

A 1366x768 laptop at 150 % (a cheap laptop on the projector) gives a view some 780 points: the
meeting's three columns, each with its buttons side by side, needed some 1,030, and the view
scrolled sideways with half the Decisions column past the edge."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed


class ButtonRow(QWidget):
    """Widgets side by side while each gets the width its text asks for; those that do not fit go
    on the next line, each whole. Its least width is its widest widget's, so it never widens the
    column it stands in."""

    def __init__(self, *widgets: QWidget, stretch: QWidget | None = None, packed: bool = False,
                 parent: QWidget | None = None) -> None:
        """`stretch` takes the room left on its line; `packed` keeps each line's widgets at their
        own width at its start (Yes / Maybe / No), where otherwise they share the line's width."""
        super().__init__(parent)
        self.widgets = widgets
        self.stretch = stretch
        self.packed = packed
        self.lines = QVBoxLayout(self)
        self.lines.setContentsMargins(0, 0, 0, 0)
        self._placed: list[list[QWidget]] = []
        for widget in widgets:
            widget.installEventFilter(self)  # one shown or hidden changes what fits on a line
        self._place([list(widgets)])

    def line_count(self) -> int:
        return len(self._placed)

    @staticmethod
    def wanted(widget: QWidget) -> int:
        """The width a widget takes on a line: what its text asks for, or more if it must have more."""
        return max(widget.sizeHint().width(), widget.minimumWidth())

    def _shown(self) -> list[QWidget]:
        return [widget for widget in self.widgets if not widget.isHidden()]

    def width_on_one_line(self) -> int:
        """What the shown widgets need side by side, each at the width its text asks for."""
        shown = self._shown()
        return sum(self.wanted(w) for w in shown) + self.lines.spacing() * max(len(shown) - 1, 0)

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        widest = max((max(w.minimumSizeHint().width(), w.minimumWidth()) for w in self._shown()), default=0)
        return QSize(widest, super().minimumSizeHint().height())

    @guarded
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(self.width_on_one_line(), super().sizeHint().height())

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._arrange()

    @guarded
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a widget asks for more room (a longer name)
            self._arrange()
        return super().event(event)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._arrange()
        return False

    def _arrange(self) -> None:
        lines: list[list[QWidget]] = [[]]
        used = 0
        for widget in self.widgets:  # hidden ones keep their place for when they are shown
            wanted = 0 if widget.isHidden() else self.wanted(widget)
            if lines[-1] and wanted and used + self.lines.spacing() + wanted > self.width():
                lines.append([])
                used = 0
            used += (self.lines.spacing() if used else 0) + wanted
            lines[-1].append(widget)
        if lines != self._placed:  # the row's height changes: the column lays out again
            self._place(lines)
            self.updateGeometry()

    def _place(self, lines: list[list[QWidget]]) -> None:
        while (old := self.lines.takeAt(0)) is not None:
            line = old.layout()
            if line is not None:
                while line.takeAt(0) is not None:  # the widgets stay the row's, placed again below
                    pass
                line.deleteLater()
        for widgets in lines:
            line = QHBoxLayout()
            for widget in widgets:
                line.addWidget(widget, 1 if widget is self.stretch else 0)
            if self.packed:
                line.addStretch(1)
            self.lines.addLayout(line)
        self._placed = lines


def wrapped_heading(text: str) -> QLabel:
    """A column's heading, on two lines when the column is narrow (on one, it set the column's least width)."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class Columns(QSplitter):
    """Columns side by side that ask for no more height than their least, and still take all the
    height there is. In a scroll area a view is as tall as it prefers: the lists' preferred height
    put the meeting's Next item below the edge of a 1366x768 screen at 150 %. None can be dragged
    to nothing (a column lost on the projector).

    Where the room is narrower than the columns side by side need, they stand one under another
    and the view scrolls up and down: at 200 % the meeting's three columns needed some 580 points
    of the 534 its view had, and it scrolled sideways with Decisions past the edge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)

    def follow(self, scroll: QScrollArea) -> None:
        """Side by side or stacked, by the width of the scroll area the columns stand in."""
        scroll.viewport().installEventFilter(self)

    def least_width(self) -> int:
        """The narrowest the columns can stand: one under another, as wide as the widest."""
        shown = [self.widget(n) for n in range(self.count()) if not self.widget(n).isHidden()]
        return max((max(column.minimumSizeHint().width(), column.minimumWidth()) for column in shown), default=0)

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """Stacked, never side by side: what holds the columns may be made that narrow, and they
        stack when it is (Events in a scroll area that asks for its content's least width: side
        by side, it held the window at 681 points, past a 1280x800 screen at 200 %)."""
        return QSize(self.least_width(), super().minimumSizeHint().height())

    def width_side_by_side(self) -> int:
        shown = [self.widget(n) for n in range(self.count()) if not self.widget(n).isHidden()]
        least = sum(max(column.minimumSizeHint().width(), column.minimumWidth()) for column in shown)
        return least + self.handleWidth() * max(len(shown) - 1, 0)

    def fit(self, room: int) -> None:
        """Side by side when `room` points hold the columns at their least width, else stacked."""
        wanted = Qt.Orientation.Horizontal if room >= self.width_side_by_side() else Qt.Orientation.Vertical
        if wanted != self.orientation():
            self.setOrientation(wanted)
            self.updateGeometry()

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            around = self.parentWidget().layout().contentsMargins() if self.parentWidget().layout() else None
            self.fit(watched.width() - (around.left() + around.right() if around else 0))
        return False

    @guarded
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        if self.orientation() == Qt.Orientation.Vertical:  # stacked, each column as tall as it prefers
            return super().sizeHint()
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())


class ElidedCombo(QComboBox):
    """A drop-down that, narrower than its choice, shows the choice cut with "…" and whole in its
    tooltip, instead of the arrow drawn over its last letters (an event's title in the Members
    pane at 150 %). The tooltip shows the choice as typed: a tooltip renders what it takes for
    markup, and titles and names come from peers."""

    def __init__(self, parent: QWidget | None = None, *, at_most: str = "") -> None:
        """`at_most`: the combo asks for no more width than this text shows in; a longer choice
        is cut with "…" (the list, when open, shows each whole). A working group's long name in
        Members' filter, or in who votes on a proposal, made the window or the dialog wider than
        a 1280x800 screen at 150 %."""
        super().__init__(parent)
        self.at_most = at_most
        self.currentTextChanged.connect(lambda text: self.setToolTip(as_typed(text)))

    def _capped(self, hint: QSize) -> QSize:
        if not self.at_most:
            return hint
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        words = QSize(self.fontMetrics().horizontalAdvance(self.at_most), self.fontMetrics().height())
        cap = self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, words, self).width()
        return QSize(min(hint.width(), cap), hint.height())

    @guarded
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self._capped(super().sizeHint())

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self._capped(super().minimumSizeHint())

    def shown_text(self) -> str:
        """The choice as drawn: whole when it fits, else cut with "…"."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(self.currentText(), Qt.TextElideMode.ElideRight, field.width())

    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        option.currentText = self.shown_text()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class CompactButton(QPushButton):
    """A button as wide as its text needs, not the style's least of some 80 points: "Coming?",
    Yes, Maybe and No fit one line of the Members pane at 100 % only so."""

    @guarded
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        padding = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, None, self)
                       + self.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, self))
        text = self.text().replace("&&", "\x00").replace("&", "").replace("\x00", "&")
        needed = self.fontMetrics().horizontalAdvance(text) + padding + self.fontMetrics().averageCharWidth() * 2
        return QSize(min(hint.width(), needed), hint.height())

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self.sizeHint()


class UpAndDown(QScrollArea):
    """Holds a view that scrolls up and down when the screen is low, never sideways: it is as
    narrow as what it holds can be, beside the scroll bar (at 200 % a 1366x800 laptop is a screen
    of 683x400 points, and the door's panes squeezed their sentences to a sliver)."""

    def __init__(self, inside: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, which it scrolls to
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(inside)
        inside.installEventFilter(self)

    @guarded
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        least = super().minimumSizeHint()
        inside = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(max(least.width(), inside), least.height())

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # what it holds may need more width now (a longer name shown)
        return super().eventFilter(watched, event)


class _HeadingsWhole(QObject):
    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        table.horizontalHeader().installEventFilter(self)
        table.model().headerDataChanged.connect(lambda *_: self.widen())
        table.model().modelReset.connect(self.widen)
        self.widen()

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.Show):
            self.widen()
        return False

    def widen(self) -> None:
        header = self.table.horizontalHeader()
        metrics, margin = header.fontMetrics(), header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin)
        arrow = metrics.height() if header.isSortIndicatorShown() else 0  # a sort may put it on any column
        last = header.count() - 1
        for section in range(header.count()):
            if (header.sectionResizeMode(section) == QHeaderView.ResizeMode.Stretch
                    or (section == last and header.stretchLastSection())):
                continue  # it takes the room left, whatever its heading
            words = str(self.table.model().headerData(section, Qt.Orientation.Horizontal) or "")
            needed = metrics.horizontalAdvance(words) + 2 * margin + arrow
            if header.sectionSize(section) < needed:
                header.resizeSection(section, needed)


def headings_whole(table: QTableView) -> None:
    """Each column of the table at least as wide as its heading and a sort arrow, in the font in
    use: with a large-font setting the door list's "Checked in" read "Checked ir" in the
    100 points Qt gives a column."""
    _HeadingsWhole(table)
