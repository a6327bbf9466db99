"""pytest plugin (loaded with ``-p tests.services``): the real services the suite runs against.

* PostgreSQL: pytest-django's test database on DATABASE_URL (127.0.0.1:5432 by default).
* S3: moto's standalone server on a random loopback port; storage code reaches it over HTTP
  exactly as it would reach MinIO.
* Celery: a real worker process consuming from Redis, on a queue private to this test run.
* Chromium: Debian's build, driven by Playwright.
* OctoPrint: real servers with the Virtual Printer, from their own virtualenv (installed by
  ``scripts/setup test``), started on first use and killed/restarted by tests of outages.

This module is imported before Django's settings, so the environment it sets is what the test
settings read.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from makerspace import virtual_printers

RUN_ID = uuid.uuid4().hex[:8]
BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = BASE_DIR.parent / "shared"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
# Each run, and each xdist worker of a run (workers inherit the controller's environment), has
# its own queue: a message left over from an aborted run, or sent by a test on the other worker
# (whose database is another), is never consumed by this one's Celery worker.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"liaotu-test-{RUN_ID}"
# Kept pages live in Redis as in production, so that a write by the Celery worker drops the
# copies the test's web side made; each run and xdist worker has its own key prefix.
os.environ["PAGE_CACHE_URL"] = "redis://127.0.0.1:6379/14"
os.environ["PAGE_CACHE_KEY_PREFIX"] = f"liaotu-test-{RUN_ID}"
# Playwright's sync API keeps an event loop in the test thread; the ORM calls made by tests
# alongside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_fixture(*parts: str) -> Path:
    """A file from ../shared/fixtures, or a skip that says why when ../shared is absent.

    Under CI (``CI=true``) a missing fixture fails instead: CI must run every test, and a
    silently skipped conformance set would look like a green run.
    """
    path = SHARED_DIR.joinpath("fixtures", *parts)
    if not path.exists():
        reason = f"shared fixture {path} is not available (../shared is absent on this machine)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it")
        pytest.skip(reason)
    return path


# -- S3 ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def s3_endpoint(django_db_blocker) -> Iterator[str]:
    from django.conf import settings
    from moto.server import ThreadedMotoServer

    from media.storage import ensure_buckets, reset_storages_on_setting_change

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    settings.S3_ENDPOINT_URL = url
    os.environ["S3_ENDPOINT_URL"] = url
    reset_storages_on_setting_change(setting="S3_ENDPOINT_URL")
    ensure_buckets()
    yield url
    server.stop()


# -- Celery worker ------------------------------------------------------------------------------
@dataclass
class WorkerProcess:
    process: subprocess.Popen
    name: str
    queue: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    host = db["HOST"] or "127.0.0.1"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(
    tmp_dir: Path, *, concurrency: int = 2, queue: str = "", env: dict[str, str] | None = None
) -> WorkerProcess:
    """Start a worker process (on this run's queue by default); return once it answers a ping.

    ``env`` adds settings of its own (say, a short lease) to the worker's environment."""
    from django.conf import settings

    from config.celery import app

    name = f"test-{RUN_ID}-{uuid.uuid4().hex[:4]}@localhost"
    queue = queue or settings.CELERY_TASK_DEFAULT_QUEUE
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
        **(env or {}),
    }
    log_path = tmp_dir / f"{name.split('@')[0]}.log"
    handle = log_path.open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-n",
            name,
            "-c",
            str(concurrency),
            "-l",
            "info",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log_path.read_text()}")
        if app.control.ping(destination=[name], timeout=1.0):
            return WorkerProcess(process, name, queue, log_path)
    process.kill()
    raise RuntimeError(f"Celery worker did not answer within 60 s:\n{log_path.read_text()}")


