"""我的年度报告: a reader's year at the library, from their own activity events.

Computed in batches by a task once the year is over (``generate``), shown from the day the
librarians set (``YearReviewSettings``). The shareable card is a PNG drawn on the server with
Debian's WenQuanYi Zen Hei, so it looks the same on every phone; it carries figures only, never
the reader's name, and is public only while the reader shares it.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import YearReview, YearReviewSettings

FONT_FILES = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")]
BATCH = 1000

_FIGURES_SQL = """
SELECT kind, outcome, subject_type, count(*), COALESCE(sum(value), 0),
       COALESCE(sum(quantity), 0), count(DISTINCT subject_id)
FROM insight_activityevent
WHERE person_id = %s AND occurred_at >= %s AND occurred_at < %s
GROUP BY kind, outcome, subject_type
"""
# Views of the works the readers uploaded, for a whole batch of readers at once (one pass over
# the year's views, not one a reader).
_WORK_VIEWS_SQL = """
SELECT uploads.person_id, count(*) FROM insight_activityevent views
JOIN (SELECT DISTINCT person_id, subject_id FROM insight_activityevent
      WHERE kind = 'work.uploaded' AND person_id = ANY(%s)) uploads
  ON views.subject_id = uploads.subject_id
WHERE views.kind = 'work.viewed' AND views.subject_type = 'ugc.work'
  AND views.occurred_at >= %s AND views.occurred_at < %s
GROUP BY uploads.person_id
"""


def work_views(*, user_ids: list[int], year: int) -> dict[int, int]:
    start, end = _year_bounds(year)
    with connection.cursor() as cursor:
        cursor.execute(_WORK_VIEWS_SQL, [list(user_ids), start, end])
        return dict(cursor.fetchall())


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def figures_for(*, user_id: int, year: int, views: int | None = None) -> dict[str, float]:
    """The reader's numbers for ``year``; ``views`` of their works when already counted for a
    batch (``work_views``), else counted here."""
    start, end = _year_bounds(year)
    rows = {}
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL, [user_id, start, end])
        for kind, outcome, subject_type, count, value, quantity, distinct in cursor.fetchall():
            rows[(kind, outcome, subject_type)] = (count, value, quantity, distinct)
    if views is None:
        views = work_views(user_ids=[user_id], year=year).get(user_id, 0)

    def total(
        kind: str, *, outcome: str | None = None, subject_type: str | None = None, at: int = 0
    ):
        return sum(
            numbers[at]
            for (k, o, s), numbers in rows.items()
            if k == kind and outcome in (None, o) and subject_type in (None, s)
        )

    return {
        "learning_hours": round(total("lesson.completed", at=1) / 3600, 1),
        "lessons_completed": total("lesson.completed"),
        "courses_completed": total("course.completed"),
        "badges": total("badge.issued"),
        "bookings": total("booking.created"),
        "events_attended": total("booking.checked_in", subject_type="booking.event"),
        "visits": total("booking.checked_in", subject_type="booking.resource"),
        "prints": total("print.finished", outcome="done"),
        "print_hours": round(total("print.finished", outcome="done", at=1), 1),
        "studio_sessions": total("studio.processed", outcome="done"),
        "works_published": total("work.moderated", outcome="approve"),
        "work_views": views,
        "interviews": total("interview.played", at=3),
        "listening_hours": round(total("interview.played", at=1) / 3600, 1),
    }


def labels() -> list[tuple[str, str]]:
    """What each figure is called, in the active language, in the order they are shown."""
    return [
        ("learning_hours", _("hours of learning")),
        ("courses_completed", _("courses completed")),
        ("badges", _("badges earned")),
        ("lessons_completed", _("lessons completed")),
        ("bookings", _("bookings made")),
        ("events_attended", _("events attended")),
        ("visits", _("visits to rooms and equipment")),
        ("prints", _("3D prints")),
        ("print_hours", _("hours of printing")),
        ("studio_sessions", _("studio recordings")),
        ("works_published", _("works published")),
        ("work_views", _("views of your works")),
        ("interviews", _("interviews listened to")),
        ("listening_hours", _("hours of listening")),
    ]


def generate(*, year: int, after: int = 0, limit: int = BATCH) -> tuple[int, int]:
    """Compute (or recompute) the reviews of up to ``limit`` readers with activity in ``year``
    and an id above ``after``; returns (how many, the last id). Idempotent: one row a reader a
    year, replaced."""
    start, end = _year_bounds(year)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only readers who still have an account: one removed without the account
            # service (a bulk delete in the admin or the shell) leaves its person_id behind.
            "SELECT DISTINCT e.person_id FROM insight_activityevent e "
            "JOIN accounts_user u ON u.id = e.person_id WHERE e.person_id > %s "
            "AND e.occurred_at >= %s AND e.occurred_at < %s ORDER BY e.person_id LIMIT %s",
            [after, start, end, limit],
        )
        readers = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    views = work_views(user_ids=readers, year=year) if readers else {}
    reviews = [
        YearReview(
            user_id=reader,
            year=year,
            figures=figures_for(user_id=reader, year=year, views=views.get(reader, 0)),
            generated_at=now,
        )
        for reader in readers
    ]
    YearReview.objects.bulk_create(
        reviews,
        update_conflicts=True,
        unique_fields=["user", "year"],
        update_fields=["figures", "generated_at"],
    )
    return len(readers), (readers[-1] if readers else after)


def generate_all(*, year: int, batch: int = BATCH) -> int:
    done, after = 0, 0
    while True:
        count, after = generate(year=year, after=after, limit=batch)
        done += count
        if count < batch:
            return done


def _chosen() -> YearReviewSettings:
    """The librarians' choice, on the default site (the library's one site)."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    return YearReviewSettings.for_site(site) if site else YearReviewSettings()


