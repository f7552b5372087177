"""Laptops: laptops nearby and their state, connect by hand, invite a laptop, the
group's laptops (who let whom in) and recorded conflicts with "use this value"."""

from __future__ import annotations

import html
import ipaddress
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.core.words import file_size, plural
from organiser.services.group import Group
from organiser.services.removed_nearby import removed_nearby
from organiser.ui.asyncjobs import spawn
from organiser.ui.bridge import Bridge, WhileShown
from organiser.ui.devices_dialog import confirm_newcomer
from organiser.ui.dialogs import ConnectDialog, InviteDialog, show_error
from organiser.ui.folders_dialog import FoldersDialog
from organiser.ui.group_devices import GroupDevicesPane
from organiser.ui.incidents_view import IncidentsPanel
from organiser.ui.models.group import (
    STATE_LABELS,
    ConflictsModel,
    DevicesModel,
    PeersModel,
    show_value,
    sync_words,
)
from organiser.ui.models.live import ROW_ROLE
from organiser.ui.overrides import guarded
from organiser.ui.removed_notice import breakable
from organiser.ui.row_choice import follow_selection
from organiser.ui.widgets import EmptyHint, hold_wrapped_height

INVITE_HOURS = 24
# The notice above every view (ui/removed_notice.py) says who, when, what did not reach the group and what
# to do; here, only what it means for the devices listed.
REMOVED_NOTE = ("An admin removed this laptop from the group: the group's laptops no longer accept its connections "
                "or its changes, and it hears nothing more from them (see the notice above).")
RESTORED_NOTE = ("Restored from a backup: the group never admitted this copy, so what is changed here reaches no "
                 "other laptop. To be back in the group: File > Export… what only this copy holds, File > Wipe this "
                 "laptop's copy…, then join with an invite code and File > Import… there.")


def _table(model: Any, name: str) -> QTableView:
    table = QTableView()
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(110)
    table.setAlternatingRowColors(True)
    table.setMinimumHeight(table.fontMetrics().height() * 4)  # three panes fit a 600-pixel-high screen
    return table


