"""A tenant union one year on: builds the group through the services, prints JSON.

    python -m tests.perf.year --out /tmp/year-$$ [--weeks 52] [--members 800] [--edits 250]

Eight laptops use the group every week for a year (the clock of every device is moved on a week
at a time, so the change log's stamps and the meetings' dates span the year that ended today):
a general assembly each week with an agenda, a vote and minutes; four or five other events a
week (a few repeating); about 60 tasks a week, most of them done within weeks; members join and
a few leave; every member is edited EDITS times over the year, each edit its own signed
changeset from one of the laptops. Two laptops are removed along the way (and replaced), and a
few edits of the same field from two laptops between syncs leave conflicts. After each week
every laptop syncs with the door laptop (a star, no network: the calls the sync layer makes).

The door laptop's folder is OUT/door; the others are OUT/laptop-N. Reported: the time each
phase took, the rows in the tables, the database size.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from organiser.core import hlc
from organiser.services import clock
from organiser.services.demo import EVENT_TITLES, PLACES, TASKS, _member_values
from organiser.services.group import Group, create_group, join_group, prepare_join

AGENDA = ("Welcome and check-in", "Rent strike update", "Repairs campaign", "Working groups report",
          "Any other business")
MINUTES = ("{n} people came. The facilitator opened at 19:05.",
           "Rent strike: {k} households have now signed; the letter to the landlord of block {b} went out.",
           "Repairs: the damp in flats {f} is still not fixed; the legal working group will write again.",
           "Decided: {decision}.",
           "Next assembly in a week, same place.")
DECISIONS = ("join the city-wide renters' march", "hire the hall for the winter assemblies",
             "fund the legal clinic for three more months", "print a new leaflet in four languages",
             "send a delegation to the council meeting", "start a hardship fund")


class SimClock:
    """The year's clock: every device's hybrid clock and the services' 'now' read it."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def ms(self) -> int:
        return int(self.at.timestamp() * 1000)

    def now(self) -> datetime:
        return self.at


def on_sim_clock(group: Group, sim: SimClock) -> Group:
    group.db.execute("PRAGMA synchronous=OFF")
    return group


def admit(founder: Group, path: Path, name: str, sim: SimClock) -> Group:
    _path, public = prepare_join(path, founder.id)
    founder.admit_device(public, name)
    device = on_sim_clock(join_group(path, founder.credentials(), name), sim)
    device.replica.apply(founder.replica.changes_since(device.replica.version_vector()))
    return device


def sync_star(door: Group, laptops: list[Group]) -> int:
    moved = 0
    for lp in laptops:
        got = lp.replica.changes_since(door.replica.version_vector())
        moved += len(got)
        door.replica.apply(got)
    for lp in laptops:
        got = door.replica.changes_since(lp.replica.version_vector())
        moved += len(got)
        lp.replica.apply(got)
    return moved


def weekly_assembly(g: Group, rng: random.Random, when: datetime, members: list[str], week: int) -> None:
    event = g.events.add("General assembly", when.isoformat(timespec="minutes"),
                         end=(when + timedelta(hours=2)).isoformat(timespec="minutes"),
                         location=PLACES[0], description=f"Weekly general assembly, week {week + 1}.").id
    came = rng.sample(members, k=min(len(members), rng.randint(25, 45)))
    for member in came:
        g.events.checkin(event, member, when.isoformat(timespec="minutes"))
    items = [g.meetings.add_item(event, title, minutes=10, presenter=rng.choice(came)).id for title in AGENDA]
    for _ in range(3):
        g.meetings.advance(event)
    decision = DECISIONS[week % len(DECISIONS)]
    proposal = g.proposals.add(event, f"Week {week + 1}: {decision}", "vote", options=("yes", "no"),
                               agenda_item=items[3])
    for member in came:
        g.proposals.vote(proposal.id, member, rng.choice(("yes", "yes", "yes", "no")))
    g.proposals.close(proposal.id, f"Carried: {decision}.")
    for line in MINUTES:
        g.meetings.append_minutes(event, line.format(n=len(came), k=20 + week * 3, b="ABC"[week % 3],
                                                     f=f"{week % 9 + 1}, {week % 7 + 10}", decision=decision))
    g.meetings.make_task(event, f"Follow up: {decision}", assignee=came[0], item=items[3],
                         due=(when + timedelta(days=6)).date().isoformat())


