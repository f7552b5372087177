"""What a meeting produced, gathered for export (formats/minutes.py writes it)."""

from __future__ import annotations

from pathlib import Path

from organiser.formats.common import write_export
from organiser.formats.minutes import MinutesReport, ReportAction, ReportDecision, ReportItem, render
from organiser.services.events import Events
from organiser.services.meetings import Meetings
from organiser.services.proposals import Proposals


def build_report(group_name: str, events: Events, meetings: Meetings, proposals: Proposals,
                 event_id: str) -> MinutesReport:
    event = events.get(event_id)
    state = meetings.state(event_id)
    agenda = [ReportItem(i.title, meetings.member_name(i.presenter), i.minutes,
                         round(state.seconds_used(i) / 60), i.notes) for i in meetings.items(event_id)]
    decisions = []
    for proposal in proposals.list(event_id):
        shown = proposals.show(proposal.id)
        decisions.append(ReportDecision(
            shown["title"], shown["kind"], shown["status"], shown["outcome"], shown["tally"], shown["eligible"],
            shown["present"], shown["quorum_needed"], shown["quorum_met"], shown["blocks"], shown["stand_asides"]))
    actions = [ReportAction(t.title, meetings.member_name(t.assignee), t.due or "", t.status)
               for t in meetings.tasks(event_id)]
    when = event.start.replace("T", " ") + (f" – {event.end.replace('T', ' ')}" if event.end else "")
    return MinutesReport(
        group=group_name, title=event.title, when=when, location=event.location,
        attendees=[name for _id, name in meetings.attendees(event_id)], agenda=agenda,
        minutes=meetings.minutes_text(event_id), decisions=decisions, actions=actions)


def export_minutes(report: MinutesReport, fmt: str, out: Path | None = None) -> bytes:
    """The export's bytes; written to `out` (whole or not at all) when given."""
    data = render(report, fmt)
    if out is not None:
        write_export(out, data)
    return data
