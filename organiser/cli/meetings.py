"""Meeting commands: `agenda`, `minutes`, `proposal` and `vote` (docs/meetings.md).

An id that names nothing is bad input here (exit 2), like any other argument that is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from organiser.cli.common import WHICH, add_json_flag, opened_group, print_json, print_table, short
from organiser.core.errors import NotFoundError
from organiser.core.meeting_rules import MAX_MINUTES_APPEND
from organiser.core.words import plural
from organiser.formats.minutes import EXPORT_FORMATS
from organiser.services.group import Group
from organiser.services.meeting_report import build_report, export_minutes


@contextmanager
def _group(args: argparse.Namespace) -> Iterator[Group]:
    from organiser.cli.main import CliError

    with opened_group(args) as group:
        try:
            yield group
        except NotFoundError as exc:  # an id typed wrong: bad input, one sentence
            raise CliError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    _register_agenda(sub)
    _register_minutes(sub)
    _register_proposals(sub)
    p = sub.add_parser("vote", help="record a member's vote on a proposal",
                       description="Record (or change) a member's answer to an open proposal.")
    p.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id (or its first characters)")
    p.add_argument("member", metavar="MEMBER", help=WHICH["member"])
    p.add_argument("option", metavar="OPTION", help="the answer: consent/objection, agree/abstain/disagree/block, "
                   "an option of a vote, or at a show of hands 'block' or 'stand aside'")
    add_json_flag(p, "the tally")
    p.set_defaults(handler=vote)


def _verbs(sub: argparse._SubParsersAction, noun: str, helptext: str) -> argparse._SubParsersAction:
    parser = sub.add_parser(noun, help=helptext, description=helptext)
    return parser.add_subparsers(dest="verb", metavar="ACTION", required=True, parser_class=type(parser))


# ---- agenda -------------------------------------------------------------------------------

def _register_agenda(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "agenda", "an event's agenda")
    p = verbs.add_parser("add", help="add an item at the end of the agenda", description="Add an agenda item.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("--title", required=True, help="what the item is about")
    p.add_argument("--minutes", metavar="N", help="its time box, in minutes")
    p.add_argument("--presenter", metavar="MEMBER", help="who presents it: a member's name or id")
    p.add_argument("--notes", default="", help="notes for the item")
    p.set_defaults(handler=agenda_add)
    p = verbs.add_parser("list", help="the agenda in order", description="List the agenda, in order.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    add_json_flag(p, "the agenda")
    p.set_defaults(handler=agenda_list)
    p = verbs.add_parser("next", help="make the next item current",
                         description="Advance the running meeting to the next agenda item (or to --item).")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("--item", metavar="ITEM", help="the item to make current instead of the next one")
    p.set_defaults(handler=agenda_next)
    p = verbs.add_parser("edit", help="rename an item or change its time box",
                         description="Change an agenda item: its title, time box, presenter or notes.")
    p.add_argument("id", metavar="ITEM", help="the item's id (or its first characters), as agenda list shows it")
    p.add_argument("--title", help="what the item is about")
    p.add_argument("--minutes", metavar="N", help="its time box, in minutes (1-1440)")
    p.add_argument("--presenter", metavar="MEMBER", help="who presents it: a member's name or id")
    p.add_argument("--notes", help="notes for the item")
    add_json_flag(p, "the item")
    p.set_defaults(handler=agenda_edit)
    p = verbs.add_parser("delete", help="remove an item from the agenda",
                         description="Remove an agenda item, on every laptop of the group. Proposals, votes "
                                     "and tasks made under it stay with the meeting; when it is the item being "
                                     "discussed, the meeting moves on to the next.")
    p.add_argument("id", metavar="ITEM", help="the item's id (or its first characters), as agenda list shows it")
    p.set_defaults(handler=agenda_delete)


def agenda_add(args: argparse.Namespace) -> int:
    with _group(args) as group:
        event = group.events.resolve_id(args.event)
        presenter = group.members.resolve_id(args.presenter) if args.presenter else None
        item = group.meetings.add_item(event, args.title, minutes=args.minutes, presenter=presenter,
                                       notes=args.notes)
        print(item.id)
    return 0


def agenda_list(args: argparse.Namespace) -> int:
    with _group(args) as group:
        event = group.events.resolve_id(args.event)
        state = group.meetings.state(event)
        items = group.meetings.items(event)
        rows = [{**i.to_json(), "presenter_name": group.meetings.member_name(i.presenter),
                 "current": i.id == state.current_item, "seconds_used": state.seconds_used(i)} for i in items]
        if args.json:
            print_json(rows)
        else:
            print_table([("▶" if r["current"] else "", short(r["id"]), r["title"], r["presenter_name"],
                          f"{r['seconds_used'] // 60}/{r['minutes']} min" if r["minutes"] else "") for r in rows],
                        ["", "id", "title", "presenter", "time"])
    return 0


def agenda_next(args: argparse.Namespace) -> int:
    with _group(args) as group:
        event = group.events.resolve_id(args.event)
        item = group.meetings.resolve_id(args.item, "agenda_item") if args.item else None
        state = group.meetings.advance(event, item)
        print(group.meetings.item(state.current_item).title if state.current_item else "(end of the agenda)")
    return 0


def agenda_edit(args: argparse.Namespace) -> int:
    from organiser.cli.main import CliError

    fields = {name: getattr(args, name) for name in ("title", "minutes", "presenter", "notes")
              if getattr(args, name) is not None}
    if not fields:
        raise CliError("agenda edit: there is nothing to change; give --title, --minutes, --presenter or --notes.")
    with _group(args) as group:
        item_id = group.meetings.resolve_id(args.id)
        if fields.get("presenter"):
            fields["presenter"] = group.members.resolve_id(fields["presenter"])
        item = group.meetings.edit_item(item_id, **fields)
        print_json(item.to_json()) if args.json else print(f"Updated {item.title} ({item.id}).")
    return 0


def agenda_delete(args: argparse.Namespace) -> int:
    with _group(args) as group:
        item_id = group.meetings.resolve_id(args.id)
        event = group.meetings.item(item_id).event
        was_current = group.meetings.state(event).current_item == item_id
        item = group.meetings.delete_item(item_id)
        print(f"Deleted {item.title} ({item.id}).")
        if was_current:  # the meeting moved on, as Next item would
            now = group.meetings.state(event).current_item
            print(f"Now: {group.meetings.item(now).title}" if now else "Now: (end of the agenda)")
    return 0


# ---- minutes ------------------------------------------------------------------------------

def _register_minutes(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "minutes", "an event's minutes, written together")
    p = verbs.add_parser("show", help="print the minutes", description="Print the event's minutes as merged.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.set_defaults(handler=minutes_show)
    p = verbs.add_parser("append", help="add a paragraph at the end",
                         description="Append text to the minutes. TEXT - reads it from standard input "
                                     "(the system passes at most 128 KiB in one argument); one append takes "
                                     f"up to {MAX_MINUTES_APPEND:,} characters.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("text", metavar="TEXT", help="what to add, or - to read it from standard input")
    p.set_defaults(handler=minutes_append)
    p = verbs.add_parser("export", help="agenda, attendance, minutes, decisions and action items",
                         description="Export the meeting's record as Markdown, HTML or PDF.")
    p.add_argument("event", metavar="EVENT", nargs="?", help=WHICH["event"])
    p.add_argument("--all", action="store_true",
                   help="every meeting held (minutes, agenda or proposals), one file each, into the folder --out")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="md, html or pdf")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (default: standard output); "
                   "with --all, the folder to write into")
    p.set_defaults(handler=minutes_export)


def minutes_show(args: argparse.Namespace) -> int:
    with _group(args) as group:
        text = group.meetings.minutes_text(group.events.resolve_id(args.event))
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    return 0


def minutes_append(args: argparse.Namespace) -> int:
    text = _text_from_stdin() if args.text == "-" else args.text
    with _group(args) as group:
        group.meetings.append_minutes(group.events.resolve_id(args.event), text)
    return 0


def _text_from_stdin() -> str:
    from organiser.cli.main import CliError

    most = MAX_MINUTES_APPEND * 4  # bytes: at most 4 UTF-8 bytes a character
    data = sys.stdin.buffer.read(most + 1)
    if len(data) > most:  # never a cut text: what is appended is all that was given
        raise CliError(f"TEXT: standard input holds more than the {MAX_MINUTES_APPEND:,} characters one append "
                       "takes; append it in parts.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"TEXT: standard input is not UTF-8 text (byte {exc.start:,}).") from None


def minutes_export(args: argparse.Namespace) -> int:
    from organiser.cli.main import CliError

    if args.all:
        return _export_every_meeting(args)
    if args.event is None:
        raise CliError("EVENT: name the event whose meeting to export, or give --all for every meeting.")
    if args.out is not None and not args.out.parent.is_dir():
        raise CliError(f"--out: the folder {args.out.parent} does not exist.")
    with _group(args) as group:
        event = group.events.resolve_id(args.event)
        report = build_report(group.name, group.events, group.meetings, group.proposals, event)
        data = export_minutes(report, args.format, args.out)
    if args.out is None:
        sys.stdout.buffer.write(data)
    else:
        print(f"Wrote {args.out} ({len(data):,} bytes).")
    return 0


def _export_every_meeting(args: argparse.Namespace) -> int:
    """One file per meeting held, named '2026-03-04 General assembly 1a2b3c4d.md' (the id's start
    keeps two meetings of one day and title apart); a file of that name is replaced."""
    from organiser.cli.main import CliError

    if args.event is not None:
        raise CliError("EVENT: --all exports every meeting; give an event or --all, not both.")
    if args.out is None or not args.out.is_dir():
        raise CliError("--out: with --all, give the folder to write one file per meeting into "
                       f"({args.out or 'none given'} is not a folder).")
    with _group(args) as group:
        held = group.meetings.held()
        for event_id in held:
            event = group.events.get(event_id)
            name = _safe_name(f"{event.start[:10]} {event.title} {event_id[:8]}")
            report = build_report(group.name, group.events, group.meetings, group.proposals, event_id)
            export_minutes(report, args.format, args.out / f"{name}.{args.format}")
    print(f"Wrote {plural(len(held), 'meeting')} to {args.out}.")
    return 0


def _safe_name(text: str) -> str:
    """A file name from an event's title: no separators or characters file systems refuse."""
    cleaned = "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text)
    return cleaned.strip(" .")[:120] or "meeting"


