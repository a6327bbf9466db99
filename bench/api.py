"""The public API: p50/p95 of the main list and action endpoints, in-process and through
gunicorn, as ratios against the cheapest answer of the same stack (a JSON 404 under /api/v1/)
measured the same way, and the queries of each.

In-process calls go through Django's test client (the whole middleware and DRF stack, no
network); the gunicorn run starts two workers on a free port and calls them with httpx, signed
in as an app is (allauth's headless login, then ``X-Session-Token``). A ratio near 1 means the
endpoint costs about as much as the cheapest request the site answers; the query count of a
list must not grow with its length (the tests pin that).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from _setup import BASE_DIR, percentile, setup_django

REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "150"))
# The cheapest answer through the same stack (middleware, URL resolution, a problem document):
# a path under /api/ that names nothing.
BASELINE = "/api/v1/no-such-thing/"
LISTS = [
    "/api/v1/events/",
    "/api/v1/resources/",
    "/api/v1/courses/",
    "/api/v1/learning-paths/",
    "/api/v1/works/",
    "/api/v1/interviews/",
    "/api/v1/search/?q=辽海",
    "/api/v1/me/bookings/",
    "/api/v1/me/courses/",
    "/api/v1/me/notifications/",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _time(call, count: int) -> tuple[float, float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.95)


def _row(label: str, p50: float, p95: float, base: float, queries: int | str = "") -> None:
    print(f"{label:40} {p50:8.1f} {p95:8.1f} {p50 / base:7.2f} {queries!s:>8}")


def _header(title: str) -> None:
    print(f"\n{title}\n{'endpoint':40} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>7} {'queries':>8}")


def _slot():
    """A free start at a demo room, a few days ahead, for the booking actions."""
    from django.utils import timezone

    from booking.models import Resource
    from booking.selectors import free_starts, resource_for_rules

    found = Resource.objects.filter(is_active=True, staff_only=False, kind="space").first()
    resource = resource_for_rules(found.pk)
    for days in range(2, 9):
        day = (timezone.localtime() + timedelta(days=days)).date()
        starts = free_starts(resource, day, minutes=resource.min_duration_minutes)
        if starts:
            return resource, starts[0]
    raise SystemExit("no free time at the demo room for a week")


def in_process() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.demo import DEMO_PASSWORD

    client = Client()
    client.get(BASELINE)
    base, base95 = _time(lambda: client.get(BASELINE), REQUESTS)
    reader = Client()
    reader.post("/accounts/login/", {"login": "reader@demo.liaotu.cn", "password": DEMO_PASSWORD})
    _header("in-process (Django test client)")
    _row(BASELINE, base, base95, base, 0)
    for path in LISTS:
        who = reader if "/me/" in path else client
        assert who.get(path).status_code == 200, path
        p50, p95 = _time(lambda p=path, w=who: w.get(p), REQUESTS)
        with CaptureQueriesContext(connection) as captured:
            who.get(path)
        _row(f"GET {path}", p50, p95, base, len(captured))
    # Actions: book a place at a room and cancel it again; report a lesson's progress.
    from courses.models import LessonPage

    lesson = LessonPage.objects.live().first()

    def progress():
        body = {"events": [{"id": str(uuid.uuid4()), "lesson": lesson.pk, "kind": "heartbeat"}]}
        response = reader.post("/api/v1/me/progress/", body, content_type="application/json")
        assert response.status_code == 200, response.content

    p50, p95 = _time(progress, REQUESTS)
    _row("POST /api/v1/me/progress/", p50, p95, base)
    resource, start = _slot()
    end = start + timedelta(minutes=resource.min_duration_minutes)

    def book_and_cancel():
        made = reader.post(
            "/api/v1/me/bookings/",
            {"resource": resource.slug, "starts_at": start.isoformat(), "ends_at": end.isoformat()},
            content_type="application/json",
        )
        assert made.status_code == 201, made.content
        cancelled = reader.post(
            f"/api/v1/me/bookings/{made.json()['id']}/cancel/",
            {},
            content_type="application/json",
        )
        assert cancelled.status_code == 200, cancelled.content

    p50, p95 = _time(book_and_cancel, REQUESTS // 3)
    _row("POST book + POST cancel (one slot)", p50, p95, base)


def through_gunicorn() -> None:
    import httpx

    from accounts.demo import DEMO_PASSWORD

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(BASE_DIR)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=10) as http:
            for _ in range(100):
                try:
                    http.get(BASELINE)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            login = http.post(
                "/_allauth/app/v1/auth/login",
                json={"email": "reader@demo.liaotu.cn", "password": DEMO_PASSWORD},
            )
            token = login.json()["meta"]["session_token"]
            app = {"X-Session-Token": token}
            http.get(BASELINE)
            base, base95 = _time(lambda: http.get(BASELINE), REQUESTS)
            _header(f"through gunicorn (2 workers, httpx, app token) at {base_url}")
            _row(BASELINE, base, base95, base)
            for path in LISTS:
                headers = app if "/me/" in path else {}
                assert http.get(path, headers=headers).status_code == 200, path
                p50, p95 = _time(lambda p=path, h=headers: http.get(p, headers=h), REQUESTS)
                _row(f"GET {path}", p50, p95, base)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    # Measured, not throttled; the demo's mails are not printed.
    os.environ["API_THROTTLE_ANON"] = os.environ["API_THROTTLE_USER"] = "1000000/min"
    os.environ["EMAIL_URL"] = "dummymail://"
    setup_django()
    import logging

    from django.core.management import call_command

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the baseline's 404s

    call_command("seed_demo", stdout=io.StringIO())
    in_process()
    through_gunicorn()


if __name__ == "__main__":
    main()
