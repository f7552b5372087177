"""Honest words typed on top of a removed device's minutes, put back by the admin who removed it.

A removal withdraws the device's later changesets, and every laptop merges the minutes they
touched again from the updates still held (store/minutes.py `start_again`): the removed
device's text goes, the text it deleted comes back. But words others typed on top of its text
were made on it (a CRDT update names the characters it follows), so they cannot be merged
without it and wait for good. The admin's laptop therefore builds the document from every
update it held, withdrawn ones included and deleted text kept, and notes what each withdrawn
update inserted and deleted; the honest text is that document read with the withdrawn inserts
deleted and the withdrawn deletions not made (a Yrs snapshot of exactly that), in the
document's own order. What differs between it and the merged-again minutes (the stranded
words) is typed as an ordinary minutes update, signed by the admin, made on what every laptop
now holds, so it reaches every laptop, one joining later too.

(pycrdt's UndoManager was tried first: undoing a deletion re-inserts the deleted pieces one
author at a time, in an order that depends on the authors' random client ids, so two
paragraphs came back swapped in about five runs of six.)
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from typing import NamedTuple

from pycrdt import Doc, Snapshot, Text

from organiser.core.changeset import decode_changeset
from organiser.core.errors import ValidationError
from organiser.core.minutes import (
    TEXT_NAME,
    MinutesDoc,
    MinutesUpdate,
    covers,
    edit_update,
    make_snapshot,
    needs,
    read_snapshot,
    text_change,
)
from organiser.services.meetings import Meetings

log = logging.getLogger(__name__)

Ids = set[tuple[int, int]]  # (Yrs client id, clock) of single characters


class HeldUpdate(NamedTuple):
    hlc: int
    author: str
    seq: int
    index: int  # the op's place in its changeset
    update: MinutesUpdate
    withdrawn: bool  # one of the changesets this removal takes back


def _minutes_ops(rows: Iterable[tuple[str, int, int, bytes, bytes]], event: str | None,
                 withdrawn: bool) -> list[tuple[str, HeldUpdate]]:
    found = []
    for author, seq, hlc, body, signature in rows:
        for index, op in enumerate(decode_changeset(bytes(body), bytes(signature)).ops):
            if op.kind == "minutes" and op.field == "update" and event in (None, op.record):
                try:
                    update = MinutesUpdate.from_value(op.value)
                except ValueError:
                    continue  # skipped on every device alike (store/minutes.py)
                found.append((op.record, HeldUpdate(hlc, author, seq, index, update, withdrawn)))
    return found


def _inserted(before: dict[int, int], after: dict[int, int]) -> Ids:
    return {(client, clock) for client, top in after.items() for clock in range(before.get(client, 0), top)}


def _stranded(updates: list[HeldUpdate]) -> set[HeldUpdate]:
    """The updates that cannot be merged from these alone: made on text that is not among them."""
    doc = MinutesDoc()
    waiting = sorted(updates)
    progress = True
    while waiting and progress:
        progress = False
        for entry in list(waiting):
            if covers(doc.held(), needs(entry.update)):
                doc.apply(entry.update.update)
                waiting.remove(entry)
                progress = True
    return set(waiting)


def honest_view(held: list[HeldUpdate]) -> tuple[MinutesDoc, str]:
    """The document made of every held update (deleted text kept), merged in an order each
    one's predecessors allow, and its text as it reads without the withdrawn updates: what they
    inserted deleted, what they deleted back. Updates whose predecessors are missing here are
    left out, as the stored document leaves them waiting."""
    doc = MinutesDoc(keep_deleted=True)
    taken_out: Ids = set()  # characters the withdrawn updates inserted
    put_back: Ids = set()  # characters they deleted
    waiting = sorted(held)
    progress = True
    while waiting and progress:
        progress = False
        for entry in list(waiting):
            if not covers(doc.held(), needs(entry.update)):
                continue
            before = read_snapshot(Snapshot.from_doc(doc.doc).encode()) if entry.withdrawn else None
            doc.apply(entry.update.update)
            if before is not None:
                deleted, state = read_snapshot(Snapshot.from_doc(doc.doc).encode())
                taken_out |= _inserted(before[1], state)
                put_back |= deleted - before[0]
            waiting.remove(entry)
            progress = True
    deleted, state = read_snapshot(Snapshot.from_doc(doc.doc).encode())
    honest = Doc.from_snapshot(Snapshot.decode(make_snapshot((deleted - put_back) | taken_out, state)), doc.doc)
    return doc, str(honest.get(TEXT_NAME, type=Text))


def _type_difference(doc: MinutesDoc, wanted: str) -> None:
    """Edit the document's text into `wanted`, replacing only the lines (paragraphs) that differ
    (and within them what lies between their common start and end),
    from the end so the earlier positions stay true. By lines: a diff by characters took 10 s
    for 13,000 characters of minutes (difflib on repetitive text); by lines it takes milliseconds."""
    current = str(doc)
    old, new = current.splitlines(keepends=True), wanted.splitlines(keepends=True)
    starts = [0]
    for line in old:
        starts.append(starts[-1] + len(line))
    hunks = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(hunks):
        if tag != "equal":  # within the lines, only what differs between their common start and end
            start, end, inserted = text_change(current[starts[i1]:starts[i2]], "".join(new[j1:j2]))
            doc.replace(starts[i1] + start, starts[i1] + end, inserted)


def take_back_minutes(meetings: Meetings, device: str, kept: int, kept_before: int | None) -> list[str]:
    """Write, as this device, the undoing of the minutes `device` wrote in its changesets after
    number `kept` (up to `kept_before`, where an earlier removal took back those after it
    already). Returns the events whose minutes were put back."""
    db = meetings.db
    limit = kept_before if kept_before is not None else 1 << 62
    withdrawn = _minutes_ops(db.execute(
        "SELECT author, seq, hlc, body, signature FROM withdrawn_changes WHERE author = ? AND seq > ? AND seq <= ?",
        [device, kept, limit]).fetchall(), None, True)
    events = sorted({event for event, _ in withdrawn})
    put_back = []
    for event in events:
        needle = f'["minutes","{event}","update"'.encode()
        held = [u for _e, u in _minutes_ops(db.execute(
            "SELECT author, seq, hlc, body, signature FROM changes WHERE instr(body, ?) > 0", [needle]).fetchall(),
            event, False)]
        # Withdrawn by an earlier removal too: left out of the stored minutes like the rest.
        earlier = _minutes_ops(db.execute(
            "SELECT author, seq, hlc, body, signature FROM withdrawn_changes WHERE author = ? AND seq > ?",
            [device, limit]).fetchall(), event, True)
        now = [u for e, u in withdrawn if e == event]
        if earlier:  # words stranded by the earlier removal were typed again then: count them once
            again = _stranded(held + now)
            held = [u._replace(withdrawn=True) if u in again else u for u in held]
        _whole, wanted = honest_view(held + [u for _e, u in earlier] + now)
        # Typed on the minutes as every laptop now stores them: merged again from the updates still
        # held (store/membership.py), so it reaches laptops that never had the withdrawn ones too.
        doc = meetings.minutes_doc(event)
        if wanted == str(doc):
            continue
        update = edit_update(doc, lambda d, wanted=wanted: _type_difference(d, wanted))
        if not update.update:
            continue
        try:
            meetings.write_minutes(event, update)
        except ValidationError:
            # More than one changeset carries (about 190,000 characters put back at once): the removal
            # stands; the minutes keep the removed laptop's text, as they did before this module.
            log.warning("minutes of event %s: what the removal takes back is too long for one change; "
                        "the minutes keep what the removed device typed", event, exc_info=True)
            continue
        put_back.append(event)
    return put_back
