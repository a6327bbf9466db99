"""/metrics: Prometheus text for the monitoring only, with request times by view and the
platform's gauges read from the database when scraped."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

TOKEN = "scrape-secret-0123456789"


@pytest.fixture
def monitoring(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["10.8.0.0/16"]


def scrape(**headers) -> str:
    answer = Client().get(reverse("metrics"), **headers)
    assert answer.status_code == 200, answer.status_code
    assert answer["Content-Type"].startswith("text/plain")
    return answer.content.decode()


def value(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.M)
    assert found, f"{name}{labels} not in the scrape"
    return float(found.group(1))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"},  # one byte too many
        {"HTTP_AUTHORIZATION": f"bearer {TOKEN}"},  # another spelling
        {"HTTP_AUTHORIZATION": TOKEN},
        {"REMOTE_ADDR": "10.9.0.1"},  # the neighbouring network
        {"REMOTE_ADDR": "not-an-address"},
    ],
)
def test_anyone_else_gets_a_plain_404(monitoring, headers):
    headers.setdefault("REMOTE_ADDR", "203.0.113.5")
    assert Client().get(reverse("metrics"), **headers).status_code == 404


def test_the_token_or_an_allowed_network_may_read(monitoring):
    assert "liaotu_printers_offline" in scrape(
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}", REMOTE_ADDR="203.0.113.5"
    )
    assert "liaotu_printers_offline" in scrape(REMOTE_ADDR="10.8.3.4")


def test_requests_are_timed_by_view(monitoring):
    client = Client()
    for _ in range(3):
        client.get(reverse("healthz"))
    client.get("/no-such-page-at-all/")
    text = scrape(REMOTE_ADDR="10.8.0.1")
    assert value(text, "liaotu_http_request_duration_seconds_count",
                 '{method="GET",status="2xx",view="healthz"}') >= 3  # fmt: skip
    assert 'status="4xx"' in text
    assert value(text, "liaotu_http_database_seconds_total", '{view="healthz"}') > 0


def test_the_platform_gauges_count_what_operators_watch(monitoring, user):
    from booking import services as booking
    from booking.tests.factories import EventFactory
    from makerspace.models import Printer, PrinterState
    from makerspace.tests.factories import PrinterFactory

    before = scrape(REMOTE_ADDR="10.8.0.1")
    PrinterFactory(needs_attention=True)
    PrinterFactory(state=PrinterState.OFFLINE)
    soon = timezone.now() + timezone.timedelta(minutes=90)
    event = EventFactory(starts_at=soon, ends_at=soon + timezone.timedelta(hours=1))
    made = booking.book_event(user=user, event=event)
    # Booked while still ahead, then moved to this moment, so that it starts "today" at any
    # hour the suite runs (90 minutes ahead is tomorrow after 22:30).
    now = timezone.now()
    type(event).objects.filter(pk=event.pk).update(starts_at=now)
    type(made).objects.filter(pk=made.pk).update(starts_at=now)
    after = scrape(REMOTE_ADDR="10.8.0.1")
    assert (
        value(after, "liaotu_printers_needing_attention")
        == value(before, "liaotu_printers_needing_attention") + 1
    )
    assert value(after, "liaotu_printers_offline") >= 1
    assert value(after, "liaotu_bookings_today") == value(before, "liaotu_bookings_today") + 1
    assert Printer.objects.count() >= 2
    for gauge in ("liaotu_media_backlog", "liaotu_media_backlog_oldest_seconds",
                  "liaotu_print_jobs_waiting", "liaotu_uploads_in_progress",
                  "liaotu_check_ins_today"):  # fmt: skip
        assert value(after, gauge) >= 0


def test_a_failed_task_is_counted_for_every_node(monitoring):
    from types import SimpleNamespace

    from core import metrics

    name = "media.tasks.process_asset"
    metrics.record_task_failure(sender=SimpleNamespace(name=name))
    metrics.record_task_failure(sender=SimpleNamespace(name=name))
    text = scrape(REMOTE_ADDR="10.8.0.1")
    assert value(text, "liaotu_celery_tasks_failed_total", f'{{task="{name}"}}') == 2


def test_failures_at_the_same_moment_are_all_counted(monitoring, settings):
    """Workers on several nodes fail at once (a database outage): no count may be lost."""
    import threading
    import uuid
    from types import SimpleNamespace

    from core import metrics

    # The shared cache of production (Redis), where each increment is a round trip.
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": f"metrics-test-{uuid.uuid4().hex}",
        },
    }

    name = "booking.tasks.send_reminders"
    start = threading.Barrier(8)

    def fail_five_times():
        start.wait()
        for _ in range(5):
            metrics.record_task_failure(sender=SimpleNamespace(name=name))

    threads = [threading.Thread(target=fail_five_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = scrape(REMOTE_ADDR="10.8.0.1")
    assert value(text, "liaotu_celery_tasks_failed_total", f'{{task="{name}"}}') == 40


def test_the_age_of_each_periodic_jobs_last_success_is_a_gauge(monitoring):
    from core.models import ServiceHeartbeat

    ServiceHeartbeat.objects.update_or_create(
        name="backup", defaults={"seen_at": timezone.now() - timezone.timedelta(hours=30)}
    )
    ServiceHeartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})
    text = scrape(REMOTE_ADDR="10.8.0.1")
    assert value(text, "liaotu_last_seen_seconds", '{heartbeat="backup"}') == pytest.approx(
        30 * 3600, abs=60
    )
    assert value(text, "liaotu_last_seen_seconds", '{heartbeat="worker"}') < 60
