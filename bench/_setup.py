"""Shared start-up for benchmark scripts: a database of their own on DATABASE_URL's server."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "liaotu_bench"


def setup_django(*, migrate: bool = True) -> None:
    import psycopg

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(server_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    admin_url = admin_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("LIAOTU_VAR_DIR", str(BASE_DIR / "var" / "bench"))
    os.environ["DJANGO_DEBUG"] = "off"
    os.environ["WHITENOISE_AUTOREFRESH"] = "off"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    sys.path.insert(0, str(BASE_DIR))

    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


_VOCABULARY: dict[int, tuple[list[str], list[int]]] = {}


def chinese_vocabulary(*, shortest: int = 1) -> tuple[list[str], list[int]]:
    """Chinese words of jieba's dictionary (``shortest`` to 4 characters) with cumulative
    frequencies, for drawing realistic text: ``words[bisect(cumulative, r * total)]``."""
    if shortest not in _VOCABULARY:
        from itertools import accumulate

        import jieba

        path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
        words, freqs = [], []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                word, freq, *_ = line.split()
                if shortest <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word):
                    words.append(word)
                    freqs.append(int(freq))
        _VOCABULARY[shortest] = (words, list(accumulate(freqs)))
    return _VOCABULARY[shortest]


def serve(*, port: int, env: dict, threads: int = 1, ready: str = "/healthz"):
    """gunicorn (2 workers) on ``port`` with ``env``; returns once ``ready`` answers."""
    import subprocess
    import time
    import urllib.request

    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    if threads > 1:
        command += ["--threads", str(threads), "--timeout", "120"]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(*processes) -> None:
    """Stop processes started in sessions of their own (gunicorn and its workers)."""
    import signal

    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for process in processes:
        process.wait(timeout=60)


def served_env(*, name: str, redis: str, **overrides: str) -> dict[str, str]:
    """The environment of a bench's server: `make run`'s settings with Redis for the caches,
    as in production, and a key prefix and queue of the bench's own."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        CACHE_URL=redis,
        PAGE_CACHE_URL=redis,
        PAGE_CACHE_KEY_PREFIX=name,
        CELERY_TASK_DEFAULT_QUEUE=name,
        DJANGO_STATIC_HASHED="false",
        WHITENOISE_AUTOREFRESH="off",
        DJANGO_DEBUG="off",
    )
    env.update(overrides)
    return env


def wav_file(path, size: int, *, rate: int = 48000, channels: int = 2) -> None:
    """A 16-bit PCM WAV of exactly ``size`` bytes, of noise (so it compresses like sound)."""
    import struct

    data_size = size - 44
    block = channels * 2
    header = (
        b"RIFF" + struct.pack("<I", size - 8) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data" + struct.pack("<I", data_size)
    )  # fmt: skip
    noise = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        handle.write(header)
        remaining = data_size
        while remaining:
            handle.write(noise[: min(len(noise), remaining)])
            remaining -= min(len(noise), remaining)


def popular_event(*, title: str, capacity: int):
    """An event three days ahead in the demo's first location, made again for each run."""
    from datetime import timedelta

    from django.utils import timezone

    from booking.models import Event, Location
    from booking.tests.factories import EventFactory

    Event.objects.filter(title=title).delete()
    now = timezone.now()
    return EventFactory(
        title=title,
        capacity=capacity,
        location=Location.objects.order_by("pk").first(),
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
    )
