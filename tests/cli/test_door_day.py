"""`event checkin` on a day the event does not meet still checks in (arrivals may be recorded
after the evening) and says so on stderr: the host may have picked last week's assembly. A real
process reads the real clock, so the events here are dated from it."""

from __future__ import annotations

from datetime import datetime, timedelta


def test_a_check_in_on_another_day_is_done_and_said_and_today_says_nothing(organiser):
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    assert organiser("member", "add", "--name", "Ana López").code == 0
    now = datetime.now()
    ahead = (now + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    # from yesterday to tomorrow: "today" whenever the test runs, even across a midnight
    around = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    assert organiser("event", "add", "--title", "Winter social", "--start", f"{ahead:%Y-%m-%dT%H:%M}").code == 0
    assert organiser("event", "add", "--title", "Open day", "--start", f"{around:%Y-%m-%dT%H:%M}",
                     "--end", f"{around + timedelta(days=2, hours=23):%Y-%m-%dT%H:%M}").code == 0

    early = organiser("event", "checkin", "Winter social", "Ana")
    assert early.code == 0 and "checked in Ana López" in early.out
    assert early.err.strip() == (f"organiser: note: Winter social is on {ahead:%A %-d %B %Y}, not today; the "
                                 "check-in is recorded with today's time ('--undo' takes it back).")
    assert organiser("event", "show", "Winter social", "--json").json()["checked_in"] == 1

    on_the_day = organiser("event", "checkin", "Open day", "Ana")
    assert on_the_day.code == 0 and on_the_day.err == ""
