"""A calendar file cut off (a download or a copy that stopped part way, or a cut-off file with
another appended): its open components closed so the library reads what is there, and the
events and tasks it was cut off inside shown as such."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from organiser.formats.common import ParsedFile

__all__ = ["Closing", "close_cut_off", "mark_cut_off"]


@dataclass
class Closing:
    """What `close_cut_off` did to a cut-off file: the components left open at its end, outermost
    first, and the events and tasks (component, 1-based number among its kind) that another
    began inside."""

    left_open: list[str] = field(default_factory=list)
    interrupted: list[tuple[str, int]] = field(default_factory=list)


_ITEMS = ("VEVENT", "VTODO")  # never inside one another: a BEGIN of one inside one ends it


def close_cut_off(text: str) -> tuple[str, Closing]:
    """The text with an END line for each component a cut-off file leaves open: at the end, and
    before an event or task that begins inside another (a cut-off file with another appended).
    The library silently read nothing of a calendar without its END:VCALENDAR, nor of one with
    an event inside an event."""
    stack: list[str] = []
    open_count: Counter[str] = Counter()  # how often each name is on the stack: an END with no BEGIN costs nothing
    numbers: Counter[str] = Counter()  # events and tasks begun so far
    closing = Closing()
    lines = text.splitlines(keepends=True)
    out: list[str] | None = None  # the lines, once an END had to go in between
    for index, line in enumerate(lines):
        found = _ANY_MARK.match(line)
        if found is None:
            if out is not None:
                out.append(line)
            continue
        what, name = found.group(1).upper(), found.group(2).upper()
        if what == "BEGIN":
            if name in _ITEMS and (open_count["VEVENT"] or open_count["VTODO"]):
                out = out if out is not None else lines[:index]
                inside = ""
                while inside not in _ITEMS:  # the event or task and what it holds end here
                    inside = stack.pop()
                    open_count[inside] -= 1
                    out.append(f"END:{inside}\r\n")
                closing.interrupted.append((inside, numbers[inside]))
            stack.append(name)
            open_count[name] += 1
            numbers[name] += 1 if name in _ITEMS else 0
        elif open_count[name]:
            while (closed := stack.pop()) != name:  # what it encloses closes with it
                open_count[closed] -= 1
            open_count[name] -= 1
        if out is not None:
            out.append(line)
    text = "".join(out) if out is not None else text
    if not stack:
        return text, closing
    closing.left_open = stack
    ending = "" if text.endswith(("\n", "\r")) else "\r\n"
    return text + ending + "".join(f"END:{name}\r\n" for name in reversed(stack)), closing


_ANY_MARK = re.compile(r"^(BEGIN|END):([A-Za-z0-9-]+)\s*$", re.IGNORECASE)


def mark_cut_off(parsed: ParsedFile, closing: Closing) -> None:
    """The events and tasks the file is cut off inside are invalid; a file missing only its
    END:VCALENDAR is noted."""
    # by kind and number: a search of the items for each one took 62 s for 28,000 events each
    # begun inside the one before (a file of 50,000 BEGIN:VEVENT lines, then as many ENDs)
    by_number = {(i.kind, i.number): i for i in parsed.items} if closing.interrupted else {}
    for name, number in closing.interrupted:
        item = by_number.get(("event" if name == "VEVENT" else "task", number))
        if item is not None:
            item.problems = [f"the next event or task begins inside it (no END:{name}): the file looks cut off there"]
            item.warnings = []
    left_open = closing.left_open
    inside = next((name for name in left_open if name in _ITEMS), None)
    if inside is None:
        if left_open:
            parsed.warnings.append(f"{parsed.source}: the file ends without END:VCALENDAR; it may be cut off "
                                   "after its last event")
        return
    kind = "event" if inside == "VEVENT" else "task"
    last = next((item for item in reversed(parsed.items) if item.kind == kind), None)
    if last is not None:
        last.problems = [f"the file ends inside it (no END:{inside}): the file looks cut off"]
        last.warnings = []  # what it lacks is what was cut off
