"""What the files a member saves from the menus tell whoever takes the laptop, powered off, without
the passphrase: the attacker lists the folder the files went to and reads what it can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from organiser.formats.sealed import is_sealed
from organiser.services.group import Group
from organiser.ui.transfer_dialogs import open_export_dialog
from tests.formats.dialog_steps import WAIT_MS, choose_format, tick, type_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The member's home folder, where the dialogs suggest saving."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def export_sealed_backup(group: Group, qtbot: Any, typed: Path | None = None) -> Path:
    """File > Export, Full backup, Encrypt ticked, a passphrase typed twice, Export clicked."""
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    choose_format(qtbot, dialog.format_box, "backup")
    if typed is not None:
        type_path(qtbot, dialog.path_edit, typed)
    tick(qtbot, dialog.encrypt_box)
    qtbot.keyClicks(dialog.encrypt_fields.first, "correct horse battery staple")
    qtbot.keyClicks(dialog.encrypt_fields.again, "correct horse battery staple")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    assert dialog.written is not None
    return dialog.written


def test_an_encrypted_backup_saved_where_suggested_does_not_name_the_group_in_its_file_name(
        group: Group, qtbot: Any, home: Path) -> None:
    group.members.add("Ana López", emails=["ana@example.org"])
    export_sealed_backup(group, qtbot)
    (found,) = [p for p in home.rglob("*") if p.is_file()]
    assert is_sealed(found.read_bytes())
    assert "Tenants" not in found.name and "Union" not in found.name, (
        f"the sealed backup's name tells the group: {found.name}")


def test_a_name_typed_for_the_encrypted_backup_is_kept(group: Group, qtbot: Any, home: Path) -> None:
    typed = home / "december.json"
    assert export_sealed_backup(group, qtbot, typed) == typed
    assert is_sealed(typed.read_bytes())


# On a GNOME desktop Qt shows GTK's file dialog, which adds each file chosen in it to the desktop's
# recent files. A real X server (Xvfb) with Qt's gtk3 theme, as on GNOME; the person clicks Choose…
# in File > Export and presses Enter in whichever dialog comes up.
CHOOSE_IN_EXPORT = """
import subprocess, sys
from pathlib import Path
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from organiser.services.group import create_group
from organiser.ui.export_dialog import ExportDialog

app = QApplication([])
group = create_group(Path(sys.argv[1]), "Marsh Lane Tenants Union", "door laptop")
dialog = ExportDialog(group)
dialog.show()
QTimer.singleShot(3000, lambda: subprocess.run(["xdotool", "key", "Return"], check=True))
QTest.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)  # returns once the file is chosen
print(dialog.path_edit.text())
group.close()
"""


def _gtk_desktop_missing() -> str | None:
    import ctypes.util
    import shutil

    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if ctypes.util.find_library("gtk-3") is None:
        missing.append("libgtk-3-0")
    return f"needs {', '.join(missing)} (packaging/ensure-debian-libs.sh --with-test-tools)" if missing else None


@pytest.mark.skipif(_gtk_desktop_missing() is not None, reason=_gtk_desktop_missing() or "")
def test_a_file_chosen_in_the_apps_dialogs_on_gnome_is_not_listed_in_the_desktops_recent_files(tmp_path: Path,
                                                                                                 home: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert xvfb.stdout is not None
        display = xvfb.stdout.readline().decode().strip()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_"))}
        env.update({"HOME": str(home), "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb",
                    "QT_QPA_PLATFORMTHEME": "gtk3", "XDG_CURRENT_DESKTOP": "GNOME", "PYTHONPATH": str(root)})
        done = subprocess.run([sys.executable, "-c", CHOOSE_IN_EXPORT, str(tmp_path / "data")], env=env,
                              capture_output=True, text=True, timeout=120, cwd=root)
    finally:
        xvfb.kill()
        xvfb.wait(10)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(home / "Marsh Lane Tenants Union.ics")  # the file was chosen
    # The attacker reads every file the desktop keeps in the home folder.
    kept = [p for p in home.rglob("*") if p.is_file() and "Tenants" in p.read_text(errors="replace")]
    assert kept == [], f"the chosen file's name is kept in {[str(p.relative_to(home)) for p in kept]}"


def test_saving_the_attendance_sheet_as_a_pdf_says_the_file_is_not_encrypted(window: Any, qtbot: Any) -> None:
    from tests.ui.conftest import click, open_event, with_modal

    event = window.group.events.add("Door social", "2031-03-01T18:00", location="Hall")
    open_event(qtbot, window, event.id)
    said: list[str] = []

    def read(dialog: Any) -> None:
        said.extend(label.text() for label in dialog.findChildren(QLabel) if label.isVisible())
        dialog.reject()

    with_modal(lambda: click(qtbot, window.events_view.detail.print_button), read)
    assert any("not encrypted" in text for text in said), said
    assert any("print queue, which may keep a copy of it on the disk" in text for text in said), said


def test_copied_email_addresses_are_marked_for_clipboard_managers_to_keep_out_of_their_history(
        window: Any, qtbot: Any) -> None:
    """KDE's Klipper saves what is copied to ~/.local/share/klipper, across sessions; it (and the
    managers that honour the password managers' hint) leaves out what is marked secret."""
    from PySide6.QtWidgets import QApplication

    from tests.ui.conftest import click, open_event, with_modal

    group = window.group
    event = group.events.add("Door social", "2031-03-01T18:00", location="Hall")
    ana = group.members.add("Ana Consent", emails=["ana.consent@example.org"], consent_email=True)
    group.events.rsvp(event.id, ana.id, "yes")
    open_event(qtbot, window, event.id)
    with_modal(lambda: click(qtbot, window.events_view.detail.emails_button),
               lambda dialog: (click(qtbot, dialog.copy_button), dialog.reject()))
    copied = QApplication.clipboard().mimeData()
    assert copied.text() == "ana.consent@example.org"  # pasting works as before
    assert bytes(copied.data("x-kde-passwordManagerHint").data()) == b"secret", copied.formats()


