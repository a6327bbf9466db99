"""Production: gunicorn behind a TLS-terminating reverse proxy, PostgreSQL, Redis and MinIO.

Starting with a development shortcut left in place is worse than not starting, so the checks at
the bottom refuse to boot on a debug flag, the development key, no host names, or missing
database, broker or object-storage settings.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, INSECURE_SECRET_KEY, env, storages_config

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

# The proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and Prometheus reach each node directly over the private network, in plain
# HTTP: their checks must answer there, not redirect. /metrics keeps its own token or network
# check (core/metrics.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
# Leave empty unless needed: a cookie domain covering the user-content host would send the
# session there (checked below).
SESSION_COOKIE_DOMAIN = env("DJANGO_SESSION_COOKIE_DOMAIN", default=None)
CSRF_COOKIE_DOMAIN = env("DJANGO_CSRF_COOKIE_DOMAIN", default=None)
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
STORAGES = storages_config(s3=True)
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)


def _configuration_errors() -> list[str]:
    errors = []
    if DEBUG:
        errors.append("DJANGO_DEBUG must be off in production.")
    if not SECRET_KEY or SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 40:
        errors.append("DJANGO_SECRET_KEY must be set to a random value of at least 40 characters.")
    if not ALLOWED_HOSTS:
        errors.append("DJANGO_ALLOWED_HOSTS must list the site's host names.")
    for name in (
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "S3_ENDPOINT_URL",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
    ):
        if not env(name, default=""):
            errors.append(f"{name} must be set.")
    if env("CELERY_BROKER_URL", default="").startswith("filesystem://"):
        errors.append("CELERY_BROKER_URL must name a real broker (Redis), not filesystem://.")
    # Rate limits, MFA replay protection and kept pages only hold when every process of every
    # node shares one cache; a process's own memory would also serve pages nobody drops.
    DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
    for name, cache in CACHES.items():
        if cache["BACKEND"] not in ("core.cache.RedisCache", DJANGO_REDIS):
            errors.append(f"CACHE_URL must name a Redis server (the {name!r} cache is not one).")
    # Backups are sealed with this key; without it the nightly backup fails every night.
    if not env("BACKUP_ENCRYPTION_KEY", default=""):
        errors.append("BACKUP_ENCRYPTION_KEY must be set (README: backups and restoring them).")
    errors.extend(_usercontent_errors())
    return errors


def _usercontent_errors() -> list[str]:
    """Uploaded bytes are served from USERCONTENT_URL so that they can never act as the site:
    that only holds when it is HTTPS, on another host that the session and CSRF cookies do not
    reach, and a host this site answers for."""
    from urllib.parse import urlsplit

    errors = []
    if not env("USERCONTENT_URL", default=""):
        return ["USERCONTENT_URL must be set (the user-content origin, e.g. https://files.…)."]
    content, site = urlsplit(USERCONTENT_URL), urlsplit(SITE_URL)  # noqa: F405
    host = (content.hostname or "").lower()
    if content.scheme != "https":
        errors.append("USERCONTENT_URL must be an https:// address.")
    if not host or host == (site.hostname or "").lower():
        errors.append("USERCONTENT_URL must be on another host than SITE_URL.")
    for name in ("SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN"):
        domain = (globals().get(name) or "").lower().lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            errors.append(f"USERCONTENT_URL must be outside {name} ({domain}).")
    if (
        ALLOWED_HOSTS
        and "*" not in ALLOWED_HOSTS
        and not any(
            host == allowed.lower() or (allowed.startswith(".") and host.endswith(allowed.lower()))
            for allowed in ALLOWED_HOSTS
        )
    ):
        errors.append("DJANGO_ALLOWED_HOSTS must include the USERCONTENT_URL host.")
    return errors


if _errors := _configuration_errors():
    raise ImproperlyConfigured("Refusing to start in production mode: " + " ".join(_errors))

# JSON log lines for the log collector unless told otherwise (LOG_FORMAT=plain).
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")  # noqa: F405
