"""Screenshots of the meeting view and the projector, offscreen:
python -m tests.ui.make_meeting_screenshots docs/screenshots"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from organiser.services.demo import DemoSize, populate  # noqa: E402
from organiser.services.group import Group, create_group  # noqa: E402

MINUTES = ["Welcome: 9 people checked in, apologies from Kai.",
           "Rent strike: 40 households ready to withhold rent. ✊",
           "Señora Núñez: the landlord has not answered the letter of 12 November.",
           "Proposal to withhold rent from 1 March; one block (repairs first)."]


def sample_meeting(folder: Path) -> tuple[Group, str]:
    group = create_group(folder, "Tenants Union", "projector laptop")
    populate(group, DemoSize(members=30, events=8, tasks=20), now=datetime(2026, 11, 26, 12), seed=3)
    event = group.events.add("General assembly", "2026-12-03T19:00", location="Church hall").id
    people = [m.id for m in group.members.list()[:12]]
    for person in people[:9]:
        group.events.checkin(event, person)
    group.meetings.add_item(event, "Welcome and check-in", minutes=5, presenter=people[0])
    rent = group.meetings.add_item(event, "Rent strike: next steps", minutes=20, presenter=people[1])
    group.meetings.add_item(event, "Community garden", minutes=15)
    group.meetings.add_item(event, "Any other business", minutes=10)
    group.meetings.advance(event)
    group.meetings.advance(event)
    proposal = group.proposals.add(event, "Withhold rent from 1 March", "consensus", quorum="30%")
    answers = ["agree", "agree", "agree", "abstain", "agree", "block"]
    for person, answer in zip(people[:6], answers, strict=True):
        group.proposals.vote(proposal.id, person, answer)
    for line in MINUTES:
        group.meetings.append_minutes(event, line)
    group.meetings.make_task(event, "Write to the landlord again", assignee=people[1], due="2026-12-10",
                             item=rent.id)
    return group, event


def main(out: Path) -> None:
    from organiser.ui.main_window import MainWindow
    from organiser.ui.projector import ProjectorView
    from organiser.ui.settings import UiSettings

    app = QApplication.instance() or QApplication(sys.argv)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp())
    group, event = sample_meeting(folder / "data")
    for width, height in ((1920, 1080), (1280, 720)):
        projector = ProjectorView(group, None, event)
        projector.resize(width, height)
        projector.show()
        app.processEvents()
        projector.grab().save(str(out / f"projector-{width}x{height}.png"))
        projector.close()
    window = MainWindow(group, None, settings=UiSettings(folder / "ui"))
    window.setWindowState(Qt.WindowState.WindowNoState)  # a first start maximises on the small offscreen screen
    window.resize(1280, 800)
    window.show()
    window.events_view.select(event)
    window.switch_to("meeting")
    window.meeting_view.decisions.proposal_view.setCurrentIndex(window.meeting_view.decisions.proposals.index(0))
    for _ in range(5):  # the rows of buttons wrap in a layout pass after the one that sized them
        app.processEvents()
    window.grab().save(str(out / "meeting-1280x800.png"))
    window.close()
    group.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
