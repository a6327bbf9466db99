"""Health checks and preference changes. Views call these; they hold no HTTP logic."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import connections
from django.http import HttpResponse
from django.utils import timezone
from kombu import Connection

from .models import Notification, ServiceHeartbeat
from .preferences import DISPLAY_COOKIE, DISPLAY_COOKIE_AGE, DisplayPreferences


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    milliseconds: float
    detail: str = ""

    def as_dict(self) -> dict:
        data: dict = {"ok": self.ok, "ms": round(self.milliseconds, 1)}
        if self.detail:
            data["detail"] = self.detail
        return data


def _timed(check: Callable[[], str | None]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check() or ""
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return CheckResult(False, elapsed, f"{type(exc).__name__}: {exc}"[:300])
    return CheckResult(True, (time.perf_counter() - started) * 1000, detail)


def check_database(alias: str = "default") -> CheckResult:
    def probe() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    result = _timed(probe)
    if not result.ok:
        # Drop the broken connection so the next request reconnects cleanly.
        connections[alias].close()
    return result


def check_broker() -> CheckResult:
    def probe() -> None:
        url = settings.CELERY_BROKER_URL
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        if url.startswith("filesystem://"):
            for key in ("data_folder_in", "data_folder_out"):
                folder = Path(options[key])
                if not folder.is_dir() or not os.access(folder, os.W_OK):
                    raise OSError(f"broker folder {folder} is missing or not writable")
            return
        with Connection(url, connect_timeout=2, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    return _timed(probe)


def check_storage() -> CheckResult:
    def probe() -> None:
        for alias in ("default", "private"):
            storage = storages[alias]
            storage.health_check()

    return _timed(probe)


def worker_heartbeat_age() -> float | None:
    """Seconds since the worker last ran the heartbeat task, or None if it never has."""
    try:
        beat = ServiceHeartbeat.objects.filter(name="worker").only("seen_at").first()
    except Exception:
        return None
    if beat is None:
        return None
    return (timezone.now() - beat.seen_at).total_seconds()


def health_report() -> tuple[bool, dict]:
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "storage": check_storage(),
    }
    healthy = all(result.ok for result in checks.values())
    report = {
        "status": "ok" if healthy else "error",
        "checks": {name: result.as_dict() for name, result in checks.items()},
        "worker_heartbeat_age_s": worker_heartbeat_age() if checks["database"].ok else None,
    }
    return healthy, report


def pending_migrations() -> list[str]:
    """Migrations not yet applied to the database ("app.0042_name"), in the order they would run."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def readiness_report() -> tuple[bool, dict]:
    """Whether this node should take traffic: healthy, and its code's migrations all applied.

    During an upgrade the new code starts before (or while) ``migrate`` runs; a node whose
    models are ahead of the database would fail on the first query that uses a new column.
    """
    healthy, report = health_report()
    pending = pending_migrations() if report["checks"]["database"]["ok"] else []
    report["pending_migrations"] = pending
    ready = healthy and not pending
    report["status"] = "ready" if ready else "not ready"
    return ready, report


def record_heartbeat(*, name: str, hostname: str = "") -> ServiceHeartbeat:
    beat, _created = ServiceHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "hostname": hostname[:255]}
    )
    return beat


def save_display_preferences(
    *, request_user, response: HttpResponse, preferences: DisplayPreferences
) -> None:
    """Remember the display mode on the account (if any) and in the browser."""
    if request_user is not None and request_user.is_authenticated:
        request_user.large_text = preferences.large_text
        request_user.high_contrast = preferences.high_contrast
        request_user.save(update_fields=["large_text", "high_contrast"])
    response.set_cookie(
        DISPLAY_COOKIE,
        preferences.to_cookie(),
        max_age=DISPLAY_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


def save_language(*, request_user, response: HttpResponse, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported language {language!r}")
    if request_user is not None and request_user.is_authenticated:
        request_user.language = language
        request_user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )


def notify(*, user, message: str, url: str = "") -> Notification:
    """Leave a message on the reader's notifications page (in the language it was written in)."""
    return Notification.objects.create(user=user, message=message[:500], url=url[:300])


def mark_notifications_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
