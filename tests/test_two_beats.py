"""Two beat processes started by mistake (two nodes each running one) do no harm.

Both send every periodic task, so each runs twice, often at the same moment on two worker
processes. The tasks are idempotent under that: each locks the row it acts on and checks its
state first (a reminder's sent time, a booking's status, an asset's lease), and a notice about a
booking goes out once (SentNotice). Two real beat processes here send the housekeeping every
second to one worker with two processes; each reader is told each thing once, and the asset
that both beats keep handing to the worker is processed once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from booking import services
from booking.models import Booking, BookingStatus, SentNotice
from booking.tests.factories import ResourceFactory, local
from core.models import Notification
from media import services as media_services
from media.models import MediaAsset, ProcessingStatus
from media.tests import samples
from tests.services import BASE_DIR, _database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _beat(tmp_path, n: int) -> tuple[subprocess.Popen, object]:
    from django.conf import settings

    log = (tmp_path / f"beat{n}.log").open("w")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_two_beats",
        "DATABASE_URL": _database_url(),
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
    }
    process = subprocess.Popen(
        [str(os.path.join(os.path.dirname(sys.executable), "celery")), "-A", "config", "beat",
         "-l", "info", "-s", str(tmp_path / f"schedule{n}")],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process, tmp_path / f"beat{n}.log"


def _started(booking: Booking, *, minutes_ago: int) -> None:
    start = timezone.now() - timedelta(minutes=minutes_ago)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
    )


def test_two_beats_send_everything_twice_and_nothing_happens_twice(
    user, other_user, celery_worker, tmp_path, s3_endpoint
):
    room = ResourceFactory()
    soon = services.book_resource(
        user=user, resource=room, starts_at=local(1, 9), ends_at=local(1, 10)
    )
    _started(soon, minutes_ago=-180)  # starts in three hours: a reminder is due
    late = services.book_resource(
        user=other_user, resource=room, starts_at=local(2, 9), ends_at=local(2, 10)
    )
    _started(late, minutes_ago=30)  # nobody came: to be released as a no-show
    stored = media_services.store_file(
        content=ContentFile(samples.pdf_bytes()), original_name="guide.pdf",
        content_type="application/pdf", owner=user, prefix="tests/beats",
    )  # fmt: skip
    asset = MediaAsset.objects.create(original=stored, kind="document", format="pdf")
    # Its task was lost: the reconciliation task is what hands it to a worker.
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - timedelta(hours=1))

    beats = [_beat(tmp_path, n) for n in (1, 2)]
    try:
        wait_for(
            lambda: all(log.read_text().count("Sending due task") >= 9 for _, log in beats),
            timeout=60, interval=0.5,
            message="the two beats did not both send their tasks",
        )  # fmt: skip
    finally:
        for process, _ in beats:
            process.terminate()
            process.wait(timeout=20)
    for _, log in beats:  # both really sent each task, several times
        text = log.read_text()
        for entry in (
            "booking-send-reminders",
            "booking-release-no-shows",
            "media-requeue-stalled",
        ):
            assert text.count(f"Sending due task {entry} ") >= 2, text[-2000:]

    def settled() -> bool:
        return (
            Booking.objects.filter(pk=soon.pk, reminder_sent_at__isnull=False).exists()
            and SentNotice.objects.filter(booking_id=late.pk, event="no_show").exists()
            and MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.READY).exists()
        )

    def state() -> str:
        return str(
            [list(SentNotice.objects.values_list("booking_id", "event")),
             Booking.objects.get(pk=late.pk).status, Booking.objects.get(pk=soon.pk).status,
             MediaAsset.objects.get(pk=asset.pk).status]
        )  # fmt: skip

    try:
        wait_for(settled, timeout=60)
    except pytest.fail.Exception:
        pytest.fail(f"not settled: {state()}\n{celery_worker.log()[-3000:]}")
    time.sleep(3)  # anything still queued from the beats has run
    soon.refresh_from_db()
    late.refresh_from_db()
    assert soon.reminder_sent_at is not None
    assert late.status == BookingStatus.NO_SHOW
    assert SentNotice.objects.filter(booking_id=late.pk, event="no_show").count() == 1
    # Each reader was told once per thing: the booking made, then the reminder or the release.
    assert Notification.objects.filter(user=user, url=f"/booking/b/{soon.pk}/").count() == 2
    assert Notification.objects.filter(user=other_user, url=f"/booking/b/{late.pk}/").count() == 2
    asset.refresh_from_db()
    assert asset.attempts == 1  # claimed once, though handed to the worker many times
    assert asset.derivatives.count() == 1
    log = celery_worker.log()
    assert log.count("media.tasks.process_asset") >= 2
