"""Where the keys are, drawn so a person with poor eyesight sees it. The style's own mark on the
current row of a list, a check box or a tab is a one-pixel line in a light blue (1.3 to 1 on
white): this draws it two pixels wide in the palette's highlight, or in the highlighted text's
colour on a chosen row, whatever style the desktop gives."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QStyleOptionFocusRect, QWidget

from organiser.ui.overrides import guarded

FRAME = 2  # the focus frame's width, in pixels
# The letters that reach highest above and lowest below the line, in the languages of the
# groups (Polish, Spanish, French...): a row holds them with the frame round them.
TALLEST = "ŚŻÉÑÅ|gjpqy"


def row_height_needed(option: QStyleOption) -> int:
    """A row's height with room for the frame and a pixel between it and the letters."""
    return option.fontMetrics.tightBoundingRect(TALLEST).height() + 2 * (FRAME + 1)


class FocusFrames(QProxyStyle):
    @guarded
    def sizeFromContents(self, contents: QStyle.ContentsType, option: QStyleOption,  # noqa: N802 (Qt name)
                         size: QSize, widget: QWidget | None = None) -> QSize:
        found = super().sizeFromContents(contents, option, size, widget)
        if contents == QStyle.ContentsType.CT_ItemViewItem and found.height() < row_height_needed(option):
            found.setHeight(row_height_needed(option))
        return found

    @guarded
    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # noqa: N802 (Qt name)
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element != QStyle.PrimitiveElement.PE_FrameFocusRect:
            super().drawPrimitive(element, option, painter, widget)
            return
        if not option.state & QStyle.StateFlag.State_KeyboardFocusChange:
            return  # after a click the style draws no mark either: the mouse knows where it is
        palette = option.palette
        on_chosen = (isinstance(option, QStyleOptionFocusRect)
                     and option.backgroundColor == palette.color(QPalette.ColorRole.Highlight))
        colour = palette.color(QPalette.ColorRole.HighlightedText if on_chosen else QPalette.ColorRole.Highlight)
        painter.save()
        painter.setPen(QPen(colour, FRAME))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(option.rect.adjusted(1, 1, -1, -1))
        painter.restore()


def install_focus_frames(app: QApplication) -> None:
    """Wrap the application's style (Fusion, Breeze, the desktop's) in FocusFrames."""
    if not isinstance(app.style(), FocusFrames):
        app.setStyle(FocusFrames(app.style().name()))
