"""The projector on a 1024x768 hall projector with a long meeting: long agenda item names in
French, Chinese, Arabic and Hebrew, a long proposal and many lines of minutes. Everything on the
wall fits the window: no label taller than its place, no line cut in half, nothing pushed below
the bottom edge, and the window never grows past the projector's screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from organiser.services.group import Group

PROJECTOR = (1024, 768)
LONG_ITEMS = [
    "Bienvenue, accueil des délégués et désignation de la personne qui prend le procès-verbal",
    "租户联合会关于冬季取暖费用上涨的集体谈判策略以及与房东代表会面的准备工作讨论",
    "تقرير لجنة الصيانة حول تسرب المياه في المبنى ج والخطوات التالية مع المالك والبلدية",
    "דיווח ועדת התחזוקה על דליפת המים בבניין ג והצעדים הבאים מול בעל הבית ומול העירייה",
    "Rent strike: next steps, legal advice from the Law Centre and the hardship fund for households",
    "Elections for the door team, the childcare rota and the press and social media working group",
    "Repairs: the boiler in block C, the broken lift in block A and mould in flats 12, 14 and 31",
    "Any other business, announcements from working groups and date of the next general assembly",
]
LONG_PROPOSAL = ("Ratify the agreement negotiated with the landlord's agent: rents frozen until 2028, "
                 "repairs within 14 days, and a joint inspection of every block by the end of March")


def long_meeting(group: Group, event_id: str, *, started: bool, rounds: int = 1) -> None:
    for title in LONG_ITEMS * rounds:
        group.meetings.add_item(event_id, title, minutes=10)
    for n in range(1, 13):
        group.meetings.append_minutes(
            event_id, f"{n}. Señora Núñez, محمد عبد الرحمن and 王小明 reported on the repairs in block C.")
    if started:
        group.meetings.advance(event_id)
        group.proposals.add(event_id, LONG_PROPOSAL, "consensus")


def open_projector(window: Any, qtbot: Any) -> Any:
    """F11 from the Meeting view, then the window the size of the hall's projector."""
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.isVisible()
    projector.showNormal()
    projector.resize(*PROJECTOR)
    qtbot.waitUntil(lambda: projector.size().toTuple() == PROJECTOR, timeout=2000)
    return projector


def assert_everything_fits(projector: Any) -> None:
    assert projector.size().toTuple() == PROJECTOR  # the long text did not make the window grow
    for label in projector.findChildren(QLabel):
        if not label.text():
            continue
        where = label.geometry()
        assert where.bottom() < PROJECTOR[1], f"{label.accessibleName()} runs off the bottom edge"
        needed = label.heightForWidth(where.width())
        assert needed <= where.height(), f"{label.accessibleName()} is cut: needs {needed} px, has {where.height()}"


def test_a_long_agenda_before_the_meeting_fits_a_1024x768_projector(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    group = window.group
    group.events.edit(event_id, title="General assembly of the Riverside and Northbank tenants' federation")
    long_meeting(group, event_id, started=False)
    projector = open_projector(window, qtbot)
    assert projector.agenda.text().splitlines()[-1].startswith("8. Any other business")  # all eight shown
    assert_everything_fits(projector)
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_an_agenda_too_long_for_the_wall_says_how_many_items_it_leaves_out(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    long_meeting(window.group, event_id, started=False, rounds=3)
    projector = open_projector(window, qtbot)
    shown = projector.agenda.text().splitlines()
    assert shown[0].startswith("1. Bienvenue, accueil des délégués")
    left_out = 24 - (len(shown) - 1)
    assert left_out > 0 and shown[-1] == f"… and {left_out} more"  # said, not cut off at the bottom edge
    assert_everything_fits(projector)
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_a_long_proposal_and_minutes_fit_a_1024x768_projector_in_whole_lines(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    long_meeting(window.group, event_id, started=True)
    projector = open_projector(window, qtbot)
    assert projector.item.text() == LONG_ITEMS[0]
    assert LONG_PROPOSAL in projector.tally.text()
    assert_everything_fits(projector)
    shown = projector.minutes.text().splitlines()
    assert shown and shown[-1].startswith("12. Señora Núñez")  # the newest line is on the wall
    assert projector.minutes.font().pixelSize() >= 20  # still readable from the back of the hall
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_an_agenda_of_500_items_is_cut_short_without_laying_it_out_500_times(meeting, qtbot: Any,
                                                                                monkeypatch: Any) -> None:
    """The projector refreshes every second: cutting a long agenda item by item laid out the
    whole agenda once per item left out (3 s a refresh at 500 items, the window frozen for good).
    It finds how many fit by halving, a few dozen layouts at most."""
    from organiser.ui import projector as projector_module

    window, event_id = meeting
    for n in range(500):
        window.group.meetings.add_item(event_id, f"Item {n}: repairs in block C")
    projector = open_projector(window, qtbot)
    layouts: list[QLabel] = []
    counted = projector_module._height

    def counting(label: QLabel, width: int) -> int:
        layouts.append(label)
        return counted(label, width)

    monkeypatch.setattr(projector_module, "_height", counting)
    projector.refresh()
    assert projector.agenda.text().splitlines()[-1].startswith("… and ")
    assert len(layouts) < 60, f"{len(layouts)} layouts for one refresh"
    assert_everything_fits(projector)
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_an_agenda_item_of_a_thousand_characters_fits_the_wall(meeting, qtbot: Any) -> None:
    """The longest title an item may have, current on a 1024x768 projector: it is shortened with
    '…' where even the smallest type cannot hold it, and nothing runs off the wall."""
    window, event_id = meeting
    title = ("Rent strike " + "and the repairs in block C " * 40)[:1000]
    window.group.meetings.add_item(event_id, title, minutes=10)
    window.group.meetings.add_item(event_id, "Any other business", minutes=5)
    window.group.meetings.advance(event_id)
    projector = open_projector(window, qtbot)
    assert projector.item.text().startswith("Rent strike and the repairs")
    assert_everything_fits(projector)
    qtbot.keyClick(projector, Qt.Key.Key_Escape)
