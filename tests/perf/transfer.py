"""Import/export benchmark: prints JSON. Run with `python -m tests.perf.transfer`.

- csv_import: a 10,000-member spreadsheet (Excel style: UTF-8 BOM, semicolons, CRLF):
  seconds to read, to plan (validate, find duplicates) and to write (one transaction).
- ics_import: a 5,000-event calendar (Google style: VTIMEZONE, UTC and zoned times,
  all-day events, weekly RRULEs, folded non-ASCII descriptions), the same three steps.
- responsiveness: the same two imports run the way File > Import runs them (plan, then
  write, each on a `TransferJob` worker thread with its own connection), while a 10 ms
  Qt timer ticks on the GUI thread; the longest gap between ticks is the longest time the
  window could not redraw or react.
- idle_heartbeat_baseline: the same heartbeat with nothing running, for comparison (on a
  busy shared machine the scheduler alone causes gaps).
- calendar_parse: why formats/ical.py `_chunks` splits a big calendar: the icalendar library
  parses a text in one call holding the GIL; the longest single call on the whole
  5,000-event text against the longest on any of its chunks (was 0.4 s whole here).
- export / backup: writing the 10,000 members as CSV and vCard, the whole group as a JSON
  backup, and restoring that backup into an empty data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from organiser.core.gcpause import gc_paused
from organiser.services import transfer  # noqa: E402
from organiser.services.group import Group, create_group  # noqa: E402

FIRST = ["Ana", "Bilal", "Chloé", "Dmitri", "Eilidh", "Fatima", "Gustavo", "Hana", "Ivo", "Jürgen", "Zoë"]
LAST = ["López", "Okafor", "Nguyễn", "Schmidt", "Kowalski", "Haddad", "Silva", "Murphy", "Ito", "Weiß"]
ROLES = ["Outreach", "Door team", "Minutes", "Legal", "Childcare", "Treasury"]


def members_csv(count: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = ["Name;E-mail;Mobile Phone;Categories;Notes"]
    for i in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        role = rng.choice(ROLES)
        lines.append(f'{name};member{i}@example.org;+44 7700 {i:06d};{role};"Joined at the {i % 12 + 1}. meeting"')
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def calendar(count: int) -> bytes:
    out = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
           "X-WR-TIMEZONE:Europe/Berlin", "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:DAYLIGHT",
           "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
           "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "BEGIN:STANDARD", "TZOFFSETFROM:+0200",
           "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
           "END:STANDARD", "END:VTIMEZONE"]
    for i in range(count):
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        out += ["BEGIN:VEVENT", f"UID:bench-{i}@example.org", "DTSTAMP:20260901T101500Z",
                f"SUMMARY:Treffen {i} – Mieterinnen und Mieter"]
        if i % 10 == 0:
            out += [f"DTSTART;VALUE=DATE:2026{month:02d}{day:02d}", f"DTEND;VALUE=DATE:2026{month:02d}{day:02d}"]
            out[-1] = out[-1][:-2] + f"{min(day + 1, 28):02d}"
        elif i % 3 == 0:
            out += [f"DTSTART:2026{month:02d}{day:02d}T170000Z", f"DTEND:2026{month:02d}{day:02d}T190000Z"]
        else:
            out += [f"DTSTART;TZID=Europe/Berlin:2026{month:02d}{day:02d}T190000",
                    f"DTEND;TZID=Europe/Berlin:2026{month:02d}{day:02d}T210000"]
        if i % 7 == 0:
            out.append("RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=WE")
        out += ["DESCRIPTION:Tagesordnung: Reparaturen\\, Nebenkostenabrechnung\\, Aktionsplanung für d",
                " en Herbst. Übersetzung möglich.", "LOCATION:Stadtteilladen\\, Schützenstraße 12",
                "STATUS:CONFIRMED", "END:VEVENT"]
    out.append("END:VCALENDAR")
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 3)


def import_steps(group: Group, data: bytes, source: str) -> dict[str, Any]:
    """The steps as `organiser import` runs them (with the cyclic GC paused, as it does)."""
    with gc_paused(freeze_survivors=True):
        parsed, read_s = timed(lambda: transfer.read_file(data, source))
        plan, plan_s = timed(lambda: transfer.plan_import(group, data, source))
        result, write_s = timed(lambda: transfer.apply_import(group, plan))
    return {"items": len(parsed.items), "added": result.added, "read_s": read_s,
            "read_and_plan_s": plan_s, "write_s": write_s, "total_s": round(plan_s + write_s, 3)}


def responsiveness(root: Path, data: bytes, source: str, tick_ms: int = 10) -> dict[str, Any]:
    """Run plan + write on TransferJob threads while a Qt heartbeat ticks; measure gaps."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from organiser.ui.transfer_dialogs import TransferJob

    app = QApplication.instance() or QApplication([])
    group = create_group(root, "Bench", "laptop")

    class Driver(QObject):
        """Receives the jobs' signals on the GUI thread, as the dialog does."""

        def __init__(self) -> None:
            super().__init__()
            self.gaps: list[float] = []
            self.outcome: dict[str, Any] = {}
            self.clock = QElapsedTimer()
            self.last = 0.0
            self.loop = QEventLoop()

        def tick(self) -> None:
            now = self.clock.nsecsElapsed() / 1e6
            self.gaps.append(now - self.last)
            self.last = now

        def run_job(self, work: Callable[[Group, Any], Any], then: Callable[[Any], None]) -> None:
            job = TransferJob(group, work)
            job.succeeded.connect(then)
            job.failed.connect(self.failed)
            job.start_kept()

        def start(self) -> None:
            self.clock.start()
            self.run_job(lambda g, p: transfer.plan_import(g, data, source, progress=p), self.planned)

        def planned(self, plan: transfer.ImportPlan) -> None:
            self.outcome["planned_s"] = round(self.clock.elapsed() / 1000, 3)
            self.run_job(lambda g, p: transfer.apply_import(g, plan, progress=p), self.written)

        def written(self, result: transfer.ImportResult) -> None:
            self.outcome["added"] = result.added
            self.outcome["total_s"] = round(self.clock.elapsed() / 1000, 3)
            self.loop.quit()

        def failed(self, exc: BaseException) -> None:
            self.outcome["error"] = repr(exc)
            self.loop.quit()

    driver = Driver()
    heartbeat = QTimer()
    heartbeat.setInterval(tick_ms)
    heartbeat.timeout.connect(driver.tick)
    heartbeat.start()
    driver.start()
    QTimer.singleShot(600_000, driver.loop.quit)  # bounded, whatever happens
    driver.loop.exec()
    heartbeat.stop()
    from organiser.ui.transfer_jobs import _RUNNING

    deadline = time.monotonic() + 60
    while _RUNNING and time.monotonic() < deadline:  # let the jobs' threads finish and be freed
        app.processEvents()
        time.sleep(0.01)
    group.close()
    gaps = driver.gaps
    ordered = sorted(gaps)
    return {**driver.outcome, "tick_ms": tick_ms, "ticks": len(gaps),
            "longest_stall_ms": round(max(gaps), 1) if gaps else None,
            "p99_gap_ms": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)], 1) if ordered else None,
            "gaps_over_50ms": sum(1 for g in gaps if g > 50)}


