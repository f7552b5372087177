"""Every Qt model passes pytest-qt's model tester, while rows are added, changed and removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.bridge import Bridge
from organiser.ui.models.events import AgendaModel, RsvpModel
from organiser.ui.models.group import ConflictsModel, DevicesModel, PeersModel
from organiser.ui.models.members import MembersModel
from organiser.ui.models.tasks import TaskCache, TaskColumnModel, TaskFilterProxy, TaskTableModel


@pytest.fixture
def tester(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """One pytest-qt ModelTester per model, each watching its model's signals to the end."""
    from pytestqt.modeltest import ModelTester

    testers: list[Any] = []

    def check(model: Any, force_py: bool = True) -> None:
        testers.append(ModelTester(request.config))
        testers[-1].check(model, force_py=force_py)

    yield check
    for one in testers:
        one._cleanup()


def test_members_model(tester: Callable[..., None], demo: Group) -> None:
    bridge = Bridge(demo.bus, db=demo.db)
    model = MembersModel(demo)
    bridge.recordsChanged.connect(model.on_records_changed)
    model.load()
    tester(model)
    added = demo.members.add("Model Tester", roles=["working group: QA"])
    demo.members.edit(added.id, name="Aardvark Tester")
    model.set_filter(search="tester")
    assert [r.name for r in model.rows] == ["Aardvark Tester"]
    model.set_filter(search="")
    model.sort(1, Qt.SortOrder.DescendingOrder)
    demo.members.delete(added.id)
    assert model.row_of(added.id) == -1
    bridge.close()


def test_agenda_and_rsvp_models(tester: Callable[..., None], demo: Group) -> None:
    agenda = AgendaModel(demo)
    agenda.load()
    rsvps = RsvpModel(demo)
    tester(agenda)
    tester(rsvps)
    bridge = Bridge(demo.bus)
    bridge.recordsChanged.connect(agenda.on_records_changed)
    bridge.recordsChanged.connect(rsvps.on_records_changed)
    event = demo.events.add("Tested evening", "2032-01-01T18:00")
    assert agenda.row_of(event.id) >= 0 and agenda.row_of("day:2032-01-01") == agenda.row_of(event.id) - 1
    rsvps.set_event(event.id)
    member = demo.members.list()[0]
    demo.events.rsvp(event.id, member.id, "yes")
    demo.events.checkin(event.id, member.id)
    assert rsvps.rowCount() == 1 and rsvps.index(0, 2).data()
    demo.events.delete(event.id)
    assert agenda.row_of(event.id) == -1 and agenda.row_of("day:2032-01-01") == -1
    bridge.close()


def test_task_models(tester: Callable[..., None], demo: Group) -> None:
    cache = TaskCache(demo)
    bridge = Bridge(demo.bus)
    bridge.recordsChanged.connect(cache.on_records_changed)
    columns = [TaskColumnModel(cache, s) for s in ("todo", "doing", "done")]
    table = TaskTableModel(cache)
    for model in (*columns, table):
        model.load()
        tester(model)
    proxy = TaskFilterProxy()
    proxy.setSourceModel(table)
    tester(proxy, force_py=False)
    task = demo.tasks.add("Tested task")
    demo.tasks.move(task.id, "done")
    assert columns[2].row_of(task.id) >= 0 and columns[0].row_of(task.id) == -1
    proxy.set_filters(due="no date")
    demo.tasks.delete(task.id)
    assert table.row_of(task.id) == -1
    bridge.close()


@dataclass
class FakePeerInfo:  # the shape of organiser.net.peerbook.PeerInfo, for a model test only
    device_id: str
    name: str
    address: str
    connected: bool
    state: str
    last_sync: float | None


def test_group_models(tester: Callable[..., None], two_devices: tuple[Group, Group]) -> None:
    a, b = two_devices
    peers = PeersModel()
    tester(peers)
    peers.set_peers([FakePeerInfo(b.device_id, "minutes laptop", "127.0.0.1:4000", True, "syncing", None)])
    assert peers.index(0, 1).data() == "syncing…"
    peers.set_peers([FakePeerInfo(b.device_id, "minutes laptop", "127.0.0.1:4000", True, "connected", 1.0)])
    assert peers.index(0, 1).data() == "connected"
    peers.set_peers([])
    devices = DevicesModel(a)
    tester(devices)
    assert {devices.index(r, 1).data() for r in range(devices.rowCount())} == {"founded the group", "door laptop"}
    conflicts = ConflictsModel(a)
    tester(conflicts)
    member = a.members.add("Cora")
    from tests.conftest import sync_pair

    sync_pair(a, b)
    a.members.edit(member.id, notes="one")
    b.members.edit(member.id, notes="two")
    sync_pair(a, b)
    conflicts.reload()
    assert conflicts.rowCount() == 1


