"""Production refuses to start with development shortcuts left in place."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD = {
    "DJANGO_SECRET_KEY": "k" * 24 + "-production-secret-0123456789",
    "DJANGO_ALLOWED_HOSTS": "commons.lnlib.example,files.lnlib-usercontent.example",
    "SITE_URL": "https://commons.lnlib.example",
    "USERCONTENT_URL": "https://files.lnlib-usercontent.example",
    "DATABASE_URL": "postgres://liaotu@db.internal:5432/liaotu",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "S3_ENDPOINT_URL": "https://minio.internal:9000",
    "S3_ACCESS_KEY": "liaotu",
    "S3_SECRET_KEY": "minio-secret",
    "CACHE_URL": "redis://redis.internal:6379/1",
    "BACKUP_ENCRYPTION_KEY": "q0mXFt0o3yR0b8w5S2mQ6mWm0nTzZ8r0hQ0H3l9kI1Y=",
}


def load_production(*, code: str = "", **overrides: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in GOOD and not k.startswith("S3_")}
    env.pop("DJANGO_DEBUG", None)
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env["LIAOTU_VAR_DIR"] = "/tmp/liaotu-settings-test"
    code = code or (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.STORAGES['default']['BACKEND'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_starts_with_complete_settings_and_is_hardened():
    result = load_production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "31536000", "media.storage.MinioStorage"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_DEBUG": "on"}, "DJANGO_DEBUG must be off"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS must list"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL must be set"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "must name a real broker"),
        ({"S3_ENDPOINT_URL": None}, "S3_ENDPOINT_URL must be set"),
        ({"S3_SECRET_KEY": None}, "S3_SECRET_KEY must be set"),
        ({"USERCONTENT_URL": None}, "USERCONTENT_URL must be set"),
        ({"USERCONTENT_URL": "http://files.lnlib-usercontent.example"}, "must be an https://"),
        ({"USERCONTENT_URL": "https://commons.lnlib.example:8443"}, "on another host"),
        ({"USERCONTENT_URL": "https://COMMONS.lnlib.example"}, "on another host"),
        (
            {"DJANGO_SESSION_COOKIE_DOMAIN": ".lnlib-usercontent.example"},
            "outside SESSION_COOKIE_DOMAIN",
        ),
        ({"DJANGO_CSRF_COOKIE_DOMAIN": "lnlib-usercontent.example"}, "outside CSRF_COOKIE_DOMAIN"),
        ({"DJANGO_ALLOWED_HOSTS": "commons.lnlib.example"}, "must include the USERCONTENT_URL"),
        ({"CACHE_URL": None}, "CACHE_URL must name a Redis server"),
        ({"CACHE_URL": "locmemcache://"}, "CACHE_URL must name a Redis server"),
        ({"PAGE_CACHE_URL": "filecache:///tmp/pages"}, "the 'pages' cache is not one"),
        ({"BACKUP_ENCRYPTION_KEY": None}, "BACKUP_ENCRYPTION_KEY must be set"),
    ],
)
def test_production_refuses_to_start(overrides, message):
    result = load_production(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_reports_every_problem_at_once():
    result = load_production(DJANGO_DEBUG="on", DJANGO_ALLOWED_HOSTS="", S3_ENDPOINT_URL=None)
    assert "DJANGO_DEBUG" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
    assert "S3_ENDPOINT_URL" in result.stderr


def test_only_the_checks_answer_without_https():
    """The load balancer's checks and Prometheus reach nodes in plain HTTP; nothing else does."""
    result = load_production(
        code="import django; django.setup(); from django.conf import settings; "
        "print(' '.join(settings.SECURE_REDIRECT_EXEMPT))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["^healthz$", "^readyz$", "^metrics$"]


def test_production_reads_sessions_and_caches_through_one_shared_redis_client():
    result = load_production(
        code="import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'], "
        "settings.CACHES['pages']['BACKEND'])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.contrib.sessions.backends.cached_db",
        "core.cache.RedisCache",
        "core.cache.RedisCache",
    ]
