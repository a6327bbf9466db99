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
