"""Losing a web node and a worker under load, on the production topology (scripts/cluster).

The cluster (deploy/cluster.py: nginx with TLS, web1 and web2, worker1 and worker2, beat, an S3
server, PostgreSQL, Redis, three OctoPrint Virtual Printers) is brought up with a 20 s media
processing lease, or a running one is used (`scripts/cluster up --set
MEDIA_PROCESSING_LEASE_SECONDS=20 --set MAKERSPACE_DISPATCH_TIMEOUT=30`). Through nginx, locust
(headless, bench/chaos_locustfile.py) lets 56 people arrive over about 90 s, each from a
loopback address of their own:

* 8 visitors browse; 36 readers sign in and book an event with 20 places, then browse;
* 6 readers upload three recordings each by tus (3 chunks a file; each upload becomes a
  MediaAsset that the workers process);
* 5 makers send G-code by the print form and confirm it; a technician approves each job and
  clears the printer after it, and the workers send the jobs to the Virtual Printers.

KILL_AT seconds in, once worker2 is processing a media job, web2 and worker2 are killed with
SIGKILL (their whole process groups: gunicorn's and Celery's children too). The beat's
``media.tasks.requeue_stalled`` runs every 60 s (a fixed schedule in base.py that no setting
changes); this script runs the same function every REQUEUE_SECONDS instead, as a beat with a
faster schedule would.

Printed: requests, errors, 5xx, p50 and p95 before the kill, in the kill window (requests in
flight from the kill to KILL_WINDOW s after it) and after it; which node answered; requests nginx
passed to the other node; the time from the worker's death to its media job being ready on
the other worker. Must hold: the event's places exactly given, no reader booked twice, every
reader told "booked" holds a booking; every tus upload complete; every media asset processed
and every confirmed print done; nothing stuck between states; no 5xx outside the kill window.
CHAOS_SECONDS changes the run's length; CHAOS_KEEP=1 leaves a cluster this script started up.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from _setup import BASE_DIR, percentile, popular_event, wav_file

sys.path.insert(0, str(BASE_DIR))
from deploy.cluster import Cluster, Layout

RUN_SECONDS = int(os.environ.get("CHAOS_SECONDS", "150"))
KILL_AT = 45
KILL_WINDOW = 15
VICTIM_WAIT = 40
REQUEUE_SECONDS = 5
DRAIN_SECONDS = 120
PLACES = 20
PEOPLE = {"visitor": 8, "booker": 36, "uploader": 6, "maker": 5, "technician": 1}
PASSWORD = "Chaos-day-2026"  # noqa: S105 (bench accounts only)
CHUNK = 5 * 1024 * 1024
# A 16 kHz mono recording just over two chunks: three chunks, five and a half minutes of sound
# (a few seconds to process).
RECORDING_BYTES = 2 * CHUNK + 512 * 1024
SETTINGS = {"MEDIA_PROCESSING_LEASE_SECONDS": "20", "MAKERSPACE_DISPATCH_TIMEOUT": "30"}
PROFILE = "generic-220"


def start_cluster() -> tuple[Cluster, bool]:
    """The running cluster if there is one (with this run's settings), else a new one."""
    var_dir = BASE_DIR / "var" / "cluster"
    saved = Layout.load(var_dir)
    if saved is not None:
        cluster = Cluster(saved)
        if any(cluster.alive(name) for name in cluster.names()):
            missing = {k: v for k, v in SETTINGS.items() if saved.settings.get(k) != v}
            if missing or not all(
                cluster.alive(name) for name in ("web1", "web2", "worker1", "worker2", "nginx")
            ):
                sets = " ".join(f"--set {k}={v}" for k, v in SETTINGS.items())
                sys.exit(f"a cluster is running without all its nodes or these settings: "
                         f"scripts/cluster down, then scripts/cluster up {sets}")  # fmt: skip
            return cluster, False
    cluster = Cluster(Layout(var_dir=str(var_dir), settings=dict(SETTINGS)))
    cluster.up()
    return cluster, True


def setup_django(cluster: Cluster) -> None:
    """This process reads and checks the cluster's database with the nodes' own settings."""
    os.environ.update(cluster.settings_env())
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def prepare(cluster: Cluster, folder: Path) -> dict[str, str]:
    """Accounts, the event, the printers cleared, the recording (made again on each run)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from wagtail.models import Page

    from accounts.models import User
    from booking.models import Qualification
    from booking.services import grant_qualification
    from makerspace.models import JobStatus, Printer, PrintJob

    User.objects.filter(email__endswith="@chaos.liaotu.cn").delete()
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        User(email=f"{kind}-{n}@chaos.liaotu.cn", password=hashed, display_name=f"{kind}{n}")
        for kind, count in PEOPLE.items()
        for n in range(1, count + 1)
    )
    from allauth.account.models import EmailAddress

    people = User.objects.filter(email__endswith="@chaos.liaotu.cn")
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in people
    )
    technician = people.get(email="technician-1@chaos.liaotu.cn")
    technician.user_permissions.add(Permission.objects.get(codename="run_print_farm"))
    required = Qualification.objects.filter(
        pk__in=Printer.objects.filter(profile=PROFILE).values(
            "equipment__resource__required_qualification"
        )
    )
    for maker in people.filter(email__startswith="maker-"):
        for qualification in required:
            grant_qualification(user=maker, qualification=qualification, expires_at=None)
    event = popular_event(title="抢票讲座（混沌）", capacity=PLACES)
    # The farm prints this run's jobs only: the demo's unfinished ones are called off, and
    # every printer is cleared and free.
    PrintJob.objects.filter(
        status__in=[JobStatus.SUBMITTED, JobStatus.QUEUED, JobStatus.DISPATCHING,
                    JobStatus.PRINTING]
    ).update(status=JobStatus.CANCELLED, printer=None)  # fmt: skip
    Printer.objects.update(is_cleared=True, needs_attention=False, attention_reason="")
    pages = [page.get_url() for page in Page.objects.live().filter(depth__gte=2)[:12]]
    pages = [url for url in pages if url] + ["/booking/", "/makerspace/"]
    recording = folder / "recording.wav"
    wav_file(recording, RECORDING_BYTES, rate=16000, channels=1)
    return {
        "CHAOS_EVENT": str(event.pk),
        "CHAOS_PAGES": json.dumps(pages),
        "CHAOS_PASSWORD": PASSWORD,
        "CHAOS_CA": str(cluster.layout.certificate),
        "CHAOS_WAV": str(recording),
        "CHAOS_CHUNK": str(CHUNK),
        "CHAOS_PROFILE": PROFILE,
        "CHAOS_REQUESTS": str(folder / "requests.tsv"),
        "CHAOS_OUTCOMES": str(folder / "outcomes.jsonl"),
    }


class Requeuer(threading.Thread):
    """``media.tasks.requeue_stalled``'s body every REQUEUE_SECONDS (see the docstring)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.requeued = 0

    def run(self) -> None:
        from django.db import close_old_connections

        from media import pipeline

        while not self.halt.wait(REQUEUE_SECONDS):
            try:
                self.requeued += pipeline.requeue_stalled()
            except Exception as error:  # the database busy: the next round tries again
                print(f"requeue_stalled failed: {error!r}", flush=True)
            close_old_connections()


def media_job_of(cluster: Cluster, node: str) -> list[str]:
    """The media assets ``node`` is processing right now."""
    found = []
    for task in cluster.active_tasks(node):
        args = task.get("args") or []
        if isinstance(args, str):  # older Celery versions send the arguments' repr
            args = ast.literal_eval(args)
        if task.get("name") == "media.tasks.process_asset" and args:
            found.append(args[0])
    return found


def swarm(env: dict[str, str], folder: Path, cluster: Cluster) -> dict:
    users = sum(PEOPLE.values())
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f", str(Path(__file__).with_name("chaos_locustfile.py")),
        "--headless", "--host", cluster.layout.site_url,
        "-u", str(users), "-r", "0.6",
        "--run-time", f"{RUN_SECONDS}s", "--stop-timeout", "30",
        "--csv", str(folder / "chaos"), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    started = time.time()
    with (folder / "locust.log").open("w") as log:
        locust = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
    time.sleep(max(0.0, started + KILL_AT - time.time()))
    victims: list[str] = []
    deadline = time.monotonic() + VICTIM_WAIT
    while not victims and time.monotonic() < deadline:
        victims = media_job_of(cluster, "worker2")
        if not victims:
            time.sleep(0.5)
    web_killed = cluster.kill("web2")
    worker_killed = cluster.kill("worker2")
    print(f"killed web2 and worker2 {worker_killed - started:.0f} s into the run; worker2 was "
          f"processing {victims or 'no media job'}", flush=True)  # fmt: skip
    locust.wait()
    return {"started": started, "web_killed": web_killed, "worker_killed": worker_killed,
            "victims": victims, "ended": time.time()}  # fmt: skip


def drain(outcomes: list[dict]) -> float:
    """After the readers have gone: the technician's last rounds (approve, clear) until every
    asset is processed and every confirmed print is done, or DRAIN_SECONDS pass."""
    from django.core.exceptions import ValidationError
    from django.db import close_old_connections

    from accounts.models import User
    from makerspace import services
    from makerspace.models import JobStatus, Printer, PrintJob
    from media.models import MediaAsset, ProcessingStatus

    technician = User.objects.get(email="technician-1@chaos.liaotu.cn")
    uploads = [o["upload"] for o in outcomes if o["kind"] == "upload" and o.get("upload")]
    jobs = [o["job"] for o in outcomes if o["kind"] == "print" and o.get("confirmed")]
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        for job in PrintJob.objects.filter(pk__in=jobs, status=JobStatus.SUBMITTED):
            services.approve_job(job=job, by=technician)
        for printer in Printer.objects.filter(is_cleared=False, needs_attention=False):
            with contextlib.suppress(ValidationError):  # printing again already
                services.mark_cleared(printer=printer, by=technician)
        busy = MediaAsset.objects.filter(
            original__upload__pk__in=uploads,
            status__in=[ProcessingStatus.PENDING, ProcessingStatus.PROCESSING],
        ).exists()
        printing = PrintJob.objects.filter(pk__in=jobs).exclude(status=JobStatus.DONE).exists()
        if not busy and not printing:
            break
        close_old_connections()
        time.sleep(2)
    return time.monotonic() - started


def read_requests(path: Path) -> list[tuple[float, float, str, int, bool]]:
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            start, ms, _method, name, status, failed = line.split("\t")
            rows.append((float(start), float(ms) / 1000, name, int(status), failed == "1"))
    return rows


def window_of(start: float, seconds: float, run: dict) -> str:
    kill = run["web_killed"]
    if start + seconds < kill:
        return "before"
    if start > kill + KILL_WINDOW:
        return "after"
    return "kill window"


def read_nginx(path: Path, run: dict) -> list[dict]:
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) < 10 or float(fields[0]) < run["started"]:
                continue
            rows.append({"end": float(fields[0]), "method": fields[3], "uri": fields[4],
                         "status": int(fields[5]), "seconds": float(fields[6]),
                         "upstreams": fields[7].split(", "),
                         "upstream_status": fields[8].split(", ")})  # fmt: skip
    return rows


