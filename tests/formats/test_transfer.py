"""Import plans, safe writes, duplicates, exports and full backups, on real SQLite groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from organiser.core.errors import OrganiserError
from organiser.formats.common import FormatError
from organiser.services import transfer
from organiser.services.group import create_group, open_group
from tests.conftest import sync_pair
from tests.formats.helpers import SHARED_VCARDS, fixture
from tests.formats.test_vcard import EXPECTED_NAMES


def plan(group, name: str, data: bytes | None = None, **kw):
    return transfer.plan_import(group, fixture(name) if data is None else data, name, **kw)


def written(group) -> tuple[int, str]:
    return group.replica.last_change_id(), group.replica.state_hash()


def test_a_dry_run_plan_writes_nothing(group):
    before = written(group)
    p = plan(group, "google_contacts.csv")
    assert p.counts() == {"add": 3, "update": 0, "skip": 0, "invalid": 0}
    assert written(group) == before


def test_an_import_is_one_transaction_of_one_changeset_per_record(group):
    before = group.replica.last_change_id()
    result = transfer.apply_import(group, plan(group, "google_contacts.csv"))
    assert result.added == 3 and result.changesets == 3
    assert group.replica.last_change_id() == before + 3
    amara = next(m for m in group.members.list() if m.name == "Amara Okafor")
    assert amara.roles == ["Door team"] and amara.emails == ["amara.okafor@example.org", "a.okafor@work.example"]


def test_invalid_rows_block_the_import_and_name_their_line(group):
    p = plan(group, "members_with_errors.csv")
    assert [(i.where, i.action) for i in p.invalid] == [("line 3", "invalid"), ("line 5", "invalid")]
    before = written(group)
    with pytest.raises(transfer.ImportBlocked, match=r"^members_with_errors\.csv: line 3: email: "
                       r"'dan-at-example\.org' is not a valid email address \(and 1 more\)\. Nothing was imported"):
        transfer.apply_import(group, p)
    assert written(group) == before


def test_skip_invalid_imports_the_rest(group):
    result = transfer.apply_import(group, plan(group, "members_with_errors.csv"), skip_invalid=True)
    assert result.invalid_skipped == 2
    assert sorted(m.name for m in group.members.list()) == ["Carla D.", "Carla Díaz", "Eve Adams"]


def test_a_likely_duplicate_in_the_same_file_is_reported_and_kept_apart_unless_merging(group):
    p = plan(group, "members_with_errors.csv")
    carla_d = next(i for i in p.items if i.label == "Carla D.")
    assert carla_d.action == "add" and carla_d.duplicate_of == "Carla Díaz"
    assert "same email CARLA@example.org" in carla_d.reason
    merged = plan(group, "members_with_errors.csv", merge_duplicates=True)
    carla_d = next(i for i in merged.items if i.label == "Carla D.")
    assert carla_d.action == "skip" and "merged into Carla Díaz" in carla_d.reason


def test_existing_members_are_merged_only_when_asked(group):
    ana = group.members.add("Ana López", emails=["ana@example.org"], roles=["Steering"])
    sheet = b"Name,Email,Phone,Roles\nAna L.,ANA@example.org,+34 600 111 222,Kitchen\n"
    p = plan(group, "ana.csv", sheet)
    (item,) = p.items
    assert (item.action, item.duplicate_of) == ("add", "Ana López")
    p = plan(group, "ana.csv", sheet, merge_duplicates=True)
    (item,) = p.items
    assert (item.action, item.record_id) == ("update", ana.id)
    transfer.apply_import(group, p)
    merged = group.members.get(ana.id)
    assert merged.name == "Ana López"  # the name is kept
    assert merged.phones == ["+34 600 111 222"]
    assert merged.roles == ["Kitchen", "Steering"]
    assert len(group.members.list()) == 1


def test_members_sharing_only_a_name_are_never_duplicates(group):
    group.members.add("Sam Lee", emails=["sam@one.example"])
    p = plan(group, "sam.csv", b"Name,Email\nSam Lee,sam@two.example\n", merge_duplicates=True)
    (item,) = p.items
    assert (item.action, item.duplicate_of) == ("add", None)


def test_importing_the_same_sheet_twice_adds_nobody_the_second_time(group):
    transfer.apply_import(group, plan(group, "outlook_contacts.csv"))
    again = plan(group, "outlook_contacts.csv")
    assert again.counts() == {"add": 0, "update": 0, "skip": 2, "invalid": 0}


WORKING_GROUPS_SHEET = b"Name,Working group\nana lopez,Housing\nBen Ortiz,Outreach\nCora Nwosu,Housing\n"


def test_a_sheet_of_names_and_working_groups_updates_the_members_it_names(group):
    """An organiser's sheet of who is in which working group, names only: the members already there
    (their whole name, case and accents aside) join the working groups; nobody is added twice."""
    ana = group.members.add("Ana López", emails=["ana@example.org"], roles=["working group: Outreach"])
    ben = group.members.add("Ben Ortiz")
    p = plan(group, "groups.csv", WORKING_GROUPS_SHEET)
    assert p.counts() == {"add": 1, "update": 2, "skip": 0, "invalid": 0}
    assert [(i.action, i.reason) for i in p.items[:2]] == [
        ("update", "Ana López (same name): adds working group Housing"),
        ("update", "Ben Ortiz (same name): adds working group Outreach")]
    result = transfer.apply_import(group, p)
    assert (result.added, result.updated) == (1, 2)
    assert sorted(m.name for m in group.members.list()) == ["Ana López", "Ben Ortiz", "Cora Nwosu"]
    assert group.members.get(ana.id).roles == ["working group: Housing", "working group: Outreach"]
    assert group.members.get(ana.id).emails == ["ana@example.org"]  # what the sheet does not say stays
    assert group.members.get(ben.id).roles == ["working group: Outreach"]
    assert plan(group, "groups.csv", WORKING_GROUPS_SHEET).counts() == {"add": 0, "update": 0, "skip": 3,
                                                                         "invalid": 0}


def test_a_name_two_members_share_is_refused_as_the_row_cannot_say_which(group):
    group.members.add("Sam Lee", emails=["sam@one.example"])
    group.members.add("Sam Lee", emails=["sam@two.example"])
    p = plan(group, "groups.csv", b"Name,Working group\nSam Lee,Housing\n")
    (item,) = p.items
    assert (item.action, item.reason) == ("invalid", "2 members are called Sam Lee: add an Email or Phone column "
                                                     "to say which")
    assert p.blocked_message().startswith("groups.csv: line 2: 2 members are called Sam Lee")


def test_a_sheet_with_uids_and_a_working_group_column_sets_the_members_working_groups(group):
    """The UID's row replaces what its columns carry: the Working group column was carried by none
    (the row read as unchanged); it replaces the member's working groups, their other roles stay."""
    ana = group.members.add("Ana López", roles=["facilitator", "working group: Outreach"])
    p = plan(group, "groups.csv", f"Name,Working group,UID\nAna López,Housing,{ana.id}@organiser\n".encode())
    assert [(i.action, i.reason) for i in p.items] == [("update", "changed: roles")]
    assert transfer.apply_import(group, p).updated == 1
    assert group.members.get(ana.id).roles == ["facilitator", "working group: Housing"]


