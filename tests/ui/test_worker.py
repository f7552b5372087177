"""A slow step on a worker thread (ui/worker.py): its outcome comes back on the GUI thread, and the
object carrying it back is deleted there too, whichever thread lets go of it last."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt

from organiser.ui import worker


def test_the_relay_is_deleted_on_the_gui_thread_though_a_worker_lets_go_of_it_last(qtbot: Any) -> None:
    """The exception handed back holds the worker's frame, and the frame the relay: a person's
    window that keeps the refusal (or a worker still returning) can drop the last reference on
    another thread. A QObject deleted there while Qt delivered its signal crashed the app and the
    suite (SIGSEGV in processEvents at a test's teardown)."""
    refused: list[BaseException] = []

    def slow_step() -> None:
        raise ValueError("that passphrase does not unlock this group")

    worker.off_the_qt_thread(slow_step, lambda _result: None, refused.append)
    (relay,) = worker._waiting
    deleted_on: list[str] = []
    relay.destroyed.connect(lambda *_: deleted_on.append(threading.current_thread().name),
                            Qt.ConnectionType.DirectConnection)
    del relay
    qtbot.waitUntil(lambda: bool(refused), timeout=5000)
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    letting_go = threading.Thread(target=refused.clear, name="another thread")  # the last reference goes there
    letting_go.start()
    letting_go.join(5)
    qtbot.waitUntil(lambda: bool(deleted_on), timeout=5000)
    assert deleted_on == [threading.main_thread().name]


def test_a_background_readers_relay_is_deleted_on_the_gui_thread_whoever_lets_go_last(qtbot: Any,
                                                                                       tmp_path: Any) -> None:
    from organiser.services.group import create_group
    from organiser.ui.loader import BackgroundReader

    group = create_group(tmp_path / "g", "Tenants Union", "door laptop")
    reader = BackgroundReader(group.path)
    read: list[int] = []
    reader.read(lambda db: db.execute("SELECT count(*) FROM changes").fetchone()[0], read.append)
    held = list(worker._waiting)  # a reference the GUI thread does not hold at the end
    deleted_on: list[str] = []
    held[0].destroyed.connect(lambda *_: deleted_on.append(threading.current_thread().name),
                              Qt.ConnectionType.DirectConnection)
    qtbot.waitUntil(lambda: bool(read) and reader.pending == 0, timeout=5000)
    letting_go = threading.Thread(target=held.clear, name="another thread")
    letting_go.start()
    letting_go.join(5)
    qtbot.waitUntil(lambda: bool(deleted_on), timeout=5000)
    assert deleted_on == [threading.main_thread().name]
    group.close()


def test_a_read_that_ends_after_its_window_was_closed_and_deleted_is_dropped(
        qtbot: Any, demo: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """Locking (or switching group) deletes the window while its agenda may still be read on a
    worker: the read, handed back, reset a deleted model (RuntimeError: AgendaModel already deleted)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from organiser.ui.main_window import MainWindow
    from organiser.ui.models.events import AgendaModel
    from organiser.ui.settings import UiSettings

    gate = threading.Event()
    read_events = AgendaModel.read_all

    def held_at_the_gate(db: Any) -> Any:
        gate.wait(10)
        return read_events(db)

    monkeypatch.setattr(AgendaModel, "read_all", staticmethod(held_at_the_gate))
    window = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"), background=True)
    window.show()
    qtbot.waitUntil(lambda: window.reader.pending > 0, timeout=5000)
    window.close()  # as the app's lock does
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    with qtbot.captureExceptions() as reported:
        gate.set()
        qtbot.waitUntil(lambda: worker.pending() == 0, timeout=10_000)
        qtbot.wait(50)
    assert [str(exc) for _type, exc, _tb in reported] == []
