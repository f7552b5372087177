"""The fixed command-line contract for members, events, tasks, RSVPs and check-in, through the
program's entry point in the test process (the other CLI files start real processes)."""

from __future__ import annotations

import pytest


@pytest.fixture
def ready(organiser_in_process):
    organiser = organiser_in_process
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    return organiser


def test_member_add_list_show_edit_delete(ready):
    organiser = ready
    added = organiser("member", "add", "--name", "Ana López", "--email", "ana@example.org", "--email",
                      "ana@work.example", "--phone", "+34 600 123 456", "--role", "Outreach", "--role",
                      "Kitchen", "--skill", "First aid", "--json").json()
    assert added["name"] == "Ana López"
    assert added["emails"] == ["ana@example.org", "ana@work.example"]
    assert added["phones"] == ["+34 600 123 456"]
    assert added["roles"] == ["Kitchen", "Outreach"]
    assert added["skills"] == ["First aid"]

    plain = organiser("member", "add", "--name", "Bruno", "--role", "Legal")
    assert plain.code == 0
    bruno = plain.out.strip()
    assert len(bruno) == 32 and int(bruno, 16) >= 0  # just the new id

    listed = organiser("member", "list", "--json").json()
    assert {m["id"]: m["name"] for m in listed} == {added["id"]: "Ana López", bruno: "Bruno"}
    assert all({"id", "name", "emails", "phones", "roles", "skills"} <= set(m) for m in listed)
    assert [m["id"] for m in organiser("member", "list", "--search", "outreach", "--json").json()] == [added["id"]]

    shown = organiser("member", "show", added["id"][:8], "--json").json()
    assert shown == added

    edited = organiser("member", "edit", added["id"], "--name", "Ana López García", "--role", "Outreach",
                       "--consent-email", "yes", "--consent-date", "2026-03-01", "--json").json()
    assert (edited["name"], edited["roles"]) == ("Ana López García", ["Outreach"])
    assert (edited["consent_email"], edited["consent_date"]) == (True, "2026-03-01")
    assert edited["emails"] == added["emails"]  # options not given stay as they were

    deleted = organiser("member", "delete", bruno)
    assert deleted.code == 0 and "Bruno" in deleted.out
    assert [m["id"] for m in organiser("member", "list", "--json").json()] == [added["id"]]
    gone = organiser("member", "show", bruno)
    assert gone.code != 0 and "no member is called or has the id" in gone.err


def test_event_add_list_show_edit_rsvp_checkin_delete(ready):
    organiser = ready
    ana = organiser("member", "add", "--name", "Ana").out.strip()
    event = organiser("event", "add", "--title", "Assembly", "--start", "2026-12-03T19:00", "--end",
                      "2026-12-03T21:00", "--tz", "Europe/Madrid", "--location", "Social centre",
                      "--capacity", "40", "--json").json()
    assert (event["title"], event["start"], event["end"], event["tz"]) == \
        ("Assembly", "2026-12-03T19:00", "2026-12-03T21:00", "Europe/Madrid")
    assert (event["location"], event["capacity"], event["status"]) == ("Social centre", 40, "scheduled")
    second = organiser("event", "add", "--title", "Picnic", "--start", "2026-11-30T12:00").out.strip()

    listed = organiser("event", "list", "--json").json()
    assert [e["id"] for e in listed] == [second, event["id"]]  # by start time
    assert all({"id", "title", "start", "end", "tz", "location", "capacity", "status"} <= set(e) for e in listed)

    assert organiser("event", "rsvp", event["id"], ana, "maybe").code == 0
    assert organiser("event", "rsvp", event["id"][:8], ana[:8], "yes").code == 0
    checkin = organiser("event", "checkin", event["id"], ana)
    assert checkin.code == 0 and "1/40" in checkin.out
    shown = organiser("event", "show", event["id"], "--json").json()
    again = organiser("event", "checkin", event["id"], ana)  # at the door twice: the first time stays
    assert again.code == 0 and again.out.strip() == \
        f"Ana was already checked in at {shown['rsvps'][0]['checked_in_at'][11:16]} (1/40 in the room)"

    shown = organiser("event", "show", event["id"], "--json").json()
    assert [(r["member"], r["answer"]) for r in shown["rsvps"]] == [(ana, "yes")]
    assert shown["rsvps"][0]["checked_in_at"]
    assert shown["checked_in"] == 1

    edited = organiser("event", "edit", event["id"], "--location", "Park", "--status", "cancelled", "--json").json()
    assert (edited["location"], edited["status"], edited["title"]) == ("Park", "cancelled", "Assembly")

    assert organiser("event", "delete", second).code == 0
    assert [e["id"] for e in organiser("event", "list", "--json").json()] == [event["id"]]


def test_task_add_list_show_edit_delete(ready):
    organiser = ready
    ana = organiser("member", "add", "--name", "Ana").out.strip()
    event = organiser("event", "add", "--title", "Assembly", "--start", "2026-12-03T19:00").out.strip()
    task = organiser("task", "add", "--title", "Posters", "--assignee", ana[:8], "--due", "2026-12-01",
                     "--status", "doing", "--priority", "2", "--event", event, "--json").json()
    assert (task["title"], task["assignee"], task["due"], task["status"], task["priority"], task["event"]) == \
        ("Posters", ana, "2026-12-01", "doing", 2, event)
    chairs = organiser("task", "add", "--title", "Chairs").out.strip()

    listed = organiser("task", "list", "--json").json()
    assert {t["id"] for t in listed} == {task["id"], chairs}
    assert all({"id", "title", "status", "assignee", "due", "priority", "event"} <= set(t) for t in listed)
    assert [t["id"] for t in organiser("task", "list", "--assignee", ana, "--json").json()] == [task["id"]]

    edited = organiser("task", "edit", task["id"], "--status", "done", "--json").json()
    assert (edited["status"], edited["title"]) == ("done", "Posters")
    assert organiser("task", "show", task["id"], "--json").json() == edited

    assert organiser("task", "delete", chairs).code == 0
    assert [t["id"] for t in organiser("task", "list", "--json").json()] == [task["id"]]
