"""Writing the activity record, rolling it up, and forgetting it.

``record`` is called by the services that make the change, inside their transaction: an event
exists exactly when the change it describes was committed, so a retried task or a rolled-back
booking leaves no stray event. Refusals (a rule said no, so nothing is written) are recorded
by ``record_refusal`` after the refused transaction, in their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core import kept
from core.tasks import enqueue

from . import partitions
from .kinds import KINDS
from .models import (
    DIMENSIONS,
    HOURLY_LEVELS,
    LEVELS,
    ActivityEvent,
    DataExport,
    RollupState,
    YearReview,
)

HOUR = dt.timedelta(hours=1)
# One beat run rolls up at most this many hours (a week), so a run after a long outage is
# bounded; the next run goes on from where it stopped.
MAX_HOURS_PER_RUN = 168


def pseudonym(user_id: int) -> str:
    """The keyed hash that stands for a reader in the activity record."""
    key = settings.INSIGHT_PSEUDONYM_KEY or f"insight-pseudonym:{settings.SECRET_KEY}"
    return hmac.new(key.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


def _subject(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        label, pk = subject
        return label, str(pk)
    # A Wagtail page is counted as its specific type (a course, not a page).
    model = getattr(subject, "specific_class", None) or type(subject)
    return model._meta.concrete_model._meta.label_lower, str(subject.pk)


def _known(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")


def event_for(
    kind: str,
    *,
    user: Any = None,
    subject: Any = None,
    outcome: str = "",
    value: float | None = None,
    quantity: float | None = None,
    location: str = "",
    term: str = "",
    at: dt.datetime | None = None,
) -> ActivityEvent:
    """An unsaved event (``record`` saves one; bulk writers save many at once)."""
    _known(kind)
    subject_type, subject_id = _subject(subject)
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return ActivityEvent(
        occurred_at=at or timezone.now(),
        kind=kind,
        actor=pseudonym(user.pk) if signed_in else "",
        person_id=user.pk if signed_in else None,
        audience=(getattr(user, "audience_group", "") or "") if signed_in else "",
        district=(getattr(user, "district", "") or "") if signed_in else "",
        location=location[:60],
        subject_type=subject_type,
        subject_id=subject_id,
        outcome=outcome[:40],
        value=value,
        quantity=quantity,
        term=" ".join(term.split()).lower()[:100],
    )


def record(kind: str, **fields: Any) -> ActivityEvent:
    """Write one event in the caller's transaction (see ``event_for`` for the fields)."""
    event = event_for(kind, **fields)
    event.save(force_insert=True)
    return event


def record_soon(kind: str, **fields: Any) -> None:
    """Write one event through the worker, for what is counted on every page view: the page
    answers without a database write (a query less on every page, none under a rush).

    At most once: the message is not retried or redelivered, so a crashed worker loses a view
    rather than counting one twice; a broker that is down never breaks the page.
    """
    event = event_for(kind, **fields)
    values = {
        field.attname: getattr(event, field.attname)
        for field in ActivityEvent._meta.concrete_fields
        if not field.primary_key
    }
    values["occurred_at"] = event.occurred_at.isoformat()
    # A page kept for visitors (core.pagecache) counts this view again each time it is served.
    if (making := kept.making()) is not None:
        making.replay.append(values)
    _send(values)


def send_again(values: dict[str, Any]) -> None:
    """An event recorded while a kept page was made, for another view of that page now."""
    _send({**values, "occurred_at": timezone.now().isoformat()})


def _send(values: dict[str, Any]) -> None:
    from .tasks import record_event

    try:
        record_event.apply_async(kwargs={"values": values}, retry=False)
    except Exception:  # statistics never cost a reader their page
        import logging

        logging.getLogger(__name__).warning(
            "activity event %s not sent", values.get("kind"), exc_info=True
        )


def write_event(*, values: dict[str, Any]) -> None:
    """The worker's side of ``record_soon``."""
    fields = dict(values)
    fields["occurred_at"] = dt.datetime.fromisoformat(fields["occurred_at"])
    _known(fields["kind"])
    ActivityEvent.objects.create(**fields)


def record_refusal(kind: str, **fields: Any) -> None:
    """Write an event about something that was refused. Called after the refused transaction
    rolled back; inside an outer transaction it would roll back with it, so it waits for that
    transaction to commit (a refusal inside a failed outer transaction is not recorded)."""
    event = event_for(kind, **fields)
    transaction.on_commit(lambda: event.save(force_insert=True))


# --- Roll-ups -----------------------------------------------------------------------------------