def other_events(g: Group, rng: random.Random, monday: datetime, week: int) -> list[str]:
    out = []
    for k in range(rng.choice((4, 4, 5, 5, 5))):
        day = monday + timedelta(days=rng.randint(0, 6), hours=rng.choice((10, 14, 18, 19)))
        title = EVENT_TITLES[(week * 5 + k) % len(EVENT_TITLES)]
        fields: dict[str, Any] = {"location": rng.choice(PLACES),
                                  "end": (day + timedelta(hours=2)).isoformat(timespec="minutes"),
                                  "description": f"{title}, week {week + 1}."}
        if week % 13 == 0 and k == 0:  # a few repeating ones: the legal clinic every fortnight
            fields["rrule"] = "FREQ=WEEKLY;INTERVAL=2;COUNT=12"
        out.append(g.events.add(title, day.isoformat(timespec="minutes"), **fields).id)
    return out


def member_edits(g: Group, rng: random.Random, ids: list[str], count: int, week: int) -> int:
    """`count` edits, each its own changeset, committed a few hundred per transaction."""
    groups = []
    for n in range(count):
        mid = rng.choice(ids)
        field = rng.choice(("notes", "notes", "phones", "consent_email", "emails"))
        what = rng.choice(("called", "door-knocked", "came to the clinic", "paid dues", "moved flat"))
        value: Any = {"notes": f"Week {week + 1}: {what} ({n})",
                      "phones": [f"+44 7700 9{rng.randint(0, 99999):05d}"],
                      "consent_email": rng.random() < 0.8,
                      "emails": [f"m{rng.randint(0, 10**6)}@example.org"]}[field]
        ops = g.members.build_edit(mid, {field: value})
        if ops:  # an edit that changes nothing writes nothing
            groups.append(ops)
    for start in range(0, len(groups), 400):
        g.replica.commit_batch(groups[start:start + 400])
    return len(groups)