def test_many_new_rows_merge_in_with_one_layout_change_and_selection_follows(
        tester: Callable[..., None], demo: Group, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QPersistentModelIndex

    from organiser.ui.models import live

    monkeypatch.setattr(live, "BULK", 3)
    monkeypatch.setattr(live, "BULK_ROWS", 5)
    model = MembersModel(demo)
    model.load()
    tester(model)
    bridge = Bridge(demo.bus)
    bridge.recordsChanged.connect(model.on_records_changed)
    chosen = model.rows[len(model.rows) // 2]
    held = QPersistentModelIndex(model.index(model.row_of(chosen.id), 1))
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    ops = [demo.members.build_add({"name": f"{letter} Newcomer"})[1] for letter in "AZMBYN"]
    demo.replica.commit_batch(ops)
    names = [r.name for r in model.rows]
    assert [r.id for r in model.rows] == [r.id for r in sorted(model.rows, key=lambda r: (r.name.casefold(), r.id))]
    assert sum(1 for n in names if n.endswith("Newcomer")) == 6
    assert held.isValid() and held.row() == model.row_of(chosen.id) and held.column() == 1
    assert not resets
    bridge.close()


def test_many_rows_from_a_sync_merge_into_a_big_model_in_order_and_the_selection_follows() -> None:
    import random

    from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex

    from organiser.ui.models.live import LiveRows

    class Names(LiveRows[str], QAbstractListModel):
        def __init__(self) -> None:
            QAbstractListModel.__init__(self)
            self._init_rows(lambda r: r, lambda r: (r.casefold(), r))

        def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008, N802
            return len(self.rows)

        def data(self, index: Any, role: int = 0) -> Any:
            return self.rows[index.row()] if role == 0 else None

    pick = random.Random(4)
    names = [f"n{pick.randrange(10**9):09d}" for _ in range(3040)]
    model = Names()
    model.replace_rows(names[:2500])
    chosen = QPersistentModelIndex(model.index(1234, 0))
    held = model.rows[1234]
    for batch in (names[2500:3000], names[3000:]):  # 500 new rows in one pass, then 40 in place
        model.apply_rows({n: n for n in batch} | {"not-shown": None})
        shown = names[:2500 + len(batch) + (500 if len(batch) == 40 else 0)]
        assert model.rows == sorted(shown, key=lambda r: (r.casefold(), r))
        assert chosen.row() == model.rows.index(held)
        assert all(model.row_of(n) == p for p, n in enumerate(model.rows))


def test_a_conflict_from_a_laptop_removed_since_names_it(two_devices: tuple[Group, Group]) -> None:
    """A year on, a conflict left by a laptop that was retired reads 'minutes laptop (removed)',
    not eight hex digits nobody can place."""
    from tests.conftest import sync_pair

    a, b = two_devices
    member = a.members.add("Cora")
    sync_pair(a, b)
    b.members.edit(member.id, notes="from the old laptop")
    # The door's clock has seen the old laptop's (as it would have heard a later changeset): the
    # two edits made in one millisecond no longer tie, to be settled by the devices' random ids.
    a.replica.clock.observe(b.replica.clock.last)
    a.members.edit(member.id, notes="from the door")  # later: it wins, the old laptop's value lost
    sync_pair(a, b)
    a.membership.remove(b.device_id)
    conflicts = ConflictsModel(a)
    conflicts.reload()
    assert [conflicts.index(r, 4).data() for r in range(conflicts.rowCount())] == ["minutes laptop (removed)"]


def test_a_last_sync_in_another_year_names_the_year() -> None:
    """A laptop back after a year in a drawer: 'last sync 02 Dec 14:00' read as this December.
    The clock is pinned: the day the suite runs changes nothing."""
    from datetime import datetime

    from organiser.ui.models.group import ago

    synced = datetime(2026, 12, 2, 14, 0).timestamp()
    assert ago(synced, now=datetime(2026, 12, 2, 16, 30).timestamp()) == "2 h ago"
    assert ago(synced, now=datetime(2026, 12, 5, 9, 0).timestamp()) == "02 Dec 14:00"
    assert ago(synced, now=datetime(2027, 1, 1, 0, 5).timestamp()) == "02 Dec 2026 14:00"  # over the year's end
    assert ago(synced, now=datetime(2027, 12, 5, 9, 0).timestamp()) == "02 Dec 2026 14:00"


def test_an_agenda_items_clock_past_an_hour_reads_hours_minutes_and_seconds() -> None:
    from organiser.ui.models.meeting import clock_text

    assert [clock_text(s) for s in (0, 65, 3599, 3600, 6000)] == ["0:00", "1:05", "59:59", "1:00:00", "1:40:00"]
