"""The activity record at a provincial library's scale: BENCH_INSIGHT_EVENTS (default 5
million) generated events over twelve months, then

* the hourly roll-up of one busy hour (a registration morning: BENCH_INSIGHT_BUSY events in
  one hour), against a plain count of that hour's events measured the same way (target: < 5 s);
* the back-fill of the whole year into hourly, daily and monthly roll-ups (one pass);
* every staff dashboard as its page builds it (all its tables), over the past twelve months,
  over them for one location and audience, and over 45 days, p50/p95 of BENCH_INSIGHT_RUNS
  runs each, against ``SELECT 1`` on the same connection (target: p95 < 300 ms);
* dropping a month past retention (one partition) against deleting the same month's rows;
* the year-in-review batch for BENCH_INSIGHT_REVIEWS readers (default 100,000) of the current
  year, and its time per reader.

Events are generated in PostgreSQL itself (generate_series), in the bench's own database.
"""

from __future__ import annotations

import os
import statistics
import time

from _setup import percentile, setup_django

EVENTS = int(os.environ.get("BENCH_INSIGHT_EVENTS", "5000000"))
BUSY = int(os.environ.get("BENCH_INSIGHT_BUSY", "60000"))
RUNS = int(os.environ.get("BENCH_INSIGHT_RUNS", "20"))
READERS = 100_000
# Readers' ids in the generated events (their accounts are made too, for the year in review).
FIRST_READER = 1_000_000
REVIEWS = int(os.environ.get("BENCH_INSIGHT_REVIEWS", str(READERS)))
# "review": only the year-in-review batch, on the events an earlier run generated;
# "dashboards": everything but the year-in-review batch.
ONLY = os.environ.get("BENCH_INSIGHT_ONLY", "")
CHUNK = 500_000

KINDS = [
    ("page.viewed", 30),
    ("lesson.viewed", 15),
    ("site.searched", 8),
    ("archive.searched", 4),
    ("interview.played", 6),
    ("booking.created", 8),
    ("booking.cancelled", 2),
    ("booking.checked_in", 5),
    ("booking.no_show", 1),
    ("booking.refused", 2),
    ("course.enrolled", 4),
    ("lesson.completed", 8),
    ("course.completed", 1),
    ("print.finished", 1),
    ("work.viewed", 5),
]
AUDIENCES = ["", "child", "teen", "adult", "senior", "job_seeker", "migrant_worker", "disability"]
DISTRICTS = ["", "heping", "shenhe", "dadong", "huanggu", "tiexi", "hunnan", "yuhong", "liaoning"]
WORDS = [
    "剪纸",
    "纺织厂",
    "老照片",
    "智能手机",
    "3D打印",
    "沈阳故宫",
    "铁西",
    "工人村",
    "评书",
    "二人转",
]


def _weighted_kinds() -> list[str]:
    return [kind for kind, weight in KINDS for _ in range(weight)]


def generate(cursor, *, start, end, count: int, busy_hour=None) -> float:
    """Insert ``count`` events spread over [start, end) (or all in ``busy_hour``)."""
    kinds = _weighted_kinds()
    begin = time.perf_counter()
    done = 0
    while done < count:
        batch = min(CHUNK, count - done)
        cursor.execute(
            """
            INSERT INTO insight_activityevent (occurred_at, kind, actor, person_id, audience,
                district, location, subject_type, subject_id, outcome, value, quantity, term)
            SELECT t, k, md5('r' || p), p, a, d, (1 + p %% 3)::text,
                   CASE WHEN k LIKE 'lesson.%%' THEN 'courses.lessonpage'
                        WHEN k LIKE 'course.%%' THEN 'courses.coursepage'
                        WHEN k LIKE 'booking.%%' THEN 'booking.event'
                        WHEN k = 'print.finished' THEN 'makerspace.printer'
                        WHEN k = 'interview.played' THEN 'oral_history.interview'
                        WHEN k = 'work.viewed' THEN 'ugc.work'
                        WHEN k = 'page.viewed' THEN 'wagtailcore.page'
                        ELSE '' END,
                   CASE WHEN k LIKE '%%searched' THEN ''
                        WHEN k = 'print.finished' THEN (floor(random() * 8))::text
                        ELSE (floor(random() * 300))::text END,
                   CASE WHEN k LIKE '%%searched' THEN
                        (CASE WHEN random() < 0.2 THEN 'none' ELSE 'found' END)
                        WHEN k = 'print.finished' THEN
                        (ARRAY['done','done','done','failed','cancelled'])[1 + floor(random() * 5)]
                        ELSE '' END,
                   random() * 1800, NULL,
                   CASE WHEN k LIKE '%%searched' THEN (%s::text[])
                        [1 + floor(random() * array_length(%s::text[], 1))] ELSE '' END
            FROM (
                SELECT %s::timestamptz + random() * (%s::timestamptz - %s::timestamptz) AS t,
                       (%s::text[])[1 + floor(random() * %s)] AS k,
                       %s + floor(random() * %s)::bigint AS p,
                       (%s::text[])[1 + floor(random() * %s)] AS a,
                       (%s::text[])[1 + floor(random() * %s)] AS d
                FROM generate_series(1, %s)
            ) AS drawn
            """,
            [
                WORDS,
                WORDS,
                busy_hour or start,
                (busy_hour + (end - start)) if busy_hour else end,
                busy_hour or start,
                kinds,
                len(kinds),
                FIRST_READER,
                READERS,
                AUDIENCES,
                len(AUDIENCES),
                DISTRICTS,
                len(DISTRICTS),
                batch,
            ],
        )
        done += batch
    return time.perf_counter() - begin


