"""File > Export, driven through real widgets offscreen: formats, the plain-file warnings, a folder
that indexes what lands in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from organiser.formats.csvfile import read_members_csv
from organiser.services.group import Group
from organiser.ui.transfer_dialogs import ImportDialog, open_export_dialog
from tests.formats.dialog_steps import WAIT_MS, choose_format, tick, type_path


def test_export_dialog_writes_the_chosen_format(group: Group, qtbot: Any, tmp_path: Path) -> None:
    group.members.add("Ana López", emails=["ana@example.org"])
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    choose_format(qtbot, dialog.format_box, "CSV")
    target = tmp_path / "members.csv"
    type_path(qtbot, dialog.path_edit, target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    assert "Ana López" in target.read_text(encoding="utf-8-sig")
    assert f"Wrote {target}" in dialog.note.text()
    choose_format(qtbot, dialog.format_box, "backup")
    assert dialog.path_edit.text().endswith("members.json")


def test_export_dialog_offers_an_xlsx_whose_cells_are_text(group: Group, qtbot: Any, tmp_path: Path) -> None:
    import openpyxl

    group.members.add("=1+1", phones=["07700900123"])
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    dialog.show()
    choose_format(qtbot, dialog.format_box, "xlsx")
    assert dialog.path_edit.text().endswith(".xlsx")
    target = tmp_path / "members.xlsx"
    type_path(qtbot, dialog.path_edit, target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    row = next(openpyxl.load_workbook(target).active.iter_rows(min_row=2))
    assert (row[0].value, row[0].data_type, row[2].value, row[2].data_type) == ("=1+1", "s", "07700900123", "s")


def test_exports_say_they_are_plain_and_a_backup_can_be_written_encrypted(group: Group, qtbot: Any,
                                                                          tmp_path: Path) -> None:
    from organiser.formats.sealed import is_sealed

    group.members.add("Ana López", emails=["ana@example.org"])
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    assert "not encrypted: anyone who gets it can read it" in dialog.note.text()
    choose_format(qtbot, dialog.format_box, "backup")
    target = tmp_path / "backup.json"
    type_path(qtbot, dialog.path_edit, target)
    tick(qtbot, dialog.encrypt_box)
    assert "not encrypted" not in dialog.note.text()
    qtbot.keyClicks(dialog.encrypt_fields.first, "correct horse battery staple")
    qtbot.keyClicks(dialog.encrypt_fields.again, "correct horse battery staple")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    raw = target.read_bytes()
    # Names with a space or an @: base64 ciphertext cannot hold them by chance, as it can hold "Ana".
    assert is_sealed(raw) and "Ana López".encode() not in raw and b"ana@example.org" not in raw

    from organiser.services.group import create_group

    other = create_group(tmp_path / "elsewhere", "Food Co-op", "till laptop")
    importing = ImportDialog(other)
    qtbot.addWidget(importing)

    def type_passphrase(box: Any) -> None:
        line = box.findChild(QLineEdit)
        qtbot.keyClicks(line, "correct horse battery staple")
        qtbot.keyClick(line, Qt.Key.Key_Return)

    from tests.ui.conftest import with_modal

    with_modal(lambda: importing.set_file(target), type_passphrase)
    qtbot.waitUntil(lambda: "a backup of group 'Tenants Union'" in importing.summary.text(), timeout=WAIT_MS)
    other.close()


def test_choosing_csv_says_which_excel_opens_it_in_one_column_and_what_to_choose_instead(group: Group,
                                                                                      qtbot: Any) -> None:
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    dialog.show()
    choose_format(qtbot, dialog.format_box, "CSV")
    note = dialog.note.text()
    assert "commas between columns" in note
    assert "Excel set to a language that writes 1,5 for one and a half opens it all in column A" in note
    assert "choose CSV with semicolons or .xlsx" in note


def test_a_csv_with_semicolons_is_written_for_excel_in_french_and_reads_back(group: Group, qtbot: Any,
                                                                             tmp_path: Path) -> None:
    group.members.add("Élodie Martin", emails=["elodie@example.fr", "e.martin@example.fr"], roles=["Porte; accueil"])
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    choose_format(qtbot, dialog.format_box, "semicolons")
    assert "semicolons between columns" in dialog.note.text()
    target = tmp_path / "membres.csv"
    type_path(qtbot, dialog.path_edit, target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    assert target.read_text(encoding="utf-8-sig").startswith("Name;Email;Phone;")
    (row,) = read_members_csv(target.read_bytes(), target.name).items
    assert row.values["emails"] == ["elodie@example.fr", "e.martin@example.fr"]
    assert row.extra["roles"] == ["Porte; accueil"]


def test_exporting_onto_a_folder_says_so_and_leaves_no_copy_of_the_members_beside_it(group: Group, qtbot: Any,
                                                                                      tmp_path: Path) -> None:
    group.members.add("Ana López", emails=["ana@example.org"])
    folder = tmp_path / "members"
    folder.mkdir()
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    choose_format(qtbot, dialog.format_box, "CSV")
    type_path(qtbot, dialog.path_edit, folder)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog._job is None and dialog.note.text() != "", timeout=WAIT_MS)
    assert not (tmp_path / "members.part").exists()  # no copy of the list beside the folder
    assert dialog.note.text() == f"{folder} is a folder: name a file in it, e.g. {folder / 'export'}."
