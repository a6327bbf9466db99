"""Monthly partitions of the activity record (PostgreSQL declarative partitioning).

Months are the library's months (Asia/Shanghai). A DEFAULT partition catches any event outside
the months created so far, so writing an event never fails for want of a partition; when its
month is created later, the rows waiting in the default partition are moved into it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

TABLE = "insight_activityevent"
DEFAULT = f"{TABLE}_default"
_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(moment: dt.datetime | dt.date) -> dt.datetime:
    """The start of the library month that ``moment`` falls in, as an aware datetime."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(_zone()).date()
    return dt.datetime(moment.year, moment.month, 1, tzinfo=_zone())


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    index = start.year * 12 + start.month - 1 + months
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=_zone())


def name_of(start: dt.datetime) -> str:
    return f"{TABLE}_y{start.year:04d}m{start.month:02d}"


def existing() -> dict[str, dt.datetime]:
    """The monthly partitions that exist, by name, with the start of their month."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            found[name] = dt.datetime(int(match[1]), int(match[2]), 1, tzinfo=_zone())
    return found


@transaction.atomic
def ensure_month(start: dt.datetime) -> bool:
    """Create the partition of the month starting at ``start``; False if it already exists."""
    start = month_start(start)
    end = add_months(start, 1)
    name = name_of(start)
    with connection.cursor() as cursor:
        # One creator at a time: two beat runs (or a migration beside one) must not race.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS)')
        # Rows that arrived before the month existed wait in the default partition; they move
        # before the month is attached (attaching would otherwise fail on them).
        # Table names come from name_of() (digits only); values are parameters.
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT}" WHERE occurred_at >= %s AND occurred_at < %s '  # noqa: S608
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
            [start, end],
        )
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [start, end],
        )
    return True


def ensure_months(*, around: dt.datetime, back: int = 0, ahead: int = 2) -> list[str]:
    """Make sure the months from ``back`` before ``around`` to ``ahead`` after it exist."""
    first = month_start(around)
    created = []
    for offset in range(-back, ahead + 1):
        start = add_months(first, offset)
        if ensure_month(start):
            created.append(name_of(start))
    return created


@transaction.atomic
def drop_before(cutoff: dt.datetime) -> list[str]:
    """Drop every monthly partition that ends on or before ``cutoff`` (a month start), and
    delete the default partition's rows before it. Returns the dropped partitions' names."""
    dropped = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
        for name, start in sorted(existing().items(), key=lambda item: item[1]):
            if add_months(start, 1) <= cutoff:
                cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
                cursor.execute(f'DROP TABLE "{name}"')
                dropped.append(name)
        cursor.execute(f'DELETE FROM "{DEFAULT}" WHERE occurred_at < %s', [cutoff])  # noqa: S608
    return dropped
