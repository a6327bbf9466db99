"""Concurrent readers booking through the JSON API of a real gunicorn server.

32 clients at once: 24 book random slots of 200 machines over the next two weeks, 8 hammer one
event that has 5 places (each attempt by a different reader, the 8 firing at the same instant).
Prints bookings per second, p50/p95 latency per kind of request, and how many places the
hammered event gave out, which must equal its capacity (the script fails otherwise).

Two phases:

* paced: each client behaves like a person at a screen, pausing 0.5–1.5 s between actions;
  this is the load the issue's target is about (p95 under 150 ms at 32 clients, 2 cores);
* saturated: no pauses at all, to find the throughput ceiling. Latency here is queueing
  (Little's law: 32 clients / throughput), not service time.

The load generator shares the machine's two cores with the server and PostgreSQL, so it uses
plain http.client: every cycle it spends is one the server does not get.
"""

import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from _setup import BASE_DIR, percentile, setup_django

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
HAMMERERS = CLIENTS // 4
RESOURCES = 200
CAPACITY = 5
TZ = ZoneInfo("Asia/Shanghai")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare() -> tuple[list[str], list[str]]:
    """Fresh bench data (200 machines) and signed-in sessions for enough readers."""
    from datetime import time as clock

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from booking.models import Booking, Category, Event, Location, OpeningHours, Resource

    Booking.objects.filter(user__email__endswith="@bench.example").delete()
    Event.objects.filter(title__startswith="bench").delete()
    Resource.objects.filter(slug__startswith="bench-").delete()
    location, _ = Location.objects.get_or_create(slug="bench", defaults={"name": "bench"})
    OpeningHours.objects.filter(location=location).delete()
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens=clock(6), closes=clock(23)
        )
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "bench"})
    Resource.objects.bulk_create(
        Resource(
            location=location, category=category, kind="equipment", name=f"bench {n}",
            slug=f"bench-{n}", min_notice_minutes=0, booking_window_days=20, buffer_minutes=15,
            min_duration_minutes=30, max_duration_minutes=120, slot_minutes=30,
        )
        for n in range(RESOURCES)
    )  # fmt: skip
    wanted = CLIENTS + 2 * HAMMERERS * 60
    existing = User.objects.filter(email__endswith="@bench.example").count()
    User.objects.bulk_create(
        User(email=f"r{n}@bench.example", display_name=f"读者{n}") for n in range(existing, wanted)
    )
    sessions = []
    for reader in User.objects.filter(email__endswith="@bench.example")[:wanted]:
        session = SessionStore()
        session[SESSION_KEY] = str(reader.pk)
        session[BACKEND_SESSION_KEY] = "accounts.auth.KeptPermissionsBackend"
        session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return [f"bench-{n}" for n in range(RESOURCES)], sessions


def new_event(title: str) -> int:
    from django.utils import timezone

    from booking.models import Event, Location

    start = timezone.now() + timedelta(days=3)
    return Event.objects.create(
        title=title, kind="lecture", location=Location.objects.get(slug="bench"),
        capacity=CAPACITY, starts_at=start, ends_at=start + timedelta(hours=1),
    ).pk  # fmt: skip


