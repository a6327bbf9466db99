"""The booking arithmetic at its boundaries, worked by hand (test_rules.py has the properties).

Found by mutation testing (scripts/mutation): each test pins an edge of booking/rules.py that
the property tests did not reach (seconds off the slot grid, inclusive ends, week limits).
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+05:45: a zone whose hours are not UTC's
BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0, *, day: int = 1, tz=UTC) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=tz)


def test_conflicts_are_exactly_the_overlapping_intervals_in_order():
    candidate = (at(10), at(12))
    taken = [
        (at(8), at(10)),  # touches the start: no conflict
        (at(9), at(11)),
        (at(12), at(13)),  # touches the end: no conflict
        (at(11, 59), at(14)),
        (at(10, 30), at(11)),
    ]
    assert rules.conflicts(candidate, taken) == [taken[1], taken[3], taken[4]]
    assert rules.conflicts(candidate, []) == []


def test_blocked_adds_the_buffer_after_the_end_only():
    assert rules.blocked(at(10), at(11), timedelta(minutes=15)) == (at(10), at(11, 15))


def test_local_minutes_are_counted_on_the_local_clock():
    assert rules.local_minutes(at(1, 30), SHANGHAI) == 9 * 60 + 30
    assert rules.local_minutes(at(0), KATHMANDU) == 5 * 60 + 45
    assert rules.local_minutes(at(23, 59), UTC) == 23 * 60 + 59


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(8, 0).replace(second=1), at(9)),
        (at(8, 0).replace(microsecond=1), at(9)),
        (at(8), at(9).replace(second=1)),
        (at(8), at(9).replace(microsecond=1)),
    ],
)
def test_times_off_the_minute_are_never_on_the_grid(start, end):
    assert not rules.on_slot_grid(start, end, slot_minutes=1, tz=UTC)


def test_the_slot_grid_starts_at_local_midnight():
    start, end = at(0), at(1)  # 08:00-09:00 in Shanghai, 05:45-06:45 in Kathmandu
    assert rules.on_slot_grid(start, end, slot_minutes=60, tz=SHANGHAI)
    assert not rules.on_slot_grid(start, end, slot_minutes=60, tz=KATHMANDU)
    assert rules.on_slot_grid(start, end, slot_minutes=15, tz=KATHMANDU)
    assert not rules.on_slot_grid(at(0), at(0, 45), slot_minutes=30, tz=SHANGHAI)
    assert rules.on_slot_grid(at(0), at(1, 30), slot_minutes=30, tz=SHANGHAI)


def test_within_includes_both_ends_of_a_window():
    window = (at(8), at(12))
    assert rules.within(window, [window])
    assert rules.within((at(8), at(9)), [window])
    assert rules.within((at(11), at(12)), [window])
    assert not rules.within((at(7, 59), at(9)), [window])
    assert not rules.within((at(11), at(12, 1)), [window])
    assert not rules.within(window, [])
    assert rules.within((at(13), at(14)), [window, (at(13), at(15))])


def test_local_window_is_in_the_given_zone():
    opens, closes = rules.local_window(date(2026, 6, 1), time(8), time(21), SHANGHAI)
    assert opens == datetime(2026, 6, 1, 0, tzinfo=UTC)
    assert closes == datetime(2026, 6, 1, 13, tzinfo=UTC)


def test_intersect_keeps_real_overlaps_only_and_sorts_them():
    a = [(at(14), at(18)), (at(8), at(10))]
    b = [(at(9), at(15)), (at(18), at(20)), (at(6), at(8))]
    assert rules.intersect(a, b) == [(at(9), at(10)), (at(14), at(15))]
    assert rules.intersect(a, []) == []


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 6, 1), date(2026, 6, 1)),  # a Monday
        (date(2026, 6, 3), date(2026, 6, 1)),
        (date(2026, 6, 7), date(2026, 6, 1)),  # a Sunday
        (date(2026, 6, 8), date(2026, 6, 8)),
    ],
)
def test_weeks_start_on_monday(day, monday):
    assert rules.week_start(day) == monday


def test_usage_of_a_day_and_of_a_week():
    bookings = [
        (at(0, day=1), at(0, 20, day=1)),  # Mon 1 June, 08:00 Shanghai, 20 minutes
        (at(2, day=3), at(4, day=3)),  # Wed, two hours
        (at(2, day=7), at(3, day=7)),  # Sun, one hour
        (at(2, day=8), at(3, day=8)),  # the next Monday: another week
        (datetime(2026, 5, 31, 2, tzinfo=UTC), datetime(2026, 5, 31, 3, tzinfo=UTC)),  # Sun before
    ]
    monday = rules.usage(bookings, tz=SHANGHAI, day=date(2026, 6, 1), week=False)
    assert monday == rules.Usage(1, Decimal("0.33"))
    week = rules.usage(bookings, tz=SHANGHAI, day=date(2026, 6, 3), week=True)
    assert week == rules.Usage(3, Decimal("3.33"))
    assert rules.usage([], tz=SHANGHAI, day=date(2026, 6, 3), week=True) == rules.Usage(
        0, Decimal("0.00")
    )


def test_usage_counts_whole_seconds_and_rounds_to_hundredths():
    start = at(3)
    used = rules.usage(
        [(start, start + timedelta(minutes=59, seconds=59, microseconds=999999))],
        tz=UTC,
        day=date(2026, 6, 1),
        week=False,
    )
    assert used.hours == Decimal("1.00")
    assert str(used.hours) == "1.00"


def test_weekly_occurrences_take_the_chosen_weekdays_up_to_the_last_date():
    found = rules.weekly_occurrences(
        first_date=date(2026, 6, 1),
        last_date=date(2026, 6, 10),
        weekdays=[0, 2],
        start_time=time(9),
        duration=timedelta(hours=2),
        tz=SHANGHAI,
    )
    assert found == [
        (at(1, day=1), at(3, day=1)),
        (at(1, day=3), at(3, day=3)),
        (at(1, day=8), at(3, day=8)),
        (at(1, day=10), at(3, day=10)),
    ]
    assert all(start.utcoffset() == timedelta(0) for start, _end in found)
    assert (
        rules.weekly_occurrences(
            first_date=date(2026, 6, 2),
            last_date=date(2026, 6, 1),
            weekdays=range(7),
            start_time=time(9),
            duration=timedelta(hours=1),
            tz=SHANGHAI,
        )
        == []
    )


def test_a_booking_repeated_weekly_keeps_its_local_time_and_length():
    start = datetime(2026, 3, 23, 19, tzinfo=BERLIN)
    found = rules.same_local_time_weekly(start, start + timedelta(minutes=45), weeks=3, tz=BERLIN)
    assert [s.astimezone(BERLIN) for s, _e in found] == [
        start,
        start + timedelta(weeks=1),
        start + timedelta(weeks=2),
    ]
    assert [s.astimezone(UTC).hour for s, _e in found] == [18, 17, 17]
    assert all(e - s == timedelta(minutes=45) for s, e in found)
    assert len(rules.same_local_time_weekly(start, start, weeks=1, tz=BERLIN)) == 1


def test_usage_counts_the_day_on_the_given_zones_calendar():
    # 23:30 in Berlin on 4 May is already 5 May in UTC and in Shanghai (the site's own zone).
    start = datetime(2026, 5, 4, 23, 30, tzinfo=BERLIN)
    booking = [(start, start + timedelta(hours=1))]
    assert rules.usage(booking, tz=BERLIN, day=date(2026, 5, 4), week=False).count == 1
    assert rules.usage(booking, tz=BERLIN, day=date(2026, 5, 5), week=False).count == 0
    assert rules.usage(booking, tz=SHANGHAI, day=date(2026, 5, 5), week=False).count == 1


def test_usage_hours_are_exact_for_long_and_short_bookings():
    start = at(0)
    long = [(start, start + timedelta(hours=100))]
    assert rules.usage(long, tz=UTC, day=date(2026, 6, 1), week=False).hours == Decimal("100.00")
    # 18 seconds are 0.005 hours, rounded half to even: 0.00; 19 seconds round up.
    short = [(start, start + timedelta(seconds=18))]
    assert rules.usage(short, tz=UTC, day=date(2026, 6, 1), week=False).hours == Decimal("0.00")
    short = [(start, start + timedelta(seconds=19))]
    assert rules.usage(short, tz=UTC, day=date(2026, 6, 1), week=False).hours == Decimal("0.01")
