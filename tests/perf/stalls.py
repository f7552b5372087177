"""How long the window's Qt thread stalls, per action, on a large group: prints JSON.

    python -m tests.perf.stalls --group DIR/door [--only history,unlock] [--sealed F --passphrase-file P]

DIR/door: a data folder such as `python -m tests.perf.year --out DIR` builds (a year-old group).
The group is copied first (opening it may migrate it), then the app's main window is built on it
offscreen, reading big views on a worker thread as the app does. A 5 ms QTimer heartbeat records
the gaps of the event loop; for each action, a person's click or typing, the longest gap from the
action until its visible result is in and the loop has been quiet for a moment. Reported per
action: longest_stall_ms and result_s (until the result showed).

To compare with an earlier version of the app, run the same file with that version first on the
path: `PYTHONPATH=/work/main python /work/freezes/tests/perf/stalls.py --group ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import organiser  # noqa: E402,F401 - first, so sqlite_utils uses sqlcipher3

PASSPHRASE = "correct horse battery staple"
QUIET_S = 0.6  # after the result: what a debounce or a queued repaint does next counts too


class Heart:
    """The longest gap between beats of a 5 ms timer, since `reset`."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.beat)
        self.timer.start()

    def beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.spin(0.05)
        self.last, self.longest = time.perf_counter(), 0.0

    @staticmethod
    def spin(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            time.sleep(0.001)


def measure(heart: Heart, action: Callable[[], Any], shown: Callable[[], bool], timeout: float = 120) -> dict:
    heart.reset()
    t0 = time.perf_counter()
    action()
    while not shown():
        if time.perf_counter() - t0 > timeout:
            return {"longest_stall_ms": round(heart.longest * 1000, 1), "result_s": None, "timed_out": True}
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)
    result_s = time.perf_counter() - t0
    heart.spin(QUIET_S)
    return {"longest_stall_ms": round(heart.longest * 1000, 1), "result_s": round(result_s, 3)}


def type_slowly(widget: Any, text: str) -> Callable[[], None]:
    """Typing as a person does, a key every 120 ms, the loop turning between keys."""
    def typing() -> None:
        for char in text:
            QTest.keyClicks(widget, char)
            Heart.spin(0.12)
    return typing


def latest_assembly(group: Any) -> str:
    found = [(event.start, event.id) for event in group.events.list() if event.title == "General assembly"]
    return max(found)[1]


def run(folder: Path, only: set[str] | None, work: Path, sealed: tuple[Path, str] | None) -> dict[str, Any]:
    from organiser.services.group import open_group
    from organiser.ui.main_window import MainWindow

    heart = Heart()
    out: dict[str, Any] = {}
    state: dict[str, Any] = {}

    def wanted(name: str) -> bool:
        return only is None or name in only

    def open_window() -> None:
        state["group"] = group = open_group(folder)
        state["window"] = window = MainWindow(group, background=True)
        window.resize(1280, 800)
        window.show()
        window.switch_to("events")

    out["open_group"] = measure(heart, open_window, lambda: state["window"].events_view.agenda.loaded)
    window, group = state["window"], state["group"]
    views = {"tasks": lambda: window.tasks_view.loaded, "members": lambda: window.members_view.model.loaded,
             "peers": lambda: True, "events": lambda: window.events_view.agenda.loaded, "meeting": lambda: True}
    if wanted("views"):
        for name, loaded in views.items():
            out[f"view_{name}"] = measure(heart, lambda n=name: window.view_actions[n].trigger(), loaded)
    if wanted("find"):
        window.switch_to("events")
        heart.spin(0.3)
        search = window.events_view.search
        search.setFocus()
        out["find_in_events"] = measure(heart, type_slowly(search, "rent strike"), lambda: True)
        search.clear()
    if wanted("members"):
        window.switch_to("members")
        Heart.spin(0.3)
        out["member_search"] = measure(heart, type_slowly(window.members_view.search, "martin"), lambda: True)
        window.members_view.search.clear()
        Heart.spin(0.5)
        table = window.members_view.table
        table.setFocus()
        out["member_table_type_ahead"] = measure(heart, type_slowly(table, "quen"), lambda: True)
    event_id = latest_assembly(group)
    if wanted("meeting") or wanted("history"):
        def open_meeting() -> None:
            window.switch_to("meeting")
            window.meeting_view.set_event(event_id)
        out["open_meeting"] = measure(heart, open_meeting, lambda: window.meeting_view.event_id == event_id)
    if wanted("history"):
        view = window.meeting_view

        def read() -> bool:
            dialog = getattr(view, "history_dialog", None)
            busy = getattr(dialog, "busy", None)
            return dialog is not None and dialog.model.rowCount() > 0 and (busy is None or busy.isHidden())

        out["history_dialog"] = measure(
            heart, lambda: QTest.mouseClick(view.history_button, Qt.MouseButton.LeftButton), read)
        out["history_dialog"]["rows"] = view.history_dialog.model.rowCount()
        view.history_dialog.close()
    if wanted("export"):
        from organiser.ui.export_dialog import open_export_dialog

        state["export"] = None

        def export_calendar() -> None:
            dialog = state["export"] = open_export_dialog(window, group)
            dialog.format_box.setCurrentIndex(next(i for i in range(dialog.format_box.count())
                                                   if ".ics" in dialog.format_box.itemText(i)))
            dialog.path_edit.setText(str(work / "year.ics"))
            QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

        out["export_calendar"] = measure(heart, export_calendar,
                                         lambda: state["export"].written is not None and state["export"]._job is None)
        state["export"].close()
    if sealed is not None:
        out["open_sealed_backup"] = open_sealed_backup(heart, group, *sealed)
    window.close()
    group.close()
    if wanted("unlock"):
        out.update(unlock(heart, work))
    return out