def main() -> None:
    cluster, started_here = start_cluster()
    setup_django(cluster)
    requeuer = Requeuer()
    try:
        with tempfile.TemporaryDirectory(prefix="liaotu-chaos-") as name:
            folder = Path(name)
            env = {**os.environ, **prepare(cluster, folder)}
            requeuer.start()
            run = swarm(env, folder, cluster)
            outcomes = [json.loads(line) for line in
                        (folder / "outcomes.jsonl").read_text().splitlines()]  # fmt: skip
            run["drain"] = drain(outcomes)
            with (folder / "chaos_stats.csv").open() as handle:
                stats = list(csv.DictReader(handle))
            requests = read_requests(folder / "requests.tsv")
            nginx = read_nginx(cluster.layout.access_log, run)
            problems = report(cluster, run, stats, requests, nginx, outcomes, requeuer)
    finally:
        requeuer.halt.set()
        if started_here and os.environ.get("CHAOS_KEEP") != "1":
            cluster.down()
    if not started_here or os.environ.get("CHAOS_KEEP") == "1":
        print("the cluster is still up, without web2 and worker2: scripts/cluster start web2; "
              "scripts/cluster start worker2 (or scripts/cluster down)")  # fmt: skip
    sys.exit(1 if problems else 0)


def line(name: str, count: int, failed: int, errors5: int, times: list[float], span: float):
    p50 = f"{percentile(times, 0.5) * 1000:.0f}" if times else "-"
    p95 = f"{percentile(times, 0.95) * 1000:.0f}" if times else "-"
    rate = count / span if span else 0
    return f"{name:24} {count:>6} {failed:>5} {errors5:>5} {rate:>7.1f} {p50:>6} {p95:>6}"


