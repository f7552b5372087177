"""What a meeting produced, gathered for export (formats/minutes.py writes it)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from organiser.formats.common import write_export
from organiser.formats.minutes import MinutesReport, ReportAction, ReportDecision, ReportItem, render
from organiser.services.events import Event, Events
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
    actions = [ReportAction(t.title, meetings.member_name(t.assignee), _day_words(t.due or ""), t.status)
               for t in meetings.tasks(event_id)]
    when = when_words(event)
    return MinutesReport(
        group=group_name, title=event.title, when=when, location=event.location,
        attendees=[name for _id, name in meetings.attendees(event_id)], agenda=agenda,
        minutes=meetings.minutes_text(event_id), decisions=decisions, actions=actions)


def when_words(event: Event) -> str:
    """When the meeting was, as minutes say it: 'Thursday 3 December 2026, 19:00–21:00'."""
    start = event.start_dt
    day = f"{start:%A %-d %B %Y}"
    if event.all_day:
        return day
    if not event.end:
        return f"{day}, {start:%H:%M}"
    end = datetime.fromisoformat(event.end).replace(tzinfo=None)
    if end.date() == start.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} to {end:%A %-d %B %Y}, {end:%H:%M}"


def _day_words(iso: str) -> str:
    """A due date as '10 December 2026'; one that is not a date (written before dates were checked) as it is."""
    try:
        return f"{date.fromisoformat(iso):%-d %B %Y}"
    except ValueError:
        return iso


def export_minutes(report: MinutesReport, fmt: str, out: Path | None = None) -> bytes:
    """The export's bytes; written to `out` (whole or not at all) when given."""
    data = render(report, fmt)
    if out is not None:
        write_export(out, data)
    return data
