"""Minutes typed at once on three laptops converge, whatever reaches whom when.

Each replica is a real group database. Its editor types into its own document (positions in
UTF-16 units, as Qt gives them), catches up with what its database holds, and stores a burst
as one changeset. Changesets travel in random subsets, shuffled and duplicated, with laptops
offline for stretches; compaction runs on the way (every 64 updates).
"""

from __future__ import annotations

import random

import pytest

from organiser.core.minutes import MinutesDoc, edit_update, utf16_len
from organiser.services.group import Group, create_group
from organiser.store import minutes as minutes_store
from tests.conftest import add_device, sync_pair
from tests.core.test_minutes_order import two_laptops_typing

ALPHABET = ["a", "b", " ", "é", "ñ", "ß", "Ł", "😀", "👍🏽", "中", "\n", "ü"]
MARK = 0xE000  # private-use characters, one per insertion, never deleted: they must all survive


def _is_mark(char: str) -> bool:
    return 0xE000 <= ord(char) < 0xF8FF


class Laptop:
    def __init__(self, group: Group, event: str) -> None:
        self.group = group
        self.event = event
        self.editor = group.meetings.minutes_doc(event)
        self.marks: list[str] = []

    def type_something(self, rng: random.Random, next_mark: int) -> None:
        self.group.meetings.catch_up(self.event, self.editor)
        text = str(self.editor)
        length16 = utf16_len(text)
        if text and rng.random() < 0.3:
            start = rng.randrange(len(text))
            end = min(len(text), start + rng.randint(1, 4))
            if any(_is_mark(c) for c in text[start:end]):
                return
            pos16, removed16 = utf16_len(text[:start]), utf16_len(text[start:end])
            update = edit_update(self.editor, lambda d: d.replace16(pos16, removed16, ""))
        else:
            mark = chr(MARK + next_mark)
            self.marks.append(mark)
            inserted = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 3))) + mark
            # a position between two characters (never inside a surrogate pair)
            at = rng.randint(0, len(text))
            pos16 = utf16_len(text[:at])
            assert pos16 <= length16
            update = edit_update(self.editor, lambda d: d.replace16(pos16, 0, inserted))
        self.group.meetings.write_minutes(self.event, update)


def _deliver(rng: random.Random, source: Group, target: Group) -> None:
    """Some of what the target lacks, shuffled, some of it twice."""
    missing = source.replica.changes_since(target.replica.version_vector())
    chosen = [cs for cs in missing if rng.random() < 0.6]
    chosen += rng.sample(chosen, k=len(chosen) // 3)
    rng.shuffle(chosen)
    target.replica.apply(chosen)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_laptops_typing_at_once_converge_with_every_ones_characters(tmp_path, seed):
    rng = random.Random(seed)
    a = create_group(tmp_path / "a", "Tenants Union", "projector")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "chair laptop")
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    sync_pair(a, b)
    sync_pair(a, c)
    laptops = [Laptop(g, event) for g in (a, b, c)]
    offline: set[int] = set()
    marks = 0
    for _round in range(60):
        if rng.random() < 0.15:  # someone's Wi-Fi drops, or comes back
            offline ^= {rng.randrange(3)}
        for laptop in laptops:
            for _ in range(rng.randint(0, 3)):
                laptop.type_something(rng, marks)
                marks += 1
        for i, j in rng.sample([(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)], k=3):
            if i not in offline and j not in offline:
                _deliver(rng, laptops[i].group, laptops[j].group)
    for _ in range(2):  # everyone back in the room
        for i in range(3):
            for j in range(3):
                if i != j:
                    laptops[j].group.replica.apply(laptops[i].group.replica.changes_since(
                        laptops[j].group.replica.version_vector()))
    texts = [lap.group.meetings.minutes_text(event) for lap in laptops]
    assert texts[0] == texts[1] == texts[2]
    (kept,) = a.db.execute("SELECT count(*) FROM minutes_updates").fetchone()
    assert kept < marks  # compaction ran on the way
    assert len({lap.group.replica.state_hash() for lap in laptops}) == 1
    for laptop in laptops:
        assert all(mark in texts[0] for mark in laptop.marks), "a laptop's typing was lost"
        laptop.group.meetings.catch_up(event, laptop.editor)
        assert str(laptop.editor) == texts[0]  # each editor shows it too
    minutes_store.forget_cache()  # read back from SQLite alone: snapshot plus updates
    for laptop in laptops:
        assert str(minutes_store.load(laptop.group.db, event)) == texts[0]
        assert laptop.group.meetings.compact_minutes(event)  # nothing waits for anything now
        minutes_store.forget_cache()
        assert str(MinutesDoc(minutes_store.load(laptop.group.db, event).snapshot())) == texts[0]
    for lap in laptops:
        lap.group.close()


