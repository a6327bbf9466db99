"""Registration day: 300 readers arrive within a minute for an event with 40 places.

Through gunicorn on this machine (`make run`'s processes: 2 workers with 4 threads, a Celery
worker, Redis for caches and the broker), locust (headless, bench/rush_locustfile.py) lets
370 simulated readers arrive within 60 seconds, each from an address of its own:

* 300 open the home page and the event as visitors, sign in and try to book it;
* 50 sign in and book a study room at the same time;
* 20 sign in and watch a lesson (the learning API records it).

Printed: requests/s, p50/p95/p99 per kind of request, errors, and the booking outcome.
Must hold (issue #17): exactly 40 places given, nobody booked twice, no 5xx, p95 of page views
under 500 ms and of booking requests under 1 s.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _setup import BASE_DIR, popular_event, serve, served_env, setup_django, stop

PORT = int(os.environ.get("BENCH_PORT", "8932"))
PLACES = 40
RUSHERS, ROOM_BOOKERS, WATCHERS = 300, 50, 20
ARRIVAL_SECONDS = 60
RUN_SECONDS = int(os.environ.get("RUSH_SECONDS", "150"))
PASSWORD = "Rush-day-2026"  # noqa: S105 (bench accounts only)
REDIS = "redis://127.0.0.1:6379/12"
PAGE_KINDS = {"home (visitor)", "event (visitor)", "event (signed in)", "room day", "sign-in page",
              "lesson (signed in)"}  # fmt: skip
BOOKING_KINDS = {"book event", "book room"}


def prepare() -> dict[str, str]:
    """The event, the rooms, the lessons and 370 reader accounts (made again on each run)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from booking.models import Booking, Resource, ResourceKind
    from courses.models import CoursePage, LessonPage

    User.objects.filter(email__endswith="@rush.liaotu.cn").delete()
    hashed = make_password(PASSWORD)
    readers = [
        User(email=f"{kind}-{n}@rush.liaotu.cn", password=hashed, display_name=f"{kind}{n}")
        for kind, count in (("rusher", RUSHERS), ("room", ROOM_BOOKERS), ("watcher", WATCHERS))
        for n in range(1, count + 1)
    ]
    User.objects.bulk_create(readers)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in User.objects.filter(email__endswith="@rush.liaotu.cn")
    )
    event = popular_event(title="抢票讲座", capacity=PLACES)
    rooms = list(
        Resource.objects.filter(
            kind=ResourceKind.SPACE,
            is_active=True,
            required_qualification=None,
            required_group=None,
        ).order_by("pk")[:6]
    )
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    Booking.objects.filter(resource__in=rooms, user__email__endswith="@rush.liaotu.cn").delete()
    # Lessons a newcomer's watching is recorded for: courses without a prerequisite (the others
    # say "finish the first course before" and record nothing, rightly refusing the API).
    open_courses = CoursePage.objects.live().filter(prerequisites=None)
    lessons = [
        [lesson.pk, lesson.url]
        for lesson in LessonPage.objects.live().order_by("path")
        if lesson.url and open_courses.ancestor_of(lesson).exists()
    ][:10]
    return {
        "RUSH_EVENT": str(event.pk),
        "RUSH_ROOMS": json.dumps([[room.slug, day] for room in rooms]),
        "RUSH_LESSONS": json.dumps(lessons),
        "RUSH_PASSWORD": PASSWORD,
    }


def server_env() -> dict[str, str]:
    return served_env(
        name="bench-rush",
        redis=REDIS,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/11",
        # As behind the library's nginx: the reader's address is the last X-Forwarded-For.
        TRUSTED_PROXY_COUNT="1",
        SITE_URL=f"http://127.0.0.1:{PORT}",
    )


def start(env: dict[str, str]) -> list[subprocess.Popen]:
    bin_dir = Path(sys.executable).parent
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    worker = subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "config", "worker", "-l", "warning", "-Q", "bench-rush",
         "--concurrency", "1"],
        cwd=BASE_DIR, env=env, **quiet,
    )  # fmt: skip
    return [serve(port=PORT, env=env, threads=4), worker]


def swarm(env: dict[str, str], folder: Path) -> list[dict]:
    users = RUSHERS + ROOM_BOOKERS + WATCHERS
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f", str(Path(__file__).with_name("rush_locustfile.py")),
        "--headless", "--host", f"http://127.0.0.1:{PORT}",
        "-u", str(users), "-r", f"{users / ARRIVAL_SECONDS:.2f}",
        "--run-time", f"{RUN_SECONDS}s", "--stop-timeout", "30",
        "--csv", str(folder / "rush"), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, cwd=BASE_DIR, env=env, check=False, stdout=subprocess.DEVNULL)
    with (folder / "rush_stats.csv").open() as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    setup_django()
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    names = prepare()
    env = {**server_env(), **names}
    subprocess.run(["redis-cli", "-u", REDIS, "FLUSHDB"], check=False, capture_output=True)
    processes = start(env)
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            rows = swarm(env, Path(folder))
            elapsed = time.monotonic() - started
            failures_path = Path(folder) / "rush_failures.csv"
            failures = list(csv.DictReader(failures_path.open())) if failures_path.exists() else []
    finally:
        stop(*processes)
    report(rows, failures, elapsed, int(names["RUSH_EVENT"]))


def line(name: str, row: dict) -> str:
    rate = float(row["Requests/s"])
    counts = f"{row['Request Count']:>6} {row['Failure Count']:>5} {rate:7.1f}"
    return f"{name:22} {counts} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"


def report(rows: list[dict], failures: list[dict], elapsed: float, event_id: int) -> None:
    from django.db.models import Count

    from booking.models import Booking, BookingStatus

    held = [BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CHECKED_IN]
    given = Booking.objects.filter(event_id=event_id, status__in=held)
    doubled = given.values("user_id").annotate(n=Count("id")).filter(n__gt=1).count()
    print(f"\n{RUSHERS} readers for {PLACES} places, {ROOM_BOOKERS} booking rooms, "
          f"{WATCHERS} watching lessons; arrivals over {ARRIVAL_SECONDS} s")  # fmt: skip
    print(f"{'request':22} {'count':>6} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
    problems = []
    for row in rows:
        name = row["Name"]
        if name == "Aggregated":
            continue
        p95 = float(row["95%"])
        print(line(name, row))
        if name in PAGE_KINDS and p95 >= 500:
            problems.append(f"p95 of {name} is {p95:.0f} ms (≥ 500)")
        if name in BOOKING_KINDS and p95 >= 1000:
            problems.append(f"p95 of {name} is {p95:.0f} ms (≥ 1000)")
    total = next(row for row in rows if row["Name"] == "Aggregated")
    print(line("all", total))
    server_errors = [f for f in failures if "50" in f.get("Error", "")]
    for failure in failures:
        print(f"  failure: {failure['Name']}: {failure['Error']} ×{failure['Occurrences']}")
    count = given.count()
    print(f"\nplaces given: {count} of {PLACES}; readers booked twice: {doubled}; "
          f"5xx: {len(server_errors)}; run {elapsed:.0f} s")  # fmt: skip
    if count != PLACES:
        problems.append(f"{count} places given, not {PLACES}")
    if doubled:
        problems.append(f"{doubled} readers booked twice")
    if server_errors or int(total["Failure Count"]):
        problems.append(f"{total['Failure Count']} failed requests")
    print("\n" + ("\n".join(problems) if problems else "all held"))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
