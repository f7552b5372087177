"""What a meeting produced, gathered for export (formats/minutes.py writes it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from organiser.formats.minutes import MinutesReport, ReportAction, ReportDecision, ReportItem, render
from organiser.services import clock
from organiser.services.events import Event, Events
from organiser.services.meetings import Meetings
from organiser.services.proposals import Proposals


def build_report(group_name: str, events: Events, meetings: Meetings, proposals: Proposals,
                 event_id: str) -> MinutesReport:
    event = events.get(event_id)
    state = meetings.state(event_id)
    until = _clock_stopped(event)
    agenda = [ReportItem(i.title, meetings.member_name(i.presenter), i.minutes,
                         round(state.seconds_used(i, until) / 60), i.notes) for i in meetings.items(event_id)]
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


def _clock_stopped(event: Event) -> datetime | None:
    """When the item being discussed stopped counting: the event's end once it is over (a meeting
    left on an item, nobody pressing Next, is exported months later with the time it had), else
    None (now). The end is wall-clock time in the event's zone, or this laptop's."""
    if not event.end:
        return None
    end = datetime.fromisoformat(event.end)
    if end.tzinfo is None:
        end = end.replace(tzinfo=ZoneInfo(event.tz)) if event.tz else end.astimezone()
    return end if end < clock.now().astimezone() else None


def export_minutes(report: MinutesReport, fmt: str, out: Path | None = None) -> bytes:
    """The export's bytes; written to `out` (whole or not at all) when given."""
    data = render(report, fmt)
    if out is not None:
        partial = out.with_name(out.name + ".part")
        partial.write_bytes(data)
        partial.replace(out)
    return data