def test_an_update_that_arrives_before_the_one_it_follows_is_kept_through_compaction(tmp_path):
    a = create_group(tmp_path / "a", "Tenants Union", "projector")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    sync_pair(a, b)
    first = a.meetings.append_minutes(event, "First words.")
    a.meetings.append_minutes(event, "Then more.")
    later = a.replica.changes_since(b.replica.version_vector())
    b.replica.apply([later[-1]])  # the second arrives alone: it waits beside the document
    assert b.meetings.minutes_text(event) == ""
    assert b.meetings.compact_minutes(event)  # compaction keeps the waiting update's row
    minutes_store.forget_cache()
    b.replica.apply(later)
    assert b.meetings.minutes_text(event) == first + "Then more.\n"
    assert b.meetings.compact_minutes(event)
    (kept,) = b.db.execute("SELECT count(*) FROM minutes_updates").fetchone()
    assert kept == 0


@pytest.mark.parametrize("compact_on_the_way", [False, True])
def test_typing_of_two_laptops_whose_gaps_fill_in_late_reaches_a_third_whole(tmp_path, compact_on_the_way):
    """The regression of issue 15's one run in twenty: laptop c gets b's "c" and a's "d" before
    the "b" and "a" they were typed next to. Yrs's own store of early updates kept those two for
    ever (c showed "ab"); the updates now wait beside the document until their turn."""
    a = create_group(tmp_path / "a", "Tenants Union", "projector")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "chair laptop")
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    sync_pair(a, b)
    sync_pair(a, c)
    for group, update in zip((b, a, b, a), two_laptops_typing(), strict=True):
        group.meetings.write_minutes(event, update)  # as each laptop's editor stores it
    typed_b = b.replica.changes_since(c.replica.version_vector())
    typed_a = a.replica.changes_since(c.replica.version_vector())
    b_first, b_second = typed_b[-2:]
    a_first, a_second = typed_a[-2:]
    arrivals = [[*typed_b[:-2], *typed_a[:-2]], [b_second], [a_second], [b_first], [a_first]]
    for batch in arrivals:
        c.replica.apply(batch)
        if compact_on_the_way:
            c.meetings.compact_minutes(event)
            minutes_store.forget_cache()
    assert c.meetings.minutes_text(event) == "cdab"
    minutes_store.forget_cache()
    assert str(minutes_store.load(c.db, event)) == "cdab"
    sync_pair(a, b)
    assert a.meetings.minutes_text(event) == b.meetings.minutes_text(event) == "cdab"
    assert len({g.replica.state_hash() for g in (a, b, c)}) == 1
    for group in (a, b, c):
        group.close()


def test_a_minutes_update_whose_bytes_are_not_an_update_changes_nothing_anywhere(two_devices):
    a, b = two_devices
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    a.meetings.append_minutes(event, "Kept.")
    from organiser.store.replica import LocalOp

    a.replica.commit([LocalOp("minutes", event, "update", {"deps": "", "update": "Z2FyYmFnZQ=="})])
    sync_pair(a, b)
    assert a.meetings.minutes_text(event) == b.meetings.minutes_text(event) == "Kept.\n"
    assert a.replica.state_hash() == b.replica.state_hash()


def test_the_state_hash_covers_the_minutes_text(two_devices):
    a, b = two_devices
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    sync_pair(a, b)
    assert a.replica.state_hash() == b.replica.state_hash()
    a.meetings.append_minutes(event, "Only on a so far.")
    assert a.replica.state_hash() != b.replica.state_hash()
    sync_pair(a, b)
    assert a.replica.state_hash() == b.replica.state_hash()