def test_a_row_by_name_after_a_row_with_the_members_uid_is_said_to_be_the_same_member(group):
    """The UID's row replaces what it carries; the later row of the same name is not folded into
    writes already worked out (it would be said and not done)."""
    ana = group.members.add("Ana López")
    sheet = f"Name,Working group,UID\nAna López,Housing,{ana.id}@organiser\nana lopez,Outreach,\n".encode()
    p = plan(group, "groups.csv", sheet)
    assert [(i.action, i.reason) for i in p.items] == [("update", "changed: roles"),
                                                       ("skip", "same member as line 2 (Ana López)")]
    transfer.apply_import(group, p)
    assert group.members.get(ana.id).roles == ["working group: Housing"]


@pytest.mark.skipif(not SHARED_VCARDS.is_dir(), reason="shared vCard fixtures are not here")
def test_every_contact_of_every_shared_vcard_file_is_imported(group):
    total = 0
    for path in sorted(SHARED_VCARDS.glob("*.vcf")):
        p = transfer.plan_import(group, path.read_bytes(), path.name)
        assert p.invalid == [], path.name
        result = transfer.apply_import(group, p)
        total += result.added + result.skipped
    assert total == sum(len(names) for names in EXPECTED_NAMES.values()) == 18
    # John Doe's cards from different clients share his address: later ones are reported
    # as likely duplicates (and kept, as merging was not asked for) or skipped when identical.
    names = {m.name for m in group.members.list()}
    assert {"Simon Perreault", "Arnold Smith", "Chris Beatle", "Doug White", "Mr. Michael Angstadt Jr.",
            "ÑÑÑÑ", "jane.doe@company.com"} <= names