def _loopback(host: str) -> bool:
    """Whether only this laptop can reach `host` (127.0.0.1, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class PeersView(GroupDevicesPane, QWidget):
    status = Signal(str)
    inviteShown = Signal(object)  # the InviteDialog, for tests and screenshots

    def __init__(self, group: Group, bridge: Bridge | None, node: Any = None, parent: QWidget | None = None,
                 network_note: str = "") -> None:
        super().__init__(parent)
        self.group, self.node = group, node
        self.network_note = network_note
        self.state = QLabel()
        # Always rich text: a device name escaped for it ("Sam's laptop") read "Sam&#x27;s laptop"
        # when no address in bold made Qt take the sentence for plain text.
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.setWordWrap(True)
        self.state.setAccessibleName("How this laptop stands with the group")
        self.peers = PeersModel(self)
        self.peer_table = _table(self.peers, "Laptops nearby")
        self.connect_button = QPushButton("&Connect by hand…")
        self.connect_button.setToolTip("Type the other laptop's network address and port (shown on that laptop, "
                                       "in this view), for when it does not appear here by itself")
        self.connect_button.clicked.connect(self.connect_to_address)
        self.invite_button = QPushButton("&Invite a laptop…")
        self.invite_button.clicked.connect(self.invite)
        self.folders_button = QPushButton("Sync through a fol&der…")  # Alt+F opens the File menu
        self.folders_button.setToolTip("Carry the group's changes through Syncthing, Nextcloud or a USB stick")
        self.folders_button.clicked.connect(self.open_folders)
        self.folder_watcher: Any = None  # the app's FolderWatcher, set when the app runs one
        row = QHBoxLayout()
        row.addWidget(self.connect_button)
        row.addWidget(self.invite_button)
        row.addWidget(self.folders_button)
        row.addStretch(1)

        self.devices = DevicesModel(group, self)
        self.device_table = _table(self.devices, "The group's laptops")
        self.conflicts = ConflictsModel(group, self)
        self.conflict_table = _table(self.conflicts, "Conflicts")
        self.conflict_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.conflict_table.horizontalHeader().setStretchLastSection(True)
        self.conflict_table.setColumnWidth(0, 220)
        self.use_other = QPushButton("&Use this value")
        self.use_other.setToolTip("Restore the other laptop's value for the selected conflict")
        self.use_other.clicked.connect(lambda: self.resolve(use_losing_value=True))
        self.keep_current = QPushButton("&Keep current")
        self.keep_current.clicked.connect(lambda: self.resolve(use_losing_value=False))
        self.peer_empty = EmptyHint(self.peer_table, "No other laptop of the group is nearby yet. "
                                    "Laptops on the same Wi-Fi appear here by themselves; where the Wi-Fi "
                                    "keeps them apart, use the Connect by hand… button.")
        self.device_empty = EmptyHint(self.device_table, "Only this laptop so far: Invite a laptop… adds another.")
        for changed in (self.devices.modelReset, self.devices.rowsInserted, self.devices.rowsRemoved):
            changed.connect(self._fit_device_rows)  # after the hint's own: its height is set last
        self.conflict_empty = EmptyHint(self.conflict_table, "No conflicts: every edit made at the same time "
                                        "on two laptops fitted together.")
        self.peer_detail = QLabel()
        self.peer_detail.setWordWrap(True)
        self.peer_detail.setAccessibleName("Selected laptop nearby")
        follow_selection(self.peer_table, self._show_peer)
        self.device_detail = QLabel()
        self.device_detail.setWordWrap(True)
        self.device_detail.setAccessibleName("Selected laptop")
        follow_selection(self.device_table, self._show_device)
        self.removal_note = QLabel()
        self.removal_note.setWordWrap(True)
        self.removal_note.setTextFormat(Qt.TextFormat.PlainText)  # device names are the members' own words
        self.removal_note.setAccessibleName("Who has heard of removals")
        follow_selection(self.conflict_table, self._update_conflict_note)
        conflict_row = QHBoxLayout()
        self.conflict_note = QLabel()
        self.conflict_note.setWordWrap(True)
        conflict_row.addWidget(self.conflict_note, 1)
        conflict_row.addWidget(self.use_other)
        conflict_row.addWidget(self.keep_current)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.addWidget(_heading("Laptops nearby"))
        top_layout.addWidget(self.state)
        top_layout.addWidget(self.peer_table, 1)
        top_layout.addWidget(self.peer_detail)
        top_layout.addLayout(row)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.addWidget(_heading("The group's laptops"))
        middle_layout.addWidget(self.device_table, 1)
        middle_layout.addWidget(self.device_detail)
        middle_layout.addWidget(self.removal_note)
        self.admin_note = QLabel()
        self.admin_note.setWordWrap(True)
        self.admin_note.setAccessibleName("Admins of the group")
        self.admin_note.setTextFormat(Qt.TextFormat.PlainText)  # a device's name is its member's own words
        middle_layout.addWidget(self.admin_note)
        self.remove_device_button = QPushButton("&Remove laptop…")
        self.remove_device_button.clicked.connect(self.remove_device)
        self.make_admin_button = QPushButton("Make &admin")
        self.make_admin_button.setToolTip("Let the selected laptop admit and remove laptops too")
        self.make_admin_button.clicked.connect(self.make_admin)
        self.vouch_button = QPushButton("V&ouch…")  # Alt+V opens the View menu
        self.vouch_button.setToolTip("Admit the selected laptop as an admin's: one a member let in may then invite "
                                     "too, and the laptops it admitted that wait for an admin come in with it")
        self.vouch_button.clicked.connect(self.vouch)
        # How big the group has grown here (read when the view opens and as changes arrive), beside the buttons:
        # a line of its own made the view taller than 1024x600 allows.
        self.size_label = QLabel()
        self.size_label.setWordWrap(True)
        self.size_label.setAccessibleName("Size of the group on this laptop")
        device_row = QHBoxLayout()
        device_row.addWidget(self.remove_device_button, 0, Qt.AlignmentFlag.AlignLeft)
        device_row.addWidget(self.make_admin_button, 0, Qt.AlignmentFlag.AlignLeft)
        device_row.addWidget(self.vouch_button, 0, Qt.AlignmentFlag.AlignLeft)
        device_row.addWidget(self.size_label, 1)
        middle_layout.addLayout(device_row)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.addWidget(_heading("Conflicts"))
        bottom_layout.addWidget(self.conflict_table, 1)
        bottom_layout.addLayout(conflict_row)
        self.incidents = IncidentsPanel(group, bridge)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        for part in (top, middle, bottom, self.incidents):
            split.addWidget(part)
        split.setChildrenCollapsible(False)
        for label in split.findChildren(QLabel):
            if label.wordWrap() and not isinstance(label, EmptyHint):
                hold_wrapped_height(label)
        # Scrolls rather than making the window taller than the screen: the four panes need more
        # than a 1366x768 laptop at 150 % has (the status bar went below the screen's edge).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, which it scrolls to
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(split)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        if bridge is not None:
            bridge.peersChanged.connect(self._refresh_if_shown)
            bridge.recordsChanged.connect(WhileShown(self, self.on_records_changed))
        self.timer = QTimer(self)
        self.timer.setInterval(10_000)
        self.timer.timeout.connect(self._refresh_if_shown)
        self.timer.start()
        self.refresh_peers()
        self._update_conflict_note()
        self._show_device()
        self._show_peer()
        self._fit_device_rows()

    def _show_peer(self) -> None:
        selected = self.peer_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        if row is None:
            self.peer_detail.setText("")
            self.peer_detail.hide()
            return
        sync = ("up to date" if row.in_step else f"changes last came over {row.sync_text()}" if row.last_sync
                else "nothing exchanged yet")
        # The network address is a detail for whoever sets up Connect by hand…, after the sentence a person needs.
        where = f" Details: reached at {row.address}." if row.address else ""
        self.peer_detail.setText(f"<b>{html.escape(row.name)}</b>: "
                                 f"{STATE_LABELS.get(row.state, row.state)}, {sync}.{html.escape(where)}")
        self.peer_detail.show()

    def _ask_before_admitting(self) -> None:
        if self.node is not None:
            self.node.confirm_admission = lambda name, code: confirm_newcomer(self, name, code)

    def set_node(self, node: Any, note: str = "") -> None:
        self.node = node
        self._ask_before_admitting()
        self.network_note = note
        self.refresh_peers()

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        self.refresh_peers()  # it was not refreshed while another view was open
        self.update_size()
        QTimer.singleShot(0, self, self._make_room_for_devices)
        super().showEvent(event)

    def _refresh_if_shown(self) -> None:
        # In a full room peers change many times a second; a view nobody looks at need not follow.
        if self.isVisible():
            self.refresh_peers()

    def refresh_peers(self) -> None:
        if self._place_note():
            self.devices.reload()  # this laptop's own row: "removed", as a member told it (its log never will)
        if self.node is None:
            self.state.setText(html.escape(self._place_note() or self.network_note or "Not looking for the "
                                           "group's other laptops: this one works on its own until then."))
            self.peers.set_peers([])
            self._show_removals()
            return
        try:
            peers = self.node.peers()
        except Exception as exc:  # a broken peer list must not take the window down
            self.state.setText(html.escape(f"Cannot list the laptops nearby: {exc}"))
            return
        self.peers.set_peers(peers)
        where = self._where_listening()  # each peer's own state is in the table: the sentence counts once
        self.state.setText(f"This laptop, {html.escape(self.group.device_name)}, {where}. "
                           f"{html.escape(sync_words(peers))}.")
        outdated = getattr(self.node, "outdated_peers", lambda: [])()
        if outdated:  # a laptop of the group that cannot sync until its app is updated
            self.state.setText(self.state.text() + "".join(f"<br><b>Update needed:</b> {html.escape(s)}"
                                                           for s in outdated))
        nearby = removed_nearby(self.group)
        if nearby:  # a laptop an admin removed, still trying to connect: its person may not know
            self.state.setText(self.state.text() + "".join(f"<br><b>Removed laptop nearby:</b> "
                                                           f"{html.escape(breakable(n.sentence()))}" for n in nearby))
        if self._place_note():
            self.state.setText(html.escape(self._place_note()))
        self.peers.tick()
        self._show_removals()

    def _show_removals(self) -> None:
        """Removals some device is not known to have heard of, and whether the latest has reached all."""
        news = self.group.membership.removal_news()
        lines = [n.sentence() for n in news if n.not_known]
        if news and not news[-1].not_known:
            lines.append(news[-1].sentence())
        self.removal_note.setText(breakable("\n".join(lines)))  # a name of 200 letters, one word, wraps too
        self.removal_note.setVisible(bool(lines))

    def _place_note(self) -> str:
        """What this laptop is, when no laptop of the group takes its changes (else "")."""
        place = self.group.membership_status()
        return REMOVED_NOTE if place["removed"] else RESTORED_NOTE if place["restored_copy"] else ""

    def _where_listening(self) -> str:
        """How another device reaches this one: the addresses to type; on a laptop that is on no
        network yet, that there is none and what to do (its loopback address reaches nobody else)."""
        addresses = self.addresses_to_type()
        if addresses:
            return ("is ready for the group's other laptops. One that does not appear here by itself can "
                    "reach it with Connect by hand… and " + " or ".join(f"<b>{html.escape(a)}</b>" for a in addresses))
        port = getattr(self.node, "port", 0)
        if not port:
            return "is not ready for other laptops yet"
        from organiser.net.link import NOT_ON_A_NETWORK

        return f"is ready, but {NOT_ON_A_NETWORK}, and what to type on them appears here"

    def _unreachable(self) -> str:
        """What an invite made now is worth on a laptop no other can reach; "" when others can."""
        if not getattr(self.node, "port", 0) or self.addresses_to_type():
            return ""
        from organiser.net.link import NOT_ON_A_NETWORK

        return (f"{NOT_ON_A_NETWORK[0].upper()}{NOT_ON_A_NETWORK[1:]}, then make a new invite: these codes name "
                "no address another laptop can reach.")

    def update_size(self) -> None:
        size = self.group.size()
        since = f" since {date.fromisoformat(size['since']):%-d %B %Y}" if size["since"] else ""
        self.size_label.setText(f"The group holds {plural(size['changes'], 'change')}{since}, "
                                f"{file_size(size['bytes'])} on this laptop: every laptop keeps every change, "
                                "for the laptops that join later.")

    def on_records_changed(self, event: RecordsChanged) -> None:
        if "device" in event.kinds:
            self.devices.reload()
            self.refresh_peers()
            self._show_device()
        self.conflicts.reload()
        self._update_conflict_note()
        self.update_size()  # two laptops up to date side by side said 7 and 8 changes

    def addresses_to_type(self) -> list[str]:
        """Where another device can reach this one: this machine's addresses and the real port;
        none while it is on no network (a loopback address is no use typed on another laptop)."""
        port = getattr(self.node, "port", 0)
        if not port:
            return []
        host = getattr(self.node, "listen_host", "")
        if host not in ("", "0.0.0.0"):
            return [] if _loopback(host) else [f"{host}:{port}"]  # listening on one address only
        try:
            from organiser.net.link import reachable_addresses
        except ImportError:
            return []
        return [f"{host}:{port}" for host in reachable_addresses()]

    def _update_conflict_note(self) -> None:
        n = self.conflicts.rowCount()
        selected = self.conflict_table.selectionModel().selectedRows()
        row = selected[0].data(ROW_ROLE) if selected else None
        if n == 0:
            text = ""  # the empty table says there are none
        elif row is None:
            text = (f"{n} value{'s' if n != 1 else ''} changed on two laptops at once; the other change "
                    "won. Click one to bring it back or keep the current value.")
        else:
            text = (f"{row.record_label}, {row.field}: now “{show_value(row.current)}”; "
                    f"{row.author} had “{show_value(row.value)}”.")
        self.conflict_note.setText(text)
        self.use_other.setEnabled(row is not None)
        self.keep_current.setEnabled(row is not None)

    def resolve(self, *, use_losing_value: bool) -> None:
        index = self.conflict_table.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        if row is None:
            self.status.emit("Select a conflict first.")
            return
        try:
            self.group.resolve_conflict(row.id, use_losing_value=use_losing_value)
        except OrganiserError as exc:
            show_error(self, "Cannot settle the conflict", exc)
            return
        self.conflicts.reload()
        self._update_conflict_note()

    def connect_to_address(self) -> None:
        if self.node is None:
            show_error(self, "Network is off", self.network_note or "The network is not running on this laptop.")
            return
        # an admin's fixed port is every laptop's; otherwise this one's own port is no use there
        dialog = ConnectDialog(self, fixed_port=getattr(self.node, "listen_port", 0) or None)
        if not dialog.exec():
            return
        host, port = dialog.address()
        self.status.emit(f"Connecting to {host}:{port}…")
        spawn(self.node.connect(host, port),
              on_done=lambda _r: self.status.emit(f"Connected to {host}:{port}."),
              on_error=lambda exc: show_error(self, f"Cannot connect to {host}:{port}", exc))

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the devices nearby."""
        return self.peer_table

    def invite(self) -> None:
        if self.group.membership_status()["removed"]:  # its own log never says so: it never gets its removal
            show_error(self, "Cannot make an invite", "This laptop was removed from the group: it can no longer "
                       "invite anyone.")
            return
        if self.node is None:
            show_error(self, "Network is off", self.network_note or "Invites need the network layer, which is "
                       "not running on this laptop.")
            return
        spawn(self._make_invites(), on_done=lambda made: self.show_invite(*made),
              on_error=lambda exc: show_error(self, "Cannot make an invite", exc))

    def _withdraw_invite(self, code: str) -> None:
        from organiser.net.pairing import withdraw_invite  # the network layer is optional in the window

        withdraw_invite(self.group, code)

    def open_folders(self) -> FoldersDialog:
        dialog = FoldersDialog(self.group, self.folder_watcher, self)
        dialog.open()
        return dialog

    async def _make_invites(self) -> tuple[str, Any]:
        """The long code, and a short spoken one offered on the LAN beside it."""
        code = await self.node.create_invite(expires_seconds=INVITE_HOURS * 3600)
        spoken = await self.node.offer_spoken_invite() if hasattr(self.node, "offer_spoken_invite") else None
        return code, spoken

    def show_invite(self, code: str, spoken: Any = None) -> InviteDialog:
        dialog = InviteDialog(code, INVITE_HOURS, self, spoken=spoken,
                              renew_spoken=getattr(self.node, "offer_spoken_invite", None),
                              withdraw_long=lambda: self._withdraw_invite(code), unreachable=self._unreachable())
        self.inviteShown.emit(dialog)
        dialog.open()
        return dialog
