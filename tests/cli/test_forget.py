"""`organiser member forget`: asks first, refuses bad input with a sentence (exit 2), erases."""

from __future__ import annotations

from pathlib import Path

import pytest

PHONE = "+44 7700 900123"


@pytest.fixture
def with_member(organiser):
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    member = organiser("member", "add", "--name", "Zofia Quisling", "--phone", PHONE, "--role", "Medic").out.strip()
    return organiser, member


def _database_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_forget_asks_and_does_nothing_unless_told_to_go_on(with_member):
    organiser, member = with_member
    declined = organiser("member", "forget", "Zofia Quisling", stdin="no\n")
    assert declined.code == 1 and "Nothing was forgotten." in declined.out
    assert "Backups, exports and copies made before" in declined.out
    no_answer = organiser("member", "forget", "Zofia Quisling", stdin="")
    assert no_answer.code == 2 and "add --yes" in no_answer.err
    assert organiser("member", "show", member).code == 0


def test_forget_by_name_erases_the_member_from_the_whole_data_folder(with_member, tmp_path):
    organiser, member = with_member
    data_dir = tmp_path / "data"
    assert PHONE.encode() in _database_bytes(data_dir)
    done = organiser("member", "forget", "zofia quisling", stdin="forget\n")
    assert done.code == 0, done.err
    assert "Forgot Zofia Quisling" in done.out
    assert organiser("member", "show", member).code == 2
    assert organiser("member", "list", "--search", "Quisling", "--json").json() == []
    assert PHONE.encode() not in _database_bytes(data_dir) and b"Quisling" not in _database_bytes(data_dir)
    again = organiser("member", "forget", member, "--yes")
    assert again.code == 2 and "no member is called or has the id" in again.err


@pytest.mark.parametrize(("name", "sentence"), [
    ("Nobody Here", "no member is called or has the id 'Nobody Here'."),
    ("   ", "say which member to forget: their name or id."),
])
def test_forget_refuses_what_names_no_member_with_a_sentence(with_member, name, sentence):
    organiser, _member = with_member
    refused = organiser("member", "forget", name, "--yes")
    assert refused.code == 2 and refused.err.strip() == f"organiser: {sentence}"


def test_a_member_deleted_before_can_still_be_forgotten(with_member, tmp_path):
    """Deleting kept the values under a tombstone: forgetting is what erases them."""
    organiser, member = with_member
    assert organiser("member", "delete", member).code == 0
    assert PHONE.encode() in _database_bytes(tmp_path / "data")
    done = organiser("member", "forget", "Zofia Quisling", "--yes")
    assert done.code == 0, done.err
    assert PHONE.encode() not in _database_bytes(tmp_path / "data")


def test_forget_takes_a_whole_name_with_accents_aside_but_never_a_part_of_it(with_member):
    organiser, _member = with_member
    assert organiser("member", "add", "--name", "Żaneta Ślusarz").code == 0
    part = organiser("member", "forget", "Żaneta", "--yes")  # forgetting cannot be undone: no guess
    assert part.code == 2 and "no member is called or has the id 'Żaneta'" in part.err
    done = organiser("member", "forget", "zaneta slusarz", "--yes")
    assert done.code == 0, done.err
    assert "Forgot Żaneta Ślusarz" in done.out
