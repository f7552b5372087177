"""Hybrid logical clock: strictly increasing, absorbs peers, reports far-future stamps."""

from __future__ import annotations

from organiser.core.hlc import LIMIT_MS, MAX_DRIFT_MS, HybridClock, make_stamp, physical_ms, stamp_to_iso


class Wall:
    """A wall clock the test moves by hand (including backwards, as NTP does)."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_strictly_increase_even_when_the_wall_clock_stands_still_or_goes_back():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    stamps = [clock.now() for _ in range(5)]
    wall.ms -= 5_000
    stamps += [clock.now() for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_a_stamp_follows_the_wall_clock_when_it_moves_forward():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    clock.now()
    wall.ms += 1234
    assert physical_ms(clock.now()) == 1_800_000_001_234


def test_a_remote_stamp_ahead_of_ours_is_absorbed_so_later_local_stamps_are_above_it():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    remote = make_stamp(wall.ms + 5_000, 7)
    assert clock.observe(remote) is None  # five seconds of skew is normal, not reported
    assert clock.now() > remote


def test_an_older_remote_stamp_does_not_move_the_clock_back():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    mine = clock.now()
    clock.observe(make_stamp(wall.ms - 60_000))
    assert clock.now() > mine


def test_a_stamp_hours_ahead_is_reported_with_how_far_ahead_and_still_absorbed():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    ten_hours = 10 * 3600 * 1000
    far = make_stamp(wall.ms + ten_hours)
    report = clock.observe(far)
    assert report is not None
    assert report.ahead_seconds == ten_hours / 1000
    assert clock.now() > far  # a later local edit can still overwrite what it stamped


def test_a_stamp_more_than_a_day_ahead_is_reported_and_never_absorbed():
    wall = Wall(1_800_000_000_000)
    clock = HybridClock(wall_ms=wall)
    for far in (make_stamp(wall.ms + LIMIT_MS + 1), (1 << 62) - 1):  # up to the format's maximum
        report = clock.observe(far)
        assert report is not None and report.ahead_seconds > LIMIT_MS / 1000
        assert physical_ms(clock.now()) == wall.ms


def test_a_stored_stamp_beyond_the_limit_is_not_carried_on_after_a_restart():
    wall = Wall(1_800_000_000_000)
    assert physical_ms(HybridClock((1 << 62) - 1, wall_ms=wall).now()) == wall.ms


def test_skew_just_under_the_limit_is_not_reported():
    wall = Wall(1_800_000_000_000)
    assert HybridClock(wall_ms=wall).observe(make_stamp(wall.ms + MAX_DRIFT_MS)) is None


def test_a_clock_restarted_from_its_stored_stamp_continues_above_it():
    wall = Wall(1_800_000_000_000)
    first = HybridClock(wall_ms=wall)
    last = max(first.now() for _ in range(3))
    wall.ms -= 10_000  # the computer's clock was set back while the app was closed
    assert HybridClock(last, wall_ms=wall).now() > last


def test_a_stamp_reads_back_as_a_utc_time():
    assert stamp_to_iso(make_stamp(1_800_000_000_123, 5)) == "2027-01-15T08:00:00.123Z"