def test_the_attendance_sheet_saved_as_a_pdf_is_readable_by_its_owner_only(
        window: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another account of a shared laptop reads what a desktop session's umask (022) leaves readable."""
    import os
    import stat

    from PySide6.QtWidgets import QFileDialog

    from tests.ui.conftest import click, open_event, with_modal

    group = window.group
    event = group.events.add("Door social", "2031-03-01T18:00", location="Hall")
    group.events.checkin(event.id, group.members.add("Annabel Sheet").id, "2031-03-01T18:05")
    open_event(qtbot, window, event.id)
    saved_in = tmp_path / "saved"
    saved_in.mkdir()
    target = saved_in / "Door social 2031-03-01 attendance sheet.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF files (*.pdf)"))
    before = os.umask(0o022)
    try:
        with_modal(lambda: click(qtbot, window.events_view.detail.print_button),
                   lambda dialog: click(qtbot, dialog.pdf_button))
    finally:
        os.umask(before)
    assert target.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in saved_in.iterdir()] == [target.name]  # nothing left beside it


# The person clicks Choose… in File > Export (then in File > Import), types the name of the folder
# they keep the group's files in, Enter (the dialog goes into it), then a file name, Enter (each over
# what the name field held: Ctrl+A first). Qt's own
# file dialog then writes the folders visited to ~/.config/QtProject.conf, shared by every Qt app.
CHOOSE_IN_A_FOLDER = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from organiser.services.group import create_group
from organiser.ui.export_dialog import ExportDialog
from organiser.ui.transfer_dialogs import ImportDialog

app = QApplication([])
group = create_group(Path(sys.argv[1]), "Marsh Lane Tenants Union", "door laptop")

def type_into_the_dialog(typed):
    dialog = QApplication.activeModalWidget()
    if dialog is None or not dialog.isVisible():
        QTimer.singleShot(100, lambda: type_into_the_dialog(typed))
        return
    for step in typed:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClicks(QApplication.focusWidget(), step)
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        QApplication.processEvents()

for dialog, name in ((ExportDialog(group), "december.ics"), (ImportDialog(group), "members.csv")):
    dialog.show()
    QTimer.singleShot(200, lambda: type_into_the_dialog(["Marsh Lane Tenants Union", name]))
    QTest.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)  # returns once the file is chosen
    print(dialog.path_edit.text(), flush=True)
    while getattr(dialog, "busy", False):  # the import plans the file chosen on a worker
        QApplication.processEvents()
    dialog.close()
group.close()
"""


def test_the_folders_visited_in_the_file_dialogs_are_not_kept_in_qts_settings(tmp_path: Path, home: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    kept_in = home / "Marsh Lane Tenants Union"
    kept_in.mkdir()
    (kept_in / "members.csv").write_text("name\nAna\n")
    other_apps = home / ".config" / "QtProject.conf"  # what another Qt app remembered is its own
    other_apps.parent.mkdir()
    other_apps.write_text(f"[FileDialog]\nlastVisited=file://{home}/Photos\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_"))}
    env.update({"HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    done = subprocess.run([sys.executable, "-c", CHOOSE_IN_A_FOLDER, str(tmp_path / "data")],
                          env=env, capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [str(kept_in / "december.ics"), str(kept_in / "members.csv")]
    # The attacker reads every file Qt keeps in the home folder.
    named = [p for p in home.rglob("*") if p.is_file() and p.parent != kept_in
             and "Tenants" in p.read_text(errors="replace")]
    assert named == [], {str(p.relative_to(home)): p.read_text(errors="replace")[:300] for p in named}
    assert f"lastVisited=file://{home}/Photos" in other_apps.read_text()


def test_the_export_dialog_says_when_the_desktop_search_indexes_the_folder(group: Group, qtbot: Any,
                                                                             home: Path) -> None:
    from organiser.ui.export_dialog import SEARCHED

    (home / "USB").mkdir()
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    # suggested in the home folder, whose top level GNOME's search indexes
    assert Path(dialog.path_edit.text()).parent == home
    assert dialog.search_note.isVisible() and dialog.search_note.text() == SEARCHED
    type_path(qtbot, dialog.path_edit, home / "USB" / "union.ics")
    assert not dialog.search_note.isVisible()
    type_path(qtbot, dialog.path_edit, home / "Documents" / "union" / "union.ics")
    assert dialog.search_note.isVisible()
