"""为你推荐: next courses, events and interviews for a reader, each with its reason.

Two tables are recomputed as a whole by a nightly beat task from the activity record
(``compute``): item-to-item co-occurrence (``ItemPair``: readers who took up this also took up
that) and what each audience group took up most (``PopularItem``). Both keep only what at least
INSIGHT_RECOMMEND_MIN_READERS readers share, so a recommendation never reveals one other
reader's doings.

``for_reader`` reads them for one reader at request time: things similar to their own history
first ("因为你学完了《…》"), then what their audience group takes up, then (for events) what
comes up soon. Only what the reader may use now is offered: live courses they have not
enrolled in, upcoming events open to their group that they have not booked, interviews anyone
may play.

An item is a course, an interview, or an event *series* (a weekly class is one thing to like;
its dated occurrences are how it is booked); a one-off event is its own item.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ItemPair, PopularItem
from .partitions import add_months, month_start

COURSE = "courses.coursepage"
SERIES = "booking.eventseries"
EVENT = "booking.event"
INTERVIEW = "oral_history.interview"
SECTIONS = (COURSE, EVENT, INTERVIEW)
# The kinds of activity that mean "took this up".
TAKEN_UP = ("course.enrolled", "course.completed", "booking.created", "interview.played")
# The most similar items kept for each item.
PAIRS_PER_ITEM = 20
POPULAR_PER_AUDIENCE = 50

_ENGAGED_SQL = f"""
    SELECT DISTINCT a.actor, a.audience,
        CASE WHEN e.series_id IS NOT NULL THEN '{SERIES}' ELSE a.subject_type END AS item_type,
        CASE WHEN e.series_id IS NOT NULL THEN e.series_id::text ELSE a.subject_id END AS item_id
    FROM insight_activityevent a
    LEFT JOIN booking_event e
        ON a.subject_type = '{EVENT}' AND e.id::text = a.subject_id
    WHERE a.kind = ANY(%s) AND a.occurred_at >= %s AND a.actor <> ''
        AND a.subject_type IN ('{COURSE}', '{EVENT}', '{INTERVIEW}')
"""  # noqa: S608 - constants only; values are parameters


@transaction.atomic
def compute(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Recompute both tables from the last INSIGHT_RECOMMEND_MONTHS of activity (idempotent:
    the tables are replaced in one transaction, so readers see the old ones until it commits).
    """
    since = add_months(month_start(now or timezone.now()), -settings.INSIGHT_RECOMMEND_MONTHS)
    least = settings.INSIGHT_RECOMMEND_MIN_READERS
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('insight-recommendations'))")
        cursor.execute("DROP TABLE IF EXISTS insight_engaged")
        cursor.execute(
            f"CREATE TEMP TABLE insight_engaged ON COMMIT DROP AS {_ENGAGED_SQL}",
            [list(TAKEN_UP), since],
        )
        cursor.execute("DELETE FROM insight_itempair")
        cursor.execute("DELETE FROM insight_popularitem")
        cursor.execute(
            """
            WITH taken AS (SELECT DISTINCT actor, item_type, item_id FROM insight_engaged),
            counted AS (
                SELECT item_type, item_id, count(*) AS readers FROM taken
                GROUP BY item_type, item_id HAVING count(*) >= %s
            ),
            paired AS (
                SELECT a.item_type, a.item_id, b.item_type AS other_type, b.item_id AS other_id,
                    count(*) AS readers
                FROM taken a JOIN taken b ON a.actor = b.actor
                    AND (a.item_type, a.item_id) <> (b.item_type, b.item_id)
                GROUP BY a.item_type, a.item_id, b.item_type, b.item_id
                HAVING count(*) >= %s
            ),
            scored AS (
                SELECT p.*, p.readers / sqrt(ca.readers::float * cb.readers) AS score,
                    row_number() OVER (PARTITION BY p.item_type, p.item_id
                        ORDER BY p.readers / sqrt(ca.readers::float * cb.readers) DESC,
                        p.other_type, p.other_id) AS rank
                FROM paired p
                JOIN counted ca ON ca.item_type = p.item_type AND ca.item_id = p.item_id
                JOIN counted cb ON cb.item_type = p.other_type AND cb.item_id = p.other_id
            )
            INSERT INTO insight_itempair
                (item_type, item_id, other_type, other_id, readers, score)
            SELECT item_type, item_id, other_type, other_id, readers, score
            FROM scored WHERE rank <= %s
            """,
            [least, least, PAIRS_PER_ITEM],
        )
        pairs = cursor.rowcount
        cursor.execute(
            """
            WITH grouped AS (
                SELECT audience, item_type, item_id, count(DISTINCT actor) AS readers
                FROM insight_engaged GROUP BY GROUPING SETS
                    ((audience, item_type, item_id), (item_type, item_id))
            ),
            ranked AS (
                SELECT COALESCE(audience, '') AS audience, item_type, item_id, readers,
                    row_number() OVER (PARTITION BY COALESCE(audience, ''), item_type
                        ORDER BY readers DESC, item_id) AS rank
                FROM grouped WHERE readers >= %s AND (audience IS NULL OR audience <> '')
            )
            INSERT INTO insight_popularitem (audience, item_type, item_id, readers)
            SELECT audience, item_type, item_id, readers FROM ranked WHERE rank <= %s
            """,
            [least, POPULAR_PER_AUDIENCE],
        )
        popular = cursor.rowcount
        cursor.execute("DROP TABLE insight_engaged")
    return {"pairs": pairs, "popular": popular}