_DIMENSIONS_SQL = ", ".join(DIMENSIONS)
_SUMS = "sum(s.events), sum(s.value_sum), sum(s.quantity_sum)"
_COLUMNS = f"level, {_DIMENSIONS_SQL}, events, value_sum, quantity_sum"
# The library day of an hourly row ``s`` (the time zone is a parameter).
_HOUR_DAY = "(s.hour AT TIME ZONE %s)::date"


def _same(left: str, right: str, dims: tuple[str, ...] = DIMENSIONS) -> str:
    """SQL: the rows ``left`` and ``right`` agree on ``dims``."""
    return " AND ".join(f"{left}.{name} = {right}.{name}" for name in dims)


def _kept(alias: str, dims: tuple[str, ...]) -> str:
    """SQL: the dimensions of ``alias``, with "" for those a level does not keep."""
    return ", ".join(
        f"{alias}.{name}" if name in dims else f"''::varchar AS {name}" for name in DIMENSIONS
    )


def _grouped(alias: str, dims: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{name}" for name in dims)


def floor_hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def roll_up_hour(hour: dt.datetime) -> int:
    """Recount one hour from the raw events, and what it changes in its day and month."""
    hour = floor_hour(hour)
    return roll_up_range(hour, hour + HOUR)


@transaction.atomic
def roll_up_range(start: dt.datetime, end: dt.datetime) -> int:
    """Recount every hour in [start, end) from the raw events; then, in the days and months
    those hours fall in, recount at each level only the rows of the dimensions those hours had
    before or have now (the rest of the day cannot have changed): days from hours, months
    from days.

    Idempotent: rows are replaced by recounts, never incremented, so running it again gives the
    same numbers. Also the back-fill of a first deploy or a repair (one pass over the range).
    Returns the number of events counted.
    """
    start, end = floor_hour(start), floor_hour(end)
    library_zone = timezone.get_current_timezone()
    zone = str(library_zone)
    dims = _DIMENSIONS_SQL
    # The (day, dimensions) of the range's hours, added to the rows whose days may change.
    touch = (
        f"INSERT INTO insight_touched SELECT DISTINCT {_HOUR_DAY} AS day, "  # noqa: S608
        f"{_kept('s', DIMENSIONS)} FROM insight_hourlyrollup s "
        f"WHERE s.level = 'full' AND s.hour >= %s AND s.hour < %s"
    )
    with connection.cursor() as cursor:
        # Two roll-ups of overlapping ranges (two beat processes) queue here.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('insight-rollup'))")
        cursor.execute("DROP TABLE IF EXISTS insight_touched")
        cursor.execute(
            f"CREATE TEMP TABLE insight_touched ON COMMIT DROP AS SELECT day, {dims} "  # noqa: S608
            f"FROM insight_dailyrollup WITH NO DATA"
        )
        # Those of the hours before ...
        cursor.execute(touch, [zone, start, end])
        cursor.execute(
            "DELETE FROM insight_hourlyrollup WHERE hour >= %s AND hour < %s", [start, end]
        )
        cursor.execute(
            f"INSERT INTO insight_hourlyrollup (hour, {_COLUMNS}) "  # noqa: S608
            f"SELECT date_trunc('hour', occurred_at), 'full', {dims}, count(*), "
            f"COALESCE(sum(value), 0), COALESCE(sum(quantity), 0) "
            f"FROM insight_activityevent WHERE occurred_at >= %s AND occurred_at < %s "
            f"GROUP BY date_trunc('hour', occurred_at), {dims}",
            [start, end],
        )
        for level, kept in HOURLY_LEVELS.items():
            if level != "full":
                cursor.execute(
                    f"INSERT INTO insight_hourlyrollup (hour, {_COLUMNS}) "  # noqa: S608
                    f"SELECT s.hour, %s, {_kept('s', kept)}, {_SUMS} FROM insight_hourlyrollup s "
                    f"WHERE s.level = 'full' AND s.hour >= %s AND s.hour < %s "
                    f"GROUP BY s.hour, {_grouped('s', kept)}",
                    [level, start, end],
                )
        # ... and those of the hours now.
        cursor.execute(touch, [zone, start, end])
        cursor.execute("SELECT min(day), max(day) FROM insight_touched")
        first_day, last_day = cursor.fetchone()
        if first_day is not None:
            day_start = dt.datetime.combine(first_day, dt.time(), tzinfo=library_zone)
            day_end = dt.datetime.combine(
                last_day + dt.timedelta(days=1), dt.time(), tzinfo=library_zone
            )
            month_start = first_day.replace(day=1)
            month_end = partitions.add_months(partitions.month_start(last_day), 1).date()
            for level, kept in LEVELS.items():
                _roll_up_level(
                    cursor,
                    level=level,
                    kept=kept,
                    zone=zone,
                    days=(day_start, day_end),
                    months=(month_start, month_end),
                )
        cursor.execute("DROP TABLE insight_touched")
        cursor.execute(
            "SELECT COALESCE(sum(events), 0) FROM insight_hourlyrollup "
            "WHERE level = 'full' AND hour >= %s AND hour < %s",
            [start, end],
        )
        return int(cursor.fetchone()[0])


def _roll_up_level(cursor, *, level: str, kept: tuple[str, ...], zone: str, days, months) -> None:
    """Recount one level's daily and monthly rows for the touched dimensions it keeps."""
    cursor.execute("DROP TABLE IF EXISTS insight_touched_level")
    cursor.execute(
        f"CREATE TEMP TABLE insight_touched_level ON COMMIT DROP AS "  # noqa: S608
        f"SELECT DISTINCT t.day, {_kept('t', kept)} FROM insight_touched t"
    )
    cursor.execute(
        f"DELETE FROM insight_dailyrollup d USING insight_touched_level t "  # noqa: S608
        f"WHERE d.level = %s AND d.day = t.day AND {_same('d', 't', kept)}",
        [level],
    )
    cursor.execute(
        f"INSERT INTO insight_dailyrollup (day, {_COLUMNS}) "  # noqa: S608
        f"SELECT {_HOUR_DAY}, %s, {_kept('s', kept)}, {_SUMS} FROM insight_hourlyrollup s "
        f"WHERE s.level = 'full' AND s.hour >= %s AND s.hour < %s AND EXISTS "
        f"(SELECT 1 FROM insight_touched_level t WHERE t.day = {_HOUR_DAY} "
        f"AND {_same('s', 't', kept)}) GROUP BY {_HOUR_DAY}, {_grouped('s', kept)}",
        [zone, level, *days, zone, zone],
    )
    cursor.execute(
        f"DELETE FROM insight_monthlyrollup m USING insight_touched_level t "  # noqa: S608
        f"WHERE m.level = %s AND m.month = date_trunc('month', t.day)::date "
        f"AND {_same('m', 't', kept)}",
        [level],
    )
    cursor.execute(
        f"INSERT INTO insight_monthlyrollup (month, {_COLUMNS}) "  # noqa: S608
        f"SELECT date_trunc('month', s.day)::date, %s, {_kept('s', kept)}, {_SUMS} "
        f"FROM insight_dailyrollup s WHERE s.level = %s AND s.day >= %s AND s.day < %s "
        f"AND EXISTS (SELECT 1 FROM insight_touched_level t "
        f"WHERE date_trunc('month', t.day) = date_trunc('month', s.day) "
        f"AND {_same('s', 't', kept)}) GROUP BY date_trunc('month', s.day), {_grouped('s', kept)}",
        [level, level, *months],
    )


def closed_before(now: dt.datetime) -> dt.datetime:
    """The end of the last hour that may be rolled up at ``now`` (its grace period is over)."""
    return floor_hour(now - dt.timedelta(minutes=settings.INSIGHT_ROLLUP_GRACE_MINUTES))


def roll_up_closed_hours(*, now: dt.datetime | None = None) -> int:
    """Roll up every closed hour not rolled up yet (at most a week per run); returns how many.

    Each hour commits on its own with the watermark, so a crash loses at most the hour in hand,
    which the next run does again. Two runs at once queue on the state row.
    """
    now = now or timezone.now()
    limit = closed_before(now)
    done = 0
    while done < MAX_HOURS_PER_RUN:
        with transaction.atomic():
            state, _ = RollupState.objects.select_for_update().get_or_create(id=1)
            start = state.rolled_until
            if start is None:
                first = ActivityEvent.objects.aggregate(first=models.Min("occurred_at"))["first"]
                if first is None:
                    return done
                start = floor_hour(first)
            if start >= limit:
                return done
            roll_up_hour(start)
            state.rolled_until = start + HOUR
            state.save(update_fields=["rolled_until"])
            done += 1
    return done


def rolled_until() -> dt.datetime | None:
    state = RollupState.objects.filter(id=1).first()
    return state.rolled_until if state else None


# --- Retention and forgetting -------------------------------------------------------------------


def maintain(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Daily: months ahead exist; raw months past retention are dropped (only once rolled up);
    the link to the person is cut from events older than INSIGHT_PERSON_MONTHS."""
    now = now or timezone.now()
    created = partitions.ensure_months(around=now, ahead=2)
    this_month = partitions.month_start(now)
    cutoff = partitions.add_months(this_month, -settings.INSIGHT_RAW_MONTHS + 1)
    watermark = rolled_until()
    # Never drop what has not been counted yet.
    if watermark is None or watermark < cutoff:
        cutoff = partitions.month_start(watermark) if watermark else None
    dropped = partitions.drop_before(cutoff) if cutoff else []
    person_cutoff = partitions.add_months(this_month, -settings.INSIGHT_PERSON_MONTHS + 1)
    unlinked = ActivityEvent.objects.filter(
        occurred_at__lt=person_cutoff, person_id__isnull=False
    ).update(person_id=None)
    return {
        "created": created,
        "dropped": dropped,
        "unlinked": unlinked,
        "exports_expired": expire_exports(now=now),
    }


@transaction.atomic
def forget(*, user_id: int) -> int:
    """Account deletion: remove the reader's events from the raw record; roll-ups keep counts.

    Events in hours already rolled up are deleted. Events of hours not rolled up yet are
    stripped of everything that leads to the reader (pseudonym, person, audience, district)
    instead, so that the hour, when rolled up, still counts them.
    """
    state, _created = RollupState.objects.select_for_update().get_or_create(id=1)
    watermark = state.rolled_until
    mine = ActivityEvent.objects.filter(
        models.Q(person_id=user_id) | models.Q(actor=pseudonym(user_id))
    )
    counted = mine.filter(occurred_at__lt=watermark) if watermark else mine.none()
    deleted, _ = counted.delete()
    mine.update(person_id=None, actor="", district="", audience="", term="")
    # What was made from the record for the reader goes too: their years and their copies.
    from media.services import delete_stored_file

    YearReview.objects.filter(user_id=user_id).delete()
    for export in DataExport.objects.filter(user_id=user_id).select_related("file"):
        if export.file is not None:
            delete_stored_file(stored_file=export.file)
    DataExport.objects.filter(user_id=user_id).delete()
    return deleted


# --- A reader's data export (PIPL) ------------------------------------------------------------

EXPORT_DAYS = 7
# A pending export older than this is handed to a worker again (its task was lost or crashed).
EXPORT_STALE = dt.timedelta(minutes=30)


def request_export(*, user) -> DataExport:
    """Ask for a copy of one's data; while one is being prepared, asking again returns it."""
    from .tasks import build_export

    existing = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user)
            enqueue(build_export, str(export.pk))
    except IntegrityError:  # a second request at the same moment: the unique constraint
        return DataExport.objects.get(user=user, status=DataExport.Status.PENDING)
    return export


def build_export(*, export_id) -> str:
    """Prepare the ZIP (safe to run twice: only a pending export is completed, once)."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from core.services import notify
    from media.services import delete_stored_file

    from . import export as exporting

    export = (
        DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING)
        .select_related("user")
        .first()
    )
    if export is None:
        return "skipped"
    stored = exporting.build(export.user)
    with transaction.atomic():
        locked = DataExport.objects.select_for_update().get(pk=export_id)
        if locked.status != DataExport.Status.PENDING:
            delete_stored_file(stored_file=stored)
            return "skipped"
        now = timezone.now()
        locked.status = DataExport.Status.READY
        locked.file = stored
        locked.ready_at = now
        locked.expires_at = now + dt.timedelta(days=EXPORT_DAYS)
        locked.save()
        with translation.override(export.user.language or "zh-hans"):
            message = _("A copy of your data is ready to download for %(days)d days.") % {
                "days": EXPORT_DAYS
            }
        notify(user=export.user, message=message, url=reverse("insight:my-data"))
    return "ready"


def resume_exports(*, now: dt.datetime | None = None) -> int:
    from .tasks import build_export

    stale = (now or timezone.now()) - EXPORT_STALE
    due = DataExport.objects.filter(status=DataExport.Status.PENDING, requested_at__lt=stale)
    ids = [str(pk) for pk in due.values_list("pk", flat=True)]
    for export_id in ids:
        enqueue(build_export, export_id)
    return len(ids)


def expire_exports(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports past their week; the row stays as a record of the request."""
    from media.services import delete_stored_file

    now = now or timezone.now()
    expired = 0
    for export in DataExport.objects.filter(expires_at__lt=now, file__isnull=False).select_related(
        "file"
    ):
        stored = export.file
        DataExport.objects.filter(pk=export.pk).update(file=None)
        delete_stored_file(stored_file=stored)
        expired += 1
    return expired
