"""A realistic demo group: people with roles and consent, upcoming meetings with RSVPs and
check-ins, tasks across the board. Also fills big groups for benchmarks, in batches."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from organiser.core.bus import EventBus
from organiser.core.records import RSVP, identity_id
from organiser.services import clock
from organiser.services.clock import local_tz_name
from organiser.services.group import Group, create_group
from organiser.store.replica import LocalOp

FIRST = ("Amira", "Ben", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hamza", "Ines", "Jonas",
         "Kofi", "Lena", "Marta", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tamsin",
         "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia", "Aoife", "Bilal", "Carmen", "Dara",
         "Elif", "Finn", "Gülşen", "Hugo", "Ilse", "Jamal", "Kasia", "Luca", "Mei", "Noor")
LAST = ("Okafor", "Bauer", "Martin", "Novak", "Haddad", "Silva", "Kowalski", "Nguyen", "Schmidt",
        "Rossi", "Dubois", "Yilmaz", "Petrov", "Murphy", "García", "Lindqvist", "Mensah", "Costa",
        "Brennan", "Sato", "Fischer", "Ahmed", "Kovač", "Moreau", "O'Neill", "Janssen", "Horvat",
        "Ibrahim", "Walsh", "Berg")
ROLES = ("facilitator", "treasurer", "note taker", "door", "spokesperson", "first aid")
WORKING_GROUPS = ("working group: Housing", "working group: Outreach", "working group: Legal",
                  "working group: Events", "working group: Childcare")
SKILLS = ("translation (Arabic)", "translation (Polish)", "graphic design", "driving licence",
          "first aid", "sound system", "cooking for crowds", "spreadsheets", "photography",
          "legal advice", "carpentry", "social media")
PLACES = ("Community hall, Mill Street 4", "Library meeting room", "Café Solidarité",
          "Riverside park (by the bandstand)", "Union office, 2nd floor", "Online (link in notes)")
EVENT_TITLES = ("General assembly", "Housing working group", "Tenant rights workshop",
                "Outreach: door knocking", "Banner painting", "Legal clinic", "Welcome evening",
                "Rent strike planning", "Community dinner", "Childcare rota meeting",
                "Press conference prep", "Film night: 'Push'", "Repair café")
TASKS = ("Book the hall", "Print 200 flyers", "Write the newsletter", "Order banner paint",
         "Call the housing lawyer", "Update the contact list", "Translate leaflet to Polish",
         "Organise childcare", "Bring the sound system", "Collect membership dues",
         "Draft press release", "Set up the sign-up table", "Buy food for dinner",
         "Post on social media", "Minutes of last assembly", "Check fire exits",
         "Ask council for a meeting", "Repair the megaphone", "Find volunteers for the door",
         "Prepare the welcome pack")
NOTES = ("", "", "Prefers Signal over email.", "Lives in block C, flat 12.", "Can host meetings.",
         "Speaks Arabic and French.", "Available weekends only.", "Joined after the March rent rise.")


@dataclass(frozen=True)
class DemoSize:
    members: int = 48
    events: int = 14
    tasks: int = 36


Progress = Callable[[int, int], None]


def create_demo_group(data_dir: Path, device_name: str = "this laptop", *, bus: EventBus | None = None,
                      size: DemoSize | None = None, seed: int = 7, now: datetime | None = None,
                      progress: Progress | None = None) -> Group:
    """A new group called 'Riverside Tenants Union (demo)', filled with sample data."""
    group = create_group(data_dir, "Riverside Tenants Union (demo)", device_name, bus=bus)
    meeting_now = populate(group, size or DemoSize(), seed=seed, now=now, progress=progress)
    if meeting_now is not None:
        add_sample_meeting(group, meeting_now, seed=seed)
    return group


def _member_values(rng: random.Random, n: int, today: date) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {last}"
    handle = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    consent = rng.random() < 0.8
    joined = today - timedelta(days=rng.randint(10, 1500))
    roles = rng.sample(ROLES, k=rng.choice((0, 0, 1, 1, 2)))
    roles += rng.sample(WORKING_GROUPS, k=rng.choice((0, 1, 1, 2)))
    return {
        "name": name,
        "emails": [f"{_ascii(handle)}{n}@example.org"] if rng.random() < 0.9 else [],
        "phones": [f"+44 7700 9{n % 100000:05d}"] if rng.random() < 0.6 else [],
        "notes": rng.choice(NOTES),
        "consent_email": consent,
        "consent_phone": consent and rng.random() < 0.6,
        "consent_date": (joined + timedelta(days=rng.randint(0, 30))).isoformat() if consent else None,
        "joined": joined.isoformat(),
        "roles": roles,
        "skills": rng.sample(SKILLS, k=rng.choice((0, 1, 1, 2, 3))),
    }


def _ascii(text: str) -> str:
    table = str.maketrans("éüşčćáíóöğ", "eusccaioog")
    return text.translate(table)


def _event_values(rng: random.Random, i: int, count: int, now: datetime, tz: str) -> dict:
    # Spread over the next weeks, a few in the past, at evening or weekend times.
    day = now.date() + timedelta(days=int((i - count * 0.15) * 45 / max(count, 1)) + rng.randint(0, 2))
    hour = rng.choice((10, 14, 18, 18, 19, 19))
    start = datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=rng.choice((0, 30)))
    title = EVENT_TITLES[i % len(EVENT_TITLES)]
    return {
        "title": title,
        "start": start.isoformat(timespec="minutes"),
        "end": (start + timedelta(hours=rng.choice((1, 2, 2, 3)))).isoformat(timespec="minutes"),
        "tz": tz,
        "location": rng.choice(PLACES),
        "capacity": rng.choice((None, 20, 30, 40, 60, 120)),
        "description": f"{title} of the Riverside Tenants Union. Bring a friend; "
                       "step-free access through the side door.",
        "status": "cancelled" if rng.random() < 0.05 else "scheduled",
    }


def _task_values(rng: random.Random, members: Sequence[str], events: Sequence[str], today: date) -> dict:
    values: dict = {
        "title": rng.choice(TASKS),
        "status": rng.choice(("todo", "todo", "doing", "done")),
        "priority": rng.choice((0, 0, 1, 2)),
    }
    if members and rng.random() < 0.75:
        values["assignee"] = rng.choice(members)
    if rng.random() < 0.7:
        values["due"] = (today + timedelta(days=rng.randint(-5, 40))).isoformat()
    if events and rng.random() < 0.5:
        values["event"] = rng.choice(events)
    return values


def populate(group: Group, size: DemoSize, *, seed: int = 7, now: datetime | None = None,
             batch: int = 2000, progress: Progress | None = None, rsvps_per_event: int = 12) -> str | None:
    """Fill a group with sample data in batches of `batch` changesets (one transaction each).
    Returns the id of the general assembly that is on now (None without events)."""
    rng = random.Random(seed)
    now = now or clock.now().replace(second=0, microsecond=0)
    tz = local_tz_name()
    total = size.members + size.events + size.tasks
    done = 0

    def write(groups: list[list[LocalOp]]) -> None:
        nonlocal done
        for start in range(0, len(groups), batch):
            group.replica.commit_batch(groups[start:start + batch])
            done = min(total, done + len(groups[start:start + batch]))
            if progress:
                progress(done, total)

    member_ids: list[str] = []
    ops: list[list[LocalOp]] = []
    for n in range(size.members):
        rid, member_ops = group.members.build_add(_member_values(rng, n, now.date()))
        member_ids.append(rid)
        ops.append(member_ops)
    event_ids: list[str] = []
    today = int(size.events * 0.15)
    on_now: str | None = None
    for i in range(size.events):
        values = _event_values(rng, i, size.events, now, tz)
        if i == today:  # one meeting is on now, so the door check-in has people arriving
            start = now - timedelta(minutes=40)
            values.update(title="General assembly", start=start.isoformat(timespec="minutes"),
                          end=(start + timedelta(hours=2)).isoformat(timespec="minutes"), capacity=60,
                          status="scheduled", location=PLACES[0],
                          description="Monthly general assembly: rent strike update, repairs, elections "
                                      "for the door team. Step-free access through the side door.")
        rid, event_ops = group.events.build_add(values)
        if i == today:
            on_now = rid
        event_ids.append(rid)
        ops.append(event_ops)
    write(ops)

    ops = [group.tasks.build_add(_task_values(rng, member_ids, event_ids, now.date()))[1]
           for _ in range(size.tasks)]
    ops += _rsvp_ops(rng, group, event_ids, member_ids, now, rsvps_per_event)
    write(ops)
    return on_now


def _rsvp_ops(rng: random.Random, group: Group, events: Sequence[str], members: Sequence[str],
              now: datetime, per_event: int) -> list[list[LocalOp]]:
    out: list[list[LocalOp]] = []
    if not members:
        return out
    for event_id in events:
        event = group.events.get(event_id)
        started = event.start_dt <= now
        for member_id in rng.sample(list(members), k=min(per_event, len(members))):
            rid = identity_id(RSVP, {"event": event_id, "member": member_id})
            answer = rng.choice(("yes", "yes", "yes", "maybe", "no"))
            rsvp = [LocalOp("rsvp", rid, "event", event_id), LocalOp("rsvp", rid, "member", member_id),
                    LocalOp("rsvp", rid, "answer", answer), LocalOp("rsvp", rid, "checked_in_at", None)]
            if started and answer != "no" and rng.random() < 0.7:
                rsvp[-1] = LocalOp("rsvp", rid, "checked_in_at",
                                   event.start_dt.replace(minute=rng.randint(0, 20)).isoformat(timespec="minutes"))
            out.append(rsvp)
    return out


AGENDA = (("Welcome, check-in and who takes minutes", 5), ("Rent strike update", 20),
          ("Repairs: the boiler in block C", 15), ("Elections for the door team", 15),
          ("Any other business", 10))
MINUTES = (
    "Welcome: the facilitator opened the assembly; the minutes are written together on the laptops "
    "in the room.",
    "Rent strike update: 41 households in blocks A to C have signed the pledge, 9 short of the 50 we "
    "agreed to start with. The legal working group has checked the letter to the landlord.",
    "Concern raised: households with children need the childcare rota confirmed before any action.",
)


def add_sample_meeting(group: Group, event: str, *, seed: int = 7) -> None:
    """Give the meeting that is on now an agenda (two items done, the third current), minutes,
    an open proposal with votes of those checked in, and an action item: meeting mode at once."""
    rng = random.Random(seed)
    people = [member for member, _name in group.meetings.attendees(event)]
    if not people:
        return
    items = [group.meetings.add_item(event, title, minutes=box, presenter=rng.choice(people)).id
             for title, box in AGENDA]
    for _ in range(2):  # the welcome is over, the rent strike update is being discussed
        group.meetings.advance(event)
    group.meetings.edit_item(items[0], used_seconds=6 * 60)  # it ran a minute over its box
    for paragraph in MINUTES:
        group.meetings.append_minutes(event, paragraph)
    proposal = group.proposals.add(
        event, "Start the rent strike on 1 January if 50 households have signed by then", "consensus",
        details="Letter to the landlord on 2 December; the strike fund covers legal costs.",
        quorum=str(min(5, len(people))), agenda_item=items[1])
    answers = ("agree", "agree", "agree", "abstain", "agree", "disagree")
    for member, answer in zip(people[:-1], answers * len(people), strict=False):  # one is still deciding
        group.proposals.vote(proposal.id, member, answer)
    due = (clock.now().date() + timedelta(days=6)).isoformat()
    group.meetings.make_task(event, "Send the letter to the landlord", assignee=people[0], due=due,
                             item=items[1], description="As checked by the legal working group.")


__all__ = ["DemoSize", "add_sample_meeting", "create_demo_group", "populate"]
