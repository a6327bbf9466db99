"""The beat tasks run in the real Celery worker process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import services, tasks
from booking.models import Booking, BookingStatus, SentNotice
from core.models import Notification
from tests.services import wait_for

from .factories import ResourceFactory, local

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_worker_releases_a_no_show_and_tells_the_reader(user, celery_worker):
    room = ResourceFactory()
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    start = timezone.now() - timedelta(minutes=30)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
    )
    tasks.release_no_shows.delay()
    wait_for(
        lambda: Booking.objects.get(pk=booking.pk).status == BookingStatus.NO_SHOW,
        message=f"the worker did not release the no-show:\n{celery_worker.log()[-3000:]}",
    )
    # The release enqueues the notice, which the worker sends once.
    wait_for(
        lambda: SentNotice.objects.filter(booking_id=booking.pk, event="no_show").exists(),
        message=f"no notice was sent:\n{celery_worker.log()[-3000:]}",
    )
    assert Notification.objects.filter(user=user, url=f"/booking/b/{booking.pk}/").count() == 2
