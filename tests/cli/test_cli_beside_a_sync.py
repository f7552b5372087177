"""The command line writing while the app applies a peer's changes to the same store (its sync
worker, on a thread with its own connection): neither loses an edit, and no command fails on
the lock."""

from __future__ import annotations

import threading
from pathlib import Path

from organiser.services.group import Group, open_group
from tests.cli_in_process import cli_in_process


def test_members_added_with_the_command_line_during_a_sync_are_all_kept_with_the_peers(
        two_devices: tuple[Group, Group]) -> None:
    a, b = two_devices
    for n in range(300):
        b.members.add(name=f"Peer Member {n:03}")
    arriving = b.replica.changes_since(a.replica.version_vector())
    data_dir = a.path.parent.parent
    failures: list[BaseException] = []

    def sync_worker() -> None:  # as the app's applier: its own connection, batch after batch
        own = open_group(data_dir, a.id)
        try:
            for start in range(0, len(arriving), 10):
                own.replica.apply(arriving[start:start + 10])
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failures.append(exc)
        finally:
            own.close()

    worker = threading.Thread(target=sync_worker)
    worker.start()
    results = [cli_in_process(data_dir, "member", "add", "--name", f"Typed At The Terminal {n:02}") for n in range(20)]
    worker.join(timeout=120)
    assert not worker.is_alive() and not failures
    assert all(code == 0 for code, _out, _err in results), [err for _code, _out, err in results]
    after = open_group(Path(data_dir), a.id)
    try:
        names = {m.name for m in after.members.list()}
    finally:
        after.close()
    assert {f"Peer Member {n:03}" for n in range(300)} <= names
    assert {f"Typed At The Terminal {n:02}" for n in range(20)} <= names