def test_calendar_import_links_tasks_to_their_event_and_reimport_changes_nothing(group):
    transfer.apply_import(group, plan(group, "thunderbird.ics"))
    (event,) = group.events.list()
    posters = next(t for t in group.tasks.list() if t.title.startswith("Imprimir"))
    assert posters.event == event.id
    assert (posters.status, posters.priority, posters.due) == ("doing", 9, "2026-09-30")
    again = plan(group, "thunderbird.ics")
    assert again.counts() == {"add": 0, "update": 0, "skip": 4, "invalid": 0}


def test_a_changed_calendar_updates_its_events_by_uid(group):
    transfer.apply_import(group, plan(group, "nextcloud.ics"))
    changed = fixture("nextcloud.ics").replace(b"SUMMARY:Tenant union general meeting",
                                               b"SUMMARY:Tenant union assembly")
    p = plan(group, "nextcloud.ics", changed)
    assert [(i.action, i.reason) for i in p.items] == [("update", "changed: title"), ("skip", "unchanged")]
    transfer.apply_import(group, p)
    assert sorted(e.title for e in group.events.list()) == ["Day of action — Ημέρα δράσης", "Tenant union assembly"]


def test_an_exported_calendar_imports_back_onto_the_same_records(group):
    transfer.apply_import(group, plan(group, "google_calendar.ics"))
    before = written(group)
    p = plan(group, "export.ics", transfer.export_group(group, "ics"))
    assert p.counts()["skip"] == 4 and p.counts()["add"] == 0
    assert written(group) == before


def test_vcard_and_csv_exports_import_into_another_group_unchanged(group, tmp_path):
    transfer.apply_import(group, plan(group, "google_contacts.csv"))
    group.members.edit(group.members.list()[0].id, skills=["first aid"], consent_email=True)
    for fmt in ("vcf", "csv"):
        copy = create_group(tmp_path / fmt, "Copy", "laptop")
        transfer.apply_import(copy, transfer.plan_import(copy, transfer.export_group(group, fmt), f"m.{fmt}"))
        strip = [{k: v for k, v in m.to_json().items() if k != "id"} for m in group.members.list()]
        assert [{k: v for k, v in m.to_json().items() if k != "id"} for m in copy.members.list()] == strip
        copy.close()


def make_busy_group(a, b):
    """Two devices with members, roles, an event with RSVPs and check-ins, and a conflict."""
    ana = a.members.add("Ana", emails=["ana@example.org"], roles=["Door"])
    event = a.events.add("Assembly", "2026-12-03T19:00", tz="Europe/Berlin", capacity=30)
    a.events.rsvp(event.id, ana.id, "yes")
    a.events.checkin(event.id, ana.id, "2026-12-03T19:05:00+01:00")
    a.tasks.add("Chairs", event=event.id, assignee=ana.id)
    sync_pair(a, b)
    a.members.edit(ana.id, notes="from laptop A")
    b.members.edit(ana.id, notes="from laptop B")
    sync_pair(a, b)
    assert a.conflicts()


