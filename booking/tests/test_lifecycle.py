"""Waiting lists, offers, check-in, no-shows, suspensions, reminders and e-mails."""

from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import notifications, services
from booking.models import Booking, BookingStatus, BookingSuspension, WaitlistStatus
from booking.services import BookingRefused
from core.models import Notification

from .factories import EventFactory, ResourceFactory, local, staff_member

pytestmark = pytest.mark.django_db
S = BookingStatus


def test_a_freed_event_place_is_offered_to_the_first_reader_waiting(user, other_user):
    event = EventFactory(capacity=1)
    third = UserFactory()
    first = services.book_event(user=user, event=event)
    waiting = services.join_waitlist(user=other_user, event=event)
    services.join_waitlist(user=third, event=event)
    with pytest.raises(BookingRefused) as caught:
        services.join_waitlist(user=other_user, event=event)
    assert caught.value.code == "already_waiting"

    services.cancel_booking(booking=first, by=user)
    waiting.refresh_from_db()
    assert waiting.status == WaitlistStatus.OFFERED
    offer = waiting.booking
    assert offer.status == S.OFFERED and offer.user == other_user
    assert offer.offer_expires_at <= event.starts_at
    with pytest.raises(BookingRefused) as caught:
        services.book_event(user=UserFactory(), event=event)
    assert caught.value.code == "full"

    services.confirm_offer(booking=offer, user=other_user)
    offer.refresh_from_db()
    assert offer.status == S.CONFIRMED


def test_an_unconfirmed_offer_passes_on_after_its_deadline(user, other_user):
    event = EventFactory(capacity=1)
    third = UserFactory()
    first = services.book_event(user=user, event=event)
    services.join_waitlist(user=other_user, event=event)
    services.join_waitlist(user=third, event=event)
    services.cancel_booking(booking=first, by=user)
    offer = Booking.objects.get(user=other_user, event=event)

    assert services.expire_offers(now=timezone.now()) == 0
    later = offer.offer_expires_at + timedelta(minutes=1)
    assert services.expire_offers(now=later) == 1
    offer.refresh_from_db()
    assert offer.status == S.EXPIRED
    with pytest.raises(BookingRefused):
        services.confirm_offer(booking=offer, user=other_user)
    assert Booking.objects.get(user=third, event=event).status == S.OFFERED


def test_a_reader_can_wait_for_a_taken_slot_of_a_resource(user, other_user):
    studio = ResourceFactory(kind="studio")
    taken = services.book_resource(
        user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    entry = services.join_waitlist(
        user=other_user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    services.cancel_booking(booking=taken, by=user)
    entry.refresh_from_db()
    assert entry.booking.status == S.OFFERED
    assert (entry.booking.starts_at, entry.booking.resource) == (local(2, 10), studio)


def _started(booking: Booking, minutes_ago: int) -> Booking:
    start = timezone.now() - timedelta(minutes=minutes_ago)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
    )
    booking.refresh_from_db()
    return booking


@override_settings(BOOKING_NO_SHOW_LIMIT=2, BOOKING_SUSPENSION_DAYS=14)
def test_no_shows_are_released_counted_and_suspend_repeat_offenders(user):
    room = ResourceFactory()
    bookings = [
        services.book_resource(
            user=user, resource=room, starts_at=local(n, 10), ends_at=local(n, 11)
        )
        for n in (1, 2)
    ]
    late = _started(bookings[0], minutes_ago=20)
    assert services.release_no_shows() == 1
    late.refresh_from_db()
    assert late.status == S.NO_SHOW
    assert not BookingSuspension.objects.filter(user=user).exists()

    second = _started(bookings[1], minutes_ago=16)
    assert services.release_no_shows() == 1
    suspension = BookingSuspension.objects.get(user=user)
    assert suspension.until > timezone.now() + timedelta(days=13)
    with pytest.raises(BookingRefused) as caught:
        services.book_resource(
            user=user, resource=room, starts_at=local(3, 10), ends_at=local(3, 11)
        )
    assert caught.value.code == "suspended"
    # Released: someone else can use what is left of the slot.
    second.refresh_from_db()
    assert second.status == S.NO_SHOW
    # Running again changes nothing.
    assert services.release_no_shows() == 0


def test_check_in_within_the_window_keeps_the_booking(user):
    staff = staff_member()
    room = ResourceFactory()
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    with pytest.raises(BookingRefused) as caught:
        services.check_in(booking=booking, by=staff)
    assert caught.value.code == "check_in_window"
    booking = _started(booking, minutes_ago=5)
    services.check_in(booking=booking, by=staff)
    booking.refresh_from_db()
    assert booking.status == S.CHECKED_IN
    _started(booking, minutes_ago=30)
    assert services.release_no_shows() == 0
    with pytest.raises(PermissionDenied):
        services.check_in(booking=booking, by=user)


def test_confirmation_email_is_in_the_readers_language_with_an_ics_file(user):
    user.language = "en"
    user.save()
    room = ResourceFactory(name="Study room")
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    assert notifications.deliver(booking_id=booking.pk, event="confirmed") is True
    assert notifications.deliver(booking_id=booking.pk, event="confirmed") is False
    (message,) = mail.outbox
    assert message.subject.endswith("Booking confirmed: Study room")
    assert booking.check_in_code in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("booking.ics", "text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == f"{booking.pk}@liaotu-commons"
    assert vevent.decoded("DTSTART") == local(2, 10)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert Notification.objects.filter(user=user, url=f"/booking/b/{booking.pk}/").exists()

    services.cancel_booking(booking=booking, by=user)
    booking.refresh_from_db()
    notifications.deliver(booking_id=booking.pk, event="cancelled")
    cancelled = icalendar.Calendar.from_ical(mail.outbox[1].attachments[0][1])
    assert str(cancelled["METHOD"]) == "CANCEL"
    assert int(cancelled.walk("VEVENT")[0]["SEQUENCE"]) == 1


def test_chinese_readers_get_chinese_notices(user):
    room = ResourceFactory(name="录音室")
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    notifications.deliver(booking_id=booking.pk, event="confirmed")
    assert "预约已确认" in mail.outbox[0].subject
    assert "签到码" in mail.outbox[0].body


def test_reminders_are_sent_once(user):
    room = ResourceFactory()
    soon = services.book_resource(
        user=user, resource=room, starts_at=local(1, 9), ends_at=local(1, 10)
    )
    services.book_resource(user=user, resource=room, starts_at=local(5, 10), ends_at=local(5, 11))
    _started(soon, minutes_ago=-180)  # starts in three hours
    assert notifications.send_reminders() == 1
    assert notifications.send_reminders() == 0
    assert len(mail.outbox) == 1
    assert "提醒" in mail.outbox[0].subject
