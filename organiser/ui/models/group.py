"""Laptops nearby, the group's laptops (who let whom in) and recorded conflicts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from organiser.core.keys import short_id
from organiser.core.records import KINDS
from organiser.core.words import plural
from organiser.services.group import Group
from organiser.services.vouching import WAITING
from organiser.store import queries
from organiser.ui.models.live import ID_ROLE, ROW_ROLE, LiveRows, TableColumns, sync_rows
from organiser.ui.models.name_order import name_order
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

Index = QModelIndex | QPersistentModelIndex


def ago(epoch: float | None, now: float | None = None) -> str:
    if not epoch:
        return "never"
    now = time.time() if now is None else now
    seconds = max(0, int(now - epoch))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    then = time.localtime(epoch)
    # A laptop back after a year away: "02 Dec" alone would read as this December.
    return time.strftime("%d %b %H:%M" if then.tm_year == time.localtime(now).tm_year else "%d %b %Y %H:%M", then)


def sync_words(peers: list[Any], now: float | None = None) -> str:
    """How this laptop stands with the group's others, in the words a person needs: up to date with
    the laptops connected when nothing is left to exchange; the last sync only when none is reached
    (while connected and in step, the last sync is only when someone last wrote something)."""
    connected = [p for p in peers if p.connected]
    in_step = [p for p in connected if getattr(p, "in_step", False)]
    if connected and len(in_step) == len(connected):
        return f"Up to date with {plural(len(in_step), 'laptop')}"
    if connected:
        return f"Exchanging changes with {plural(len(connected) - len(in_step), 'laptop')}" + (
            f", up to date with {len(in_step)}" if in_step else "")
    last = max((p.last_sync for p in peers if p.last_sync), default=None)
    return "No other laptop of the group reached" + (f"; last sync {ago(last, now)}" if last else "")


class _Table(LiveRows[Any], TableColumns):
    columns: tuple[str, ...] = ()

    def __init__(self, row_id: Callable[[Any], str], key: Callable[[Any], Any], parent: Any = None) -> None:
        QAbstractTableModel.__init__(self, parent)
        self._init_rows(row_id, key)

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)) \
                or not (0 <= index.column() < len(self.columns)):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return as_typed(self.cell(row, index.column()))
        if role == ID_ROLE:
            return self._row_id(row)
        if role == ROW_ROLE:
            return row
        return None

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({ID_ROLE: b"id", ROW_ROLE: b"row"})
        return names


@dataclass(frozen=True)
class PeerRow:
    device_id: str
    name: str
    address: str
    state: str
    last_sync: float | None
    in_step: bool = False  # connected with nothing to exchange (net/peerbook.py)

    def sync_text(self) -> str:
        """"up to date" while nothing is left to exchange; else when changes last came over."""
        return "up to date" if self.in_step else ago(self.last_sync)


STATE_LABELS = {"connected": "connected", "syncing": "syncing…", "offline": "not connected"}


class PeersModel(_Table):
    """The group's laptops nearby, with their state."""

    # The network address is no column: it means nothing to most; it is in each row's tooltip and the
    # line under the table, for whoever types it into Connect by hand… on another laptop.
    columns = ("Laptop", "State", "Last sync")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.device_id, lambda r: (name_order(r.name), r.device_id), parent)

    def set_peers(self, peers: list[Any]) -> None:
        rows = [PeerRow(p.device_id, p.name or p.device_id[:8], str(p.address or ""), p.state, p.last_sync,
                        bool(getattr(p, "in_step", False))) for p in peers]
        sync_rows(self, rows, lambda r: r.device_id)

    def cell(self, row: PeerRow, column: int) -> str:
        return (row.name, STATE_LABELS.get(row.state, row.state), row.sync_text())[column]

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        shown = super().data(index, role)
        if role == Qt.ItemDataRole.ToolTipRole and shown is not None:
            row = self.rows[index.row()]
            return f"{shown}\nNetwork address: {row.address}" if row.address else shown
        return shown

    def tick(self) -> None:
        """Refresh the "last sync" column as time passes."""
        if self.rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self.rows) - 1, 2))


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    invited_by: str
    this_device: bool
    admin: bool = False
    state: str = "member"  # what `Devices.states` says: admin, member, ..., waiting for an admin
    waiting_on_it: int = 0  # laptops it admitted that wait for an admin (services/vouching.py)
    namesake: bool = False  # another laptop of the group has the same name