# --- For one reader ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    section: str  # COURSE, EVENT or INTERVIEW
    title: str
    url: str
    reason: str
    detail: str = ""  # e.g. an event's date and place


@dataclass
class _Taken:
    """One thing in the reader's history and how to say it in a reason."""

    title: str
    verb: str  # "completed", "enrolled", "attended", "booked", "listened"


def _reason(taken: _Taken) -> str:
    phrases = {
        "completed": _("Because you completed “%(title)s”"),
        "enrolled": _("Because you are learning “%(title)s”"),
        "attended": _("Because you attended “%(title)s”"),
        "booked": _("Because you booked “%(title)s”"),
        "listened": _("Because you listened to “%(title)s”"),
    }
    return phrases[taken.verb] % {"title": taken.title}


def _history(user) -> dict[tuple[str, str], _Taken]:
    """What the reader took up, from the modules' own records (and, for listening, which has no
    record of its own, from the activity record's link to the reader)."""
    from booking.models import ACTIVE_STATUSES, Booking, BookingStatus
    from courses.models import Enrolment
    from oral_history.models import Interview

    from .models import ActivityEvent

    taken: dict[tuple[str, str], _Taken] = {}
    for enrolment in Enrolment.objects.filter(user=user).select_related("course"):
        verb = "completed" if enrolment.completed_at else "enrolled"
        taken[(COURSE, str(enrolment.course_id))] = _Taken(enrolment.course.title, verb)
    bookings = Booking.objects.filter(
        user=user,
        event__isnull=False,
        status__in=[*ACTIVE_STATUSES, BookingStatus.CHECKED_IN],
    ).select_related("event", "event__series")
    for booking in bookings:
        event = booking.event
        key = _item_of(event)
        verb = "attended" if booking.status == BookingStatus.CHECKED_IN else "booked"
        if key not in taken or verb == "attended":
            title = event.series.title if event.series_id else event.title
            taken[key] = _Taken(title, verb)
    played = (
        ActivityEvent.objects.filter(person_id=user.pk, kind="interview.played")
        .annotate(interview_id=Cast("subject_id", BigIntegerField()))
        .values("interview_id")
    )
    for interview in Interview.objects.filter(pk__in=played).only("pk", "title"):
        taken[(INTERVIEW, str(interview.pk))] = _Taken(interview.title, "listened")
    return taken


def _available(
    candidates: list[tuple[str, str]], *, user, exclude: set[tuple[str, str]]
) -> dict[tuple[str, str], Suggestion]:
    """The candidates a reader may take up now, as suggestions without their reason yet:
    an event series or one-off event becomes its next occurrence open to them."""
    from booking.selectors import upcoming_events
    from courses.models import CoursePage
    from oral_history import selectors as archive

    wanted: dict[str, set[int]] = defaultdict(set)
    for item_type, item_id in candidates:
        if item_id.isdigit() and (item_type, item_id) not in exclude:
            wanted[item_type].add(int(item_id))
    found: dict[tuple[str, str], Suggestion] = {}
    if wanted[COURSE]:
        for course in CoursePage.objects.live().public().filter(pk__in=wanted[COURSE]):
            found[(COURSE, str(course.pk))] = Suggestion(COURSE, course.title, course.url, "")
    if wanted[SERIES] or wanted[EVENT]:
        audience = getattr(user, "audience_group", "") or ""
        events = upcoming_events().filter(Q(series_id__in=wanted[SERIES]) | Q(pk__in=wanted[EVENT]))
        events = _open_to(events, user)
        for event in events:
            if not _admits(event, audience):
                continue
            key = _item_of(event)
            if key in found or key in exclude:
                continue  # the series' next occurrence is enough; a series they booked, known
            found[key] = _event_suggestion(event, reason="")
    if wanted[INTERVIEW]:
        from django.contrib.auth.models import AnonymousUser

        playable = archive.playable_by_anyone(archive.visible_interviews(AnonymousUser()))
        for interview in playable.filter(pk__in=wanted[INTERVIEW]).only("pk", "title"):
            found[(INTERVIEW, str(interview.pk))] = Suggestion(
                INTERVIEW,
                interview.title,
                reverse("oral_history:interview", args=[interview.pk]),
                "",
            )
    return found