def stop_worker(worker: WorkerProcess) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture(scope="session")
def _celery_worker_process(
    django_db_setup, s3_endpoint, tmp_path_factory
) -> Iterator[WorkerProcess]:
    """The session's worker process. It starts on an idle queue: tasks enqueued by tests that
    did not ask for a worker must not run in the background while those tests' data are being
    truncated (a worker writing during TRUNCATE deadlocks the teardown)."""
    from django.conf import settings

    worker = start_worker(
        tmp_path_factory.mktemp("celery"), queue=f"{settings.CELERY_TASK_DEFAULT_QUEUE}-idle"
    )
    yield worker
    stop_worker(worker)
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in (worker.queue, settings.CELERY_TASK_DEFAULT_QUEUE):
            conn.default_channel.queue_delete(queue)


@pytest.fixture
def celery_worker(_celery_worker_process) -> Iterator[WorkerProcess]:
    """A real worker process reading this run's Redis queue and the test database, for the
    duration of one test.

    Tests that use it need ``transactional_db``: the worker is another process and only sees
    committed rows. Tasks left in the queue by earlier tests are dropped first.
    """
    from django.conf import settings

    from config.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    name = _celery_worker_process.name
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    app.control.add_consumer(queue, destination=[name], reply=True)
    yield WorkerProcess(_celery_worker_process.process, name, queue,
                        _celery_worker_process.log_path)  # fmt: skip
    app.control.cancel_consumer(queue, destination=[name], reply=True)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(message or f"condition not met within {timeout} s")


# -- Browser ------------------------------------------------------------------------------------


def wait_for_js(tab, expression: str, *, timeout: float = 10.0) -> None:
    """Poll a JavaScript ``expression`` with evaluate(): the site's CSP forbids the eval that
    Playwright's wait_for_function relies on."""
    wait_for(lambda: tab.evaluate(f"() => Boolean({expression})"), timeout=timeout,
             interval=0.05, message=f"timed out waiting for {expression}")  # fmt: skip


STAFF_PASSWORD = "a-long-library-password"


def fresh_totp(secret: str, *, margin: float = 8.0) -> str:
    """The current six-digit code, taken with at least ``margin`` seconds left in its 30 s
    window: the site accepts the current code only, and a browser slowed by a busy machine
    could otherwise submit it just after it expired (seen in CI)."""
    import pyotp

    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.2)
    return pyotp.TOTP(secret).now()


def sign_in_staff(tab, *, email: str, role: str, next_url: str = "") -> None:
    """Create a staff account with TOTP and sign it in as a person would: e-mail, password,
    then the six-digit code. Ends where ``next_url`` leads (else the profile page)."""
    import pyotp
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts import services

    secret = pyotp.random_base32()
    member = services.create_account(email=email, password=STAFF_PASSWORD, role=role)
    TOTP.activate(member, secret)
    tab.goto(f"/accounts/login/?next={next_url}" if next_url else "/accounts/login/")
    tab.get_by_label("电子邮箱").fill(email)
    tab.get_by_label("密码", exact=False).first.fill(STAFF_PASSWORD)
    tab.get_by_role("button", name="登录").last.click()
    tab.wait_for_url("**/accounts/2fa/authenticate/**")
    tab.get_by_label("代码").fill(fresh_totp(secret))
    tab.get_by_role("button", name="登录").last.click()
    tab.wait_for_url(f"**{next_url}" if next_url else "**/accounts/profile/")