def idle_baseline(seconds: float = 5.0, tick_ms: int = 10) -> dict[str, Any]:
    """The same heartbeat with nothing running: what this machine's scheduler alone costs."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(tick_ms)
    heartbeat.timeout.connect(tick)
    loop = QEventLoop()
    clock.start()
    heartbeat.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    heartbeat.stop()
    app.processEvents()
    return {"seconds": seconds, "ticks": len(gaps), "longest_gap_ms": round(max(gaps), 1) if gaps else None}


def calendar_parse(data: bytes) -> dict[str, Any]:
    """Seconds of the longest single library call (GIL held throughout): the whole calendar
    in one go, and the longest of the chunks `_chunks` makes of it."""
    import icalendar

    from organiser.formats import ical

    text = data.decode()
    _cals, whole = timed(lambda: icalendar.Calendar.from_ical(text, multiple=True))
    chunks = ical._chunks(text)
    longest = max(timed(lambda c=chunk: icalendar.Calendar.from_ical(c, multiple=True))[1] for chunk in chunks)
    return {"whole_s": round(whole, 3), "chunks": len(chunks), "longest_chunk_s": round(longest, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    csv_data, ics_data = members_csv(args.members), calendar(args.events)
    report: dict[str, Any] = {"members": args.members, "events": args.events,
                              "csv_bytes": len(csv_data), "ics_bytes": len(ics_data), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        group = create_group(root / "steps", "Bench", "laptop")
        report["csv_import"] = import_steps(group, csv_data, "members.csv")
        report["ics_import"] = import_steps(group, ics_data, "calendar.ics")
        report["calendar_parse"] = calendar_parse(ics_data)
        _data, report["export_csv_s"] = timed(lambda: transfer.export_group(group, "csv"))
        _data, report["export_vcf_s"] = timed(lambda: transfer.export_group(group, "vcf"))
        _data, report["export_ics_s"] = timed(lambda: transfer.export_group(group, "ics"))
        backup, report["export_json_backup_s"] = timed(lambda: transfer.export_group(group, "json"))
        report["backup_bytes"] = len(backup)
        restored, report["restore_backup_s"] = timed(
            lambda: transfer.restore_backup(root / "restored", backup, "backup.json"))
        report["restore_same_state_hash"] = restored.replica.state_hash() == group.replica.state_hash()
        restored.close()
        group.close()
        report["idle_heartbeat_baseline"] = idle_baseline()
        report["responsiveness_csv_import"] = responsiveness(root / "ui-csv", csv_data, "members.csv")
        report["responsiveness_ics_import"] = responsiveness(root / "ui-ics", ics_data, "calendar.ics")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
