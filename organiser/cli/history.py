"""`history`: who changed what and when, per record or per laptop, from the signed change log."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from organiser.cli.common import add_json_flag, opened_group, print_json
from organiser.core.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="who changed a record, or what a laptop wrote, and when",
                       description="Every write kept in the signed change log: its time (UTC), the laptop that "
                       "wrote it, the record and field, and the value. With RECORD: that record and the records "
                       "made under it (an event's check-ins, agenda, proposals, votes and tasks). With --device: "
                       "what that laptop wrote, from --since on: what 'organiser device remove DEVICE --undo-since "
                       "TIME' would take back. Writes a removal took back are marked so.")
    p.add_argument("record", metavar="RECORD", nargs="?", default=None,
                   help="a record's id or its first characters (member, event, agenda item, proposal, task), "
                        "or a member's name or an event's or task's title")
    p.add_argument("--device", metavar="DEVICE", default=None, help="a laptop's name or id: what it wrote")
    p.add_argument("--since", metavar="ISO_TIME", default=None,
                   help="with --device: from this time on, e.g. 2026-12-02T19:00 (UTC unless it names a zone)")
    add_json_flag(p, "the writes")
    p.set_defaults(handler=cmd_history)


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("since", f"--since: '{text}' is not a time like 2026-12-02T19:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_history(args: argparse.Namespace) -> int:
    if (args.record is None) == (args.device is None):
        raise ValidationError("record", "history: name a RECORD or a --device (one of them).")
    if args.since and args.device is None:
        raise ValidationError("since", "--since goes with --device.")
    with opened_group(args) as group:
        if args.device is not None:
            device = group.membership.find(args.device, include_removed=True)
            writes = group.history.by_device(device.id, _time(args.since) if args.since else None)
        else:
            writes = group.history.of_record(group.history.resolve(args.record))
        if args.json:
            print_json([w.to_json() for w in writes])
        elif not writes:
            print("(none)")
        for write in [] if args.json else writes:
            print(write.line())
    return 0
