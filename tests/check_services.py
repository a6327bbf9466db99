"""Before the suite: say plainly which service is missing and how to start it."""

import os
import sys

import environ
import psycopg
import redis

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ),
}


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/liaotu")
    broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    failures = []
    db = environ.Env.db_url_config(database_url)
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
        print(f"  PostgreSQL ok ({db['HOST']}:{db['PORT']})")
    except psycopg.Error as exc:
        failures.append(("PostgreSQL", database_url, exc))
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
        print(f"  Redis ok ({broker_url})")
    except redis.RedisError as exc:
        failures.append(("Redis", broker_url, exc))
    for name, url, exc in failures:
        print(f"\n{name} is not reachable at {url}: {exc}", file=sys.stderr)
        print(f"Start it with:\n  {HOW_TO_START[name]}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
