"""The arithmetic behind the booking rules: pure functions of times and numbers, no database.

The services gather the facts (the resource's settings, the reader's other bookings, opening
hours) and ask these functions; property-based tests exercise them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open intervals [start, end) share at least one instant."""
    return a[0] < b[1] and b[0] < a[1]


def blocked(start: datetime, end: datetime, buffer: timedelta) -> Interval:
    """The time a booking keeps others away: the booking and the buffer after it.

    Two bookings whose blocked intervals do not overlap are at least ``buffer`` apart, whichever
    comes first.
    """
    return start, end + buffer


def conflicts(candidate: Interval, taken: Iterable[Interval]) -> list[Interval]:
    return [interval for interval in taken if overlaps(candidate, interval)]


def local_minutes(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute


def on_slot_grid(start: datetime, end: datetime, *, slot_minutes: int, tz: ZoneInfo) -> bool:
    """Start on a slot boundary (local clock, from midnight) and last whole slots."""
    if start.second or start.microsecond or end.second or end.microsecond:
        return False
    length = (end - start).total_seconds() / 60
    return local_minutes(start, tz) % slot_minutes == 0 and length % slot_minutes == 0


def within(inner: Interval, windows: Iterable[Interval]) -> bool:
    """``inner`` lies entirely inside one of ``windows``."""
    return any(w[0] <= inner[0] and inner[1] <= w[1] for w in windows)


def local_window(day: date, opens: time, closes: time, tz: ZoneInfo) -> Interval:
    return (datetime.combine(day, opens, tzinfo=tz), datetime.combine(day, closes, tzinfo=tz))


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            start, end = max(x[0], y[0]), min(x[1], y[1])
            if start < end:
                out.append((start, end))
    return sorted(out)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Usage:
    count: int
    hours: Decimal


def usage(intervals: Iterable[Interval], *, tz: ZoneInfo, day: date, week: bool) -> Usage:
    """Bookings (and hours) a reader has on ``day``, or in the Monday-based week holding it.

    A booking counts towards the local day (and week) on which it starts.
    """
    first = week_start(day) if week else day
    last = first + timedelta(days=7 if week else 1)
    count, seconds = 0, 0
    for start, end in intervals:
        if first <= start.astimezone(tz).date() < last:
            count += 1
            seconds += int((end - start).total_seconds())
    return Usage(count, (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01")))


def weekly_occurrences(
    *,
    first_date: date,
    last_date: date,
    weekdays: Iterable[int],
    start_time: time,
    duration: timedelta,
    tz: ZoneInfo,
) -> list[Interval]:
    """Every occurrence from ``first_date`` to ``last_date`` on the given weekdays, in UTC.

    Each one starts at the same local wall-clock time; across a daylight-saving change the UTC
    instant moves by the hour instead of the event drifting to another local time. A local time
    that does not exist that day (skipped by the clock change) is moved forward by the gap.
    """
    wanted = set(weekdays)
    out: list[Interval] = []
    day = first_date
    while day <= last_date:
        if day.weekday() in wanted:
            local = datetime.combine(day, start_time, tzinfo=tz)
            # Round-trip through UTC normalises a non-existent local time (spring forward).
            start = local.astimezone(ZoneInfo("UTC"))
            out.append((start, start + duration))
        day += timedelta(days=1)
    return out


def same_local_time_weekly(start: datetime, end: datetime, *, weeks: int, tz: ZoneInfo) -> list:
    """``weeks`` weekly repeats of one booking, each at the same local clock time."""
    local_start = start.astimezone(tz)
    duration = end - start
    return weekly_occurrences(
        first_date=local_start.date(),
        last_date=local_start.date() + timedelta(weeks=weeks - 1),
        weekdays=[local_start.weekday()],
        start_time=local_start.time().replace(tzinfo=None),
        duration=duration,
        tz=tz,
    )