def _item_of(event) -> tuple[str, str]:
    """The item an event counts as: its series (a weekly class is one thing), else itself."""
    return (SERIES, str(event.series_id)) if event.series_id else (EVENT, str(event.pk))


def _admits(event, audience: str) -> bool:
    return not event.audiences or audience in event.audiences


def _event_suggestion(event, *, reason: str) -> Suggestion:
    """An event as a suggestion: its page, and its time and place under the title."""
    from django.utils.formats import date_format

    starts = timezone.localtime(event.starts_at)
    detail = f"{date_format(starts, 'SHORT_DATETIME_FORMAT')} · {event.location}"
    return Suggestion(EVENT, event.title, reverse("booking:event", args=[event.pk]), reason, detail)


def for_reader(user, *, audience: str = "", per_section: int = 4) -> dict[str, list[Suggestion]]:
    """Up to ``per_section`` suggestions of each kind for ``user`` (a reader or a visitor), in
    order: similar to their history, popular with their audience group, popular with everyone,
    and for events, soon. ``audience`` is a visitor's chosen group (a reader's is their own)."""
    from accounts.models import AudienceGroup

    signed_in = user.is_authenticated
    if signed_in:
        audience = user.audience_group or ""
    history = _history(user) if signed_in else {}
    taken = set(history)

    # 1. Similar to what they took up: the summed similarity, the reason its strongest source.
    scores: dict[tuple[str, str], float] = defaultdict(float)
    because: dict[tuple[str, str], tuple[float, tuple[str, str]]] = {}
    if history:
        match = Q()
        for item_type, item_id in history:
            match |= Q(item_type=item_type, item_id=item_id)
        for pair in ItemPair.objects.filter(match):
            other = (pair.other_type, pair.other_id)
            if other in taken:
                continue
            scores[other] += pair.score
            if other not in because or pair.score > because[other][0]:
                because[other] = (pair.score, (pair.item_type, pair.item_id))
    similar = sorted(scores, key=lambda key: (-scores[key], key))

    # 2. Popular with their group, then with everyone.
    groups = [audience, ""] if audience else [""]
    popular = sorted(
        PopularItem.objects.filter(audience__in=groups),
        key=lambda row: (groups.index(row.audience), -row.readers, row.item_type, row.item_id),
    )
    group_label = dict(AudienceGroup.choices).get(audience, "")

    candidates = similar + [(row.item_type, row.item_id) for row in popular]
    available = _available(candidates, user=user, exclude=taken)

    sections: dict[str, list[Suggestion]] = {section: [] for section in SECTIONS}
    seen: set[tuple[str, str]] = set()

    def add(key: tuple[str, str], reason: str) -> None:
        suggestion = available.get(key)
        if suggestion is None or key in seen:
            return
        bucket = sections[suggestion.section]
        if len(bucket) < per_section:
            seen.add(key)
            bucket.append(replace(suggestion, reason=reason))

    for key in similar:
        add(key, _reason(history[because[key][1]]))
    for row in popular:
        if row.audience:
            reason = _("Popular with readers in the group “%(group)s”") % {"group": group_label}
        else:
            reason = _("Popular at the library")
        add((row.item_type, row.item_id), reason)

    # 3. Events: what comes up soon and is open to them, if the lists left room.
    if len(sections[EVENT]) < per_section:
        _fill_with_soon(
            sections, seen | taken, user=user, audience=audience, per_section=per_section
        )
    return sections


def _open_to(events, user):
    """Of upcoming ``events``, those with a place free that the reader has not booked and is not
    waiting for: a suggestion is something they can book now."""
    from booking.models import Booking, WaitlistEntry

    events = events.filter(taken__lt=F("capacity"))
    if user.is_authenticated:
        events = events.exclude(
            pk__in=Booking.objects.filter(user=user, event__isnull=False).values("event_id")
        ).exclude(
            pk__in=WaitlistEntry.objects.filter(user=user, event__isnull=False).values("event_id")
        )
    return events


def _fill_with_soon(sections, seen, *, user, audience: str, per_section: int) -> None:
    from booking.selectors import upcoming_events

    for event in _open_to(upcoming_events(), user)[:50]:
        if len(sections[EVENT]) >= per_section:
            return
        key = _item_of(event)
        if not _admits(event, audience) or key in seen:
            continue
        seen.add(key)
        sections[EVENT].append(_event_suggestion(event, reason=_("Coming up")))
