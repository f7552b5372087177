"""`member`, `event` and `task` commands: add, list, show, edit, delete, RSVP, check-in."""

from __future__ import annotations

import argparse
from typing import Any

from organiser.cli.common import WHICH, add_json_flag, opened_group, print_fields, print_json, print_table, short
from organiser.core.errors import NotFoundError, ValidationError
from organiser.services.events import Event, meets_on_another_day
from organiser.services.forgetting import NOT_REACHED
from organiser.services.group import Group


def register(sub: argparse._SubParsersAction) -> None:
    _register_members(sub)
    _register_events(sub)
    _register_tasks(sub)


def _verbs(sub: argparse._SubParsersAction, noun: str, helptext: str) -> argparse._SubParsersAction:
    parser = sub.add_parser(noun, help=helptext, description=helptext)
    verbs = parser.add_subparsers(dest="verb", metavar="ACTION", required=True,
                                  parser_class=type(parser))
    return verbs


def _id_command(verbs: argparse._SubParsersAction, name: str, noun: str, handler: Any,
                helptext: str) -> argparse.ArgumentParser:
    p = verbs.add_parser(name, help=helptext, description=helptext)
    p.add_argument("id", metavar=noun.upper(), help=WHICH[noun])
    p.set_defaults(handler=handler)
    return p


# ---- members ----------------------------------------------------------------------------

def _member_fields(p: argparse.ArgumentParser, creating: bool) -> None:
    p.add_argument("--name", required=creating, help="display name")
    p.add_argument("--email", action="append", metavar="E", help="email address (repeat for several)")
    p.add_argument("--phone", action="append", metavar="P", help="phone number (repeat for several)")
    p.add_argument("--role", action="append", metavar="R", help="role or working group (repeat)")
    p.add_argument("--skill", action="append", metavar="S", help="skill (repeat)")
    p.add_argument("--notes", help="free-text notes")
    p.add_argument("--consent-email", choices=("yes", "no"), help="may the group contact them by email")
    p.add_argument("--consent-phone", choices=("yes", "no"), help="may the group contact them by phone")
    p.add_argument("--consent-date", metavar="DATE", help="when consent was given (YYYY-MM-DD)")
    p.add_argument("--joined", metavar="DATE", help="when they joined (YYYY-MM-DD)")
    for option, helptext in NAME_PARTS.items():
        p.add_argument(f"--{option.replace('_', '-')}", dest=option, metavar="TEXT", help=helptext)
    p.add_argument("--phone-type", action="append", metavar="PHONE=TYPES",
                   help="types of one phone, e.g. '+44 7700 900123=cell,pref' (repeat; replaces all phone types)")
    p.add_argument("--email-type", action="append", metavar="EMAIL=TYPES",
                   help="types of one email, e.g. 'ana@example.org=work' (repeat; replaces all email types)")
    add_json_flag(p, "the member")


# The structured name, beside the display name (vCard's N; sorting by surname).
NAME_PARTS = {"family_name": "family name(s), e.g. 'Ñúñez García'", "given_name": "given name(s)",
              "additional_names": "additional (middle) names", "name_prefix": "honorific prefix, e.g. 'Dr.'",
              "name_suffix": "honorific suffix, e.g. 'Jr.'"}


