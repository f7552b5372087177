"""The member directory as a table: search (full-text), role and working-group filters,
sorting, and live updates from RecordsChanged ids."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from sqlite_utils import Database

from organiser.core.bus import RecordsChanged
from organiser.core.letters import plain
from organiser.core.working_groups import is_working_group, working_group_name
from organiser.services.group import Group
from organiser.store import queries
from organiser.store.queries import StoredRow
from organiser.ui.bridge import changed_rows, vanished
from organiser.ui.models.live import (
    FIRST_CUSTOM_ROLE,
    ID_ROLE,
    ROW_ROLE,
    LiveRows,
    LoadedOnce,
    TableColumns,
)
from organiser.ui.models.name_order import name_order
from organiser.ui.models.typeahead import TYPE_AHEAD, type_ahead
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

# Contact (consent) beside the name: who may be contacted, and how, is read without scrolling the table
# sideways (last of six, it stood past the table's edge at 150 %).
COLUMNS = ("Name", "Contact", "Email", "Phone", "Roles", "Working groups")
CONSENT_TEXTS = ("email, phone", "email", "phone", "not agreed")
NAME_ROLE = FIRST_CUSTOM_ROLE
ROLES_ROLE = FIRST_CUSTOM_ROLE + 1
WORKING_GROUPS_ROLE = FIRST_CUSTOM_ROLE + 2
PREPARE_AFTER_MS = 300
MEMBER_KINDS = frozenset({"member", "member_role", "member_skill"})
Index = QModelIndex | QPersistentModelIndex
DISPLAY, TOOLTIP = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole)
USER = int(Qt.ItemDataRole.UserRole)


@dataclass(slots=True)
class MemberRow:
    id: str
    rowid: int  # the record's rowid in the store, which full-text search answers with
    name: str
    values: dict[str, Any]
    roles: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    cells: tuple[str, ...] | None = field(default=None, compare=False, repr=False)  # the table's text

    def make_cells(self) -> tuple[str, ...]:
        self.cells = (self.name, self.consent_text(), ", ".join(self.values.get("emails") or []),
                      ", ".join(self.values.get("phones") or []), ", ".join(self.plain_roles),
                      ", ".join(self.working_groups))
        return self.cells

    @property
    def plain_roles(self) -> list[str]:
        return [r for r in self.roles if not is_working_group(r)]

    @property
    def working_groups(self) -> list[str]:
        return [working_group_name(r) for r in self.roles if is_working_group(r)]

    def consent_text(self) -> str:
        kinds = [k for k, on in (("email", self.values.get("consent_email")),
                                 ("phone", self.values.get("consent_phone"))) if on]
        return ", ".join(kinds) if kinds else "not agreed"  # one of CONSENT_TEXTS


def read_members(db: Database, members: Iterable[str] | None = None,
                 known: Mapping[str, StoredRow] | None = None) -> dict[str, MemberRow]:
    """Every visible member (or the given ones) with roles and skills; safe on any thread
    that owns `db`. `known`: records already read (as `queries.rows_by_ids` gives them)."""
    roles: dict[str, list[str]] = {}
    skills: dict[str, list[str]] = {}
    if members is None:
        for member, value in queries.trait_pairs(db, "member_role", "role"):
            roles.setdefault(member, []).append(value)
        for member, value in queries.trait_pairs(db, "member_skill", "skill"):
            skills.setdefault(member, []).append(value)
        found = queries.visible_rows(db, "member")
    else:
        wanted = list(members)
        for member, kind, value in queries.member_traits(db, wanted):
            (roles if kind == "member_role" else skills).setdefault(member, []).append(value)
        found = _member_rows(db, wanted, known or {})
    for values in (*roles.values(), *skills.values()):
        values.sort(key=str.casefold)
    return {rid: MemberRow(rid, rowid, values.get("name") or "", values, roles.get(rid, []), skills.get(rid, []))
            for rowid, rid, values in found}


def _member_rows(db: Database, wanted: list[str], known: Mapping[str, StoredRow]) -> list[tuple[int, str, dict]]:
    """(rowid, id, values) of the wanted members not deleted, read unless already `known`."""
    rows = dict(queries.rows_by_ids(db, [rid for rid in wanted if rid not in known]))
    rows.update((rid, known[rid]) for rid in wanted if rid in known)
    return [(rowid, rid, values) for rid, (rowid, kind, values, deleted) in rows.items()
            if kind == "member" and not deleted]


def _name_key(row: MemberRow) -> tuple[str, str, str, str]:
    """By surname where the structured name gives one, else by the display name (as Members.list),
    case and accents aside (core/letters.py)."""
    values = row.values
    family = values.get("family_name")
    if not family:
        return (name_order(row.name)[0], "", row.name.casefold(), row.id)
    return (name_order(family)[0], name_order(values.get("given_name") or "")[0], row.name.casefold(), row.id)


SORT_KEYS = (
    _name_key,
    lambda r: (r.consent_text(), r.name.casefold(), r.id),
    lambda r: (", ".join(r.values.get("emails") or []).casefold(), r.name.casefold(), r.id),
    lambda r: (", ".join(r.values.get("phones") or []), r.name.casefold(), r.id),
    lambda r: (plain(", ".join(r.plain_roles)), r.name.casefold(), r.id),
    lambda r: (plain(", ".join(r.working_groups)), r.name.casefold(), r.id),
)


@dataclass
class SearchCache:
    """What the next search in the directory starts from, kept between keystrokes: every
    member in the current sort order with their rowids and sort keys beside them, and the
    rowids of the rows on show. A keystroke then filters lists instead of sorting 50,000
    members and walking them again; `python -m tests.perf.ui` measures each keystroke with
    these and with `invalidate()` before each (`search_per_keystroke_ms`, `..._without_caches_ms`).
    `shown` (the filters the rows on show answer) stays true through `invalidate()`: the
    rows on show are kept matching them as members change."""

    shown: tuple[str, str, str] | None = None  # (search, role, working group) the rows on show answer
    ordered: list[MemberRow] | None = None  # every member, in the current sort order
    ordered_rowids: list[int] | None = None  # beside `ordered`: their rowids
    ordered_keys: list[Any] | None = None  # beside `ordered`: their sort keys
    rows_are_everyone: bool = False  # the rows on show are every member, in order
    shown_rowids: list[int] | None = None  # beside the rows on show: their rowids, till rows change
    shown_from: tuple[list[int], list[bool]] | None = None  # to pick `shown_rowids` from

    def invalidate(self, *, rows_are_everyone: bool = False) -> None:
        """Members or their order changed: forget what was derived from them. `rows_are_everyone`:
        the rows on show are still every member in order (no filter), so the next search
        starts from a copy of them instead of a sort."""
        self.ordered = self.ordered_rowids = self.ordered_keys = None
        self.shown_rowids = self.shown_from = None
        self.rows_are_everyone = rows_are_everyone


def _members_touched(ids: Iterable[str], found: Mapping[str, StoredRow]) -> set[str]:
    """The members whose record, role or skill is among the changed rows."""
    member_ids: set[str] = set()
    for rid in ids:
        row = found[rid]
        if row.kind == "member":
            member_ids.add(rid)
        elif row.kind in ("member_role", "member_skill") and row.values.get("member"):
            member_ids.add(row.values["member"])
    return member_ids


# A row's answer to each role beyond its text (DISPLAY and TOOLTIP are answered from its cells).
_ROW_ROLES: dict[int, Callable[[MemberRow], Any]] = {
    ID_ROLE: lambda row: row.id,
    ROW_ROLE: lambda row: row,
    NAME_ROLE: lambda row: row.name,
    ROLES_ROLE: lambda row: row.plain_roles,
    WORKING_GROUPS_ROLE: lambda row: row.working_groups,
}


class MembersModel(LoadedOnce, LiveRows[MemberRow], TableColumns):
    """All members matching the current search and filters, one row each."""

    columns = tuple(COLUMNS)
    ready = Signal()  # the directory has been read
    missed_kinds = MEMBER_KINDS
    read_all = staticmethod(read_members)

    def __init__(self, group: Group, parent: Any = None) -> None:
        QAbstractTableModel.__init__(self, parent)
        self._init_rows(lambda r: r.id, _name_key)
        self.group = group
        self.search = ""
        self.role = ""
        self.working_group = ""
        self._init_loading()
        self._all: dict[str, MemberRow] = {}
        self._role_count: Counter[str] = Counter()
        self.search_cache = SearchCache()
        # Once changes stop coming in, the directory's rowids are listed ahead of the next
        # search, so that its first keystroke does not have to.
        self._prepare = QTimer(self)
        self._prepare.setSingleShot(True)
        self._prepare.setInterval(PREPARE_AFTER_MS)
        self._prepare.timeout.connect(self._prepare_search)

    # ---- loading and filtering -----------------------------------------------------------

    def _matches(self, row: MemberRow, found: set[int] | None) -> bool:
        if found is not None and row.rowid not in found:
            return False
        if self.role and self.role.casefold() not in {r.casefold() for r in row.plain_roles}:
            return False
        return not (self.working_group and self.working_group.casefold()
                    not in {w.casefold() for w in row.working_groups})

    def _take(self, members: dict[str, MemberRow]) -> None:
        """Every member, read once; the directory is filtered from this in memory."""
        self._all = members
        self._role_count = Counter(r for row in members.values() for r in row.roles)
        self.search_cache.invalidate()
        self._refilter()

    def set_filter(self, *, search: str | None = None, role: str | None = None,
                   working_group: str | None = None) -> None:
        if search is not None:
            self.search = search
        if role is not None:
            self.role = role
        if working_group is not None:
            self.working_group = working_group
        if self.loaded:
            self._refilter()

    def _in_order(self) -> list[MemberRow]:
        """Every member in the current sort order, kept until members or the order change,
        so a keystroke in the search box filters a list and does not sort one."""
        cache = self.search_cache
        if cache.ordered is None and cache.rows_are_everyone:
            cache.ordered, cache.ordered_keys = list(self.rows), list(self._keys)
            cache.ordered_rowids = None
        if cache.ordered is None:
            key = self.sort_key()
            pairs = sorted(((key(r), r) for r in self._all.values()), key=itemgetter(0))
            cache.ordered = [r for _k, r in pairs]
            cache.ordered_keys = [k for k, _r in pairs]
            cache.ordered_rowids = None
        return cache.ordered

    def _refilter(self) -> None:
        found = queries.search_rowids(self.group.db, self.search) if self.search.strip() else None
        candidates, rowids, keys = self._candidates()
        if not self.role and not self.working_group:  # the search alone, or nothing to search for
            keep = list(map(found.__contains__, rowids)) if found is not None else [True] * len(candidates)
        else:
            keep = [self._matches(r, found) for r in candidates]
        # The rowids and sort keys of the rows picked are picked from those beside the
        # candidates when first needed: the next keystroke, the first change from a peer.
        self.replace_rows(compress(candidates, keep), presorted=True,
                          keys=(lambda: list(compress(keys, keep))) if keys is not None and len(keys) == len(keep)
                          else None)
        cache = self.search_cache
        cache.shown = (self.search, self.role, self.working_group)
        cache.shown_rowids = None
        cache.shown_from = (rowids, keep)
        cache.rows_are_everyone = False

    def _candidates(self) -> tuple[list[MemberRow], list[int], list[Any] | None]:
        """The rows a search picks from, in order, with their rowids and (if known) sort keys."""
        cache = self.search_cache
        shown = cache.shown
        # Typing on narrows the search (every word must match as a prefix): filter the rows
        # on show instead of the whole directory.
        narrowing = bool(shown is not None and cache.ordered is not None and shown[0].strip()
                         and self.search.startswith(shown[0]) and shown[1:] == (self.role, self.working_group))
        if narrowing:
            candidates, rowids, keys = self.rows, self._rowids_shown(), self._keys
        else:
            candidates = self._in_order()
            rowids, keys = cache.ordered_rowids, cache.ordered_keys
        if rowids is None or len(rowids) != len(candidates):
            # fresh ints, side by side in memory: a lone letter tests every one of them
            rowids = array("q", (r.rowid for r in candidates)).tolist()
            if not narrowing:
                cache.ordered_rowids = rowids
        return candidates, rowids, keys

    def _rowids_shown(self) -> list[int] | None:
        cache = self.search_cache
        if cache.shown_rowids is None and cache.shown_from is not None:
            rowids, keep = cache.shown_from
            cache.shown_rowids = list(compress(rowids, keep))
            cache.shown_from = None
        return cache.shown_rowids

    def all_roles(self) -> tuple[list[str], list[str]]:
        """(roles, working groups) held by anyone, for the filter menus."""
        names = {r for r, n in self._role_count.items() if n > 0}
        roles = sorted((r for r in names if not is_working_group(r)), key=str.casefold)
        groups = sorted({working_group_name(r) for r in names if is_working_group(r)}, key=str.casefold)
        return roles, groups

    # ---- live updates ---------------------------------------------------------------------

    def on_records_changed(self, event: RecordsChanged) -> None:
        if not (event.kinds & MEMBER_KINDS) or self._not_ready(event):
            return
        found = changed_rows(self.group.db, event)
        member_ids = _members_touched(event.ids & found.keys(), found)
        member_ids |= vanished(event, found) & self._all.keys()
        live = read_members(self.group.db, member_ids, found)
        self._keep_members(member_ids, live)
        filtered = bool(self.search.strip() or self.role or self.working_group)
        matching = (queries.matching_rowids(self.group.db, self.search, [r.rowid for r in live.values()])
                    if self.search.strip() else None)
        self.apply_rows({rid: (live[rid] if rid in live and self._matches(live[rid], matching) else None)
                         for rid in member_ids})
        # Unfiltered, the rows on show are every member in order, kept sorted row by row: the
        # next search starts from a copy of them instead of sorting 70,000 members again.
        self.search_cache.invalidate(rows_are_everyone=not filtered)
        self._prepare.start()

    def _keep_members(self, member_ids: set[str], live: dict[str, MemberRow]) -> None:
        """The directory and the count of each role brought up to date for these members."""
        for rid in member_ids:
            old = self._all.pop(rid, None)
            if old is not None:
                self._role_count.subtract(old.roles)
            if rid in live:
                self._all[rid] = live[rid]
                self._role_count.update(live[rid].roles)

    def _prepare_search(self) -> None:
        """Once peers' changes stop coming in: what the next search starts from."""
        cache = self.search_cache
        if self.loaded and cache.ordered_rowids is None and (cache.ordered is not None or cache.rows_are_everyone):
            cache.ordered_rowids = array("q", (r.rowid for r in self._in_order())).tolist()

    # ---- Qt model -------------------------------------------------------------------------

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A table repaint asks each cell for seven roles through Python; answer the ones this
        # model has no say in first, and the text from strings made once per row.
        if role != DISPLAY and role != TOOLTIP and role < USER:
            return None
        p = index.row()
        if not 0 <= p < len(self.rows) or not index.isValid():
            return None
        row = self.rows[p]
        if role == DISPLAY or role == TOOLTIP:
            cells = row.cells or row.make_cells()
            col = index.column()
            if not 0 <= col < len(cells):
                return None
            return cells[col] if role == DISPLAY else as_typed(cells[col])
        answer = _ROW_ROLES.get(role)
        return answer(row) if answer is not None else None

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({ID_ROLE: b"memberId", ROW_ROLE: b"member", NAME_ROLE: b"name",
                      ROLES_ROLE: b"roles", WORKING_GROUPS_ROLE: b"workingGroups"})
        return names

    def cell_text(self, row: int, column: int) -> str:
        member = self.rows[row]
        cells = member.cells or member.make_cells()
        return cells[column] if 0 <= column < len(cells) else ""

    @guarded
    def match(self, start: Any, role: int, value: Any, hits: int = 1,
              flags: Qt.MatchFlag = TYPE_AHEAD) -> list[QModelIndex]:  # a view's type-ahead
        found = type_ahead(self, start, role, value, hits, flags, self.cell_text)
        return super().match(start, role, value, hits, flags) if found is None else found

    @guarded
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(SORT_KEYS):
            self.set_sort_key(SORT_KEYS[column], reverse=order == Qt.SortOrder.DescendingOrder)
            self.search_cache.invalidate()