class DevicesModel(_Table):
    """The group's laptops and who let whom in, and the laptops waiting for an admin."""

    # No id column: a string of hex means nothing to most; two laptops of one name show theirs
    # beside it, and the line under the table gives the whole id for the command line.
    columns = ("Laptop", "Let in by", "Role")

    def __init__(self, group: Group, parent: Any = None) -> None:
        super().__init__(lambda r: r.id, lambda r: (not r.this_device, name_order(r.name), r.id), parent)
        self.group = group
        self.unlisted = ""
        self.reload()

    def reload(self) -> None:
        devices = self.group.devices()
        standing = self.group.membership.standing()
        states, waiting = standing.states, standing.waiting
        names = {d["id"]: d.get("name") or d["id"][:8] for d in devices}
        # A removed laptop's own log never holds its removal: what a member told it does.
        if self.group.membership_status()["removed"]:
            states = {**states, self.group.device_id: "removed"}
        rows = []
        for d in devices:
            inviter = d.get("invited_by")
            inviter_text = "founded the group" if not inviter or inviter == d["id"] else names.get(inviter, inviter[:8])
            rows.append(DeviceRow(d["id"], names[d["id"]], inviter_text, d["id"] == self.group.device_id,
                                  bool(d.get("admin")), states.get(d["id"], "member"),
                                  sum(w.admitted_by == d["id"] for w in waiting)))
        rows += [DeviceRow(w.id, w.name, w.admitted_by_name, False, state=WAITING) for w in waiting]
        self.unlisted = standing.unlisted_sentence()  # more laptops wait than listed (a puppets' flood)
        named = Counter(r.name for r in rows)
        rows = [replace(r, namesake=True) if named[r.name] > 1 else r for r in rows]
        sync_rows(self, rows, lambda r: r.id)

    def cell(self, row: DeviceRow, column: int) -> str:
        name = row.name
        if row.namesake:  # which "door laptop" is which
            name = f"{name} ({short_id(row.id)})"
        if row.this_device:
            name += " (this laptop)"
        return (name, row.invited_by, row.state)[column]


@dataclass(frozen=True)
class ConflictRow:
    id: int
    kind: str
    record: str
    field: str
    value: Any
    current: Any
    record_label: str
    author: str


def show_value(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(empty)"
    return str(value)


class ConflictsModel(_Table):
    """Values that lost to a concurrent edit on another laptop, restorable."""

    columns = ("Record", "Field", "Current value", "Other value", "From laptop")

    def __init__(self, group: Group, parent: Any = None) -> None:
        super().__init__(lambda r: str(r.id), lambda r: r.id, parent)
        self.group = group
        self.reload()

    def reload(self) -> None:
        # Removed devices too: a conflict a retired laptop left stays listed under its name.
        devices = {d.id: (d.name or d.id[:8]) + (" (removed)" if d.removed else "")
                   for d in self.group.membership.list()}
        rows = []
        for c in self.group.conflicts():
            found = queries.rows_by_ids(self.group.db, [c["record"]]).get(c["record"])
            label = c["record"][:8]
            if found:
                values = found.values
                label = values.get("name") or values.get("title") or label
            kind = KINDS[c["kind"]].label if c["kind"] in KINDS else c["kind"]
            rows.append(ConflictRow(c["id"], c["kind"], c["record"], c["field"], c["value"], c["current"],
                                    f"{kind}: {label}", devices.get(c["version"][1], c["version"][1][:8])))
        sync_rows(self, rows, lambda r: str(r.id))

    def cell(self, row: ConflictRow, column: int) -> str:
        spec = KINDS.get(row.kind)
        field = spec.by_name[row.field].label if spec and row.field in spec.by_name else row.field
        return (row.record_label, field, show_value(row.current), show_value(row.value), row.author)[column]
