"""Shared fixtures. Qt runs offscreen everywhere, so no test needs a display."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from organiser.services import clock  # noqa: E402
from organiser.services.group import (  # noqa: E402
    Group,
    create_group,
    join_group,
    prepare_join,
)

# The one "now" every test sees: what the app shows as today or this week never depends on
# the day the suite runs. Processes a test starts (the CLI) keep the real clock.
FROZEN_NOW = datetime(2026, 11, 26, 12, 0)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW)
    return FROZEN_NOW


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def group(data_dir: Path) -> Iterator[Group]:
    g = create_group(data_dir, "Tenants Union", "door laptop")
    yield g
    g.close()


def add_device(founder: Group, data_dir: Path, name: str) -> Group:
    """A second device of the founder's group, admitted the way an invite admits it."""
    _path, public = prepare_join(data_dir, founder.id)
    founder.admit_device(public, name)
    return join_group(data_dir, founder.credentials(), name)


def let_in_before_one_step(middle: Group, data_dir: Path, name: str) -> Group:
    """A laptop that `middle` (a laptop a member let in) admitted while the app let such laptops
    invite, before invitations by members reached one step: the admission an earlier version
    signed, and the newcomer joined with it."""
    from organiser.core.changeset import Op
    from organiser.core.keys import device_id_for
    from organiser.core.membership import ADMIT, MEMBERSHIP_KIND
    from organiser.core.records import new_id
    from tests.bad_peer import BadPeer

    _path, public = prepare_join(data_dir, middle.id)
    value = {"device": device_id_for(public), "public_key": public, "name": name, "invite": ""}
    middle.replica.apply([BadPeer(middle).sign([Op(MEMBERSHIP_KIND, new_id(), ADMIT, value)])])
    return join_group(data_dir, middle.credentials(), name)


def waiting_scene(root: Path, last: str = "minutes laptop",
                  before_sync: Callable[[Group, Group], object] | None = None) -> list[Group]:
    """[office, door, middle, last]: the office laptop (the admin; members may invite), the door
    laptop it let in, the middle laptop the door laptop let in, and `last`, which the middle laptop
    admitted before invitations by members reached one step, so that it waits for an admin; all
    synced. `before_sync(middle, last)` runs before the last sync (notes written, puppets let in)."""
    office = create_group(root / "office", "Tenants Union", "office laptop")
    office.membership.set_policy(members_may_invite=True)
    door = add_device(office, root / "door", "door laptop")
    sync_all([office, door])
    middle = add_device(door, root / "middle", "middle laptop")
    sync_all([office, door, middle], rounds=2)
    waiting = let_in_before_one_step(middle, root / last.replace("'", "").replace(" ", "-"), last)
    if before_sync is not None:
        before_sync(middle, waiting)
    scene = [office, door, middle, waiting]
    sync_all(scene, rounds=2)
    return scene


def sync_pair(a: Group, b: Group) -> None:
    """Exchange what each lacks, both ways (no network: the same calls the sync layer makes)."""
    b.replica.apply(a.replica.changes_since(b.replica.version_vector()))
    a.replica.apply(b.replica.changes_since(a.replica.version_vector()))



def sync_all(devices: Sequence[Group], rounds: int = 1) -> None:
    """Every device exchanges with every other, `rounds` times over (news of news needs more)."""
    for _round in range(rounds):
        for x in devices:
            for y in devices:
                if x is not y:
                    sync_pair(x, y)

@pytest.fixture
def two_devices(tmp_path: Path) -> Iterator[tuple[Group, Group]]:
    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    sync_pair(a, b)
    yield a, b
    a.close()
    b.close()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns xdist_group marks into work units
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """How `make test` shares the tests between its workers (`-n <cores + 1> --dist loadgroup`).

    A module whose tests share a module- or session-scoped fixture of its own (a built .deb, a LAN of
    namespaces, a group made once) runs on one worker: spread over several, each would make it.
    Tests marked slow start first, so no core sits idle at the end while another runs one."""
    for item in items:
        module = item.getparent(pytest.Module)
        if module is None or any(item.iter_markers("xdist_group")):
            continue
        defs = getattr(item, "_fixtureinfo", None)
        shared = defs is not None and any(
            fixture.scope in ("module", "session") and fixture.baseid == module.nodeid
            for fixtures in defs.name2fixturedefs.values() for fixture in fixtures)
        if shared:
            item.add_marker(pytest.mark.xdist_group(module.nodeid))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: files keep their order


