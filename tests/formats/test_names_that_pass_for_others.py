"""A member list handed to the group's secretary with names made to pass for members the group
already has, or to show in another order than they are written: refused or said, row by row."""

from __future__ import annotations

import pytest

from organiser.services import transfer


@pytest.fixture
def ana(group):
    return group.members.add("Ana López", emails=["ana@example.org"])


def sheet(*rows: str) -> bytes:
    return ("Name,Email\n" + "".join(f"{row}\n" for row in rows)).encode()


def planned(group, data: bytes, source: str = "old-union.csv") -> dict[str, tuple[str, str, str]]:
    plan = transfer.plan_import(group, data, source)
    return {item.where: (item.action, item.label, item.reason) for item in plan.items}


def test_a_name_with_an_invisible_character_that_shows_as_a_member_is_refused(group, ana):
    before = group.replica.state_hash()
    plan = transfer.plan_import(group, sheet("Ana L\u200bópez,ana.lopez@proton.example"), "old-union.csv")
    [item] = plan.items
    assert (item.action, item.reason) == ("invalid", (
        "name: 'Ana L\\u200bópez' holds an invisible character (ZERO WIDTH SPACE, U+200B) and would show as "
        "Ana López, a member already there or earlier in the file; remove it from the file"))
    with pytest.raises(transfer.ImportBlocked, match="old-union.csv: line 2: name: 'Ana L"):
        transfer.apply_import(group, plan)
    assert group.replica.state_hash() == before
    assert [m.name for m in group.members.list()] == ["Ana López"]


def test_a_name_made_to_pass_for_one_earlier_in_the_same_file_is_refused(group):
    found = planned(group, sheet("Bob Marsh,bob@example.org", "Bob\u2060 Marsh,bob.marsh@example.net"))
    assert found["line 2"][0] == "add"
    assert found["line 3"][0] == "invalid" and "would show as Bob Marsh" in found["line 3"][2]


def test_a_card_whose_name_shows_as_a_member_through_an_invisible_character_is_refused(group, ana):
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\ufeffAna López\r\nN:López;Ana;;;\r\n"
            "EMAIL:ana.l@example.net\r\nEND:VCARD\r\n").encode()
    found = planned(group, card, "contacts.vcf")
    assert found["contact 1 (line 1)"][0] == "invalid"
    assert "holds an invisible character (ZERO WIDTH NO-BREAK SPACE, U+FEFF)" in found["contact 1 (line 1)"][2]


def test_a_text_direction_override_or_a_control_character_in_a_name_is_refused(group, ana):
    # a NUL in the first 4 kB makes it a binary file, refused whole: this one is further down
    filler = [f"Member {n},m{n}@example.org" for n in range(200)]
    found = planned(group, sheet(*filler, "\u202eAna López,ana3@example.org", "Ev\x00e Adams,eve@example.org",
                                 "Carla\x1b[2J Díaz,carla@example.org"))
    found = {f"line {int(where.split()[1]) - 200}": what for where, what in found.items()}
    assert found["line 2"] == ("invalid", "\\u202eAna López", (
        "name: '\\u202eAna López' holds a text-direction character (RIGHT-TO-LEFT OVERRIDE, U+202E), which shows "
        "its letters, and the words after it, in another order than they are written; remove it from the file"))
    assert found["line 3"] == ("invalid", "Ev\\x00e Adams", (
        "name: 'Ev\\x00e Adams' holds a control character or line break (U+0000), which no name has; remove it "
        "from the file"))
    assert found["line 4"][:2] == ("invalid", "Carla\\x1b[2J Díaz")


def test_a_name_in_another_scripts_letters_drawn_alike_is_imported_with_a_note_to_check(group, ana):
    plan = transfer.plan_import(group, sheet("\u0410na López,ana.cyr@example.org"), "old-union.csv")
    [item] = plan.items
    assert item.action == "add"
    assert item.warnings == ["'\u0410na López' looks like Ana López, a member already there or earlier in the file, "
                             "but is written with other letters (CYRILLIC CAPITAL LETTER A, U+0410): check that it "
                             "is another person"]


def test_namesakes_other_people_and_names_that_need_joiners_are_imported_as_before(group, ana):
    found = planned(group, sheet("ana lopez,", "ANA LÓPEZ,ana.two@example.org", "Anna López,anna@example.org",
                                 "Sh\u200cirin Ahmadi,shirin@example.org", "Mo 👩\u200d💻,mo@example.org"))
    assert found["line 2"] == ("skip", "ana lopez", "already there as Ana López (same name)")
    assert [found[f"line {n}"][:2] for n in (3, 4, 5, 6)] == [
        ("add", "ANA LÓPEZ"), ("add", "Anna López"), ("add", "Sh\u200cirin Ahmadi"), ("add", "Mo 👩\u200d💻")]
    plan = transfer.plan_import(group, sheet("Anna López,anna@example.org"), "old-union.csv")
    assert plan.items[0].warnings == []


def test_a_sheet_read_wrong_is_offered_its_right_reading_not_refused_name_by_name(group):
    garbled = "Name,Email\nZoë Ñúñez García,zoe@example.org\n李伟,li@example.org\n".encode().decode("latin-1").encode()
    plan = transfer.plan_import(group, garbled, "garbled.csv")
    assert plan.misdecoded is not None and plan.counts()["invalid"] == 0  # its U+0091 is an Ñ read wrong
    plan = transfer.plan_import(group, garbled, "garbled.csv", repair_encoding=True)
    assert [item.label for item in plan.items] == ["Zoë Ñúñez García", "李伟"]
    found = planned(group, sheet("Eve\u009b2J Adams,eve@example.org"))  # a control character of its own
    assert found["line 2"][:2] == ("invalid", "Eve\\x9b2J Adams")