def due_year(today: dt.date | None = None) -> int | None:
    """The year the librarians chose, once it is over (its figures are final)."""
    chosen = _chosen()
    today = today or timezone.localdate()
    if chosen.year and today.year > chosen.year:
        return chosen.year
    return None


def shown_review(user) -> YearReview | None:
    chosen = _chosen()
    if not (chosen.year and chosen.opens_on and timezone.localdate() >= chosen.opens_on):
        return None
    return YearReview.objects.filter(user=user, year=chosen.year).first()


@transaction.atomic
def set_shared(*, review: YearReview, shared: bool) -> YearReview:
    """Share the card (a new unguessable address each time) or stop sharing it."""
    locked = YearReview.objects.select_for_update().get(pk=review.pk)
    locked.share_token = secrets.token_urlsafe(32) if shared else ""
    locked.save(update_fields=["share_token"])
    return locked


def card_png(review: YearReview) -> bytes:
    """The shareable image: 1080×1350, the year's six largest figures, no name."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = next((path for path in FONT_FILES if path.exists()), None)
    if font_file is None:
        raise RuntimeError("The card font is missing: install Debian's fonts-wqy-zenhei.")

    def font(size: int):
        return ImageFont.truetype(str(font_file), size, index=0)

    image = Image.new("RGB", (1080, 1350), "#8a1c1c")
    draw = ImageDraw.Draw(image)
    draw.text((80, 90), _("Liaotu Commons"), font=font(44), fill="#f6e7c8")
    draw.text(
        (80, 160),
        _("My %(year)s at the library") % {"year": review.year},
        font=font(76),
        fill="#ffffff",
    )
    shown = [(key, label) for key, label in labels() if review.figures.get(key)][:6]
    # Two columns of three, so that the card reads as a whole on a phone's screen.
    for n, (key, label) in enumerate(shown):
        x, y = 80 + (n % 2) * 480, 360 + (n // 2) * 300
        value = review.figures[key]
        number = f"{value:g}" if isinstance(value, float) else str(value)
        draw.text((x, y), number, font=font(120), fill="#ffffff")
        draw.text((x, y + 140), label, font=font(42), fill="#f6e7c8")
    draw.line((80, 1250, 1000, 1250), fill="#f6e7c8", width=2)
    draw.text((80, 1270), _("Liaoning Provincial Library"), font=font(34), fill="#f6e7c8")
    y = 360
    if not shown:
        draw.text(
            (80, y),
            _("Your year at the library starts with a first visit."),
            font=font(44),
            fill="#ffffff",
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
