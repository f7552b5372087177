"""Help: the user guide shipped with the app (resources/help, read locally, no browser or
network needed) and the keyboard shortcuts, listed from the window's own actions."""

from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from organiser.ui.resources import help_page
from organiser.ui.widgets import size_on_screen

# Shortcuts that are not menu actions: what keys do inside the views.
VIEW_KEYS = (("Enter (in the door field)", "Check in the name typed"),
             ("Alt+R (at the door)", "Register and check in a name not in the directory"),
             ("Enter or Down (in the member search)", "Show the first member found"),
             ("Ctrl+Right / Ctrl+Left (on a task card)", "Move it to the next / previous column: Doing, Done"),
             ("Enter (on a task card or a member)", "Edit it"),
             ("F2 / Delete (on an agenda item)", "Rename it / remove it"),
             ("Alt+Down (in a day field)", "Pick the day from a calendar"),
             ("Escape (in a dialog)", "Close it without saving"),
             ("Double-click a row", "Edit it (on the door list: check in or undo)"),
             ("Arrow keys in a list", "Move the selection; the pane follows"),
             ("Tab / Shift+Tab", "Next / previous field"))


class HelpDialog(QDialog):
    """A page of text in a window of its own, with links inside the page followed."""

    def __init__(self, title: str, page_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName(title)
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(page_html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        size_on_screen(self, 640, 520)


def user_guide(parent: QWidget | None = None) -> HelpDialog:
    return HelpDialog("Organiser user guide", help_page("guide.html"), parent)


def shortcuts_page(actions: list[QAction]) -> str:
    rows = []
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((keys, action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")))
    rows.extend(VIEW_KEYS)
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(w)}</td></tr>" for k, w in rows)
    return f"<h2>Keyboard shortcuts</h2><table cellpadding='4'>{body}</table>"


def shortcuts(actions: list[QAction], parent: QWidget | None = None) -> HelpDialog:
    return HelpDialog("Keyboard shortcuts", shortcuts_page(actions), parent)
