"""File > Import (the preview, its notes, restoring a backup) and the File menu, driven through real
widgets offscreen; File > Export is in test_export_dialog.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from organiser.services import transfer
from organiser.services.group import Group
from organiser.ui.bridge import Bridge
from organiser.ui.transfer_dialogs import ImportDialog, PlanModel, open_import_dialog
from tests.formats.dialog_steps import WAIT_MS, tick, type_path
from tests.formats.helpers import FIXTURES
from tests.ui.conftest import reads


def planned(dialog: ImportDialog, qtbot: Any, path: Path) -> None:
    dialog.set_file(path)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy, timeout=WAIT_MS)


def typed_and_planned(dialog: ImportDialog, qtbot: Any, path: Path) -> None:
    """Type the file's path as a person does, press Return, and wait for the preview."""
    type_path(qtbot, dialog.path_edit, path)
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy, timeout=WAIT_MS)


def rows(dialog: ImportDialog, headers: tuple[str, ...] = ("What", "Where", "Name", "Details")
         ) -> list[tuple[str, ...]]:
    """The preview's cells under these column headings, row by row."""
    model = dialog.model
    by_heading = {model.headerData(c, Qt.Orientation.Horizontal): c for c in range(model.columnCount())}
    return [tuple(model.index(r, by_heading[h]).data() for h in headers) for r in range(model.rowCount())]


def test_import_dialog_previews_then_imports_and_the_views_hear_of_it(group: Group, qtbot: Any) -> None:
    bridge = Bridge(group.bus)
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    planned(dialog, qtbot, FIXTURES / "google_contacts.csv")
    assert [r[:3] for r in rows(dialog)] == [("Add", "line 2", "Amara Okafor"), ("Add", "line 3", "Jürgen Weiß"),
                                             ("Add", "line 4", "Li Wei")]
    assert "3 to add" in dialog.summary.text()
    assert group.members.list() == []  # a preview writes nothing
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(bridge.recordsChanged, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert "Imported 3 new" in dialog.summary.text()
    assert sorted(m.name for m in group.members.list()) == ["Amara Okafor", "Jürgen Weiß", "Li Wei"]
    assert not dialog.import_button.isEnabled()  # not twice
    bridge.close()


def test_invalid_rows_keep_import_disabled_until_skipping_is_ticked(group: Group, qtbot: Any) -> None:
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    planned(dialog, qtbot, FIXTURES / "members_with_errors.csv")
    invalid = [r for r in rows(dialog) if r[0] == "Invalid"]
    assert [r[1] for r in invalid] == ["line 3", "line 5"]
    assert "'dan-at-example.org' is not a valid email address" in invalid[0][3]
    assert "Invalid items block the import (first: line 3" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    tick(qtbot, dialog.skip_box)
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert sorted(m.name for m in group.members.list()) == ["Carla D.", "Carla Díaz", "Eve Adams"]


def test_ticking_merge_replans_duplicates_as_merges(group: Group, qtbot: Any) -> None:
    group.members.add("Carla Díaz", emails=["carla@example.org"])
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    planned(dialog, qtbot, FIXTURES / "members_with_errors.csv")
    carla = next(r for r in rows(dialog) if r[1] == "line 2")
    assert carla[0] == "Add" and "likely duplicate of Carla Díaz (same email carla@example.org)" in carla[3]
    tick(qtbot, dialog.merge_box)
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.merge_duplicates and not dialog.busy,
                    timeout=WAIT_MS)
    by_line = {r[1]: r for r in rows(dialog)}
    assert by_line["line 2"][0] == "Update" and "merged into Carla Díaz" in by_line["line 2"][3]
    assert by_line["line 6"][0] == "Skip" and "merged into Carla Díaz from line 2" in by_line["line 6"][3]


def test_a_bad_file_is_explained_in_one_sentence(group: Group, qtbot: Any, tmp_path: Path) -> None:
    bad = tmp_path / "agenda.ics"
    bad.write_text("not a calendar")
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    dialog.set_file(bad)
    qtbot.waitUntil(lambda: not dialog.busy and "not an iCalendar file" in dialog.summary.text(), timeout=WAIT_MS)
    assert not dialog.import_button.isEnabled()


def test_plan_model_passes_the_model_tester(group: Group, qtbot: Any, qtmodeltester: Any) -> None:
    model = PlanModel()
    model.set_plan(transfer.plan_import(group, (FIXTURES / "thunderbird.ics").read_bytes(), "thunderbird.ics"))
    assert model.rowCount() == 4
    qtmodeltester.check(model)


