"""The desktop app (offscreen) driven by commands on stdin, as a person at the keyboard would:
for tests/net/test_lock_sync.py, run inside a network namespace.

Commands (one a line): `unlock PASSPHRASE` types it into the unlock screen and presses Return;
`lock` presses Ctrl+L in the main window; `has NAME` says whether a member of that name is shown
in the Members view ("yes", "no", or "locked"); `quit`. Each answer is one line on stdout.
Usage: python -m tests.net.locking_app DATA_DIR
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def say(text: str) -> None:
    print(text, flush=True)


async def until(condition, seconds: float = 20.0) -> bool:  # noqa: ANN001
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


async def handle(controller, line: str) -> bool:  # noqa: ANN001
    command, _, rest = line.strip().partition(" ")
    if command == "unlock":
        unlock = controller.unlock_window
        if unlock is None:
            say("no unlock screen")
            return True
        QTest.keyClicks(unlock.passphrase, rest)
        QTest.keyClick(unlock.passphrase, Qt.Key.Key_Return)
        started = await until(lambda: controller.node is not None)
        say("unlocked" if started else f"not unlocked: {unlock.message.text()}")
    elif command == "lock":
        window = controller.window
        window.activateWindow()
        window.windowHandle().requestActivate()
        await until(lambda: QApplication.activeWindow() is window, 3)
        QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        locked = await until(lambda: controller.unlock_window is not None and controller.node is None)
        say("locked" if locked else "not locked")
    elif command == "has":
        if controller.group is None:
            say("locked")
        else:
            found = await until(lambda: any(m.name == rest for m in controller.group.members.list()), 20)
            say("yes" if found else "no")
    elif command == "quit":
        return False
    else:
        say(f"unknown command {command}")
    return True


async def main(data_dir: Path) -> None:
    import qasync  # noqa: F401 - the loop is qasync's (set up below)

    from organiser.app import AppController

    controller = AppController(data_dir, None)
    controller.start()
    say("started locked" if controller.unlock_window is not None else "started open")
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "quit")

    threading.Thread(target=read, daemon=True).start()
    while await handle(controller, await lines.get()):
        pass
    await controller._close_group()


if __name__ == "__main__":
    import qasync

    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(event_loop)
    with event_loop:
        event_loop.run_until_complete(main(Path(sys.argv[1])))
