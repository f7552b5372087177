"""Laptops shows incidents worded for people, and every view and Qt model survives a
database that received a member's absurd changesets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from organiser.services.group import Group
from organiser.ui.incidents_view import INCIDENT_ROLE
from organiser.ui.main_window import MainWindow
from organiser.ui.models.events import AgendaModel, RsvpModel
from organiser.ui.models.group import ConflictsModel, DevicesModel
from organiser.ui.models.members import MembersModel
from organiser.ui.models.tasks import TaskCache, TaskTableModel
from organiser.ui.settings import UiSettings
from tests.bad_peer import BadPeer, absurd_ops, far_future_stamp, new_member
from tests.conftest import add_device, sync_pair


def _poison(founder: Group, tmp_path: Any) -> Group:
    rogue = add_device(founder, tmp_path / "rogue", "rogue laptop")
    sync_pair(founder, rogue)
    member = founder.members.list()[0].id
    event = founder.events.list()[0].id
    modified = BadPeer(rogue)
    bad = [modified.sign(ops) for ops in absurd_ops(member, event).values()]
    bad.append(modified.sign(new_member("Zed"), hlc=far_future_stamp()))
    result = founder.replica.apply(bad, source=rogue.device_id)
    assert len(result.refused) == len(bad)
    return rogue


def _read_every_cell(model: Any) -> int:
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # a list model
        columns = 1
    for row in range(model.rowCount(QModelIndex())):
        for column in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.UserRole):
                model.data(model.index(row, column), role)
    return model.rowCount(QModelIndex())


def test_every_qt_model_loads_a_database_that_received_absurd_changesets(qtbot, demo: Group, tmp_path) -> None:
    rogue = _poison(demo, tmp_path)
    try:
        for model in (MembersModel(demo), AgendaModel(demo)):
            model.load()
            assert _read_every_cell(model) > 0
        for model in (DevicesModel(demo), ConflictsModel(demo), RsvpModel(demo), TaskTableModel(TaskCache(demo))):
            _read_every_cell(model)
    finally:
        rogue.close()


def test_peers_and_group_lists_incidents_in_words_people_act_on(qtbot, demo: Group, tmp_path) -> None:
    rogue = _poison(demo, tmp_path)
    try:
        window = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(window)
        window.show()
        window.switch_to("peers")  # as the other Laptops tests open it
        panel = window.peers_view.incidents
        qtbot.waitUntil(panel.isVisible, timeout=5000)
        model = panel.table.model()
        shown = {model.index(r, 1).data() for r in range(model.rowCount())}
        assert "'rogue laptop' sends changes from " in " ".join(shown)
        assert any(s.startswith("'rogue laptop' sends values nobody could type here") for s in shown)
        assert all(model.index(r, 0).data() == "rogue laptop" for r in range(model.rowCount()))
        assert {model.index(r, 0).data(INCIDENT_ROLE)["reason"] for r in range(model.rowCount())} == \
            {"value", "size", "unknown", "entries", "clock"}
        window.close()
    finally:
        rogue.close()