def test_a_backup_of_another_group_is_restored_beside_this_one(group: Group, qtbot: Any, tmp_path: Path) -> None:
    from organiser.services.group import create_group, open_group

    other = create_group(tmp_path / "elsewhere", "Food Co-op", "till laptop")
    other.members.add("Bea")
    backup = tmp_path / "coop.json"
    backup.write_bytes(transfer.export_group(other, "json"))
    expected = other.replica.state_hash()
    other.close()
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    dialog.set_file(backup)
    qtbot.waitUntil(lambda: "a backup of group 'Food Co-op'" in dialog.summary.text() and not dialog.busy,
                    timeout=WAIT_MS)  # read on the worker
    assert "never admitted" in dialog.summary.text()  # a copy, not a way back into the group
    assert dialog.import_button.text() == "Restore" and dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert "never admitted" in dialog.summary.text()
    restored = open_group(group.path.parent.parent, other.id)
    assert restored.replica.state_hash() == expected
    restored.close()
    own = ImportDialog(group)
    qtbot.addWidget(own)
    backup.write_bytes(transfer.export_group(group, "json"))
    own.set_file(backup)
    qtbot.waitUntil(lambda: "backup of this very group" in own.summary.text() and not own.busy, timeout=WAIT_MS)
    assert not own.import_button.isEnabled()


def test_the_file_menu_opens_both_dialogs(group: Group, qtbot: Any, tmp_path: Path) -> None:
    from organiser.ui.main_window import MainWindow
    from organiser.ui.settings import UiSettings
    from organiser.ui.transfer_dialogs import ExportDialog

    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    window.import_action.trigger()
    (importer,) = window.findChildren(ImportDialog)
    assert importer.isVisible() and importer.windowModality() == Qt.WindowModality.WindowModal
    importer.reject()
    window.export_action.trigger()
    (exporter,) = window.findChildren(ExportDialog)
    assert exporter.isVisible()
    exporter.reject()
    window.close()


def test_a_mis_decoded_file_is_named_and_read_right_when_the_box_is_ticked(group: Group, qtbot: Any,
                                                                          tmp_path: Path) -> None:
    good = "Name,Phone\r\nZoë Ñúñez García,07700900123\r\n"
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(good.encode("utf-8").decode("latin-1").encode("utf-8"))  # "ZoÃ« Ã\x91ÃºÃ±ez"
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    dialog.show()
    planned(dialog, qtbot, garbled)
    assert "'ZoÃ«' would read 'Zoë'" in dialog.summary.text()
    assert dialog.encoding_box.isVisible() and "“ZoÃ«” becomes “Zoë”" in dialog.encoding_box.text()
    assert rows(dialog)[0][2].startswith("ZoÃ«")
    box = dialog.encoding_box
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + box.rect().center() / 8)
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.repaired and not dialog.busy, timeout=WAIT_MS)
    assert rows(dialog)[0][2] == "Zoë Ñúñez García"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert [m.name for m in group.members.list()] == ["Zoë Ñúñez García"]


def test_the_preview_shows_each_event_name_whole_when_nothing_needs_explaining(group: Group, qtbot: Any) -> None:
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    dialog.resize(900, 540)  # its size on a laptop's screen; the tests' screen is 800 pixels wide
    typed_and_planned(dialog, qtbot, FIXTURES / "google_calendar_london.ics")
    table, metrics = dialog.table, dialog.table.fontMetrics()
    names = [r[2] for r in rows(dialog)]
    assert "Weekend canvass — Østergade estate" in names
    for name in names:  # a cell's margins take a few pixels of its width (the style's 4 on each side)
        assert metrics.horizontalAdvance(name) + 8 <= table.columnWidth(2), name
    where = [r[1] for r in rows(dialog)]
    assert all(metrics.horizontalAdvance(w) + 8 <= table.columnWidth(1) for w in where)


def test_notes_about_the_whole_file_are_shown_not_only_counted(group: Group, qtbot: Any, tmp_path: Path) -> None:
    misnamed = tmp_path / "contacts.ics"  # vCards saved with a calendar's name
    misnamed.write_bytes((FIXTURES / "android_phone_2_1.vcf").read_bytes())
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, misnamed)
    assert "contacts.ics holds vCard contacts, not what its name says; it was read as vCard" in dialog.summary.text()
    assert "see Details" not in dialog.summary.text()  # no item has a note of its own


