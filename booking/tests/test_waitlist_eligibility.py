"""A freed place goes only to a reader who could book it now: a reader suspended, or moved out of
the event's audience, after joining the waiting list is skipped (each variant pinned)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import services
from booking.models import Booking, BookingStatus, BookingSuspension, WaitlistStatus

from .factories import EventFactory, ResourceFactory, local

pytestmark = pytest.mark.django_db


def _suspend(user) -> None:
    BookingSuspension.objects.create(
        user=user, until=timezone.now() + timedelta(days=7), reason="no-show"
    )


def _move_out_of_audience(user) -> None:
    user.audience_group = "teen"
    user.save(update_fields=["audience_group"])


@pytest.mark.parametrize("made_ineligible", [_suspend, _move_out_of_audience])
def test_an_ineligible_waiting_reader_is_skipped_for_an_event(made_ineligible):
    event = EventFactory(capacity=1, audiences=["senior", "adult"])
    holder, ineligible, eligible = (UserFactory(audience_group="senior") for _ in range(3))
    booking = services.book_event(user=holder, event=event)
    services.join_waitlist(user=ineligible, event=event)
    services.join_waitlist(user=eligible, event=event)
    made_ineligible(ineligible)

    services.cancel_booking(booking=booking, by=holder)

    assert ineligible.waitlist_entries.get().status == WaitlistStatus.SKIPPED
    assert not Booking.objects.filter(user=ineligible, event=event).exists()
    offered = Booking.objects.get(user=eligible, event=event)
    assert offered.status == BookingStatus.OFFERED


@pytest.mark.parametrize("made_ineligible", [_suspend, _move_out_of_audience])
def test_an_ineligible_waiting_reader_is_skipped_for_a_resource_slot(made_ineligible):
    studio = ResourceFactory(kind="studio", audiences=["senior"])
    holder, ineligible = (UserFactory(audience_group="senior") for _ in range(2))
    starts, ends = local(2, 10), local(2, 11)
    booking = services.book_resource(user=holder, resource=studio, starts_at=starts, ends_at=ends)
    services.join_waitlist(user=ineligible, resource=studio, starts_at=starts, ends_at=ends)
    made_ineligible(ineligible)

    services.cancel_booking(booking=booking, by=holder)

    assert ineligible.waitlist_entries.get().status == WaitlistStatus.SKIPPED
    assert not Booking.objects.filter(user=ineligible, resource=studio).exists()
