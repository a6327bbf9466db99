"""`make run`'s launcher: a Celery worker or beat that dies is started again; the web server's
death or a crash loop stops the site with the reason."""

import sys
import time

from config.launch import Child

DIES = [sys.executable, "-c", "import sys; sys.exit(3)"]
LIVES = [sys.executable, "-c", "import time; time.sleep(30)"]


def _dead(child: Child) -> None:
    child.process.wait(timeout=10)


def test_a_dead_worker_is_started_again():
    child = Child("Celery worker", DIES, {}, restart=True)
    _dead(child)
    first = child.process.pid
    assert child.check(time.monotonic()) is None
    assert child.process.pid != first
    child.process.wait(timeout=10)


def test_a_worker_dying_again_and_again_stops_the_site():
    child = Child("Celery beat", DIES, {}, restart=True)
    now = time.monotonic()
    reasons = []
    for step in range(Child.CRASH_LOOP):
        _dead(child)
        reasons.append(child.check(now + step))
    assert reasons[:-1] == [None] * (Child.CRASH_LOOP - 1)
    assert "Celery beat died 5 times" in reasons[-1]


def test_deaths_far_apart_are_not_a_crash_loop():
    child = Child("Celery worker", DIES, {}, restart=True)
    now = time.monotonic()
    for step in range(Child.CRASH_LOOP + 2):
        _dead(child)
        assert child.check(now + step * Child.CRASH_WINDOW) is None
    child.process.wait(timeout=10)


def test_the_web_servers_death_stops_the_site_and_a_live_process_is_left_alone():
    web = Child("gunicorn", DIES, {}, restart=False)
    _dead(web)
    assert web.check(time.monotonic()) == "gunicorn exited with 3"
    alive = Child("Celery worker", LIVES, {}, restart=True)
    try:
        assert alive.check(time.monotonic()) is None
        assert alive.process.poll() is None
    finally:
        alive.process.kill()
        alive.process.wait(timeout=10)