def test_the_preview_says_when_each_event_is_and_shows_no_when_for_contacts(group: Group, qtbot: Any) -> None:
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    dialog.resize(900, 540)  # its size on a laptop's screen; the tests' screen is 800 pixels wide
    typed_and_planned(dialog, qtbot, FIXTURES / "google_calendar_london.ics")
    assert rows(dialog, ("Name", "When")) == [
        ("Committee — Thursday meeting", "Thu 3 Dec 2026 19:00, repeats"),
        ("Weekend canvass — Østergade estate", "Sat 12 Dec 2026, all day"),
        ("Meeting with landlord", "Wed 9 Dec 2026 18:00, cancelled"),
        ("Committee — Christmas meeting", "Thu 17 Dec 2026 19:00")]
    when = next(c for c in range(dialog.model.columnCount())
                if dialog.model.headerData(c, Qt.Orientation.Horizontal) == "When")
    assert not dialog.table.isColumnHidden(when)
    type_path(qtbot, dialog.path_edit, FIXTURES / "google_contacts_3_0.vcf")
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy and dialog.plan.format == "vcf",
                    timeout=WAIT_MS)
    assert dialog.table.isColumnHidden(when)


def test_markup_in_a_strangers_column_heading_shows_as_written_in_the_summary(group: Group, qtbot: Any,
                                                                              tmp_path: Path) -> None:
    # the note about a column left out quotes its heading: the file's words must not restyle the summary
    heading = "<font size=7>All 2 members are safe to import; tick Skip invalid items</font>"
    sheet = tmp_path / "members.csv"
    sheet.write_text(f"name,email,{heading}\nAnna,anna@example.org,x\nBob,bob@example.org,y\n", encoding="utf-8")
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, sheet)
    assert f"Column '{heading}' not imported" in reads(dialog.summary)


def test_once_skipping_is_ticked_the_summary_says_the_invalid_items_will_be_left_out(group: Group,
                                                                                    qtbot: Any) -> None:
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, FIXTURES / "members_with_errors.csv")
    assert "Invalid items block the import" in reads(dialog.summary)
    tick(qtbot, dialog.skip_box)
    # the box is ticked and Import is on: the summary no longer says the import is blocked
    assert "block the import" not in reads(dialog.summary) and "tick" not in reads(dialog.summary)
    assert "2 invalid items will be left out (first: line 3" in reads(dialog.summary)
    tick(qtbot, dialog.skip_box)
    assert "Invalid items block the import" in reads(dialog.summary)


def test_a_column_left_out_is_explained_in_the_windows_words_not_the_command_lines(group: Group, qtbot: Any,
                                                                                    tmp_path: Path) -> None:
    sheet = tmp_path / "members.csv"
    sheet.write_text("Name,Email,Flat\nAnna,anna@example.org,3A\n", encoding="utf-8")
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, sheet)
    said = reads(dialog.summary)
    assert "Column 'Flat' not imported" in said and "--map" not in said
    assert "Flat=notes" in said and "Columns" in said
    # doing what it says imports the column
    qtbot.mouseClick(dialog.map_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.map_edit, "Flat=notes")
    qtbot.keyClick(dialog.map_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy and "Flat" not in reads(dialog.summary),
                    timeout=WAIT_MS)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert [m.notes for m in group.members.list()] == ["3A"]


def red_ink(label: Any) -> int:
    """How many of the label's pixels, as drawn, are red: the app's refusals are written in red."""
    label.window().show()
    image = label.grab().toImage()
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            count += colour.red() > colour.green() + 60 and colour.red() > colour.blue() + 60
    return count


def test_a_file_that_cannot_be_read_is_said_in_red_like_the_apps_other_refusals(group: Group, qtbot: Any,
                                                                               tmp_path: Path) -> None:
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    type_path(qtbot, dialog.path_edit, tmp_path / "members-2025.csv")  # a name mistyped: no such file
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no such file" in dialog.summary.text(), timeout=WAIT_MS)
    assert dialog.summary.text() == f"{tmp_path / 'members-2025.csv'}: there is no such file."
    assert red_ink(dialog.summary) > 20
    typed_and_planned(dialog, qtbot, FIXTURES / "google_contacts.csv")  # the right file: no longer a refusal
    assert "3 to add" in dialog.summary.text()
    assert red_ink(dialog.summary) == 0


def test_a_sheet_of_working_groups_updates_the_members_it_names_and_says_so(group: Group, qtbot: Any,
                                                                            tmp_path: Path) -> None:
    """Names and a Working group column, imported again onto the members already there: they are
    updated (the summary says how many), not added a second time."""
    group.members.add("Ana López", emails=["ana@example.org"])
    group.members.add("Ben Ortiz")
    sheet = tmp_path / "working groups.csv"
    sheet.write_text("Name,Working group\nAna López,Housing\nBen Ortiz,Outreach\n", encoding="utf-8")
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, sheet)
    assert "0 to add, 2 to update" in dialog.summary.text()
    assert rows(dialog) == [("Update", "line 2", "Ana López", "Ana López (same name): adds working group Housing"),
                            ("Update", "line 3", "Ben Ortiz", "Ben Ortiz (same name): adds working group Outreach")]
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.busy, timeout=WAIT_MS)
    assert dialog.summary.text() == "Imported 0 new, 2 updated, 0 skipped."  # not ", in one step": engineers' words
    assert sorted((m.name, m.roles) for m in group.members.list()) == [
        ("Ana López", ["working group: Housing"]), ("Ben Ortiz", ["working group: Outreach"])]


