"""Meeting minutes as a CRDT text (pycrdt, the Rust Yjs): the pure part, no storage, no Qt.

One document per event, with one Text called "minutes". A local edit becomes an update that
travels inside a signed changeset as the value of a `minutes` op:
    {"update": base64 of the Yrs update, "deps": base64 of the author's state vector}
`deps` is what the author's document held when the update was sent (the update's own part
included). A receiving document merges an update only once it holds what the update was made
on (`needs`), and keeps it aside until then (`MinutesDoc.receive`): Yrs's own store of updates
that arrived before their predecessors loses some when gaps of two authors fill in a certain
order (pycrdt 0.14.13, tests/core/test_minutes_order.py), so it is never given one.

Positions: pycrdt's Text counts UTF-8 bytes (y-crdt/pycrdt#308), Qt counts UTF-16 code units,
Python counts code points. The functions below convert, so emoji and accents land where typed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycrdt import Doc, Text

TEXT_NAME = "minutes"
LOCAL = "local"  # transaction origin of this device's own typing (undo follows only these)


# ---- positions ------------------------------------------------------------------------------

def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_to_index(text: str, pos16: int) -> int:
    """Python string index of a UTF-16 position (Qt's); a position inside a surrogate pair
    moves to the character's start."""
    units = 0
    for index, char in enumerate(text):
        if units >= pos16:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > pos16:
            return index
    return len(text)


def index_to_utf16(text: str, index: int) -> int:
    return utf16_len(text[:index])


def index_to_utf8(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def utf8_to_index(text: str, pos8: int) -> int:
    return len(text.encode("utf-8")[:pos8].decode("utf-8", errors="ignore"))


def utf16_to_utf8(text: str, pos16: int) -> int:
    return index_to_utf8(text, utf16_to_index(text, pos16))


def utf8_to_utf16(text: str, pos8: int) -> int:
    return index_to_utf16(text, utf8_to_index(text, pos8))


@dataclass(frozen=True)
class Edit:
    """One change to a text, in UTF-16 units (what a QTextCursor takes), in order: each
    edit's position is in the text as the edits before it left it."""

    position: int
    removed: int
    inserted: str


def delta_to_edits(before: str, delta: Iterable[dict[str, Any]]) -> Iterator[Edit]:
    """Turn a Yrs text delta (retain/delete counted in UTF-8 bytes of `before`) into edits."""
    encoded = before.encode("utf-8")
    old8 = 0  # position in `before`, in bytes
    new16 = 0  # position in the text being built, in UTF-16 units
    for part in delta:
        if "retain" in part:
            chunk = encoded[old8:old8 + int(part["retain"])].decode("utf-8", errors="ignore")
            old8 += int(part["retain"])
            new16 += utf16_len(chunk)
        elif "delete" in part:
            chunk = encoded[old8:old8 + int(part["delete"])].decode("utf-8", errors="ignore")
            old8 += int(part["delete"])
            yield Edit(new16, utf16_len(chunk), "")
        elif "insert" in part:
            inserted = str(part["insert"])
            yield Edit(new16, 0, inserted)
            new16 += utf16_len(inserted)


def _common_prefix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit  # binary search on slices: string comparison runs in C
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def text_change(old: str, new: str, hint: int | None = None) -> tuple[int, int, str]:
    """The one edit that turns `old` into `new`: (start, end in old, inserted), in code points.
    `hint` (where the editor said the change began) keeps a letter typed inside a run of the
    same letter where it was typed."""
    limit = min(len(old), len(new))
    start = _common_prefix(old, new, limit)
    if hint is not None:
        start = min(start, max(0, hint))
    tail = _common_prefix(old[start:][::-1], new[start:][::-1], limit - start)
    return start, len(old) - tail, new[start:len(new) - tail]


# ---- state vectors --------------------------------------------------------------------------

def _varuint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):  # a peer's deps are input: short bytes are refused, not an IndexError
            raise ValueError("a state vector ends in the middle of a number")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def decode_state(state: bytes) -> dict[int, int]:
    """A Yrs state vector (lib0 encoding) as {client id: number of items held}; ValueError
    when the bytes are not one (truncated, or with bytes left over)."""
    count, at = _varuint(state, 0)
    if count > len(state):  # each entry takes at least two bytes: a count beyond that is garbage
        raise ValueError("a state vector counts more entries than it holds")
    out: dict[int, int] = {}
    for _ in range(count):
        client, at = _varuint(state, at)
        clock, at = _varuint(state, at)
        out[client] = clock
    if at != len(state):
        raise ValueError("a state vector has bytes after its entries")
    return out


def _put_varuint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def read_snapshot(snapshot: bytes) -> tuple[set[tuple[int, int]], dict[int, int]]:
    """A Yrs snapshot (lib0 v1: the delete set, then the state vector) as the (client, clock)
    of every deleted character, and the state vector."""
    count, at = _varuint(snapshot, 0)
    deleted: set[tuple[int, int]] = set()
    for _ in range(count):
        client, at = _varuint(snapshot, at)
        ranges, at = _varuint(snapshot, at)
        for _ in range(ranges):
            clock, at = _varuint(snapshot, at)
            length, at = _varuint(snapshot, at)
            deleted.update((client, c) for c in range(clock, clock + length))
    return deleted, decode_state(snapshot[at:])


def make_snapshot(deleted: set[tuple[int, int]], state: dict[int, int]) -> bytes:
    """The snapshot bytes `read_snapshot` reads: these characters deleted, this state held."""
    out = bytearray()
    by_client: dict[int, list[int]] = {}
    for client, clock in deleted:
        by_client.setdefault(client, []).append(clock)
    _put_varuint(out, len(by_client))
    for client, clocks in sorted(by_client.items()):
        ranges: list[list[int]] = []
        for clock in sorted(clocks):
            if ranges and ranges[-1][0] + ranges[-1][1] == clock:
                ranges[-1][1] += 1
            else:
                ranges.append([clock, 1])
        _put_varuint(out, client)
        _put_varuint(out, len(ranges))
        for clock, length in ranges:
            _put_varuint(out, clock)
            _put_varuint(out, length)
    _put_varuint(out, len(state))
    for client, clock in sorted(state.items()):
        _put_varuint(out, client)
        _put_varuint(out, clock)
    return bytes(out)


def covers(held: dict[int, int], needed: dict[int, int]) -> bool:
    return all(held.get(client, 0) >= clock for client, clock in needed.items())


def own_start(update: bytes) -> tuple[int, int] | None:
    """(client, first clock) of the first author whose text an update carries, read from the
    update's header (lib0 v1: number of authors, then per author the number of its pieces, its
    client id and its first clock); None for an update that only deletes, or unreadable bytes.
    An editor's update carries one author's text: its own."""
    try:
        authors, at = _varuint(update, 0)
        if authors == 0:
            return None
        _pieces, at = _varuint(update, at)
        client, at = _varuint(update, at)
        clock, _ = _varuint(update, at)
    except ValueError:
        return None
    return client, clock


def needs(update: MinutesUpdate) -> dict[int, int]:
    """What a document must hold before it can merge `update` whole: the author's state as sent
    (deps), except that of the author's own text only what comes before the update is needed
    (deps includes the update itself). Deps that do not decode (stored before they were checked
    on receipt) leave only that."""
    try:
        needed = decode_state(update.deps)
    except ValueError:
        needed = {}
    start = own_start(update.update)
    if start is not None:
        needed[start[0]] = start[1]
    return needed


# ---- the op value ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MinutesUpdate:
    update: bytes
    deps: bytes

    def to_value(self) -> dict[str, str]:
        return {"deps": base64.b64encode(self.deps).decode(), "update": base64.b64encode(self.update).decode()}

    @classmethod
    def from_value(cls, value: Any) -> MinutesUpdate:
        """Raise ValueError when the value is not an update (a peer's bytes are input)."""
        if not isinstance(value, dict) or set(value) != {"deps", "update"}:
            raise ValueError("a minutes update is {deps, update}")
        return cls(base64.b64decode(value["update"], validate=True), base64.b64decode(value["deps"], validate=True))


# ---- the document ---------------------------------------------------------------------------

class MinutesDoc:
    """One event's minutes document, with the helpers every user of it needs."""

    def __init__(self, snapshot: bytes = b"", updates: Iterable[MinutesUpdate] = (), *,
                 keep_deleted: bool = False) -> None:
        # The origin of the change being made, for observers (pycrdt hands a TransactionEvent
        # only an id of it): LOCAL for this device's typing, None for undo and redo.
        self.origin: str | None = None
        # imported here: every command loads this module through the record rules, few need the CRDT
        from pycrdt import Doc, Text

        # keep_deleted: deleted text keeps its content, so the document can be read as it would
        # stand with some authors' updates left out (services/minutes_take_back.py)
        self.doc: Doc = Doc(skip_gc=True) if keep_deleted else Doc()
        self.text: Text = self.doc.get(TEXT_NAME, type=Text)
        # Updates received before what they were made on, with what each needs, oldest first.
        self.waiting: list[tuple[MinutesUpdate, dict[int, int]]] = []
        if snapshot:
            self.doc.apply_update(snapshot)
        for update in updates:
            self.receive(update)

    def receive(self, update: MinutesUpdate) -> bool:
        """Merge an update from the change log once this document holds what it was made on,
        and any waiting update that then can be; until then keep it waiting. False when its
        bytes turn out not to be an update (it is then dropped, as on every device)."""
        needed = needs(update)
        if not covers(self.held(), needed):
            if all(update != waiting for waiting, _ in self.waiting):
                self.waiting.append((update, needed))
            return True
        if not self.apply(update.update):
            return False
        self._merge_waiting()
        return True

    def _merge_waiting(self) -> None:
        progress = bool(self.waiting)
        while progress:
            progress = False
            held = self.held()
            for entry in list(self.waiting):
                if covers(held, entry[1]):
                    self.waiting.remove(entry)
                    self.apply(entry[0].update)
                    held = self.held()
                    progress = True

    def apply(self, update: bytes, origin: str | None = None) -> bool:
        """Merge an update; False (and nothing changed) when its bytes are not an update."""
        self.origin = origin
        try:
            if origin is None:
                self.doc.apply_update(update)
            else:
                with self.doc.transaction(origin=origin):
                    self.doc.apply_update(update)
        except BaseException as exc:  # noqa: BLE001 - a peer's bytes must not stop the batch they came in
            # pycrdt raises ValueError for bytes it cannot decode; a panic inside the Rust library
            # would come as pyo3's PanicException, a BaseException. Either way: not an update.
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            return False
        finally:
            self.origin = None
        return True

    def __str__(self) -> str:
        return str(self.text)

    def state(self) -> bytes:
        return self.doc.get_state()

    def held(self) -> dict[int, int]:
        return decode_state(self.doc.get_state())

    def snapshot(self) -> bytes:
        """The whole document re-encoded: what compaction keeps (about 1/13 of merged updates)."""
        return self.doc.get_update()

    def update_since(self, state: bytes) -> bytes:
        return self.doc.get_update(state)

    def replace16(self, position: int, removed: int, inserted: str, origin: str = LOCAL) -> None:
        """Apply a local edit given in UTF-16 units (Qt's contentsChange)."""
        current = str(self.text)
        self.replace(utf16_to_index(current, position), utf16_to_index(current, position + removed), inserted, origin)

    def replace(self, start: int, end: int, inserted: str, origin: str = LOCAL) -> None:
        """Replace code points start..end (Python indexes) of the text."""
        current = str(self.text)
        start8, end8 = index_to_utf8(current, start), index_to_utf8(current, end)
        self.origin = origin
        try:
            with self.doc.transaction(origin=origin):
                if end8 > start8:
                    del self.text[start8:end8]
                if inserted:
                    self.text.insert(start8, inserted)
        finally:
            self.origin = None

    def append(self, text: str, origin: str = LOCAL) -> None:
        self.origin = origin
        try:
            with self.doc.transaction(origin=origin):
                self.text += text
        finally:
            self.origin = None


def edit_update(doc: MinutesDoc, change: Any) -> MinutesUpdate:
    """Run `change(doc)` and return what it changed as an update to send.

    The update is the one its transactions produced, not `get_update(state before)`: a
    diff against a state vector carries the document's whole delete set, which grows with
    every deletion of the meeting, so each keystroke late in a long meeting would send it all
    again (`python -m tests.perf.meeting` measures a two-hour meeting's minutes)."""
    from pycrdt import merge_updates

    made: list[bytes] = []
    subscription = doc.doc.observe(lambda event: made.append(event.update) if event.update else None)
    try:
        change(doc)
    finally:
        doc.doc.unobserve(subscription)
    update = made[0] if len(made) == 1 else merge_updates(*made) if made else b""
    return MinutesUpdate(update, doc.state())
