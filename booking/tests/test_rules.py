"""Property-based tests of the booking arithmetic (overlap, buffer, quota, recurrence)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from booking import rules

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 3, 1, tzinfo=UTC)

minutes = st.integers(min_value=0, max_value=60 * 24 * 30)
lengths = st.integers(min_value=1, max_value=600)


@st.composite
def intervals(draw):
    start = BASE + timedelta(minutes=draw(minutes))
    return start, start + timedelta(minutes=draw(lengths))


@given(intervals(), intervals())
def test_overlap_is_symmetric_and_matches_a_minute_by_minute_check(a, b):
    assert rules.overlaps(a, b) == rules.overlaps(b, a)
    shared = max(a[0], b[0]) < min(a[1], b[1])
    assert rules.overlaps(a, b) == shared


@given(intervals())
def test_touching_intervals_do_not_overlap(a):
    after = (a[1], a[1] + timedelta(minutes=30))
    assert not rules.overlaps(a, after)


@given(intervals(), intervals(), st.integers(min_value=0, max_value=120))
def test_blocked_intervals_clash_exactly_when_the_gap_is_shorter_than_the_buffer(a, b, buffer):
    pad = timedelta(minutes=buffer)
    clash = rules.overlaps(rules.blocked(*a, pad), rules.blocked(*b, pad))
    first, second = sorted([a, b])
    gap = second[0] - first[1]
    if rules.overlaps(a, b):
        assert clash
    else:
        assert clash == (gap < pad)


@given(st.lists(intervals(), max_size=20), st.integers(min_value=0, max_value=29))
def test_weekly_usage_is_the_sum_of_its_days(bookings, offset):
    day = (BASE + timedelta(days=offset)).astimezone(SHANGHAI).date()
    monday = rules.week_start(day)
    week = rules.usage(bookings, tz=SHANGHAI, day=day, week=True)
    days = [
        rules.usage(bookings, tz=SHANGHAI, day=monday + timedelta(days=n), week=False)
        for n in range(7)
    ]
    assert week.count == sum(d.count for d in days)
    assert abs(week.hours - sum(d.hours for d in days)) <= Decimal("0.07")


def test_usage_counts_a_booking_on_the_local_day_it_starts():
    # 23:30–00:30 Shanghai time: it belongs to the first day only.
    start = datetime(2026, 5, 4, 23, 30, tzinfo=SHANGHAI)
    used = rules.usage(
        [(start, start + timedelta(hours=1))], tz=SHANGHAI, day=date(2026, 5, 4), week=False
    )
    assert (used.count, used.hours) == (1, Decimal("1.00"))
    next_day = rules.usage(
        [(start, start + timedelta(hours=1))], tz=SHANGHAI, day=date(2026, 5, 5), week=False
    )
    assert next_day.count == 0


@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=1, max_value=30),
    st.times(min_value=time(6), max_value=time(22)).map(
        lambda t: t.replace(second=0, microsecond=0)
    ),
)
def test_weekly_occurrences_keep_the_local_time_across_daylight_saving(first, weeks, at):
    found = rules.weekly_occurrences(
        first_date=first,
        last_date=first + timedelta(weeks=weeks) - timedelta(days=1),
        weekdays=[first.weekday()],
        start_time=at,
        duration=timedelta(minutes=90),
        tz=BERLIN,
    )
    assert len(found) == weeks
    for n, (start, end) in enumerate(found):
        local = start.astimezone(BERLIN)
        assert local.date() == first + timedelta(weeks=n)
        if not (local.hour == at.hour + 1 and local.minute == at.minute):  # a skipped local hour
            assert local.time() == at
        assert end - start == timedelta(minutes=90)


def test_occurrences_move_in_utc_when_berlin_changes_its_clocks():
    # 2026-03-29 is the spring change in Europe: 19:00 local is 18:00 UTC before, 17:00 after.
    found = rules.weekly_occurrences(
        first_date=date(2026, 3, 23),
        last_date=date(2026, 4, 5),
        weekdays=[0, 3],
        start_time=time(19),
        duration=timedelta(hours=1),
        tz=BERLIN,
    )
    assert [s.astimezone(UTC).hour for s, _e in found] == [18, 18, 17, 17]
    assert all(s.astimezone(BERLIN).hour == 19 for s, _e in found)
    assert [s.astimezone(BERLIN).weekday() for s, _e in found] == [0, 3, 0, 3]


def test_a_local_time_skipped_by_the_clock_change_moves_forward():
    ((start, _end),) = rules.weekly_occurrences(
        first_date=date(2026, 3, 29),
        last_date=date(2026, 3, 29),
        weekdays=[6],
        start_time=time(2, 30),
        duration=timedelta(hours=1),
        tz=BERLIN,
    )
    assert start.astimezone(BERLIN).time() == time(3, 30)


@given(st.integers(min_value=0, max_value=47), st.sampled_from([15, 30, 60]), lengths)
def test_slot_grid(start_slot, slot, length):
    start = datetime(2026, 6, 1, tzinfo=SHANGHAI) + timedelta(minutes=start_slot * 30)
    end = start + timedelta(minutes=length)
    expected = (start_slot * 30) % slot == 0 and length % slot == 0
    assert rules.on_slot_grid(start, end, slot_minutes=slot, tz=SHANGHAI) == expected


def test_intersect_and_within():
    day = date(2026, 6, 1)
    hours = [rules.local_window(day, time(8), time(21), SHANGHAI)]
    own = [
        rules.local_window(day, time(7), time(10), SHANGHAI),
        rules.local_window(day, time(14), time(16), SHANGHAI),
    ]
    windows = rules.intersect(hours, own)
    assert [(s.hour, e.hour) for s, e in windows] == [(8, 10), (14, 16)]
    inside = (windows[1][0], windows[1][0] + timedelta(hours=1))
    across = (windows[0][0], windows[1][0])
    assert rules.within(inside, windows)
    assert not rules.within(across, windows)