def timed(call, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        call()
        timings.append(time.perf_counter() - begin)
    return timings


def main() -> None:
    setup_django()
    if ONLY == "review":
        year_in_review()
        return
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from core.insight import partitions, services

    now = timezone.now()
    year_start = partitions.add_months(partitions.month_start(now), -12)
    this_month = partitions.month_start(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE insight_activityevent, insight_hourlyrollup, insight_dailyrollup, "
            "insight_monthlyrollup"
        )
    partitions.ensure_months(around=now, back=13, ahead=1)
    with connection.cursor() as cursor:
        seconds = generate(cursor, start=year_start, end=this_month, count=EVENTS)
        print(f"generated {EVENTS:,} events over 12 months in {seconds:.1f} s")
        busy = this_month - dt.timedelta(days=10) + dt.timedelta(hours=1)
        generate(cursor, start=busy, end=busy + dt.timedelta(hours=1), count=BUSY, busy_hour=busy)
        cursor.execute("ANALYZE insight_activityevent")

    # --- One busy hour --------------------------------------------------------------------
    def plain_count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT kind, count(*) FROM insight_activityevent "
                "WHERE occurred_at >= %s AND occurred_at < %s GROUP BY kind",
                [busy, busy + dt.timedelta(hours=1)],
            )
            cursor.fetchall()

    baseline = statistics.median(timed(plain_count, 5))
    roll = timed(lambda: services.roll_up_hour(busy), 5)
    counted = services.roll_up_hour(busy)
    print(
        f"roll-up of one busy hour ({counted:,} events): median {statistics.median(roll):.3f} s, "
        f"max {max(roll):.3f} s (target < 5 s); a plain count of the hour {baseline:.3f} s; "
        f"ratio {statistics.median(roll) / baseline:.1f}×"
    )

    # --- Back-fill of the year --------------------------------------------------------------
    begin = time.perf_counter()
    total = services.roll_up_range(year_start, this_month)
    print(
        f"back-fill of the year into hourly and daily roll-ups: {total:,} events in "
        f"{time.perf_counter() - begin:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insight_hourlyrollup")
        cursor.execute("ANALYZE insight_dailyrollup")
        cursor.execute("ANALYZE insight_monthlyrollup")

    # --- The dashboards, as staff open them ------------------------------------------------------
    from django.utils import translation

    from core.insight import dashboards

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()

    last_day = (this_month - dt.timedelta(days=1)).date()
    periods = {
        "the past 12 months": dashboards.Filters(year_start.date(), last_day),
        "12 months, one location, senior readers": dashboards.Filters(
            year_start.date(), last_day, location="1", audience="senior"
        ),
        "the 45 days to the busy hour": dashboards.Filters(
            (busy - dt.timedelta(days=44)).date(), busy.date()
        ),
    }
    base = timed(select_one, RUNS)
    base_p50 = statistics.median(base)
    print(f"baseline SELECT 1: p50 {base_p50 * 1000:.2f} ms")
    worst = 0.0
    with translation.override("zh-hans"):
        for label, filters in periods.items():
            for code, dashboard in dashboards.DASHBOARDS.items():
                dashboard.build(filters)  # warm
                timings = timed(lambda d=dashboard, f=filters: d.build(f), RUNS)
                p50, p95 = statistics.median(timings), percentile(timings, 0.95)
                worst = max(worst, p95)
                print(
                    f"dashboard {code}, {label}: p50 {p50 * 1000:.1f} ms, "
                    f"p95 {p95 * 1000:.1f} ms (target < 300 ms), {p50 / base_p50:.0f}× SELECT 1"
                )
    print(f"slowest dashboard p95: {worst * 1000:.1f} ms (target < 300 ms)")

    # --- Retention ------------------------------------------------------------------------------
    from django.db import transaction

    month_end = partitions.add_months(year_start, 1)

    class Undo(Exception):
        pass

    begin = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM insight_activityevent WHERE occurred_at >= %s AND occurred_at < %s",
                [year_start, month_end],
            )
            rows = cursor.rowcount
            raise Undo
    except Undo:
        deleted = time.perf_counter() - begin
    begin = time.perf_counter()
    partitions.drop_before(month_end)
    dropped = time.perf_counter() - begin
    print(
        f"the oldest month ({rows:,} events): dropping its partition {dropped * 1000:.0f} ms, "
        f"deleting its rows {deleted * 1000:.0f} ms (ratio {dropped / deleted:.3f})"
    )

    if ONLY != "dashboards":
        year_in_review()


def year_in_review() -> None:
    from django.utils import timezone

    from core.insight import review

    _readers()
    year = timezone.localdate().year
    begin = time.perf_counter()
    done, after = 0, FIRST_READER - 1
    while done < REVIEWS:
        count, after = review.generate(year=year, after=after, limit=min(1000, REVIEWS - done))
        if not count:
            break
        done += count
    spent = time.perf_counter() - begin
    print(
        f"year in review for {done:,} readers: {spent:.1f} s, "
        f"{spent / max(done, 1) * 1000:.2f} ms per reader"
    )


def _readers() -> None:
    """Accounts for the generated readers (ids from FIRST_READER), made once."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    unusable = make_password(None)

    existing = set(User.objects.filter(pk__gte=FIRST_READER).values_list("pk", flat=True))
    batch = [
        User(pk=pk, email=f"bench-{pk}@example.invalid", password=unusable)
        for pk in range(FIRST_READER, FIRST_READER + READERS)
        if pk not in existing
    ]
    User.objects.bulk_create(batch, batch_size=5000)


if __name__ == "__main__":
    main()