# ---- proposals ----------------------------------------------------------------------------

def _register_proposals(sub: argparse._SubParsersAction) -> None:
    verbs = _verbs(sub, "proposal", "decisions: proposals, tallies, closing")
    p = verbs.add_parser("add", help="put a proposal to the meeting", description="Add a proposal to an event.")
    p.add_argument("event", metavar="EVENT", help=WHICH["event"])
    p.add_argument("--title", required=True, help="what is proposed")
    p.add_argument("--kind", required=True, choices=("consent", "consensus", "vote", "hands"),
                   help="consent (consent/objection), consensus (agree/abstain/disagree/block), "
                   "vote (between --option values) or hands (a show of hands)")
    p.add_argument("--option", action="append", default=[], metavar="O", help="an option (repeat)")
    p.add_argument("--quorum", metavar="N|PCT%", help="people, or share of the voter pool, checked in")
    p.add_argument("--voters", metavar="WHO", default="checked-in",
                   help="checked-in (default), all, or role:NAME")
    p.add_argument("--details", default="", help="the proposal in full")
    p.add_argument("--item", metavar="ITEM", help="the agenda item it belongs to")
    p.set_defaults(handler=proposal_add)
    p = verbs.add_parser("count", help="record a show of hands for one option",
                         description="Record how many hands were raised for one option.")
    p.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id (or its first characters)")
    p.add_argument("--option", required=True, metavar="O", help="the option")
    p.add_argument("--count", required=True, metavar="N", help="how many hands")
    p.set_defaults(handler=proposal_count)
    p = verbs.add_parser("close", help="close with an outcome", description="Close a proposal, recording "
                         "the outcome, the tally and whether quorum was met.")
    p.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id (or its first characters)")
    p.add_argument("--outcome", required=True, metavar="TEXT", help="what was decided")
    p.set_defaults(handler=proposal_close)
    p = verbs.add_parser("reopen", help="open a closed proposal again", description="Open a proposal closed too "
                         "early again: its outcome is cleared and votes can change ('organiser history' keeps it).")
    p.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id (or its first characters)")
    p.set_defaults(handler=proposal_reopen)
    p = verbs.add_parser("show", help="a proposal with its tally", description="Show a proposal and its tally.")
    p.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id (or its first characters)")
    add_json_flag(p, "the proposal (tally, eligible, quorum_met, outcome, ...)")
    p.set_defaults(handler=proposal_show)