def test_a_full_backup_restores_into_an_empty_data_directory_with_the_same_state(two_devices, tmp_path):
    a, b = two_devices
    make_busy_group(a, b)
    data = transfer.export_group(a, "json")
    doc = json.loads(data)
    assert (doc["format"], doc["version"]) == ("organiser-backup", 1)
    assert doc["conflicts"] and any(r["kind"] == "rsvp" for r in doc["records"])
    restored = transfer.restore_backup(tmp_path / "empty", data, "backup.json", "spare laptop")
    try:
        assert restored.replica.state_hash() == a.replica.state_hash()
        assert len(restored.conflicts()) == len(a.conflicts())
        assert restored.device_id not in {a.device_id, b.device_id}
        event = restored.events.list()[0]
        assert restored.events.attendance(event.id).checked_in == 1
        restored.members.add("Written after restore")  # a working read/write copy
    finally:
        restored.close()
    reopened = open_group(tmp_path / "empty")
    assert reopened.name == "Tenants Union"
    reopened.close()


def test_a_backup_is_not_restored_over_a_copy_of_its_group(group, data_dir):
    data = transfer.export_group(group, "json")
    with pytest.raises(OrganiserError, match="already holds group 'Tenants Union'"):
        transfer.restore_backup(data_dir, data, "backup.json")


def test_a_tampered_backup_is_refused_and_leaves_nothing_behind(group, tmp_path):
    group.members.add("Ana")
    doc = json.loads(transfer.export_group(group, "json"))
    doc["changes"][-1]["body"] = doc["changes"][-1]["body"].replace("Ana", "Eve")
    with pytest.raises(FormatError, match=r"^backup\.json: change 2 does not match its recorded hash"):
        transfer.restore_backup(tmp_path / "new", json.dumps(doc).encode(), "backup.json")
    assert not any((tmp_path / "new").glob("groups/*"))


def test_a_backup_from_a_newer_version_is_refused_with_advice(group, tmp_path):
    doc = json.loads(transfer.export_group(group, "json"))
    doc["version"] = 2
    with pytest.raises(FormatError, match="format version 2, written by a newer Organiser"):
        transfer.restore_backup(tmp_path / "new", json.dumps(doc).encode(), "backup.json")


def test_a_backup_is_not_imported_into_an_existing_group(group):
    with pytest.raises(OrganiserError, match="restore it into an empty data directory"):
        transfer.plan_import(group, transfer.export_group(group, "json"), "backup.json")


def test_restore_keeps_all_of_a_large_log(group, tmp_path: Path):
    rows = "".join(f"Person {n},p{n}@example.org\n" for n in range(300))
    transfer.apply_import(group, plan(group, "many.csv", ("Name,Email\n" + rows).encode()))
    restored = transfer.restore_backup(tmp_path / "r", transfer.export_group(group, "json"), "b.json")
    assert restored.replica.state_hash() == group.replica.state_hash()
    assert len(restored.members.list()) == 300
    restored.close()


def test_a_uid_repeated_in_one_file_is_imported_once(group):
    block = fixture("nextcloud.ics").split(b"BEGIN:VEVENT", 2)
    event = b"BEGIN:VEVENT" + block[2].split(b"END:VEVENT")[0] + b"END:VEVENT\n"
    twice = fixture("nextcloud.ics").replace(b"END:VCALENDAR", event + b"END:VCALENDAR")
    p = plan(group, "twice.ics", twice)
    assert [(i.action, i.reason) for i in p.items][-1] == ("skip", "same UID as event 2 (line 37)")
    transfer.apply_import(group, p)
    assert len(group.events.list()) == 2