def open_sealed_backup(heart: Heart, group: Any, backup: Path, passphrase: str) -> dict[str, Any]:
    """File > Import… of a sealed backup: the file chosen, its passphrase typed in the question,
    until the dialog says what the backup holds."""
    from PySide6.QtWidgets import QLineEdit

    from organiser.ui.transfer_dialogs import ImportDialog

    dialog = ImportDialog(group)
    dialog.show()

    def answer() -> None:
        asking = QApplication.activeModalWidget()
        if asking is None:
            QTimer.singleShot(10, answer)
            return
        line = asking.findChild(QLineEdit)
        QTest.keyClicks(line, passphrase)
        QTest.keyClick(line, Qt.Key.Key_Return)

    def choose() -> None:
        QTimer.singleShot(0, answer)
        dialog.set_file(backup)

    found = measure(heart, choose, lambda: "a backup of group" in dialog.summary.text() and not dialog.busy)
    dialog.close()
    return found


def unlock(heart: Heart, work: Path) -> dict[str, Any]:
    """The unlock screen of an encrypted group, the passphrase typed and Return pressed."""
    from organiser.services.group import create_group
    from organiser.ui.unlock import UnlockWindow

    made = create_group(work / "sealed", "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    folder = made.path.name
    made.close()
    screen = UnlockWindow(work / "sealed", folder)
    screen.show()
    opened: list[Any] = []
    screen.unlocked.connect(opened.append)
    QTest.keyClicks(screen.passphrase, PASSPHRASE)
    found = {"unlock": measure(heart, lambda: QTest.keyClick(screen.passphrase, Qt.Key.Key_Return),
                               lambda: bool(opened))}
    opened[0].close()
    screen.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", type=Path, required=True, help="a data folder (e.g. DIR/door of tests.perf.year)")
    parser.add_argument("--sealed", type=Path, help="a sealed backup to open in File > Import… (optional)")
    parser.add_argument("--passphrase-file", type=Path, help="the sealed backup's passphrase, alone in a file")
    parser.add_argument("--only", default="", help="comma-separated: views,find,members,meeting,history,export,unlock")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="stalls-") as tmp:
        work = Path(tmp)
        folder = work / "door"
        shutil.copytree(args.group, folder)  # opening may migrate it: never the original
        sealed = (args.sealed, args.passphrase_file.read_text().strip()) if args.sealed else None
        found = run(folder, set(args.only.split(",")) if args.only else None, work, sealed)
    found["app_from"] = str(Path(organiser.__file__).parent.parent)
    found["load_avg"] = os.getloadavg()[0]
    print(json.dumps(found, indent=1))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
