"""The main window: a sidebar of views (Events, Tasks, Members, Laptops, Meeting), menus
with keyboard shortcuts, and a status bar with peers and sync state. The notice above the views
on a removed laptop is ui/removed_notice.py; keeping search quick in the background,
ui/search_upkeep.py."""

from __future__ import annotations

import gc
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from organiser import __version__
from organiser.core.words import plural
from organiser.services.group import Group
from organiser.ui.bridge import Bridge
from organiser.ui.dialogs import ThisIsMeDialog, show_error
from organiser.ui.events_view import EventsView
from organiser.ui.help import shortcuts, user_guide
from organiser.ui.loader import BackgroundReader
from organiser.ui.meeting_view import MeetingView
from organiser.ui.members_view import MembersView
from organiser.ui.models.group import sync_words
from organiser.ui.models.tasks import TaskCache
from organiser.ui.overrides import guarded
from organiser.ui.peers_view import PeersView
from organiser.ui.removed_notice import RemovedNotice
from organiser.ui.resources import app_icon, view_icon
from organiser.ui.search_upkeep import SearchUpkeep
from organiser.ui.settings import UiSettings
from organiser.ui.spoken import SpokenLabel, voice
from organiser.ui.store_watch import StoreWatch
from organiser.ui.tasks_view import TasksView
from organiser.ui.wording import as_typed

if TYPE_CHECKING:  # for an annotation only: the window imports no network module itself
    from organiser.net.peerbook import PeerInfo

log = logging.getLogger(__name__)
VIEWS = ("events", "tasks", "members", "peers", "meeting")
FIRST_SIZE = QSize(1280, 800)
REMOVED_STATUS = "Removed from the group: what is changed here reaches no other laptop"
RESTORED_STATUS = "Restored copy, not a laptop of the group: what is changed here reaches no other laptop"
VIEW_LABELS = {"events": "Events", "tasks": "Tasks", "members": "Members", "peers": "Laptops",
               "meeting": "Meeting"}
# The same in the View menu, each with its own letter (Alt+V, then the letter); P&rojector is there too.
MENU_LABELS = {"events": "&Events", "tasks": "&Tasks", "members": "&Members", "peers": "La&ptops",
               "meeting": "Meet&ing"}


def data_dir_of_group(group: Group) -> Path:
    return group.path.parent.parent  # <data dir>/groups/<group id>