def proposal_add(args: argparse.Namespace) -> int:
    with _group(args) as group:
        event = group.events.resolve_id(args.event)
        item = group.meetings.resolve_id(args.item, "agenda_item") if args.item else None
        proposal = group.proposals.add(event, args.title, args.kind, options=args.option, details=args.details,
                                       quorum=args.quorum, voters=args.voters, agenda_item=item)
        print(proposal.id)
    return 0


def _print_shown(shown: dict) -> None:
    print(f"{shown['title']}  ({shown['kind']}, {shown['status']})")
    print("tally      " + ", ".join(f"{o}: {n}" for o, n in shown["tally"].items()))
    print(f"quorum     {'met' if shown['quorum_met'] else 'NOT met'}: {shown['present']} present, "
          f"{shown['quorum_needed']} needed, {shown['eligible']} eligible")
    if shown["blocks"]:
        print("blocks     " + ", ".join(shown["blocks"]))
    if shown["outcome"]:
        print("outcome    " + shown["outcome"])


def proposal_show(args: argparse.Namespace) -> int:
    with _group(args) as group:
        shown = group.proposals.show(group.proposals.resolve_id(args.proposal))
    print_json(shown) if args.json else _print_shown(shown)
    return 0


def proposal_count(args: argparse.Namespace) -> int:
    with _group(args) as group:
        pid = group.proposals.resolve_id(args.proposal)
        group.proposals.count(pid, args.option, args.count)
        _print_shown(group.proposals.show(pid))
    return 0


def proposal_close(args: argparse.Namespace) -> int:
    with _group(args) as group:
        pid = group.proposals.resolve_id(args.proposal)
        group.proposals.close(pid, args.outcome)
        _print_shown(group.proposals.show(pid))
    return 0


def proposal_reopen(args: argparse.Namespace) -> int:
    with _group(args) as group:
        pid = group.proposals.resolve_id(args.proposal)
        group.proposals.reopen(pid)
        _print_shown(group.proposals.show(pid))
    return 0


def vote(args: argparse.Namespace) -> int:
    with _group(args) as group:
        pid = group.proposals.resolve_id(args.proposal)
        member = group.members.resolve_id(args.member)
        group.proposals.vote(pid, member, args.option)
        shown = group.proposals.show(pid)
    print_json(shown) if args.json else _print_shown(shown)
    return 0

