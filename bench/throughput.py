"""Pages per second, as ratios of a trivial Django view served the same way.

gunicorn (2 sync workers) serves the demo site with `make run`'s settings and Redis caches, as
in production; wrk (16 connections, 2 threads) asks for each page for a few seconds, in three
interleaved rounds, and the median is kept. The trivial view (config/bench_urls.py) goes through
the same middleware and returns "ok": its rate is what Django itself costs on this machine, and
each page is printed as a share of it.

* visitors' pages when kept (the second visitor on: core/pagecache.py) and on a miss (a query
  string no one asked for before, so the page is made again each time);
* a signed-in reader's pages (never kept).

Targets (issue #17): kept ≥ 25 %, miss ≥ 5 %, signed-in ≥ 5 %. The figures before this work,
measured the same way on the same machine, are printed beside them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from _setup import serve, served_env, setup_django, stop

PORT = int(os.environ.get("BENCH_PORT", "8931"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
CONNECTIONS = 16
# Only the pages whose names contain one of these words (comma-separated), and the trivial view.
ONLY = [word for word in os.environ.get("BENCH_ONLY", "").split(",") if word]
REDIS_DB = "redis://127.0.0.1:6379/13"
# Measured before this work (issue #17), the same way on the same machine: requests/s, against
# the trivial view's 4,100.
BEFORE_TRIVIAL = 4100
BEFORE = {"home": 96, "lesson": 51, "works gallery": 47}
MISS_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  local token = math.random(1, 1000000000) .. "-" .. counter
  return wrk.format(nil, wrk.path .. sep .. "bench=" .. token)
end
"""


def pages() -> tuple[dict[str, str], dict[str, str]]:
    from courses.models import CoursePage, LearningIndexPage, LessonPage
    from oral_history.models import Interview

    course = CoursePage.objects.live().order_by("path").first()
    lesson = LessonPage.objects.live().descendant_of(course).order_by("path").first()
    interview = Interview.objects.filter(published=True, access_level="open").order_by("pk").first()
    visitor = {
        "home": "/",
        "learning centre": LearningIndexPage.objects.live().first().url,
        "course": course.url,
        "lesson": lesson.url,
        "archive home": "/memories/",
        "interview": f"/memories/i/{interview.pk}/",
        "maker space": "/makerspace/",
        "booking list": "/booking/",
        "works gallery": "/works/",
        "search": "/search/?q=%E5%89%AA%E7%BA%B8",
    }
    signed_in = {
        "home (signed in)": "/",
        "my bookings": "/booking/mine/",
        "course with progress": course.url,
    }
    return visitor, signed_in


def session_cookie() -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="reader@demo.liaotu.cn"))
    return client.cookies["sessionid"].value


def wrk(path: str, *, cookie: str = "", miss: bool = False, script_dir: Path) -> float:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s"]
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    if miss:
        script = script_dir / "miss.lua"
        script.write_text(MISS_SCRIPT)
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{PORT}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{path}: {errors.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run `scripts/setup bench` (make bench does)")
    setup_django()
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    visitor, signed_in = pages()
    cookie = session_cookie()
    env = served_env(
        name="bench-throughput", redis=REDIS_DB, DJANGO_SETTINGS_MODULE="config.settings.bench"
    )
    subprocess.run(["redis-cli", "-u", REDIS_DB, "FLUSHDB"], check=False, capture_output=True)
    server = serve(port=PORT, env=env, ready="/__bench/trivial")
    targets: list[tuple[str, str, dict]] = [("trivial view", "/__bench/trivial", {})]
    targets += [(f"{name} · kept", path, {}) for name, path in visitor.items()]
    targets += [(f"{name} · miss", path, {"miss": True}) for name, path in visitor.items()]
    targets += [(name, path, {"cookie": cookie}) for name, path in signed_in.items()]
    if ONLY:
        targets = targets[:1] + [t for t in targets[1:] if any(w in t[0] for w in ONLY)]
    rates: dict[str, list[float]] = {name: [] for name, _path, _options in targets}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for _name, path, options in targets:  # warm: every visitor's page made and kept
                headers = (
                    {"Cookie": f"sessionid={options['cookie']}"} if "cookie" in options else {}
                )
                request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
                urllib.request.urlopen(request).read()
            for round_number in range(ROUNDS):
                for name, path, options in targets:
                    rates[name].append(wrk(path, script_dir=Path(folder), **options))
                print(f"round {round_number + 1}/{ROUNDS} done", flush=True)
    finally:
        stop(server)
        subprocess.run(["redis-cli", "-u", REDIS_DB, "FLUSHDB"], check=False, capture_output=True)
        subprocess.run(
            ["redis-cli", "-u", "redis://127.0.0.1:6379/14", "DEL", "bench-throughput"],
            check=False,
            capture_output=True,
        )

    trivial = statistics.median(rates["trivial view"])
    print(f"\ngunicorn 2 workers, wrk {CONNECTIONS} connections, median of {ROUNDS} x {SECONDS} s")
    print(f"{'page':34} {'req/s':>8} {'share':>7} {'target':>7}  before")
    print(f"{'trivial view':34} {trivial:8.0f} {'100%':>7}")
    failures = 0
    for name, _path, _options in targets[1:]:
        rate = statistics.median(rates[name])
        share = rate / trivial
        target = 0.25 if name.endswith("· kept") else 0.05
        ok = share >= target
        failures += not ok
        base = name.split(" · ")[0]
        before = BEFORE.get(base) if not name.endswith("· miss") else None
        before_text = f"{before} req/s, {before / BEFORE_TRIVIAL:.1%}" if before else ""
        mark = "" if ok else "  BELOW TARGET"
        print(f"{name:34} {rate:8.0f} {share:7.1%} {target:7.0%}  {before_text}{mark}")
    print(f"\n{failures} below target" if failures else "\nall at or above target")


if __name__ == "__main__":
    main()
