"""A rule written on another clock than the event is kept on: weekdays move with the start,
days of the month, positions and hours are said and not guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from organiser.formats.recurrence import expand
from organiser.formats.rule_days import moved_rule

WRITTEN = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # Monday 23:30 in UTC
KEPT = datetime(2026, 12, 1, 0, 30)  # Tuesday 00:30 in Berlin


def test_every_other_week_on_two_days_keeps_its_weeks_when_the_days_move() -> None:
    # MO and WE every other week (weeks from Monday) are Tuesday and Thursday in Berlin; the week's
    # first day moves too, or a fortnight's Thursday fell into the week left out
    rule = moved_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=MO", WRITTEN, KEPT, "Europe/Berlin")
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=TU"
    shown = expand(KEPT, None, rule, "Europe/Berlin", datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert [o.start.day for o in shown] == [1, 3, 15, 17, 29, 31]


@pytest.mark.parametrize("rule, part", [("FREQ=MONTHLY;BYDAY=1MO", "BYDAY"), ("FREQ=WEEKLY;BYDAY=-1MO", "BYDAY"),
                                        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "BYDAY, BYSETPOS"),
                                        ("FREQ=YEARLY", "FREQ=YEARLY"), ("FREQ=DAILY;BYHOUR=23", "BYHOUR"),
                                        ("FREQ=WEEKLY;BYDAY=MO;BYMONTH=12", "BYMONTH")])
def test_days_counted_in_a_month_a_year_or_by_hours_are_said_not_guessed(rule: str, part: str) -> None:
    with pytest.raises(ValueError, match=f"counts its days by {part} in UTC, where it starts Mon 30 Nov 23:30"):
        moved_rule(rule, WRITTEN, KEPT, "Europe/Berlin")


def test_a_start_on_the_same_day_and_hour_keeps_its_rule() -> None:
    written = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    rule = "FREQ=MONTHLY;BYDAY=1TU"
    assert moved_rule(rule, written, datetime(2026, 12, 1, 12, 0), "UTC") == rule


def test_a_start_its_rule_would_not_give_is_the_first_meeting_counted_and_can_be_left_out() -> None:
    tuesday = datetime(2026, 12, 1, 18, 0)
    window = (datetime(2026, 11, 30), datetime(2026, 12, 31))

    def days(rule: str) -> list[int]:
        return [o.start.day for o in expand(tuesday, None, rule, "America/New_York", *window)]

    assert days("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3") == [1, 2, 7]
    assert days("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=1") == [1]
    assert days("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3\nEXDATE:20261201T180000") == [2, 7]
    assert days("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2") == [1, 8]  # a start the rule gives: once
    assert days("RDATE:20261215T180000") == [1, 15]