class MainWindow(QMainWindow):
    closed = Signal()
    switchGroupRequested = Signal()
    lockRequested = Signal()  # File > Lock now, Ctrl+L, or the idle timer (ui/lock.py)
    wipeRequested = Signal()  # File > Wipe this laptop's copy…, confirmed
    encryptRequested = Signal(str)  # Settings > Encrypt this group…, with the new passphrase
    passphraseChangeRequested = Signal(str, str)  # Settings > Change passphrase…: current, new

    def __init__(self, group: Group, node: Any = None, *, settings: UiSettings | None = None,
                 network_note: str = "", background: bool = False) -> None:
        """`background`: read big views (all members, all tasks) on a worker thread, as the
        app does; tests leave it off so a view is filled as soon as it is shown."""
        super().__init__()
        self.group, self.node = group, node
        self.settings = settings or UiSettings(data_dir_of_group(group), group)
        self.bridge = Bridge(group.bus, self, db=group.db)
        self.task_cache = TaskCache(group, self)
        self.bridge.recordsChanged.connect(self.task_cache.on_records_changed)
        # Once a big view is in memory, keep its objects out of the cyclic garbage collector's
        # full passes, which would otherwise walk every row again and stall the window
        # (`python -m tests.perf.ui`, "arrival": the longest stall).
        for ready in (self.task_cache.ready,):
            ready.connect(gc.freeze)
        self.setWindowTitle(f"{group.name} — Organiser")
        self.setWindowIcon(app_icon())
        self.reader = BackgroundReader(group.path, threaded=background)
        self.events_view = EventsView(group, self.bridge, self.task_cache, reader=self.reader)
        self.tasks_view = TasksView(group, self.bridge, self.task_cache, self.settings, reader=self.reader)
        self.members_view = MembersView(group, self.bridge, reader=self.reader)
        self.events_view.agenda.ready.connect(gc.freeze)
        self.events_view.eventShown.connect(self._meeting_follows)
        self.members_view.model.ready.connect(gc.freeze)
        self.peers_view = PeersView(group, self.bridge, node, network_note=network_note)
        self.meeting_view = MeetingView(group, self.bridge)  # the meeting of the event chosen in Events
        self.meeting_view.eventWanted.connect(lambda: self.switch_to("events"))
        self.projector: QWidget | None = None
        self.guide_window: QDialog | None = None  # open beside the window, to follow step by step
        self.views: dict[str, QWidget] = {"events": self.events_view, "tasks": self.tasks_view,
                                          "members": self.members_view, "peers": self.peers_view,
                                          "meeting": self.meeting_view}
        self.stack = QStackedWidget()
        for view in self.views.values():
            self.stack.addWidget(view)
            view.status.connect(self.show_message)  # type: ignore[attr-defined]
        # Above every view, while this laptop is removed from the group (hidden otherwise).
        self.removed_notice = RemovedNotice(group)
        self.removed_notice.wipeAsked.connect(lambda: self.wipe_action.trigger())
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.removed_notice)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_sidebar()
        self._build_menus()
        self._build_status_bar()
        self.bridge.peersChanged.connect(self.update_peer_status)
        self.bridge.syncProgress.connect(self.on_sync_progress)
        self.bridge.changesetRefused.connect(lambda code, device, note: self.show_message(
            "Refused a change from a peer. " + self.group.refusal_sentence(code, device, note)))
        self.bridge.clockWarning.connect(lambda _d, ahead: self.show_message(
            f"Another laptop's clock is {ahead:.0f} s ahead; its changes are kept but it should fix its clock."))
        self.search_upkeep = SearchUpkeep(self.bridge, self.reader, self)
        self.store_watch = StoreWatch(group, self)  # what the command line beside the app commits
        # Each edit on a removed laptop is one more that did not reach the group: the notice counts it.
        self.bridge.recordsChanged.connect(
            lambda _event: self.removed_notice.refresh() if self.removed_notice.here is not None else None)
        self.peer_timer = QTimer(self)
        self.peer_timer.setInterval(5000)
        self.peer_timer.timeout.connect(self.update_peer_status)
        self.peer_timer.start()
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.fit_to_screen()
        self.switch_to(self.settings.last_view() if self.settings.last_view() in VIEWS else "events")
        self.update_peer_status()
        self.search_upkeep.tidy_soon()

    # ---- layout -------------------------------------------------------------------------------

    def fit_to_screen(self) -> None:
        """First start: the window takes the screen's available area (up to a comfortable
        1280x800), so the status bar is on screen on a 1366x768 or 1024x600 laptop; a small
        screen gets the window maximised, which leaves the window manager to fit its frame."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(FIRST_SIZE)
            return
        available = screen.availableGeometry()
        size = FIRST_SIZE.boundedTo(available.size())
        self.resize(size)
        self.move(available.topLeft() + QPoint((available.width() - size.width()) // 2,
                                               (available.height() - size.height()) // 2))
        if size != FIRST_SIZE:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def _build_sidebar(self) -> None:
        bar = QToolBar("Views")
        bar.setObjectName("views")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(20, 20))
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, bar)
        # The group's name above its views: a laptop in two groups (the tenant union, the food bank)
        # shows two windows alike in every other way, and the title bar is not always on screen.
        self.group_label = QLabel(self.group.name)
        self.group_label.setTextFormat(Qt.TextFormat.PlainText)  # the name came from the laptop that admitted this one
        self.group_label.setObjectName("groupName")
        self.group_label.setAccessibleName("Group")
        self.group_label.setToolTip(as_typed(f"The group open in this window: {self.group.name} (File > Other group… "
                                             "opens another group this laptop holds)"))
        self.group_label.setWordWrap(True)
        self.group_label.setMaximumWidth(160)
        self.group_label.setContentsMargins(6, 4, 6, 8)
        font = self.group_label.font()
        font.setBold(True)
        self.group_label.setFont(font)
        bar.addWidget(self.group_label)
        self.view_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for n, name in enumerate(VIEWS, start=1):
            action = QAction(MENU_LABELS[name], self)
            action.setIconText(VIEW_LABELS[name])
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.setToolTip(f"{VIEW_LABELS[name].replace('&&', '&')} (Ctrl+{n})")
            action.triggered.connect(lambda _checked=False, v=name: self.switch_to(v))
            group.addAction(action)
            bar.addAction(action)
            self.view_actions[name] = action
        self.sidebar = bar
        self.paint_icons()

    def paint_icons(self) -> None:
        """The sidebar's icons in the palette's text colour: they follow a light or dark theme."""
        colour = self.palette().color(QPalette.ColorRole.WindowText)
        for name, action in self.view_actions.items():
            action.setIcon(view_icon(name, colour))

    @guarded
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.PaletteChange:  # the system switched light/dark
            self.paint_icons()
        super().changeEvent(event)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.import_action = file_menu.addAction("&Import…", self.open_import)
        self.export_action = file_menu.addAction("E&xport…", self.open_export)
        file_menu.addSeparator()
        self.other_group_action = file_menu.addAction("Other &group…", self.switchGroupRequested.emit)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        edit = menu.addMenu("&Edit")
        self.new_action = edit.addAction("&New", self.new_record)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.find_action = edit.addAction("&Find", self.find)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.delete_action = edit.addAction("&Delete", self.delete_record)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.stack.addAction(self.delete_action)
        self.deleted_action = edit.addAction("Dele&ted items…", self.open_deleted)
        edit.addSeparator()
        edit.addAction("This is &me…", self.choose_me)

        view = menu.addMenu("&View")
        for action in self.view_actions.values():
            view.addAction(action)
        view.addSeparator()
        self.projector_action = view.addAction("P&rojector", self.toggle_projector)
        self.projector_action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        from organiser.ui.lock import add_security_actions  # Lock now, Wipe…, Settings > passphrase

        add_security_actions(self, file_menu, menu)
        help_menu = menu.addMenu("&Help")
        self.guide_action = help_menu.addAction("Organiser &user guide", self.show_guide)
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.shortcuts_action = help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        help_menu.addSeparator()
        help_menu.addAction("&About Organiser", self.about)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setAccessibleName("Status")
        bar.messageChanged.connect(self._say_message)
        self.peer_label = SpokenLabel("Laptops nearby")
        self.sync_label = SpokenLabel("Sync state")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Sync progress")
        self.progress.setMaximumWidth(180)
        self.progress.hide()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.sync_label)
        bar.addPermanentWidget(self.peer_label)

    # ---- views and actions --------------------------------------------------------------------

    def current_view(self) -> str:
        widget = self.stack.currentWidget()
        return next((name for name, view in self.views.items() if view is widget), "events")

    def switch_to(self, name: str) -> None:
        if self.stack.currentWidget() is not self.views[name]:
            self.statusBar().clearMessage()  # a view's message says nothing about the next view
        if name == "meeting":
            # Opened on the meeting (the view it was closed on): Events has not loaded, so no
            # event is chosen yet; loading picks the first upcoming one and the meeting follows.
            self.events_view.ensure_loaded()
            self.meeting_view.set_event(self.events_view.current_id())
        self.stack.setCurrentWidget(self.views[name])
        self._focus_start_of(name)
        self.view_actions[name].setChecked(True)
        self.settings.set_last_view(name)

    def _focus_start_of(self, name: str) -> None:
        """The keys go where the view's work starts (else they stayed on whatever came next in
        the chain, often a tab), with the focus drawn: the stack may already have focused that
        widget for no reason Qt counts as the keyboard's, which draws no focus mark."""
        start = self.views[name].starting_focus()  # type: ignore[attr-defined]
        start.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
        start.update()

    def _meeting_follows(self, event_id: str) -> None:
        if self.meeting_view.event_id is None and self.current_view() == "meeting":
            self.meeting_view.set_event(event_id)

    def new_record(self) -> None:
        view = self.current_view()
        if view == "events":
            self.events_view.new_event()
        elif view == "tasks":
            self.tasks_view.new_task()
        elif view == "members":
            self.members_view.add_member()
        else:
            self.peers_view.invite()

    def delete_record(self) -> None:
        view = self.current_view()
        if view == "events":
            self.events_view.delete_event()
        elif view == "tasks":
            self.tasks_view.delete_task()
        elif view == "members":
            self.members_view.delete_member()
        elif view == "meeting":
            self.meeting_view.delete_record()

    def find(self) -> None:
        view = self.current_view()
        if view == "tasks":
            self.tasks_view.tabs.setCurrentIndex(1)
            self.tasks_view.assignee.setFocus()
            return
        if view == "events":
            self.events_view.detail.checkin_search.setFocus()
            return
        self.switch_to("members")
        self.members_view.focus_search()

    def open_deleted(self) -> None:
        from organiser.ui.deleted_dialog import DeletedDialog

        dialog = DeletedDialog(self.group, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def choose_me(self) -> None:
        dialog = ThisIsMeDialog(self.group, self.settings.me(self.group.id), self)
        if dialog.exec():
            self.settings.set_me(self.group.id, dialog.member_id)
            self.tasks_view.apply_filters()
            self.show_message("Saved who you are on this device.")

    def _transfer(self, which: str) -> None:
        try:
            module = importlib.import_module("organiser.ui.transfer_dialogs")
        except ImportError:
            show_error(self, f"{which.title()} is not available",
                       f"{which.title()} is not part of this build of Organiser yet.")
            return
        getattr(module, f"open_{which}_dialog")(self, self.group)

    def open_import(self) -> None:
        self._transfer("import")

    def open_export(self) -> None:
        self._transfer("export")

    def show_guide(self) -> None:
        """The guide in a window of its own that leaves this one usable: a newcomer reads a step
        and does it. Asked again, the same window comes to the front."""
        if self.guide_window is None:
            self.guide_window = user_guide(self)
            self.guide_window.setModal(False)
        self.guide_window.show()
        self.guide_window.raise_()
        self.guide_window.activateWindow()

    def show_shortcuts(self) -> None:
        menus = [a for menu in self.menuBar().findChildren(QMenu) for a in menu.actions()]
        shortcuts(list(dict.fromkeys(menus)), self).exec()

    def about(self) -> None:
        QMessageBox.about(self, "About Organiser",
                          f"<h3>Organiser {__version__}</h3><p>Events, tasks and a member directory for "
                          "your group, kept on this laptop and synced directly with the group's other "
                          f"devices on the local network.</p><p>This device: {self.group.device_name}<br>"
                          f"Data: {self.group.path}</p>")

    def toggle_projector(self) -> None:
        """Full screen for the wall, showing the meeting of the event chosen (F11 again closes it)."""
        from organiser.ui.projector import ProjectorView

        if self.projector is not None and self.projector.isVisible():
            self.projector.close()
            return
        event_id = self.meeting_view.event_id or self.events_view.current_id()
        self.projector = ProjectorView(self.group, self.bridge, event_id, self)
        self.projector.destroyed.connect(self._projector_gone)
        # The whole screen even where no window manager honours "full screen" (a kiosk set-up).
        self.projector.setGeometry(self.screen().geometry())
        self.projector.showFullScreen()

    def _projector_gone(self) -> None:
        self.projector = None

    # ---- status bar -----------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        if text and text == self.statusBar().currentMessage():
            # The same again (a vote refused a second time): Qt signals no change, and the
            # person on a screen reader heard nothing of the second try.
            self._say_message(text)
        self.statusBar().showMessage(text, 8000)

    def _say_message(self, text: str) -> None:
        """The status bar's message is its accessible name while shown (Orca's "read the status
        bar" finds it; QStatusBar only paints it) and is said as it comes."""
        self.statusBar().setAccessibleName(text or "Status")
        voice.say(self.statusBar(), text)

    def update_peer_status(self) -> None:
        self.removed_notice.refresh()  # a member told this laptop it was removed
        place = self.group.membership_status()
        if place["removed"] or place["restored_copy"]:  # not "alone": no laptop of the group will take its changes
            self.peer_label.setText("")
            self.sync_label.setText(REMOVED_STATUS if place["removed"] else RESTORED_STATUS)
            return
        if self.node is None:
            self.peer_label.setText("Network off")
            self.sync_label.setText("")
            return
        try:
            peers = self.node.peers()
        except Exception:  # the status bar must not take the window down; the log says why, once
            if self.peer_label.text() != "Laptops nearby unknown":
                log.exception("could not list the peers for the status bar")
            self.peer_label.setText("Laptops nearby unknown")
            self.sync_label.setText("")
            return
        self._show_peers(peers)

    def _show_peers(self, peers: list[PeerInfo]) -> None:
        # One sentence says it all ("Up to date with 2 laptops"): a count of "peers connected" beside
        # it said the same again, and "Alone on the network · 0 peers connected" twice over.
        syncing = [p for p in peers if p.state == "syncing"]
        self.peer_label.setText("")
        self.sync_label.setText(f"Exchanging changes with {plural(len(syncing), 'laptop')}…" if syncing
                                else sync_words(peers))

    def on_sync_progress(self, done: int, total: int, what: str) -> None:
        if total and done >= total:
            self.progress.hide()
            self.sync_label.setText("Up to date" if what == "sync" else f"{what.title()} done")
            return
        self.progress.show()
        self.progress.setRange(0, total or 0)
        self.progress.setValue(done)
        self.sync_label.setText(f"{'Syncing' if what == 'sync' else what.title()}: {done:,}"
                                + (f" of {total:,}" if total else ""))

    # ---- life cycle ---------------------------------------------------------------------------

    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_last_view(self.current_view())
        self.settings.sync()
        self.bridge.close()
        self.peer_timer.stop()
        self.peers_view.timer.stop()
        self.peers_view.incidents.timer.stop()  # else it reads the closed group every 10 s until collected
        self.meeting_view.stop()  # the last burst of typing is stored, not lost
        if self.projector is not None:
            self.projector.close()
        self.search_upkeep.stop()  # a tidying of the search index stops after its current step
        QThreadPool.globalInstance().waitForDone(3000)  # a view still being read in the background
        super().closeEvent(event)
        self.closed.emit()


def build_main_window(group: Group, node: Any = None) -> QMainWindow:
    """The main window over an open group; `node` is a SyncNode (or None: network off)."""
    if QApplication.instance() is None:
        raise RuntimeError("create a QApplication before building the main window")
    return MainWindow(group, node, background=True)
