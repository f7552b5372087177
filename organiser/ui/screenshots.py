"""Render each main view with a demo group to PNG, offscreen, at 1366x768 and 1024x600 (the
small laptops the window must fit), plus the door with a walk-in, RSVPs and empty states.

    python -m organiser.ui.screenshots [--out docs/screenshots]

Two real devices of the demo group run real sync nodes on 127.0.0.1 only (no discovery, no
multicast), so the Peers view shows a connected peer and a real invite code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

SIZES = ((1366, 768), (1024, 600))


def _second_device(founder: Any, data_dir: Path, name: str) -> Any:
    from organiser.services.group import join_group, prepare_join

    _path, public = prepare_join(data_dir, founder.id)
    founder.admit_device(public, name)
    other = join_group(data_dir, founder.credentials(), name)
    other.replica.apply(founder.replica.changes_since(other.replica.version_vector()))
    founder.replica.apply(other.replica.changes_since(founder.replica.version_vector()))
    return other


def _grab(widget: Any, path: Path, app: Any) -> None:
    for _ in range(3):
        app.processEvents()
    widget.grab().save(str(path))
    print(path)


async def _render(out: Path, work: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from organiser.net.node import SyncNode
    from organiser.services.demo import create_demo_group
    from organiser.services.group import create_group
    from organiser.ui.attendance import WalkInDialog
    from organiser.ui.dialogs import InviteDialog
    from organiser.ui.editor import RecordDialog
    from organiser.ui.first_run import StartWindow
    from organiser.ui.main_window import MainWindow
    from organiser.ui.settings import UiSettings

    app = QApplication.instance()
    door = create_demo_group(work / "door", "door laptop")
    minutes = _second_device(door, work / "minutes", "minutes laptop")
    spare = _second_device(door, work / "spare", "spare laptop")
    spare.close()
    someone = door.members.list()[2]
    door.members.edit(someone.id, notes="Prefers Signal; lives in block C.")
    minutes.members.edit(someone.id, notes="Phone only, evenings.")  # a real concurrent edit
    me = door.members.list()[0]

    node = SyncNode(door, listen_host="127.0.0.1", discovery=False)
    await node.start()
    other = SyncNode(minutes, listen_host="127.0.0.1", discovery=False,
                     static_peers=[("127.0.0.1", node.port)])
    await other.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(p.connected and p.state == "connected" for p in node.peers()):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    code = await node.create_invite()
    spoken = await node.offer_spoken_invite()  # answered on 127.0.0.1 only: discovery is off
    settings = UiSettings(work / "ui")
    settings.set_me(door.id, me.id)
    window = MainWindow(door, node, settings=settings)
    window.show()
    await asyncio.sleep(0.3)

    detail = window.events_view.detail

    def walk_in() -> None:
        window.switch_to("events")
        window.events_view.tabs.setCurrentIndex(0)
        detail.checkin_search.setText("Wendel Walkin")
        detail.checkin_typed()  # nobody of that name: the door offers to register them

    def member_rsvp() -> None:
        window.switch_to("members")
        view = window.members_view
        view.select(view.model.rows[3].id)

    shots: list[tuple[str, Callable[[], Any]]] = [
        ("events-agenda", lambda: (window.switch_to("events"), window.events_view.tabs.setCurrentIndex(0))),
        ("events-month", lambda: window.events_view.tabs.setCurrentIndex(1)),
        ("door-walk-in", walk_in),
        ("tasks-board", lambda: (window.switch_to("tasks"), window.tasks_view.tabs.setCurrentIndex(0))),
        ("tasks-list", lambda: window.tasks_view.tabs.setCurrentIndex(1)),
        ("members", member_rsvp),
        ("peers", lambda: window.switch_to("peers")),
    ]
    window.events_view.ensure_loaded()  # opens the first upcoming event: the assembly on now
    for width, height in SIZES:
        window.resize(width, height)
        for name, prepare in shots:
            prepare()
            await asyncio.sleep(0.05)
            _grab(window, out / f"{name}-{width}x{height}.png", app)
    detail.clear_door_field()
    detail.door_banner.hide()
    dialogs: list[tuple[str, Any]] = [
        ("walk-in", WalkInDialog(door, detail.shown_event.id, "Wendel Walkin", window)),
        ("invite", InviteDialog(code, 24, window, spoken=spoken)),
        ("edit-member", RecordDialog(door, window.bridge, "member", door.members.list()[1].id, parent=window)),
        ("start", StartWindow(work / "empty")),
    ]
    for name, dialog in dialogs:
        dialog.show()
        await asyncio.sleep(0.05)
        _grab(dialog, out / f"{name}.png", app)
        dialog.close()
    empty_group = create_group(work / "empty-group", "New collective", "first laptop")
    empty = MainWindow(empty_group, None, settings=UiSettings(work / "ui-empty"))
    empty.show()
    empty.setWindowState(Qt.WindowState.WindowNoState)  # first start maximises on the small offscreen screen
    empty.resize(*SIZES[1])
    for name in ("events", "tasks", "members"):
        empty.switch_to(name)
        await asyncio.sleep(0.05)
        _grab(empty, out / f"empty-{name}-{SIZES[1][0]}x{SIZES[1][1]}.png", app)
    empty.close()
    empty_group.close()
    window.close()
    await other.stop()
    await node.stop()
    minutes.close()
    door.close()


def main(argv: list[str] | None = None) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from organiser.services import clock

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    # Offscreen unless told otherwise; set here, not at import, so importing this module
    # (selftest imports every module) leaves the environment alone.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    args.out.mkdir(parents=True, exist_ok=True)
    # The guide's pictures show a meeting evening, whatever hour they are made at: the demo's
    # assembly starts 40 minutes before "now", and at 04:00 it read 03:20–05:20.
    evening = datetime.combine(clock.today(), clock_time(19, 40))
    clock.now = lambda: evening
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing a dialog must not end the run
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="organiser-shots-") as work, loop:
        loop.run_until_complete(_render(args.out, Path(work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