def _types(pairs: list[str], option: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        value, sep, types = pair.rpartition("=")
        if not sep or not value.strip():
            raise ValidationError(option, f"--{option}: write it as VALUE=TYPES, e.g. '+44 7700 900123=cell,pref' "
                                  f"(got '{pair}').")
        out[value.strip()] = types.split(",")
    return out


def _member_values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    pairs = {"emails": args.email, "phones": args.phone, "notes": args.notes,
             "consent_email": args.consent_email, "consent_phone": args.consent_phone,
             "consent_date": args.consent_date, "joined": args.joined}
    for key, value in pairs.items():
        if value is not None:
            values[key] = value
    for key in NAME_PARTS:
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    if args.phone_type is not None:
        values["phone_types"] = _types(args.phone_type, "phone-type")
    if args.email_type is not None:
        values["email_types"] = _types(args.email_type, "email-type")
    if args.name is not None:
        values["name"] = args.name
    if args.role is not None:
        values["roles"] = args.role
    if args.skill is not None:
        values["skills"] = args.skill
    return values


def _register_members(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "member", "the member directory")
    p = verbs.add_parser("add", help="add a member", description="Add a member; prints the new id.")
    _member_fields(p, creating=True)
    p.set_defaults(handler=member_add)
    p = verbs.add_parser("list", help="list members", description="List members, optionally searching.")
    p.add_argument("--search", metavar="TEXT", help="full-text search (name, email, phone, notes, roles)")
    p.add_argument("--role", metavar="R", help="only members with this role or working group")
    add_json_flag(p, "the members")
    p.set_defaults(handler=member_list)
    p = _id_command(verbs, "show", "member", member_show, "show one member")
    add_json_flag(p, "the member")
    p = _id_command(verbs, "edit", "member", member_edit,
                    "change a member (options as for add; --email/--role/--skill replace the list)")
    _member_fields(p, creating=False)
    _id_command(verbs, "delete", "member", member_delete, "delete a member")
    p = verbs.add_parser(
        "forget", help="erase a member everywhere (admins only)",
        description="Erase a member, their roles and skills from every laptop of the group: the change log, "
                    "the records, the search index and the conflicts kept (docs/erasure.md). "
                    f"{NOT_REACHED}")
    p.add_argument("member", metavar="MEMBER", help="the member: their whole name (case and accents aside), or "
                   "their id (or its first characters); members deleted already too")
    p.add_argument("--yes", action="store_true", help="forget without asking to confirm")
    p.set_defaults(handler=member_forget)


def member_add(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        values = _member_values(args)
        member = group.members.add(values.pop("name"), **values)
        print_json(member.to_json()) if args.json else print(member.id)
    return 0


def member_list(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        members = group.members.list(args.search, role=args.role)
        if args.json:
            print_json([m.to_json() for m in members])
        else:
            print_table([(short(m.id), m.name, m.emails, m.phones, m.roles) for m in members],
                        ["id", "name", "email", "phone", "roles"])
    return 0


def member_show(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        member = group.members.get(group.members.resolve_id(args.id))
        print_json(member.to_json()) if args.json else print_fields(member.to_json())
    return 0


def member_edit(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        member = group.members.edit(group.members.resolve_id(args.id), **_member_values(args))
        print_json(member.to_json()) if args.json else print(f"Updated {member.name} ({member.id}).")
    return 0


def member_delete(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        member_id = group.members.resolve_id(args.id)
        name = group.members.get(member_id).name
        group.members.delete(member_id)
        print(f"Deleted {name} ({member_id}).")
    return 0


def member_forget(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        member_id, name = group.forgetting.find(args.member)
        if not args.yes and not _confirmed(name, member_id, len(group.forgetting.what_goes(member_id)) - 1):
            print("Nothing was forgotten.")
            return 1
        done = group.forgetting.forget(member_id)
        print(f"Forgot {name} ({member_id}): {done.changesets} change(s) erased here, and ordered on every laptop "
              f"of the group as it hears. {NOT_REACHED}")
    return 0


def _confirmed(name: str, member_id: str, traits: int) -> bool:
    from organiser.cli.main import CliError

    print(f"This erases {name} ({member_id}), their details and {traits} role(s) and skill(s), from this laptop "
          f"and from every laptop of the group as it hears, for good. {NOT_REACHED}")
    try:
        answer = input("Type 'forget' to go on: ")
    except EOFError:
        raise CliError("nothing was forgotten: no answer was typed (add --yes to forget without being asked).") \
            from None
    return answer.strip().lower() == "forget"


# ---- events -----------------------------------------------------------------------------

def _event_fields(p: argparse.ArgumentParser, creating: bool) -> None:
    p.add_argument("--title", required=creating, help="what the event is called")
    p.add_argument("--start", required=creating, metavar="ISO", help="start, e.g. 2026-12-03T19:00")
    p.add_argument("--end", metavar="ISO", help="end, e.g. 2026-12-03T21:00")
    p.add_argument("--tz", metavar="AREA/CITY", help="IANA time zone (default: this computer's)")
    p.add_argument("--location", metavar="L", help="where it happens")
    p.add_argument("--capacity", metavar="N", help="how many people fit")
    p.add_argument("--description", metavar="TEXT", help="details for people coming")
    if not creating:
        p.add_argument("--status", choices=("scheduled", "cancelled"), help="cancel or reinstate the event")
    add_json_flag(p, "the event")


def _event_values(args: argparse.Namespace) -> dict[str, Any]:
    names = ("title", "start", "end", "tz", "location", "capacity", "description", "status")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _register_events(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "event", "events, RSVPs and door check-in")
    p = verbs.add_parser("add", help="add an event", description="Add an event; prints the new id.")
    _event_fields(p, creating=True)
    p.set_defaults(handler=event_add)
    p = verbs.add_parser("list", help="list events", description="List events by start time.")
    p.add_argument("--search", metavar="TEXT", help="full-text search (title, description, location), then "
                   "the meetings whose minutes, agenda or proposals say every word")
    p.add_argument("--upcoming", action="store_true", help="only events that have not ended")
    add_json_flag(p, "the events")
    p.set_defaults(handler=event_list)
    p = _id_command(verbs, "show", "event", event_show, "show one event with its RSVPs and attendance")
    add_json_flag(p, "the event")
    p = _id_command(verbs, "edit", "event", event_edit, "change an event (options as for add)")
    _event_fields(p, creating=False)
    _id_command(verbs, "delete", "event", event_delete, "delete an event")
    p = verbs.add_parser("rsvp", help="record a member's answer", description="Record whether a member comes.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("member", metavar="MEMBER", help=WHICH["member"])
    p.add_argument("answer", choices=("yes", "no", "maybe"), help="whether they come")
    p.set_defaults(handler=event_rsvp)
    p = verbs.add_parser("checkin", help="check a member in at the door",
                         description="Check a member in at the door (now).")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("member", metavar="MEMBER", help=WHICH["member"])
    p.add_argument("--undo", action="store_true", help="take the check-in back")
    p.set_defaults(handler=event_checkin)


def event_add(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        values = _event_values(args)
        event = group.events.add(values.pop("title"), values.pop("start"), **values)
        print_json(event.to_json()) if args.json else print(event.id)
    return 0


def event_list(args: argparse.Namespace) -> int:
    from organiser.services.clock import now_local_iso

    with opened_group(args) as group:
        events = group.events.list(args.search, upcoming_from=now_local_iso() if args.upcoming else None)
        if args.json:
            print_json([e.to_json() for e in events])
        else:
            print_table([(short(e.id), e.start, e.title, e.location, e.status) for e in events],
                        ["id", "start", "title", "location", "status"])
    return 0


def event_show(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        event = group.events.get(group.events.resolve_id(args.id))
        rsvps = group.events.rsvps(event.id)
        attendance = group.events.attendance(event.id)
        if args.json:
            print_json({**event.to_json(), "rsvps": [r.to_json() for r in rsvps],
                        "checked_in": attendance.checked_in})
            return 0
        print_fields(event.to_json())
        cap = f" of {attendance.capacity}" if attendance.capacity is not None else ""
        print(f"\nchecked in: {attendance.checked_in}{cap}; yes {attendance.yes}, "
              f"maybe {attendance.maybe}, no {attendance.no}")
    return 0


def event_edit(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        event = group.events.edit(group.events.resolve_id(args.id), **_event_values(args))
        print_json(event.to_json()) if args.json else print(f"Updated {event.title} ({event.id}).")
    return 0


def event_delete(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        event_id = group.events.resolve_id(args.id)
        title = group.events.get(event_id).title
        group.events.delete(event_id)
        print(f"Deleted {title} ({event_id}).")
    return 0


def event_rsvp(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        event_id = group.events.resolve_id(args.event)
        member_id = group.members.resolve_id(args.member)
        group.events.rsvp(event_id, member_id, args.answer)
        print(f"{group.members.get(member_id).name}: {args.answer}")
    return 0


def event_checkin(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        event_id = group.events.resolve_id(args.event)
        member_id = group.members.resolve_id(args.member)
        arrived = group.events.rsvp_of(event_id, member_id).checked_in_at
        if args.undo:
            group.events.undo_checkin(event_id, member_id)
        else:
            group.events.checkin(event_id, member_id)
        att = group.events.attendance(event_id)
        cap = f"/{att.capacity}" if att.capacity is not None else ""
        name = group.members.get(member_id).name
        if args.undo:
            print(f"check-in taken back for {name} ({att.checked_in}{cap} in the room)")
        elif arrived:  # the first time stays
            print(f"{name} was already checked in at {arrived[11:16]} ({att.checked_in}{cap} in the room)")
        else:
            print(f"checked in {name} ({att.checked_in}{cap} in the room)")
        if not args.undo:
            _say_if_another_day(group.events.get(event_id))
    return 0


def _say_if_another_day(event: Event) -> None:
    """A check-in on a day the event does not meet is written all the same (a host may record
    arrivals after the evening), and said on stderr: the host may have picked the wrong event."""
    import sys

    from organiser.services.clock import today

    day = meets_on_another_day(event, today())
    if day is not None:
        print(f"organiser: note: {event.title} is on {day:%A %-d %B %Y}, not today; the check-in is recorded "
              "with today's time ('--undo' takes it back).", file=sys.stderr)


# ---- tasks ------------------------------------------------------------------------------

def _task_fields(p: argparse.ArgumentParser, creating: bool) -> None:
    p.add_argument("--title", required=creating, help="what needs doing")
    p.add_argument("--description", metavar="TEXT", help="details")
    p.add_argument("--assignee", metavar="MEMBER", help="the member who does it: their name or id")
    p.add_argument("--due", metavar="DATE", help="due date, YYYY-MM-DD")
    p.add_argument("--status", choices=("todo", "doing", "done"), help="where the task stands")
    p.add_argument("--priority", metavar="N", help="higher is more urgent")
    p.add_argument("--event", metavar="EVENT", help="the event this task belongs to: its title or id")
    add_json_flag(p, "the task")


def _task_values(args: argparse.Namespace, group: Group) -> dict[str, Any]:
    names = ("title", "description", "assignee", "due", "status", "priority", "event")
    values = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    # Names and short ids become ids; one that names no record, or several, is refused naming the flag.
    for field, kind in (("assignee", "member"), ("event", "event")):
        if values.get(field):
            try:
                values[field] = group.tasks.resolve_id(values[field], kind)
            except NotFoundError as exc:
                raise ValidationError(field, f"{field}: {exc}") from None
    return values


def _register_tasks(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "task", "tasks and action items")
    p = verbs.add_parser("add", help="add a task", description="Add a task; prints the new id.")
    _task_fields(p, creating=True)
    p.set_defaults(handler=task_add)
    p = verbs.add_parser("list", help="list tasks", description="List tasks, optionally filtered.")
    p.add_argument("--search", metavar="TEXT", help="full-text search (title, description)")
    p.add_argument("--status", choices=("todo", "doing", "done"), help="only tasks with this status")
    p.add_argument("--assignee", metavar="MEMBER", help="only tasks of this member (name or id)")
    p.add_argument("--event", metavar="EVENT", help="only tasks of this event (title or id)")
    add_json_flag(p, "the tasks")
    p.set_defaults(handler=task_list)
    p = _id_command(verbs, "show", "task", task_show, "show one task")
    add_json_flag(p, "the task")
    p = _id_command(verbs, "edit", "task", task_edit, "change a task (options as for add)")
    _task_fields(p, creating=False)
    _id_command(verbs, "delete", "task", task_delete, "delete a task")


def task_add(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        values = _task_values(args, group)
        task = group.tasks.add(values.pop("title"), **values)
        print_json(task.to_json()) if args.json else print(task.id)
    return 0


def task_list(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        assignee = group.members.resolve_id(args.assignee) if args.assignee else None
        event = group.events.resolve_id(args.event) if args.event else None
        tasks = group.tasks.list(args.search, status=args.status, assignee=assignee, event=event)
        if args.json:
            print_json([t.to_json() for t in tasks])
        else:
            names = group.members.names_of({t.assignee for t in tasks if t.assignee})
            print_table([(short(t.id), t.status, t.due, t.title, names.get(t.assignee or "", short(t.assignee)))
                         for t in tasks], ["id", "status", "due", "title", "assignee"])
    return 0


def task_show(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        task = group.tasks.get(group.tasks.resolve_id(args.id))
        print_json(task.to_json()) if args.json else print_fields(task.to_json())
    return 0


def task_edit(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        task = group.tasks.edit(group.tasks.resolve_id(args.id), **_task_values(args, group))
        print_json(task.to_json()) if args.json else print(f"Updated {task.title} ({task.id}).")
    return 0


def task_delete(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        task_id = group.tasks.resolve_id(args.id)
        title = group.tasks.get(task_id).title
        group.tasks.delete(task_id)
        print(f"Deleted {title} ({task_id}).")
    return 0