def build(out: Path, weeks: int, members: int, edits: int, seed: int = 5) -> dict[str, Any]:
    rng = random.Random(seed)
    # The year ends at last midnight: every stamp in the past (a peer refuses stamps from the future).
    end = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    sim = SimClock(end - timedelta(weeks=weeks))
    clock.now = sim.now  # every 'now' the services read
    plain_init = hlc.HybridClock.__init__

    def sim_init(self: hlc.HybridClock, last: int = 0, wall_ms: Any = None) -> None:
        plain_init(self, last, wall_ms or sim.ms)

    hlc.HybridClock.__init__ = sim_init  # type: ignore[method-assign]  # every device's stamps
    phase: dict[str, float] = {}
    t0 = time.perf_counter()
    door = on_sim_clock(create_group(out / "door", "Riverside Tenants Union", "door laptop"), sim)
    laptops = [admit(door, out / f"laptop-{n}", f"laptop {n}", sim) for n in range(2, 9)]
    start_members = members * 5 // 8
    ids: list[str] = []
    batch = [door.members.build_add(_member_values(rng, n, sim.now().date())) for n in range(start_members)]
    for part in range(0, len(batch), 400):
        door.replica.commit_batch([ops for _id, ops in batch[part:part + 400]])
    ids += [rid for rid, _ops in batch]
    sync_star(door, laptops)
    phase["setup_s"] = time.perf_counter() - t0
    edits_per_week = members * edits // weeks
    tasks_open: list[tuple[int, str, int]] = []  # (laptop, task, week to finish)
    removed: list[str] = []
    moved = 0
    left: list[str] = []
    for week in range(weeks):
        monday = sim.now()
        all_devices = [door, *laptops]
        newcomers = (members - start_members) // weeks
        for n in range(newcomers):
            ids.append(door.members.add(f"New member {week}-{n}", joined=monday.date().isoformat()).id)
        if week % 4 == 3:  # someone leaves each month
            gone = ids.pop(rng.randrange(len(ids)))
            door.members.delete(gone)
            left.append(gone)
        moved += sync_star(door, laptops)  # the sign-ups at the door reach every laptop
        minutes_laptop = laptops[0]
        assembly = monday + timedelta(days=2, hours=19)
        sim.at = assembly + timedelta(minutes=40)  # the agenda moves on during the assembly
        weekly_assembly(minutes_laptop, rng, assembly, ids, week)
        events = other_events(rng.choice(all_devices), rng, monday, week)
        moved += sync_star(door, laptops)  # mid-week: the laptops meet at the assembly
        for _n in range(58):
            g = rng.randrange(len(all_devices))
            due = (monday + timedelta(days=rng.randint(3, 20))).date().isoformat()
            task = all_devices[g].tasks.add(rng.choice(TASKS), assignee=rng.choice(ids), event=rng.choice(events),
                                            due=due)
            tasks_open.append((g, task.id, week + rng.choice((0, 1, 1, 2, 3, 6, 60))))
        still = []
        for g, task, due_week in tasks_open:
            if due_week <= week and g < len(all_devices):
                all_devices[g].tasks.move(task, "done")
            else:
                still.append((g, task, due_week))
        tasks_open = still
        share = edits_per_week // len(all_devices)
        for i, g in enumerate(all_devices):  # each laptop keeps mostly to its own slice of members
            mine = ids[i::len(all_devices)]
            member_edits(g, rng, mine, share, week)
        if week % 10 == 5:  # two laptops, offline, edit the same member's phone: a conflict
            target = ids[week]
            laptops[1].members.edit(target, phones=[f"+44 7700 900{week:03d}"])
            laptops[2].members.edit(target, phones=[f"+44 7700 911{week:03d}"])
        if week in (17, 36):  # a laptop is retired (and its replacement joins)
            old = laptops.pop(3)
            sync_star(door, [old])
            door.membership.remove(old.device_id)
            removed.append(old.device_name)
            old.close()
            laptops.append(admit(door, out / f"laptop-new-{week}", f"new laptop {week}", sim))
        sim.at = monday + timedelta(weeks=1)
        moved += sync_star(door, laptops)
        print(json.dumps({"week": week + 1, "changes": door.replica.last_change_id(),
                          "elapsed_s": round(time.perf_counter() - t0, 1)}), file=sys.stderr, flush=True)
    phase["year_s"] = time.perf_counter() - t0 - phase["setup_s"]
    sync_star(door, laptops)
    tables = {name: door.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
              for (name,) in door.db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
              if not name.startswith("records_fts_")}
    report = {"weeks": weeks, "members_written": len(ids) + len(left), "left": len(left),
              "removed_devices": removed, "changesets_moved_in_syncs": moved,
              "phases_s": {k: round(v, 1) for k, v in phase.items()}, "door_tables": tables,
              "door_db_bytes": sum(p.stat().st_size for p in (out / "door").rglob("*") if p.is_file()),
              "state_hashes_equal": len({g.replica.state_hash() for g in [door, *laptops]}) == 1}
    for g in [door, *laptops]:
        g.db.execute("PRAGMA synchronous=FULL")
        g.close()
    (out / "ready").write_text(json.dumps(report))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--members", type=int, default=800)
    parser.add_argument("--edits", type=int, default=250, help="edits of each member over the year")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(json.dumps(build(args.out, args.weeks, args.members, args.edits), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