class Load:
    def __init__(self, port: int, slugs: list[str]) -> None:
        self.port = port
        self.slugs = slugs
        self.csrf = secrets.token_hex(16)
        self.today = datetime.now(TZ).date()

    def post(self, conn: http.client.HTTPConnection, session: str, path: str, body: dict) -> int:
        """One POST; an idle keep-alive connection the server has closed is reopened once (the
        request never reached the server, so repeating it books nothing twice)."""
        for attempt in (1, 2):
            try:
                conn.request(
                    "POST",
                    path,
                    body=json.dumps(body),
                    headers={
                        "Content-Type": "application/json",
                        "Cookie": f"sessionid={session}; csrftoken={self.csrf}",
                        "X-CSRFToken": self.csrf,
                    },
                )
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def random_slot(self, rng: random.Random, *, days: tuple[int, int] = (1, 14)) -> dict:
        day = self.today + timedelta(days=rng.randint(*days))
        start = datetime(day.year, day.month, day.day, rng.randint(6, 21), rng.choice([0, 30]),
                         tzinfo=TZ)  # fmt: skip
        end = start + timedelta(minutes=rng.choice([30, 60, 90]))
        return {"resource": rng.choice(self.slugs), "starts_at": start.isoformat(),
                "ends_at": end.isoformat()}  # fmt: skip

    def warm_up(self, sessions: list[str]) -> None:
        """Each gunicorn worker loads the URL configuration and connects to PostgreSQL on its
        first requests; those seconds are start-up, not booking."""

        def one(session: str) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            rng = random.Random(session)
            for _n in range(3):
                self.post(conn, session, "/api/v1/me/bookings/",
                          self.random_slot(rng, days=(18, 19)))  # fmt: skip
            conn.close()

        threads = [threading.Thread(target=one, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def run(self, *, bookers: list[str], hammer_sessions: list[str], event_id: int, rounds: int,
            think: tuple[float, float]) -> tuple[dict, float]:  # fmt: skip
        results: dict[str, list[tuple[int, float]]] = {"book": [], "hammer": []}
        lock = threading.Lock()
        go = threading.Event()
        burst = threading.Barrier(HAMMERERS) if HAMMERERS else None
        failures: list[str] = []

        def pause(rng: random.Random) -> None:
            if think[1]:
                time.sleep(rng.uniform(*think))

        def booker(session: str) -> None:
            rng = random.Random(session)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            go.wait()
            for _n in range(rounds):
                pause(rng)
                body = self.random_slot(rng)
                began = time.perf_counter()
                status = self.post(conn, session, "/api/v1/me/bookings/", body)
                with lock:
                    results["book"].append((status, time.perf_counter() - began))
            conn.close()

        def hammerer(index: int) -> None:
            rng = random.Random(index)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            go.wait()
            try:
                for n in range(rounds):
                    pause(rng)
                    burst.wait(timeout=120)  # all hammerers fire at the same instant
                    began = time.perf_counter()
                    status = self.post(conn, hammer_sessions[n * HAMMERERS + index],
                                       f"/api/v1/events/{event_id}/book/", {})  # fmt: skip
                    with lock:
                        results["hammer"].append((status, time.perf_counter() - began))
            except Exception as error:
                # One hammerer failing must not leave the others waiting at the barrier forever.
                burst.abort()
                with lock:
                    failures.append(repr(error))
            conn.close()

        threads = [threading.Thread(target=booker, args=(s,)) for s in bookers]
        threads += [threading.Thread(target=hammerer, args=(i,)) for i in range(HAMMERERS)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        go.set()
        for thread in threads:
            thread.join()
        if failures:
            raise SystemExit(f"load generator failed: {failures[0]}")
        return results, time.perf_counter() - started


def report(name: str, results: dict, elapsed: float, event_id: int) -> bool:
    from booking.models import ACTIVE_STATUSES, Booking

    everything = results["book"] + results["hammer"]
    made = sum(1 for status, _t in everything if status == 201)
    unexpected = sorted({s for s, _t in everything if s not in (201, 409)})
    hammered = Booking.objects.filter(event_id=event_id, status__in=ACTIVE_STATUSES).count()
    print(f"-- {name}: {CLIENTS} clients ({HAMMERERS} hammering one event with {CAPACITY} places)")
    print(f"requests: {len(everything)} in {elapsed:.1f} s = {len(everything) / elapsed:.0f}/s")
    print(f"bookings made: {made} = {made / elapsed:.1f} bookings/s")
    for kind, rows in (("all", everything), *results.items()):
        if rows:
            ms = [t * 1000 for _s, t in rows]
            p50, p95 = percentile(ms, 0.5), percentile(ms, 0.95)
            print(f"latency {kind:6}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                  f"max {max(ms):7.1f} ms  (n={len(ms)})")  # fmt: skip
    print(f"successful bookings on the hammered event: {hammered} (capacity {CAPACITY})")
    if unexpected:
        print(f"unexpected responses: {unexpected}")
    return hammered == (CAPACITY if HAMMERERS else 0) and not unexpected


def main() -> None:
    setup_django()
    slugs, sessions = prepare()
    bookers, hammer_pool = sessions[: CLIENTS - HAMMERERS], sessions[CLIENTS:]
    port = free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", os.environ.get("BENCH_WORKERS", "4"),
         "--worker-class", "gthread", "--threads", os.environ.get("BENCH_THREADS", "8"),
         "--timeout", "120", "--keep-alive", "5"],
        cwd=BASE_DIR, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _attempt in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        load = Load(port, slugs)
        load.warm_up(bookers)
        ok = True
        for name, rounds, think in (("paced", 40, (0.5, 1.5)), ("saturated", 60, (0.0, 0.0))):
            event_id = new_event(f"bench {name}")
            pool, hammer_pool = hammer_pool[: rounds * HAMMERERS], hammer_pool[rounds * HAMMERERS :]
            results, elapsed = load.run(bookers=bookers, hammer_sessions=pool,
                                        event_id=event_id, rounds=rounds, think=think)  # fmt: skip
            ok = report(name, results, elapsed, event_id) and ok
            if name == "paced":
                ms = [t * 1000 for _s, t in results["book"] + results["hammer"]]
                p95 = percentile(ms, 0.95)
                print(f"target p95 < 150 ms at {CLIENTS} clients: "
                      f"{'met' if p95 < 150 else 'NOT met'} ({p95:.0f} ms)")  # fmt: skip
    finally:
        web.terminate()
        web.wait(timeout=30)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
