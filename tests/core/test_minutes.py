"""Minutes positions: Qt's UTF-16 units, Python's code points, pycrdt's UTF-8 bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.core.minutes import (
    MinutesDoc,
    MinutesUpdate,
    decode_state,
    delta_to_edits,
    edit_update,
    utf8_to_utf16,
    utf16_len,
    utf16_to_utf8,
)

TEXT = st.lists(st.sampled_from(list("ab é中\n") + ["😀", "👍🏽", "ß"]), max_size=20).map("".join)


def _apply16(text: str, position: int, removed: int, inserted: str) -> str:
    units = text.encode("utf-16-le")
    return (units[:position * 2] + inserted.encode("utf-16-le") + units[(position + removed) * 2:]).decode("utf-16-le")


def test_positions_convert_both_ways_around_emoji_and_accents():
    text = "é😀a"  # UTF-16: é=1, 😀=2, a=1; UTF-8: é=2, 😀=4, a=1
    assert [utf16_to_utf8(text, p) for p in (0, 1, 3, 4)] == [0, 2, 6, 7]
    assert [utf8_to_utf16(text, p) for p in (0, 2, 6, 7)] == [0, 1, 3, 4]


@settings(max_examples=150, deadline=None)
@given(TEXT, st.data())
def test_a_local_edit_in_utf16_units_lands_where_qt_would_put_it(text, data):
    doc = MinutesDoc()
    doc.append(text)
    # positions between characters, as a caret sits
    at = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(at, len(text)))
    inserted = data.draw(TEXT)
    pos16, removed16 = utf16_len(text[:at]), utf16_len(text[at:end])
    doc.replace16(pos16, removed16, inserted)
    assert str(doc) == _apply16(text, pos16, removed16, inserted)


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, st.data())
def test_a_remote_change_turns_into_edits_that_rebuild_the_new_text(first, second, data):
    local, remote = MinutesDoc(), MinutesDoc()
    seed = edit_update(local, lambda d: d.append(first + second))
    remote.apply(seed.update)
    text = str(remote)
    at = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(at, len(text)))
    inserted = data.draw(TEXT)
    change = edit_update(remote, lambda d: d.replace16(utf16_len(text[:at]), utf16_len(text[at:end]), inserted))
    deltas: list = []
    local.text.observe(lambda event: deltas.append(event.delta))
    before = str(local)
    local.apply(change.update, origin="remote")
    rebuilt = before
    for delta in deltas:
        for edit in delta_to_edits(rebuilt, delta):
            rebuilt = _apply16(rebuilt, edit.position, edit.removed, edit.inserted)
    assert rebuilt == str(local) == str(remote)


def test_an_update_travels_as_base64_with_the_state_it_was_made_against():
    doc = MinutesDoc()
    update = edit_update(doc, lambda d: d.append("Motion carried ✊"))
    again = MinutesUpdate.from_value(update.to_value())
    assert again == update
    assert decode_state(again.deps) == {doc.doc.client_id: utf16_len("Motion carried ✊")}  # Yrs counts UTF-16
    copy = MinutesDoc()
    assert copy.apply(again.update) and str(copy) == "Motion carried ✊"
    assert not copy.apply(b"\x00\xff not an update")


def test_a_minutes_update_is_checked_like_any_field_and_capped_in_size():
    import pytest

    from organiser.core.errors import ValidationError
    from organiser.core.meeting_rules import MAX_MINUTES_UPDATE
    from organiser.core.records import validate

    good = edit_update(MinutesDoc(), lambda d: d.append("ok")).to_value()
    assert validate("minutes", {"update": good}) == {"update": good}
    for bad in ("text", {"update": "!!"}, {"deps": "", "update": "not base64!"},
                {"deps": "", "update": "A" * (MAX_MINUTES_UPDATE + 4)}, {"deps": "", "update": ""}):
        with pytest.raises(ValidationError):
            validate("minutes", {"update": bad})


def test_a_bursts_update_stays_small_however_much_was_deleted_before():
    doc = MinutesDoc()
    for n in range(300):  # a long meeting's corrections: type a word, delete a letter
        edit_update(doc, lambda d, n=n: d.append(f"word{n} "))
        edit_update(doc, lambda d: d.replace(len(str(d)) - 1, len(str(d)), ""))
    update = edit_update(doc, lambda d: d.append("x"))
    assert len(update.update) < 64  # one letter, not the history of every deletion


def test_mangled_update_bytes_are_refused_without_raising():
    import random

    source = MinutesDoc()
    updates = [edit_update(source, lambda d, i=i: d.append(f"hé😀 {i} ")).update for i in range(10)]
    rng = random.Random(5)
    applied = 0
    for _ in range(2000):
        mangled = bytearray(rng.choice(updates))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(mangled))
            if rng.random() < 0.5:
                mangled[at] = rng.randrange(256)
            else:
                del mangled[at]
        doc = MinutesDoc()
        applied += doc.apply(bytes(mangled))  # True or False, never an exception
        str(doc)
    assert 0 < applied < 2000
