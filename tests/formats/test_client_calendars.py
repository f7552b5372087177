"""Events through khal 0.10 and tasks through todoman 4.1, both ways: UIDs kept, repeats with a
changed and a skipped occurrence, all-day events, zones, and due dates across midnight."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.formats.clients import join_calendar, need, new_group, organiser, organiser_json, run, split_calendar

KHAL_FORMAT = "{uid}|{title}|{start}|{end}|{repeat-symbol}"


def _khal(tmp_path: Path) -> tuple[Path, Path]:
    home, folder = tmp_path / "khal-home", tmp_path / "calendar"
    (home / ".config/khal").mkdir(parents=True)
    folder.mkdir()
    (home / ".config/khal/config").write_text(
        f"[calendars]\n[[group]]\npath = {folder}\ntype = calendar\n[locale]\ntimeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\ndatetimeformat = %Y-%m-%d %H:%M\n"
        "longdatetimeformat = %Y-%m-%d %H:%M\nlocal_timezone = Europe/London\ndefault_timezone = Europe/London\n"
        "[default]\ndefault_calendar = group\n", encoding="utf-8")
    return home, folder


def _khal_list(home: Path) -> list[str]:
    return run(["khal", "list", "-df", "", "--format", KHAL_FORMAT, "2026-12-01", "40d"], home).stdout.splitlines()


def _move_and_skip_occurrences(path: Path) -> None:
    """What `khal edit` writes for "this occurrence only": the series skips 24 December and
    its 17 December meeting moves to 20:00 with a new title."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    master = next(iter(calendar.walk("VEVENT")))
    london = ZoneInfo("Europe/London")
    master.add("exdate", datetime(2026, 12, 24, 19, 0, tzinfo=london))
    moved = icalendar.Event()
    moved.add("uid", str(master["UID"]))
    moved.add("dtstamp", datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("UTC")))
    moved.add("recurrence-id", datetime(2026, 12, 17, 19, 0, tzinfo=london))
    moved.add("dtstart", datetime(2026, 12, 17, 20, 0, tzinfo=london))
    moved.add("dtend", datetime(2026, 12, 17, 22, 0, tzinfo=london))
    moved.add("summary", "General meeting; moved, \"upstairs\"")
    calendar.add_component(moved)
    path.write_bytes(calendar.to_ical())
    _touch(path.parent)


def _touch(folder: Path) -> None:
    """khal and todoman notice a changed file by its modification time: move it on past the
    second in which they last read the folder."""
    later = time.time() + 5
    for path in [*folder.glob("*.ics"), folder]:  # khal checks the folder's time first
        os.utime(path, (later, later))


def test_khal_events_keep_their_uids_repeats_and_zones_both_ways(tmp_path):
    need("khal")
    home, folder = _khal(tmp_path)
    run(["khal", "new", "-a", "group", "2026-12-03", "19:00", "21:00", "General meeting", "-r", "weekly",
         "-u", "2026-12-31"], home)
    run(["khal", "new", "-a", "group", "2026-12-10", "2026-12-11", "Fair, Hall \\ B"], home)
    run(["khal", "new", "-a", "group", "2026-12-05", "10:00", "11:00", "Europe/Berlin", "Berlin call"], home)
    meeting = next(p for p in folder.glob("*.ics") if b"General meeting" in p.read_bytes())
    _move_and_skip_occurrences(meeting)
    before = _khal_list(home)
    assert len(before) == 6  # meetings on 3 and 10 Dec, the moved one on 17 Dec, Fair (two days), Berlin call
    assert any("|General meeting; moved, \"upstairs\"|2026-12-17 20:00|2026-12-17 22:00|" in line for line in before)
    assert any("|Berlin call|2026-12-05 09:00|2026-12-05 10:00|" in line for line in before)
    uids = {line.split("|")[0] for line in before}

    data = new_group(tmp_path)
    (tmp_path / "from-khal.ics").write_bytes(join_calendar(folder))
    plan = organiser_json(data, "import", tmp_path / "from-khal.ics")
    assert plan["counts"] == {"add": 4, "update": 0, "skip": 0, "invalid": 0}
    events = {e["title"]: e for e in organiser_json(data, "event", "list")}
    assert events["Berlin call"]["tz"] == "Europe/Berlin" and events["Berlin call"]["start"] == "2026-12-05T10:00"
    assert events["Fair, Hall \\ B"]["all_day"] is True

    organiser(data, "export", "--format", "ics", "--out", tmp_path / "organiser.ics")
    exported = (tmp_path / "organiser.ics").read_text(encoding="utf-8")
    assert "@organiser" not in exported  # khal's UIDs, not new ones
    for path in folder.glob("*.ics"):
        path.unlink()
    assert set(split_calendar((tmp_path / "organiser.ics").read_bytes(), folder)) == uids
    _touch(folder)
    assert _khal_list(home) == before  # khal shows exactly what it showed before

    # back into Organiser, from its own file and from khal's folder: nothing added, nothing changed
    for again in (tmp_path / "organiser.ics", tmp_path / "khal-again.ics"):
        if again.name == "khal-again.ics":
            again.write_bytes(join_calendar(folder))
        plan = organiser_json(data, "import", again)
        assert plan["counts"] == {"add": 0, "update": 0, "skip": 4, "invalid": 0}, plan["items"]
    assert len(organiser_json(data, "event", "list")) == 4