def report(cluster, run, stats, requests, nginx, outcomes, requeuer) -> list[str]:
    from django.db.models import Count
    from django.utils import timezone

    from booking.models import Booking, BookingStatus, Event
    from makerspace.models import JobStatus, PrintJob, StudioJob, StudioJobStatus
    from media.models import MediaAsset, ProcessingStatus, Upload, UploadStatus

    problems: list[str] = []
    kill = run["web_killed"]
    print(f"\n{sum(PEOPLE.values())} people through nginx for {RUN_SECONDS} s: "
          + ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in PEOPLE.items())
          + f"; web2 and worker2 killed at {kill - run['started']:.0f} s; "
          f"kill window {KILL_WINDOW} s")  # fmt: skip
    header = (
        f"{'request':24} {'count':>6} {'fail':>5} {'5xx':>5} {'req/s':>7} {'p50':>6} {'p95':>6}"
    )
    print("\nby kind of request (locust)")
    print(header)
    for row in stats:
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        kinds = [r for r in requests if name == "all" or r[2] == name]
        print(line(name, int(row["Request Count"]), int(row["Failure Count"]),
                   sum(1 for r in kinds if r[3] >= 500), [r[1] for r in kinds],
                   run["ended"] - run["started"]))  # fmt: skip

    print("\nby time (a request belongs to the kill window if it was in flight during it)")
    print(header)
    spans = {"before": kill - run["started"], "kill window": KILL_WINDOW,
             "after": run["ended"] - kill - KILL_WINDOW}  # fmt: skip
    by_window = defaultdict(list)
    for request in requests:
        by_window[window_of(request[0], request[1], run)].append(request)
    for window in ("before", "kill window", "after"):
        rows = by_window[window]
        errors5 = sum(1 for r in rows if r[3] >= 500 or r[3] == 0)
        print(line(window, len(rows), sum(1 for r in rows if r[4]), errors5,
                   [r[1] for r in rows], spans[window]))  # fmt: skip
        if window != "kill window" and errors5:
            problems.append(f"{errors5} 5xx or unanswered requests {window} the kill window")
        if window != "kill window" and any(r[4] for r in rows):
            problems.append(f"{sum(1 for r in rows if r[4])} failed requests {window} the kill")

    served = Counter()
    for row in nginx:
        # Logged when the answer was sent; the last node tried is the one that gave it.
        when = "before" if row["end"] - row["seconds"] < kill else "after"
        if row["upstreams"][-1] not in ("", "-"):
            served[(when, row["upstreams"][-1])] += 1
    retried = [row for row in nginx if len(row["upstreams"]) > 1]
    print("\nnginx: " + ", ".join(f"{n} answers from {up} to requests sent {when} the kill"
                                  for (when, up), n in sorted(served.items())))  # fmt: skip
    print(f"nginx passed {len(retried)} requests on to the other node "
          f"({Counter(r['method'] for r in retried)}); 502 from nginx itself: "
          f"{sum(1 for r in nginx if r['status'] == 502)}")  # fmt: skip

    # Bookings.
    event = Event.objects.get(title="抢票讲座（混沌）")
    held = [BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CHECKED_IN]
    given = Booking.objects.filter(event=event, status__in=held)
    doubled = given.values("user_id").annotate(n=Count("id")).filter(n__gt=1).count()
    holders = set(given.values_list("user__email", flat=True))
    told = [o for o in outcomes if o["kind"] == "booking"]
    lost = [o["user"] for o in told if o.get("given") and o["user"] not in holders]
    print(f"\nbookings: {given.count()} of {PLACES} places given to {len(told)} readers who "
          f"tried; booked twice: {doubled}; told 'booked' but holding none: "
          f"{len(lost)}")  # fmt: skip
    if given.count() != PLACES:
        problems.append(f"{given.count()} places given, not {PLACES}")
    if doubled:
        problems.append(f"{doubled} readers booked twice")
    if lost:
        problems.append(f"bookings lost: {lost}")

    # Uploads and media processing.
    ups = [o for o in outcomes if o["kind"] == "upload"]
    incomplete = [o for o in ups if not o.get("complete")]
    ids = [o["upload"] for o in ups if o.get("upload")]
    spread = defaultdict(set)
    for row in nginx:
        if row["method"] == "PATCH" and row["uri"].startswith("/files/uploads/"):
            upload_id = row["uri"].rstrip("/").rsplit("/", 1)[-1]
            spread[upload_id].add(row["upstreams"][-1])
    both = sum(1 for upload_id in ids if len(spread.get(upload_id, ())) > 1)
    retries = sum(o.get("retries", 0) for o in ups)
    orphans = Upload.objects.filter(
        owner__email__endswith="@chaos.liaotu.cn", status=UploadStatus.RECEIVING
    ).exclude(pk__in=ids)
    print(f"\ntus uploads: {len(ups) - len(incomplete)} of {len(ups)} complete; chunks sent "
          f"again after asking HEAD: {retries}; uploads whose chunks went to both nodes: "
          f"{both}; uploads begun by a POST whose answer was lost (left to the clean-up): "
          f"{orphans.count()}")  # fmt: skip
    if incomplete:
        problems.append(f"{len(incomplete)} uploads not completed: {incomplete}")
    if not both:
        problems.append("no upload had its chunks answered by both nodes")
    assets = MediaAsset.objects.filter(original__upload__pk__in=ids)
    statuses = Counter(assets.values_list("status", flat=True))
    print(f"media assets of these uploads: {dict(statuses)}; requeued by requeue_stalled: "
          f"{requeuer.requeued}")  # fmt: skip
    if statuses.get(ProcessingStatus.READY, 0) != len(ids):
        problems.append(f"{len(ids)} uploads but {dict(statuses)} assets")
    # A task worker2 had taken but not begun: its asset is pending, not processing, so no
    # lease runs out; requeue_stalled sends pending assets again after two leases (Redis would
    # give the message back only after its visibility timeout).
    for asset in assets.filter(status=ProcessingStatus.PENDING, attempts=0):
        print(f"  {asset.pk} is pending, never begun, made "
              f"{asset.created_at.timestamp() - run['worker_killed']:+.1f} s from worker2's "
              f"death: its task was in worker2's prefetch, unacknowledged in Redis")  # fmt: skip
    for victim in run["victims"]:
        asset = MediaAsset.objects.get(pk=victim)
        if asset.status == ProcessingStatus.READY and asset.processed_at:
            after = asset.processed_at.timestamp() - run["worker_killed"]
            print(f"the media job worker2 held ({victim}, attempt {asset.attempts}): ready on "
                  f"worker1 {after:.1f} s after worker2 was killed (lease 20 s, requeue every "
                  f"{REQUEUE_SECONDS} s)")  # fmt: skip
        else:
            problems.append(f"the media job worker2 held ({victim}) is {asset.status}")
    if not run["victims"]:
        problems.append(f"worker2 held no media job within {VICTIM_WAIT} s of {KILL_AT} s")

    # Print jobs.
    confirmed = [o["job"] for o in outcomes if o["kind"] == "print" and o.get("confirmed")]
    makers = [o for o in outcomes if o["kind"] == "print"]
    jobs = Counter(PrintJob.objects.filter(pk__in=confirmed).values_list("status", flat=True))
    extra = PrintJob.objects.filter(owner__email__endswith="@chaos.liaotu.cn",
                                    status=JobStatus.ESTIMATED).count()  # fmt: skip
    print(f"\nprint jobs: {len(confirmed)} of {len(makers)} makers confirmed; their jobs: "
          f"{dict(jobs)}; unconfirmed copies from a resent form: {extra}")  # fmt: skip
    if jobs.get(JobStatus.DONE, 0) != len(confirmed) or len(confirmed) != len(makers):
        problems.append(f"print jobs not all done: {dict(jobs)} of {len(makers)} makers")

    # Anything left between states, anywhere in the cluster's database.
    now = timezone.now()
    lease = timedelta(seconds=int(SETTINGS["MEDIA_PROCESSING_LEASE_SECONDS"]))
    stuck = {
        "media assets processing past the lease": MediaAsset.objects.filter(
            status=ProcessingStatus.PROCESSING, processing_started_at__lt=now - lease
        ).count(),
        "media assets pending": MediaAsset.objects.filter(status=ProcessingStatus.PENDING).count(),
        "studio jobs processing past the lease": StudioJob.objects.filter(
            status=StudioJobStatus.PROCESSING, started_at__lt=now - lease
        ).count(),
        "print jobs dispatching or slicing": PrintJob.objects.filter(
            status__in=[JobStatus.DISPATCHING, JobStatus.SLICING]
        ).count(),
        "this run's uploads still receiving": Upload.objects.filter(
            pk__in=ids, status=UploadStatus.RECEIVING
        ).count(),
    }
    print("left between states: " + ", ".join(f"{k}: {v}" for k, v in stuck.items()))
    problems += [f"{v} {k}" for k, v in stuck.items() if v]
    with cluster.broker() as connection:
        redis = connection.default_channel.client
        waiting, unacked = redis.llen(cluster.layout.name), redis.hlen("unacked")
    print(f"Celery: {waiting} tasks waiting; {unacked} unacknowledged, taken by killed workers "
          "(this run's and earlier ones'): Redis hands them back after the visibility timeout "
          f"(2 h) and they skip work already done; drained in {run['drain']:.0f} s")  # fmt: skip

    print("\n" + ("\n".join(problems) if problems else "all held"))
    return problems


if __name__ == "__main__":
    main()
