"""Production: gunicorn behind a TLS-terminating reverse proxy, PostgreSQL, Redis and MinIO.

Starting with a development shortcut left in place is worse than not starting, so the checks at
the bottom refuse to boot on a debug flag, the development key, no host names, or missing
database, broker or object-storage settings.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_SECRET_KEY, env, storages_config

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

# The proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
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
    return errors


if _errors := _configuration_errors():
    raise ImproperlyConfigured("Refusing to start in production mode: " + " ".join(_errors))