def admins_acting_unaware(devices: list[Group]) -> None:
    """Three admins act before hearing of each other (found by the membership machine): d0 demotes
    d2, then itself; d2 removes d1 and all it wrote; d1 removes d0, keeping what it had seen. d0, d1
    and d2 then talk to each other. `devices[0]` founded the group and admitted the others."""
    from datetime import UTC, datetime

    d0, d1, d2 = _two_admins(devices)
    d0.membership.demote(d2.device_id)
    d0.membership.demote(d0.device_id)
    d2.membership.remove(d1.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    d1.membership.remove(d0.device_id)
    sync_all((d0, d1, d2), rounds=3)


def admins_removing_each_other(devices: list[Group]) -> None:
    """Two admins remove each other before hearing of it: d2 removes d1 and all it wrote, d1
    removes d2. d1, promoted first, is the senior: its removal stands, and d2's removal of d1
    ends up kept aside on d0, d1 and d2 (a changeset of a removed device, past what stays), an
    entry every device must still hold and evaluate. `devices[0]` founded the group and
    admitted the others."""
    from datetime import UTC, datetime

    d0, d1, d2 = _two_admins(devices)
    d2.membership.remove(d1.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    d1.membership.remove(d2.device_id)
    sync_all((d0, d1, d2), rounds=3)


def _two_admins(devices: list[Group]) -> tuple[Group, Group, Group]:
    """d0 promotes d1, then d2, and every device hears it from d0."""
    d0, d1, d2 = devices[:3]
    for admin in (d1, d2):
        d0.membership.promote(admin.device_id)
    for other in devices[1:]:
        sync_pair(d0, other)
    return d0, d1, d2


_DIALOG_WATCH = pytest.StashKey["DialogWatch"]()


@pytest.fixture(autouse=True)
def _collector_on_the_gui_thread(request: pytest.FixtureRequest) -> None:
    """For a test that drives Qt, Python's cycle collector runs on Qt's thread only, as in the app
    (organiser/ui/collector.py): left automatic, a worker thread's allocations (a key derivation, a
    sync) deleted there a window or watch that an earlier test left in a cycle, and a later test
    crashed (SIGSEGV) as Qt's thread fired its timer or handed it an event."""
    if "qtbot" in request.fixturenames:
        from organiser.ui.collector import collect_on_gui_thread

        collect_on_gui_thread(request.getfixturevalue("qapp"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Once Qt's thread collects (above), each test's cycles are collected at its end if due, on this
    thread: a test that turns no Qt loop (most outside tests/ui) gives that timer no turn."""
    result = yield
    collector = _gui_thread_collector()
    if collector is not None:
        collector.collect_if_due()
    return result


def _gui_thread_collector() -> Any:
    if "organiser.ui.collector" not in sys.modules:  # no test of this process drove Qt
        return None
    from PySide6.QtWidgets import QApplication

    from organiser.ui.collector import GuiThreadCollector

    app = QApplication.instance()
    return app.findChild(GuiThreadCollector) if app is not None else None


@pytest.fixture(autouse=True)
def _dialog_watch(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a test that drives Qt (asks for qtbot): a message box nobody answers fails it with the
    box's text instead of hanging the suite, and the time limit reaches it inside a modal dialog
    (tests/qt_guard.py)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    from tests.qt_guard import DialogWatch

    request.getfixturevalue("qtbot")
    watch = DialogWatch()
    request.node.stash[_DIALOG_WATCH] = watch
    try:
        yield
    finally:
        watch.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A Qt test whose function returns with a message box still open fails, naming the box."""
    result = yield
    watch = item.stash.get(_DIALOG_WATCH, None)
    if watch is not None:
        watch.check_none_left_open()
    return result