def _todoman(tmp_path: Path) -> tuple[Path, Path]:
    home, folder = tmp_path / "todoman-home", tmp_path / "tasks" / "group"
    (home / ".config/todoman").mkdir(parents=True)
    folder.mkdir(parents=True)
    (home / ".config/todoman/config.py").write_text(
        f'path = "{folder.parent}/*"\ndate_format = "%Y-%m-%d"\ntime_format = "%H:%M"\ndefault_list = "group"\n',
        encoding="utf-8")
    return home, folder


def _todos(home: Path, zone: str) -> dict[str, str]:
    """{title: due date as todoman shows it on this laptop}."""
    import json

    listed = json.loads(run(["todoman", "--porcelain", "list"], home, tz=zone).stdout)
    return {t["summary"]: datetime.fromtimestamp(t["due"], ZoneInfo(zone)).date().isoformat() for t in listed}


@pytest.mark.parametrize(("zone", "dues", "expected"), [
    ("America/Los_Angeles", ["2026-12-04 20:00", "2026-12-05 00:30"], ["2026-12-04", "2026-12-05"]),
    ("Asia/Tokyo", ["2026-12-05 08:00", "2026-12-04 23:30"], ["2026-12-05", "2026-12-04"]),
])
def test_todoman_tasks_due_across_midnight_keep_the_day_the_person_saw(tmp_path, zone, dues, expected):
    need("todoman")
    home, folder = _todoman(tmp_path)
    titles = ["Print flyers; A3, \"colour\"", "Call the hall"]
    for title, due in zip(titles, dues, strict=True):
        run(["todoman", "new", "-l", "group", "--due", due, title], home, tz=zone)
    written = b"".join(p.read_bytes() for p in folder.glob("*.ics"))
    assert written.count(b"Z\r\n") >= 2 and b"DUE;VALUE=DATE-TIME:" in written  # todoman writes UTC due times
    assert _todos(home, zone) == dict(zip(titles, expected, strict=True))
    uids = {p.stem for p in folder.glob("*.ics")}

    data = new_group(tmp_path)
    (tmp_path / "todos.ics").write_bytes(join_calendar(folder))
    assert organiser_json(data, "import", tmp_path / "todos.ics", tz=zone)["counts"]["add"] == 2
    tasks = {t["title"]: t for t in organiser_json(data, "task", "list")}
    assert {t: tasks[t]["due"] for t in titles} == dict(zip(titles, expected, strict=True))

    organiser(data, "export", "--format", "ics", "--out", tmp_path / "organiser.ics")
    for path in folder.glob("*.ics"):
        path.unlink()
    assert set(split_calendar((tmp_path / "organiser.ics").read_bytes(), folder)) == uids
    _touch(folder)
    assert _todos(home, zone) == dict(zip(titles, expected, strict=True))  # same days in todoman
    (tmp_path / "again.ics").write_bytes(join_calendar(folder))
    plan = organiser_json(data, "import", tmp_path / "again.ics", tz=zone)
    assert plan["counts"] == {"add": 0, "update": 0, "skip": 2, "invalid": 0}, plan["items"]
    assert len(organiser_json(data, "task", "list")) == 2