def test_a_file_too_big_to_be_a_member_list_is_refused_before_the_window_reads_it(group: Group, qtbot: Any,
                                                                                   tmp_path: Path) -> None:
    sheet = tmp_path / "members from the old union.csv"
    sheet.write_text("Name,Email\nBob Marsh,bob@example.org\n", encoding="utf-8")
    os.truncate(sheet, 101 * 1024 * 1024)  # takes no room on the disk
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    type_path(qtbot, dialog.path_edit, sheet)
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "MB" in dialog.summary.text(), timeout=WAIT_MS)
    assert dialog.summary.text() == (f"{sheet} is 101 MB, more than the 100 MB an import reads for a calendar, "
                                     "contact list or member sheet; nothing was imported. Is it the file you meant?")
    assert red_ink(dialog.summary) > 20
    assert dialog.data == b"" and not dialog.import_button.isEnabled()


def test_a_sheet_of_twenty_thousand_columns_is_summed_up_in_a_few_words(group: Group, qtbot: Any,
                                                                         tmp_path: Path) -> None:
    sheet = tmp_path / "members.csv"
    header = ",".join(["Name", *(f"Spalte {i}" for i in range(1, 20_001))])
    sheet.write_text(header + "\nAnna," + ",".join("x" * 20_000) + "\n", encoding="utf-8")
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, sheet)
    said = reads(dialog.summary)
    assert "Columns 'Spalte 1', 'Spalte 2'," in said and "'Spalte 10' and 19,990 more not imported" in said
    assert "Spalte 11'" not in said and len(said) < 600


def test_the_summary_names_the_file_once_when_a_column_is_left_out(group: Group, qtbot: Any, tmp_path: Path) -> None:
    """Sam's sheet has a Flat column: the summary read "union-members.csv: 1 to add, … union-members.csv:
    column 'Flat' not imported; …", the file's name twice in two lines."""
    sheet = tmp_path / "union-members.csv"
    sheet.write_text("Name,Email,Working group,Flat\nAna López,ana@example.org,Outreach,12B\n", encoding="utf-8")
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    type_path(qtbot, dialog.path_edit, sheet)
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy, timeout=WAIT_MS)
    said = reads(dialog.summary)
    assert said.startswith("union-members.csv: 1 to add")
    assert said.count("union-members.csv") == 1
    assert "Column 'Flat' not imported; to import it, type in Columns the field it goes to, e.g. Flat=notes." in said


def test_each_line_to_be_added_says_why_in_details_not_an_empty_cell(group: Group, qtbot: Any) -> None:
    """Sam previews the union's contacts: three lines to Add, and under Details nothing at all, as if
    the window had forgotten to say; a line skipped or updated says why, a line added did not."""
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, FIXTURES / "google_contacts.csv")
    said = {name: (what, details) for what, _where, name, details in rows(dialog)}
    assert said["Amara Okafor"] == ("Add", "matches nothing already in the group: added as new")
    assert said["Li Wei"] == ("Add", "matches nothing already in the group: added as new")


def test_a_line_named_like_a_member_says_in_details_to_check_it_is_not_them(group: Group, qtbot: Any) -> None:
    """The group has a Li Wei; the contacts have a Li Wei with a phone the group does not know. A name
    alone never matches, so the line is added, and Details said only that it matches nothing, as if
    nobody in the group were called that."""
    group.members.add("Li Wei", phones=["+44 7700 900999"])
    dialog = open_import_dialog(None, group)
    qtbot.addWidget(dialog)
    typed_and_planned(dialog, qtbot, FIXTURES / "google_contacts.csv")
    said = {name: (what, details) for what, _where, name, details in rows(dialog)}
    assert said["Li Wei"] == ("Add", "a member with the same name already exists: check it is not the same person")
    assert said["Amara Okafor"] == ("Add", "matches nothing already in the group: added as new")
    assert reads(dialog.summary).startswith("google_contacts.csv: 3 to add, 0 to update, 0 to skip, 0 invalid, 0 "
                                            "likely duplicates. 1 line to add named like a member already there: "
                                            "check it is not the same person. ")