@pytest.fixture
def page(transactional_db, live_server, settings):
    """A Chromium tab on the live test server.

    The site is ``http://localhost:PORT`` and the user-content origin the same server under
    ``http://127.0.0.1:PORT``: another host name, so another origin with its own cookie jar.

    Playwright is started per test, after the database fixture: its sync API runs an asyncio
    loop in this thread, and Django's connection objects are per-context, so a loop started
    before the test database was set up would hide the test run's connection state from the
    database fixtures.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    settings.SITE_URL = live_server.url
    settings.USERCONTENT_URL = live_server.url.replace("://localhost:", "://127.0.0.1:")
    # Journeys meet visitors' pages kept as in production (core.pagecache).
    settings.PAGE_CACHE_ENABLED = True
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        context = chromium.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        chromium.close()
        # Connections opened by the test inside Playwright's context would outlive the test and
        # keep the test database from being dropped.
        from django.db import connections

        connections.close_all()


AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(tab) -> list[dict]:
    """Run axe-core (from npm) in the page and return its WCAG 2.1 A/AA violations."""
    # Evaluated through the DevTools protocol, so the site's CSP (no inline scripts) still holds.
    if not tab.evaluate("typeof window.axe !== 'undefined'"):
        tab.evaluate(AXE_JS.read_text() + "\n;true")
    result = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


# --- OctoPrint with its Virtual Printer ---------------------------------------------------------

# The bootstrap (settings, user, key, serve) is shared with `make run`'s demo printers.
OCTOPRINT_VENV = virtual_printers.OCTOPRINT_VENV


@dataclass
class OctoPrintServer:
    """A real OctoPrint process with the Virtual Printer; kill() and start() simulate outages."""

    base_dir: Path
    port: int
    api_key: str
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.base_dir / "serve.log", "ab")  # noqa: SIM115 - kept open with the process
        self.process = virtual_printers.serve(self.base_dir, port=self.port, log=log)
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/version", headers={"X-Api-Key": self.api_key},
                             timeout=2).status_code == 200:  # fmt: skip
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"OctoPrint did not start:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.base_dir / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_octoprint(base_dir: Path) -> OctoPrintServer:
    if not virtual_printers.OCTOPRINT.exists():
        pytest.fail(f"OctoPrint is not installed in {OCTOPRINT_VENV}: run scripts/setup test")
    api_key = uuid.uuid4().hex
    virtual_printers.prepare(base_dir, api_key=api_key)
    server = OctoPrintServer(base_dir=base_dir, port=free_port(), api_key=api_key)
    server.start()
    return server


class OctoPrintPool:
    """OctoPrint servers for the session, started on first use (each ~2 s, ~80 MB)."""

    def __init__(self, tmp_path_factory) -> None:
        self._factory = tmp_path_factory
        self.servers: list[OctoPrintServer] = []

    def get(self, index: int = 0) -> OctoPrintServer:
        while len(self.servers) <= index:
            base = self._factory.mktemp(f"octoprint{len(self.servers)}")
            self.servers.append(start_octoprint(base))
        server = self.servers[index]
        if server.process is None or server.process.poll() is not None:
            server.start()  # an earlier test killed it
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.kill()


@pytest.fixture(scope="session")
def octoprint_pool(tmp_path_factory) -> Iterator[OctoPrintPool]:
    pool = OctoPrintPool(tmp_path_factory)
    yield pool
    pool.stop()


@pytest.fixture
def octoprint_server(octoprint_pool) -> OctoPrintServer:
    """A running OctoPrint with its Virtual Printer (restarted if an earlier test killed it)."""
    return octoprint_pool.get(0)


# --- Two phases for parallel runs -------------------------------------------------------------


def _is_transactional(item: pytest.Item) -> bool:
    """Does the test commit (and so flush the database after it)? The same rule pytest-django
    uses to run such tests last."""
    from django.test import TestCase, TransactionTestCase
    from pytest_django.plugin import validate_django_db

    cls = getattr(item, "cls", None)
    if cls and issubclass(cls, TransactionTestCase):
        return not issubclass(cls, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_rest = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark the tests that commit as ``transactional``.

    A committing test flushes the database when it ends; one that rolls back expects the data
    migrations made (content types, groups, the Wagtail tree). Run serially, pytest-django puts
    every committing test last; spread over xdist workers a rolled-back test could follow a
    flush. So ``scripts/test`` runs the suite in two parallel phases split on this mark.
    """
    for item in items:
        if _is_transactional(item):
            item.add_marker(pytest.mark.transactional)
