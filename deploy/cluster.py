"""The production topology on one machine, each part a process of its own (``scripts/cluster``).

Two web nodes (gunicorn on two ports) behind nginx with TLS, two Celery workers, one beat, an S3
server (moto's, standing in for MinIO), OctoPrint Virtual Printers, and this machine's
PostgreSQL and Redis (a database and a Redis db of the cluster's own). Every node runs
``config.settings.production`` from one environment file, as on real servers.

What is started is what deploy/ recommends: nginx runs deploy/nginx/liaotu.conf and each node
the ``ExecStart`` of its systemd unit in deploy/systemd/, both rendered from their ``{{NAME}}``
placeholders into the cluster's folder (var/cluster/etc/). Each process is the leader of a
session of its own, so that killing a node (``scripts/cluster kill web2``) kills it whole, with
gunicorn's or Celery's children, as losing the machine would.

Used by bench/chaos.py and tests/test_cluster.py through ``Layout`` and ``Cluster``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY_DIR = BASE_DIR / "deploy"
VENV_BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# What systemd passes on from its own environment; everything else comes from the env file.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME", "OCTOPRINT_VENV")
MiB = 1024 * 1024


def log(message: str) -> None:
    print(f"[cluster] {time.strftime('%H:%M:%S')} {message}", flush=True)


# --- templates ----------------------------------------------------------------------------------


def render(text: str, values: dict[str, str], *, lists: dict[str, list[str]] | None = None) -> str:
    """Fill in ``{{NAME}}``; a line holding a name of ``lists`` is repeated once per item.
    Comment lines are copied as they are. A placeholder without a value is an error."""
    lists = lists or {}
    out = []
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#"):
            out.append(line)
            continue
        repeated = [name for name in PLACEHOLDER.findall(line) if name in lists]
        if repeated:
            out.extend(_fill(line, {**values, repeated[0]: item}) for item in lists[repeated[0]])
        else:
            out.append(_fill(line, values))
    return "".join(out)


def _fill(line: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise KeyError(f"no value for {{{{{match.group(1)}}}}} in: {line.strip()}")
        return str(values[match.group(1)])

    return PLACEHOLDER.sub(value, line)


def unit_command(
    text: str, *, instance: str, env: dict[str, str], runtime: Path, state: Path
) -> tuple[list[str], dict[str, str]]:
    """The command line and extra environment a rendered unit's ``[Service]`` runs, as systemd
    would expand them: %i, %H, %t (RuntimeDirectory= made empty under it), %S (StateDirectory=
    under it), %%, then ${NAME} from the environment."""

    def specifiers(value: str) -> str:
        table = {"i": instance, "H": socket.gethostname(), "t": str(runtime), "S": str(state)}
        return re.sub(r"%([%iHtS])", lambda m: "%" if m.group(1) == "%" else table[m.group(1)],
                      value)  # fmt: skip

    service: dict[str, list[str]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _sep, value = line.partition("=")
            service.setdefault(key, []).append(specifiers(value))
    extra = dict(item.partition("=")[::2] for item in service.get("Environment", []))
    for folder in service.get("RuntimeDirectory", []):
        shutil.rmtree(runtime / folder, ignore_errors=True)
        (runtime / folder).mkdir(parents=True)
    for folder in service.get("StateDirectory", []):
        (state / folder).mkdir(parents=True, exist_ok=True)
    variables = {**env, **extra}

    def expand(match: re.Match) -> str:
        if match.group(1) not in variables:
            raise KeyError(f"${{{match.group(1)}}} is not set in the environment file")
        return variables[match.group(1)]

    (exec_start,) = service["ExecStart"]
    return shlex.split(re.sub(r"\$\{([A-Z_]+)\}", expand, exec_start)), extra


# --- the layout -----------------------------------------------------------------------------------


@dataclass
class Layout:
    """Where everything is: ports, the database, the Redis db, and extra settings."""

    var_dir: str = str(BASE_DIR / "var" / "cluster")
    database_url: str = "postgres://postgres@127.0.0.1:5432/cl_liaotu"
    redis_url: str = "redis://127.0.0.1:6379/8"
    # Key prefix of caches and kept pages, and the Celery queue's name.
    name: str = "cluster"
    https_port: int = 8443
    http_port: int = 8480
    web_ports: list[int] = field(default_factory=lambda: [8101, 8102])
    web_workers: int = 2
    web_threads: int = 4
    # Worker instances (liaotu-worker@<instance>): node names worker1, worker2.
    workers: list[str] = field(default_factory=lambda: ["1", "2"])
    worker_concurrency: int = 2
    beat: bool = True
    printer_ports: list[int] = field(default_factory=lambda: [5101, 5102, 5103])
    # moto's S3 server on this port, unless an endpoint is given (the tests' own).
    s3_port: int = 9100
    s3_endpoint: str = ""
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return Path(self.var_dir)

    @property
    def site_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def usercontent_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def s3_url(self) -> str:
        return self.s3_endpoint or f"http://127.0.0.1:{self.s3_port}"

    @property
    def certificate(self) -> Path:
        return self.folder / "etc" / "tls" / "cert.pem"

    @property
    def access_log(self) -> Path:
        return self.folder / "logs" / "nginx-access.log"

    def web_nodes(self) -> dict[str, int]:
        return {f"web{n}": port for n, port in enumerate(self.web_ports, start=1)}

    def worker_nodes(self) -> dict[str, str]:
        return {f"worker{instance}": instance for instance in self.workers}

    def worker_hostname(self, node: str) -> str:
        return f"{node}@{socket.gethostname()}"

    def save(self) -> None:
        (self.folder / "cluster.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, var_dir: Path) -> Layout | None:
        path = var_dir / "cluster.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None


# --- the cluster ----------------------------------------------------------------------------------


class Cluster:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.var = layout.folder
        self.children: dict[str, subprocess.Popen] = {}

    # -- files ----------------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        path = self.var.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def secret_key(self) -> str:
        path = self.path("etc", "secret_key")
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()

    def backup_key(self) -> str:
        path = self.path("etc", "backup_key")
        if not path.exists():
            path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            path.chmod(0o600)
        return path.read_text().strip()

    def settings_env(self) -> dict[str, str]:
        """The environment file's contents (deploy/liaotu.env.example says what each is)."""
        layout = self.layout
        values = {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret_key(),
            "BACKUP_ENCRYPTION_KEY": self.backup_key(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": layout.site_url,
            "USERCONTENT_URL": layout.usercontent_url,
            "DATABASE_URL": layout.database_url,
            "CELERY_BROKER_URL": layout.redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": layout.name,
            # A Redis db of the cluster's own: CACHE_URL has no way to set a key prefix
            # (django-environ reads ?key_prefix= but Django ignores what it makes of it).
            "CACHE_URL": layout.redis_url,
            "PAGE_CACHE_URL": layout.redis_url,
            "PAGE_CACHE_KEY_PREFIX": layout.name,
            "S3_ENDPOINT_URL": layout.s3_url,
            "S3_ACCESS_KEY": "liaotu-cluster",
            "S3_SECRET_KEY": "liaotu-cluster-secret",
            "EMAIL_URL": "consolemail://",
            "TRUSTED_PROXY_COUNT": "1",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            # A browser would remember HSTS for "localhost" (the user-content host here) and
            # then refuse `make run`'s plain http://localhost for a year.
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "LIAOTU_VAR_DIR": str(self.var),
            "LIAOTU_WEB_BIND": "127.0.0.1",
            "WEB_WORKERS": str(layout.web_workers),
            "WEB_THREADS": str(layout.web_threads),
            "WORKER_CONCURRENCY": str(layout.worker_concurrency),
        }
        values.update(layout.settings)
        return values

    def environment(self) -> dict[str, str]:
        """A node's whole environment: systemd's few inherited variables and the env file."""
        base = {name: os.environ[name] for name in INHERITED if name in os.environ}
        return {**base, **self.settings_env()}

    def write_config(self) -> None:
        layout = self.layout
        values = self.settings_env()
        env_file = self.path("etc", "liaotu.env")
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env_file.chmod(0o600)
        self._certificate()
        chunk_mb = int(values.get("MEDIA_UPLOAD_CHUNK_MB", "32"))
        nginx = render(
            (DEPLOY_DIR / "nginx" / "liaotu.conf").read_text(),
            {
                "HTTP_LISTEN": f"127.0.0.1:{layout.http_port}",
                "HTTPS_LISTEN": f"127.0.0.1:{layout.https_port}",
                "HTTPS_PORT_SUFFIX": f":{layout.https_port}",
                "SERVER_NAMES": "127.0.0.1 localhost",
                "TLS_CERTIFICATE": str(layout.certificate),
                "TLS_CERTIFICATE_KEY": str(self.path("etc", "tls", "key.pem")),
                "ACCESS_LOG": str(layout.access_log),
                "CACHE_DIR": str(self.var / "nginx" / "cache"),
                "CLIENT_MAX_BODY_SIZE": f"{chunk_mb}m",
                "LARGE_BODY_SIZE": "4g",
            },
            lists={"WEB_NODE": [f"127.0.0.1:{port}" for port in layout.web_ports]},
        )
        self.path("etc", "nginx", "liaotu.conf").write_text(nginx)
        user = os.environ.get("USER") or "root"
        for name in ("liaotu-web@.service", "liaotu-worker@.service", "liaotu-beat.service"):
            unit = render(
                (DEPLOY_DIR / "systemd" / name).read_text(),
                {"USER": user, "GROUP": user, "BASE_DIR": str(BASE_DIR),
                 "VENV": str(VENV_BIN.parent), "ENV_FILE": str(env_file)},
            )  # fmt: skip
            self.path("etc", "systemd", name).write_text(unit)
        self._nginx_main()

    def _certificate(self) -> None:
        cert, key = self.layout.certificate, self.path("etc", "tls", "key.pem")
        if cert.exists() and key.exists():
            return
        cert.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [shutil.which("openssl") or "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
             "-nodes", "-days", "365",
             "-subj", "/CN=liaotu-cluster", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip

    def _nginx_main(self) -> None:
        """nginx's own main file, which Debian's /etc/nginx/nginx.conf is on a server."""
        root = self.path("nginx", "x").parent
        temp = {name: root / "tmp" / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for folder in [*temp.values(), root / "cache"]:
            folder.mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:
            # As root nginx's workers drop to an unprivileged user, who must own their folders.
            user = "user www-data;"
            for folder in [root / "tmp", *temp.values(), root / "cache"]:
                shutil.chown(folder, "www-data")
        main = f"""\
{user}
daemon off;
worker_processes 2;
pid {root / "nginx.pid"};
error_log {self.path("logs", "nginx-error.log")} warn;
events {{ worker_connections 2048; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {self.var / "etc" / "nginx" / "liaotu.conf"};
}}
"""
        (root / "nginx.conf").write_text(main)

    # -- processes ------------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        handle = self.path("logs", f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        handle.close()
        self.children[name] = process
        self.path("pids", f"{name}.pid").write_text(str(process.pid))
        return process

    def pid(self, name: str) -> int | None:
        path = self.var / "pids" / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def names(self) -> list[str]:
        folder = self.var / "pids"
        return sorted(p.stem for p in folder.glob("*.pid")) if folder.exists() else []

    def alive(self, name: str) -> bool:
        """Is the node running? A pid file's process counts only if it started when the file was
        written: a pid left by a machine's restart may belong to anything by now."""
        if name in self.children:
            return self.children[name].poll() is None
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            boot = next(
                int(line.split()[1])
                for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime ")
            )
        except OSError:
            return False
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        written = (self.var / "pids" / f"{name}.pid").stat().st_mtime
        return fields[0] != "Z" and abs(written - started) < 60

    def signal(self, name: str, signum: int) -> None:
        """Signal a node: its whole session (gunicorn's or Celery's children too)."""
        pid = self.pid(name)
        if pid is None or not self.alive(name):
            return
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def kill(self, name: str) -> float:
        """SIGKILL a node, as losing its machine would; returns the time (time.time())."""
        if not self.alive(name):
            raise SystemExit(f"{name} is not running")
        self.signal(name, signal.SIGKILL)
        killed = time.time()
        deadline = time.monotonic() + 10
        while self.alive(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        return killed

    def stop(self, name: str, *, timeout: float = 30) -> None:
        self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.alive(name):
            self.signal(name, signal.SIGKILL)
            while self.alive(name):
                time.sleep(0.05)
        (self.var / "pids" / f"{name}.pid").unlink(missing_ok=True)

    def down(self) -> None:
        order = ["nginx", *self.layout.web_nodes(), "beat", *self.layout.worker_nodes()]
        order += [name for name in self.names() if name.startswith("printer")] + ["s3"]
        for name in order:
            if self.pid(name) is not None:
                self.stop(name)

    # -- starting each part ---------------------------------------------------------------------
    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=BASE_DIR, env=self.environment(), capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def unit(self, name: str, instance: str = "") -> tuple[list[str], dict[str, str]]:
        env = self.environment()
        argv, extra = unit_command(
            (self.var / "etc" / "systemd" / name).read_text(), instance=instance, env=env,
            runtime=self.var / "run", state=self.var / "state",
        )  # fmt: skip
        return argv, {**env, **extra}

    def collect_static(self) -> subprocess.Popen | None:
        """collectstatic (hashing and compressing takes a minute) alongside the other steps,
        unless the collected files are newer than every source of them."""
        manifest = self.var / "static" / "staticfiles.json"
        if manifest.exists():
            # The site's and the apps' static folders (and the packages', through the locks).
            found = [*BASE_DIR.glob("*/static/**/*"), *BASE_DIR.glob("*/*/static/**/*")]
            sources = [BASE_DIR / "uv.lock", BASE_DIR / "package-lock.json"]
            sources += [path for path in found if path.relative_to(BASE_DIR).parts[0]
                        not in ("var", "node_modules", ".venv") and path.is_file()]  # fmt: skip
            newest = max(path.stat().st_mtime for path in sources if path.exists())
            if newest < manifest.stat().st_mtime:
                log("static files collected already")
                return None
        log("collecting static files (in the background)")
        handle = self.path("logs", "collectstatic.log").open("wb")
        process = subprocess.Popen(
            [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=BASE_DIR, env=self.environment(), stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
        handle.close()
        return process

    def start_s3(self) -> None:
        if self.layout.s3_endpoint:
            return
        port = str(self.layout.s3_port)
        self.spawn("s3", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", port],
                   self.environment())  # fmt: skip
        wait_http(f"{self.layout.s3_url}/", name="s3", cluster=self, accept=(200, 403, 404))

    def ensure_database(self) -> None:
        import psycopg

        parts = urlsplit(self.layout.database_url)
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                if not name.startswith("cl_"):
                    raise SystemExit(f"refusing to create {name}: cluster databases are cl_*")
                conn.execute(f'CREATE DATABASE "{name}"')
                log(f"created database {name}")

    def start_printers(self) -> None:
        """One OctoPrint Virtual Printer per demo printer, on the cluster's ports."""
        from makerspace import virtual_printers

        if not virtual_printers.OCTOPRINT.exists():
            raise SystemExit(f"OctoPrint is missing ({virtual_printers.OCTOPRINT}): "
                             "run scripts/setup cluster")  # fmt: skip
        urls = {}
        for n, (slug, port) in enumerate(
            zip(virtual_printers.DEMO_PORTS, self.layout.printer_ports, strict=False), start=1
        ):
            base = self.var / "octoprint" / slug
            virtual_printers.prepare(base, api_key=virtual_printers.DEMO_API_KEY, autoconnect=True)
            handle = self.path("logs", f"printer{n}.log").open("ab")
            process = virtual_printers.serve(base, port=port, log=handle)
            handle.close()
            self.children[f"printer{n}"] = process
            self.path("pids", f"printer{n}.pid").write_text(str(process.pid))
            urls[slug] = f"http://127.0.0.1:{port}"
        for n, url in enumerate(urls.values(), start=1):
            wait_http(f"{url}/api/version", name=f"printer{n}", cluster=self,
                      headers={"X-Api-Key": virtual_printers.DEMO_API_KEY})  # fmt: skip
        self.manage("shell", "-c", REPOINT_PRINTERS % json.dumps(urls))

    def start_web(self, name: str) -> None:
        argv, env = self.unit("liaotu-web@.service", str(self.layout.web_nodes()[name]))
        self.spawn(name, argv, env)

    def wait_web(self, name: str) -> None:
        port = self.layout.web_nodes()[name]
        wait_http(f"http://127.0.0.1:{port}/healthz", name=name, cluster=self, timeout=120)

    def start_worker(self, name: str) -> None:
        argv, env = self.unit("liaotu-worker@.service", self.layout.worker_nodes()[name])
        self.spawn(name, argv, env)

    def wait_worker(self, name: str, *, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(name):
                raise SystemExit(f"{name} exited:\n{self.log_tail(name)}")
            if self.ping(name):
                return
        raise SystemExit(f"{name} did not answer within {timeout:.0f} s:\n{self.log_tail(name)}")

    def start_beat(self) -> None:
        argv, env = self.unit("liaotu-beat.service")
        self.spawn("beat", argv, env)

    def start_nginx(self) -> None:
        conf = str(self.var / "nginx" / "nginx.conf")
        prefix = str(self.var / "nginx") + "/"
        checked = subprocess.run([NGINX, "-t", "-q", "-p", prefix, "-c", conf],
                                 capture_output=True, text=True)  # fmt: skip
        if checked.returncode != 0:
            raise SystemExit(f"nginx refused its configuration:\n{checked.stderr}")
        self.spawn("nginx", [NGINX, "-p", prefix, "-c", conf], self.environment())
        wait_http(f"{self.layout.site_url}/healthz", name="nginx", cluster=self,
                  context=self.tls_context())  # fmt: skip

    def start(self, name: str) -> None:
        """Start one node again (after `kill`)."""
        if self.alive(name):
            raise SystemExit(f"{name} is running")
        if name in self.layout.web_nodes():
            self.start_web(name)
            self.wait_web(name)
        elif name in self.layout.worker_nodes():
            self.start_worker(name)
            self.wait_worker(name)
        elif name == "beat":
            self.start_beat()
        elif name == "nginx":
            self.start_nginx()
        else:
            raise SystemExit(f"{name} cannot be started on its own; use `up`")

    def up(self, *, migrate: bool = True, seed: bool = True, printers: bool = True) -> list[str]:
        """Start every part; returns the demo accounts' lines (when seeded)."""
        if not Path(NGINX).exists():
            raise SystemExit(f"nginx is missing ({NGINX}): run scripts/setup cluster")
        if running := [name for name in self.names() if self.alive(name)]:
            raise SystemExit(f"already running: {', '.join(running)} (scripts/cluster down)")
        shutil.rmtree(self.var / "pids", ignore_errors=True)
        self.layout.access_log.unlink(missing_ok=True)
        self.var.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self.layout.save()
        started = time.monotonic()
        self.start_s3()
        if migrate:
            self.ensure_database()
            log("migrating (and creating the buckets)")
            self.manage("migrate", "--noinput")
        collecting = self.collect_static()
        accounts = []
        if seed:
            log("loading the demo content")
            seeded = self.manage("seed_demo")
            accounts = [line.strip() for line in seeded.splitlines() if "@demo." in line]
        if printers:
            log("starting the Virtual Printers")
            self.start_printers()
        if collecting is not None and collecting.wait() != 0:
            raise SystemExit(f"collectstatic failed:\n{self.log_tail('collectstatic')}")
        for name in self.layout.web_nodes():
            self.start_web(name)
        for name in self.layout.worker_nodes():
            self.start_worker(name)
        if self.layout.beat:
            self.start_beat()
        for name in self.layout.web_nodes():
            self.wait_web(name)
        for name in self.layout.worker_nodes():
            self.wait_worker(name)
        self.start_nginx()
        log(f"up in {time.monotonic() - started:.0f} s")
        return accounts

    # -- looking at it --------------------------------------------------------------------------
    def control(self):
        """A Celery app on the cluster's broker, for ping and inspect (no Django needed)."""
        from celery import Celery

        app = Celery("liaotu-cluster-control", set_as_current=False)
        # Celery prefers the environment's CELERY_BROKER_URL (another Redis db under pytest)
        # to an app's broker_url, but not to these.
        app.conf.broker_read_url = app.conf.broker_write_url = self.layout.redis_url
        return app

    def broker(self):
        """A connection to the cluster's broker."""
        from kombu import Connection

        return Connection(self.layout.redis_url)

    def ping(self, node: str) -> bool:
        with self.broker() as connection:
            return bool(self.control().control.ping(
                destination=[self.layout.worker_hostname(node)], timeout=1,
                connection=connection,
            ))  # fmt: skip

    def active_tasks(self, node: str) -> list[dict]:
        """The tasks ``node`` is running (Celery's inspect)."""
        hostname = self.layout.worker_hostname(node)
        with self.broker() as connection:
            inspect = self.control().control.inspect(
                destination=[hostname], timeout=1, connection=connection
            )
            return (inspect.active() or {}).get(hostname, [])

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.layout.certificate))

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.var / "logs" / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def status(self) -> list[tuple[str, int | None, str]]:
        rows = []
        for name in self.names():
            pid, alive = self.pid(name), self.alive(name)
            detail = "running" if alive else "dead"
            if alive and name in self.layout.web_nodes():
                port = self.layout.web_nodes()[name]
                detail += f", healthz {http_status(f'http://127.0.0.1:{port}/healthz')}"
            elif alive and name in self.layout.worker_nodes():
                hostname = self.layout.worker_hostname(name)
                answered = self.ping(name)
                detail += f", {'answers' if answered else 'does not answer'} ping as {hostname}"
            elif alive and name == "nginx":
                status = http_status(f"{self.layout.site_url}/healthz", self.tls_context())
                detail += f", {self.layout.site_url}/healthz {status}"
            rows.append((name, pid, detail))
        return rows


REPOINT_PRINTERS = """
import json
from makerspace.models import Printer
from makerspace.virtual_printers import DEMO_API_KEY
for slug, url in json.loads('%s').items():
    for printer in Printer.objects.filter(equipment__slug=slug):
        printer.octoprint_url = url
        printer.set_api_key(DEMO_API_KEY)
        printer.save(update_fields=["octoprint_url", "api_key_encrypted"])
"""


def http_status(url: str, context: ssl.SSLContext | None = None, headers: dict | None = None):
    try:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http(s) only
        with urllib.request.urlopen(request, timeout=3, context=context) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, http.client.HTTPException) as error:
        return f"unreachable ({error.__class__.__name__})"


def wait_http(
    url: str,
    *,
    name: str,
    cluster: Cluster,
    timeout: float = 60,
    accept: tuple[int, ...] = (200,),
    context: ssl.SSLContext | None = None,
    headers: dict | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        if name in cluster.children and not cluster.alive(name):
            raise SystemExit(f"{name} exited:\n{cluster.log_tail(name)}")
        status = http_status(url, context, headers)
        if status in accept:
            return
        time.sleep(0.3)
    raise SystemExit(f"{name}: {url} answered {status} for {timeout:.0f} s:\n"
                     f"{cluster.log_tail(name)}")  # fmt: skip


# --- the command --------------------------------------------------------------------------------


def render_for_server(args: argparse.Namespace) -> None:
    """deploy/ filled in for real servers, into ``args.out``."""
    out = Path(args.out)
    (out / "systemd").mkdir(parents=True, exist_ok=True)
    names = " ".join(args.server_name)
    nginx = render(
        (DEPLOY_DIR / "nginx" / "liaotu.conf").read_text(),
        {"HTTP_LISTEN": "80", "HTTPS_LISTEN": "443", "HTTPS_PORT_SUFFIX": "",
         "SERVER_NAMES": names, "TLS_CERTIFICATE": args.certificate,
         "TLS_CERTIFICATE_KEY": args.certificate_key, "ACCESS_LOG": "/var/log/nginx/liaotu.log",
         "CACHE_DIR": "/var/cache/nginx/liaotu", "CLIENT_MAX_BODY_SIZE": f"{args.chunk_mb}m",
         "LARGE_BODY_SIZE": "4g"},
        lists={"WEB_NODE": args.web},
    )  # fmt: skip
    (out / "liaotu.conf").write_text(nginx)
    for name in ("liaotu-web@.service", "liaotu-worker@.service", "liaotu-beat.service"):
        unit = render(
            (DEPLOY_DIR / "systemd" / name).read_text(),
            {"USER": args.user, "GROUP": args.user, "BASE_DIR": args.base_dir,
             "VENV": f"{args.base_dir}/.venv", "ENV_FILE": args.env_file},
        )  # fmt: skip
        (out / "systemd" / name).write_text(unit)
    print(f"nginx: {out / 'liaotu.conf'} -> /etc/nginx/conf.d/liaotu.conf")
    print(f"systemd: {out / 'systemd'}/*.service -> /etc/systemd/system/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="migrate, seed the demo, start every part")
    up.add_argument("--no-printers", action="store_true", help="without the Virtual Printers")
    up.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting of every node, e.g. DATABASE_CONN_MAX_AGE=0")  # fmt: skip
    commands.add_parser("down", help="stop every part")
    commands.add_parser("status", help="what runs, and whether it answers")
    kill = commands.add_parser("kill", help="SIGKILL one node (web1, web2, worker1, worker2, …)")
    kill.add_argument("node")
    start = commands.add_parser("start", help="start one killed node again")
    start.add_argument("node")
    out = commands.add_parser("render", help="fill in deploy/ for real servers")
    out.add_argument("out", help="folder to write to")
    out.add_argument("--server-name", action="append", required=True,
                     help="the site's and the user-content host names (repeat)")  # fmt: skip
    out.add_argument("--web", action="append", required=True, metavar="HOST:PORT",
                     help="a web node's address (repeat)")  # fmt: skip
    out.add_argument("--certificate", default="/etc/ssl/liaotu/fullchain.pem")
    out.add_argument("--certificate-key", default="/etc/ssl/liaotu/privkey.pem")
    out.add_argument("--user", default="liaotu")
    out.add_argument("--base-dir", default="/srv/liaotu")
    out.add_argument("--env-file", default="/etc/liaotu/liaotu.env")
    out.add_argument("--chunk-mb", type=int, default=32, help="MEDIA_UPLOAD_CHUNK_MB")
    args = parser.parse_args(argv)

    if args.command == "render":
        render_for_server(args)
        return 0
    var_dir = BASE_DIR / "var" / "cluster"
    saved = Layout.load(var_dir)
    if args.command == "up":
        layout = Layout(var_dir=str(var_dir))
        layout.settings = dict(item.split("=", 1) for item in args.set)
        cluster = Cluster(layout)
        running = [name for name in cluster.names() if cluster.alive(name)]
        if running:
            log(f"already running: {', '.join(running)} (scripts/cluster down first)")
            return 1
        accounts = cluster.up(printers=not args.no_printers)
        print_banner(cluster, accounts)
        return 0
    if saved is None:
        log("no cluster here (scripts/cluster up)")
        return 1
    cluster = Cluster(saved)
    if args.command == "down":
        cluster.down()
        log("stopped")
    elif args.command == "status":
        rows = cluster.status()
        for name, pid, detail in rows:
            print(f"{name:10} {pid or '-':>8}  {detail}")
        if not rows:
            log("nothing running (scripts/cluster up)")
    elif args.command == "kill":
        cluster.kill(args.node)
        log(f"{args.node} killed (SIGKILL to its whole process group)")
    elif args.command == "start":
        cluster.start(args.node)
        log(f"{args.node} started")
    return 0


def print_banner(cluster: Cluster, accounts: list[str]) -> None:
    layout = cluster.layout
    rows = [f"    {name:10} pid {pid:>8}  {detail}" for name, pid, detail in cluster.status()]
    lines = [
        "",
        "=" * 78,
        f"  Liaotu Commons cluster: {layout.site_url}/ (user content {layout.usercontent_url}/)",
        f"  TLS by nginx with a certificate of its own: {layout.certificate}",
        "  (curl --cacert that file, or accept it in the browser)",
        "  Web nodes: " + ", ".join(f"{n} http://127.0.0.1:{p}" for n, p in
                                    layout.web_nodes().items()),
        f"  S3: {layout.s3_url}   Database: {layout.database_url}   Redis: {layout.redis_url}",
        f"  Logs: {cluster.var / 'logs'}   Rendered deploy files: {cluster.var / 'etc'}",
        "  Processes:",
        *rows,
        "  Demo accounts (role, email, password):",
        *[f"    {line}" for line in accounts],
        "  scripts/cluster status | kill web2 | start web2 | down",
        "=" * 78,
    ]  # fmt: skip
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main())
