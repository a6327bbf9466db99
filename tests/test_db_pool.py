"""Database connections pooled per process (DATABASE_POOL_MAX_SIZE, psycopg's pool).

A web node runs gunicorn workers with threads; without a pool each thread holds a connection of
its own for CONN_MAX_AGE. With the pool, a process never opens more than its size, however many
threads ask at once, which is what the README's connection arithmetic relies on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from tests.services import BASE_DIR, _database_url

SCRIPT = r"""
import threading, time
import django
django.setup()
from django.db import connection, connections

def visit(results):
    # A request: a query that takes a while, then the connection goes back (request_finished).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.3), count(*) FROM pg_stat_activity "
                       "WHERE application_name = current_setting('application_name')")
        results.append(cursor.fetchone()[1])
    connections.close_all()

results = []
threads = [threading.Thread(target=visit, args=(results,)) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("visits", len(results), "most", max(results))
"""


def _run(extra: dict[str, str]) -> tuple[int, int]:
    name = f"pooltest{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"{_database_url()}?application_name={name}",
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
        **extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    words = done.stdout.split()
    return int(words[words.index("visits") + 1]), int(words[words.index("most") + 1])


@pytest.mark.django_db
def test_a_process_never_holds_more_connections_than_its_pool(s3_endpoint):
    visits, most = _run({"DATABASE_POOL_MAX_SIZE": "2"})
    assert visits == 8  # every request was served (they waited for a free connection)
    assert most <= 2


@pytest.mark.django_db
def test_without_a_pool_each_thread_opens_its_own(s3_endpoint):
    """The contrast that makes the first test mean something: the same load, unpooled."""
    visits, most = _run({"DATABASE_POOL_MAX_SIZE": "0"})
    assert visits == 8
    assert most > 2
