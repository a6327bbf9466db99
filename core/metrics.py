"""Prometheus metrics at ``/metrics``: requests by view, database time, and the platform's own
gauges (queues, media backlog, printers, bookings, uploads), for the library's monitoring.

Requests are counted in each web process; under gunicorn with several workers set
``PROMETHEUS_MULTIPROC_DIR`` (an empty folder per node, `make run` does) so that one scrape sees
them all. The platform gauges are read from the database, the broker and the shared cache when
scraped, so any node answers for the whole site.

Only the monitoring may read it: a bearer token (``METRICS_TOKEN``) or an address in
``METRICS_ALLOWED_NETWORKS``; anyone else gets a plain 404.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from datetime import time as day_time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Histogram(
    "liaotu_http_request_duration_seconds",
    "Time to answer a request, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DATABASE = Counter(
    "liaotu_http_database_seconds",
    "Time spent in database queries while answering requests, by view.",
    ["view"],
)
# One counter per task name, incremented atomically (Redis INCR): workers fail at the same time.
FAILED_TASK_KEY = "metrics:task-failed:{name}"
logger = logging.getLogger(__name__)

_database_time: ContextVar[list[float] | None] = ContextVar("database_time", default=None)


def _timed(execute, sql, params, many, context):
    spent = _database_time.get()
    if spent is None:
        return execute(sql, params, many, context)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        spent[0] += time.perf_counter() - started


def install(connection, **kwargs) -> None:
    if _timed not in connection.execute_wrappers:
        connection.execute_wrappers.append(_timed)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        spent = [0.0]
        token = _database_time.set(spent)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _database_time.reset(token)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "unmatched"
        REQUESTS.labels(view, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        DATABASE.labels(view).inc(spent[0])
        return response


# --- the platform's gauges, read when scraped ---------------------------------------------------


def record_task_failure(sender=None, **kwargs) -> None:
    """Celery's task_failure: counted in the shared cache, so every node reports all workers'."""
    from django.core.cache import cache

    key = FAILED_TASK_KEY.format(name=getattr(sender, "name", "unknown"))
    cache.add(key, 0, None)
    cache.incr(key)


@functools.cache
def _task_names() -> tuple[str, ...]:
    """Every task a worker knows (its modules imported once per process, not per scrape)."""
    from config.celery import app

    app.loader.import_default_modules()
    return tuple(sorted({*app.tasks.keys(), "unknown"}))


def _failed_counts() -> dict[str, int]:
    from django.core.cache import cache

    keys = {FAILED_TASK_KEY.format(name=name): name for name in _task_names()}
    return {keys[key]: count for key, count in cache.get_many(list(keys)).items()}


def _queue_depths() -> dict[str, int]:
    from config.celery import app

    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    queues |= {route.get("queue") for route in routes.values()}
    queues.discard(None)
    depths: dict[str, int] = {}
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        depths["filesystem"] = len(os.listdir(folder)) if os.path.isdir(folder) else 0
        return depths
    with app.connection_for_read() as connection:
        client = connection.default_channel.client
        for queue in sorted(queues):
            depths[queue] = int(client.llen(queue))
    return depths


class PlatformCollector:
    """What the library's operators watch, besides requests."""

    def collect(self):
        from django.db.models import Count, Min, Q
        from django.utils import timezone

        from booking.models import Booking, BookingStatus
        from makerspace.models import JobStatus, Printer, PrinterState, PrintJob
        from media.models import MediaAsset, ProcessingStatus, Upload, UploadStatus

        now = timezone.now()
        queue = GaugeMetricFamily("liaotu_celery_queue_depth", "Tasks waiting.", labels=["queue"])
        try:
            for name, depth in _queue_depths().items():
                queue.add_metric([name], depth)
        except Exception:  # the broker away is itself what /healthz reports
            logger.warning("metrics: could not read the queue depths", exc_info=True)
        yield queue

        failed = CounterMetricFamily(
            "liaotu_celery_tasks_failed", "Tasks that failed.", labels=["task"]
        )
        for name, count in _failed_counts().items():
            failed.add_metric([name], count)
        yield failed

        backlog = MediaAsset.objects.filter(
            status__in=[ProcessingStatus.PENDING, ProcessingStatus.PROCESSING]
        ).aggregate(count=Count("id"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "liaotu_media_backlog", "Media waiting or being processed.", value=backlog["count"]
        )
        oldest = (now - backlog["oldest"]).total_seconds() if backlog["oldest"] else 0
        yield GaugeMetricFamily(
            "liaotu_media_backlog_oldest_seconds", "Age of the oldest media waiting.", value=oldest
        )
        printers = Printer.objects.aggregate(
            offline=Count("id", filter=Q(state__in=[PrinterState.OFFLINE, PrinterState.ERROR])),
            attention=Count("id", filter=Q(needs_attention=True)),
        )
        yield GaugeMetricFamily(
            "liaotu_printers_offline", "Printers offline or in error.", value=printers["offline"]
        )
        yield GaugeMetricFamily(
            "liaotu_printers_needing_attention",
            "Printers waiting for a technician.",
            value=printers["attention"],
        )
        yield GaugeMetricFamily(
            "liaotu_print_jobs_waiting",
            "Approved print jobs waiting for a printer.",
            value=PrintJob.objects.filter(status=JobStatus.QUEUED).count(),
        )
        start = timezone.make_aware(datetime.combine(timezone.localdate(), day_time.min))
        today = Q(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        held = [BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.PENDING]
        bookings = Booking.objects.filter(today, status__in=held).aggregate(
            booked=Count("id"), checked_in=Count("id", filter=Q(checked_in_at__isnull=False))
        )
        yield GaugeMetricFamily(
            "liaotu_bookings_today", "Bookings starting today.", value=bookings["booked"]
        )
        yield GaugeMetricFamily(
            "liaotu_check_ins_today", "Of those, checked in.", value=bookings["checked_in"]
        )
        yield GaugeMetricFamily(
            "liaotu_uploads_in_progress",
            "Uploads being received.",
            value=Upload.objects.filter(status=UploadStatus.RECEIVING).count(),
        )
        from core.models import ServiceHeartbeat

        # "worker" every minute (beat → a worker), "backup" after each night's backup: an age
        # far beyond that is the alert (no worker is running, or the backups stopped).
        ages = GaugeMetricFamily(
            "liaotu_last_seen_seconds",
            "Seconds since a periodic job last reported success.",
            # Not "job": Prometheus's own label, which would rename this one on scraping.
            labels=["heartbeat"],
        )
        for name, seen_at in ServiceHeartbeat.objects.values_list("name", "seen_at"):
            ages.add_metric([name], max((now - seen_at).total_seconds(), 0))
        yield ages


_PLATFORM = PlatformCollector()


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUESTS, DATABASE):
            registry.register(collector)
    registry.register(_PLATFORM)
    return registry


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def connect() -> None:
    from celery.signals import task_failure
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(install, dispatch_uid="core.metrics.install")
    for connection in connections.all(initialized_only=True):
        install(connection)
    task_failure.connect(record_task_failure, weak=False, dispatch_uid="core.metrics.failed")
