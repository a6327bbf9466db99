"""Telling readers about their bookings: e-mail (with an .ics file) and the notifications page.

Everything is written in the reader's own language, whatever language the request that caused
it was in.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.services import notify
from core.siteurl import absolute

from . import ical
from .models import Booking, BookingStatus, BookingSuspension, SentNotice

# Events whose e-mail carries the booking as an .ics file.
WITH_CALENDAR_FILE = {"confirmed", "approved", "moved", "offered", "cancelled", "reminder"}


def _subject_line(event: str, booking: Booking) -> str:
    title = booking.subject_title
    return {
        "confirmed": _("Booking confirmed: %(title)s"),
        "pending": _("Booking received, waiting for approval: %(title)s"),
        "approved": _("Booking approved: %(title)s"),
        "declined": _("Booking declined: %(title)s"),
        "cancelled": _("Booking cancelled: %(title)s"),
        "moved": _("Booking moved: %(title)s"),
        "offered": _("A place is free for you: %(title)s"),
        "reminder": _("Reminder: %(title)s"),
        "no_show": _("Missed booking: %(title)s"),
    }[event] % {"title": title}


def send_booking_notice(booking: Booking, event: str) -> None:
    user = booking.user
    url = reverse("booking:detail", args=[booking.pk])
    with translation.override(user.language), timezone.override(booking.subject.location.tz):
        context = {
            "booking": booking,
            "event": event,
            "url": absolute(url),
            "when": date_format(timezone.localtime(booking.starts_at), "Y-m-d H:i"),
            "until": date_format(timezone.localtime(booking.ends_at), "H:i"),
            "offer_until": booking.offer_expires_at
            and date_format(timezone.localtime(booking.offer_expires_at), "Y-m-d H:i"),
        }
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _subject_line(event, booking)
        body = render_to_string("booking/email/notice.txt", context)
        message = EmailMessage(subject, body, None, [user.email])
        if event in WITH_CALENDAR_FILE:
            message.attach("booking.ics", ical.booking_file(booking), "text/calendar")
        notify(user=user, message=_subject_line(event, booking), url=url)
    message.send()


def send_suspension_notice(*, suspension_id: int) -> None:
    with transaction.atomic():
        suspension = (
            BookingSuspension.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=suspension_id, notified_at__isnull=True)
            .first()
        )
        if suspension is None:
            return
        suspension.notified_at = timezone.now()
        suspension.save(update_fields=["notified_at"])
        _send_suspension(suspension)


def _send_suspension(suspension: BookingSuspension) -> None:
    user = suspension.user
    with translation.override(user.language):
        until = date_format(timezone.localtime(suspension.until), "Y-m-d")
        text = _("Your booking rights are suspended until %(until)s: %(reason)s") % {
            "until": until,
            "reason": suspension.reason,
        }
        notify(user=user, message=text, url=reverse("booking:mine"))
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _("Booking rights suspended")
    transaction.on_commit(lambda: EmailMessage(subject, text, None, [user.email]).send())


def deliver(*, booking_id, event: str) -> bool:
    """Send the notice once per booking version; False if it had already gone out.

    The row lock makes a re-delivered task wait and then see the record; a crash before the
    commit sends again (at least once, never silently lost).
    """
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("user", "resource__location", "event__location", "event__resource")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None:
            return False
        _notice, created = SentNotice.objects.get_or_create(
            booking=booking, event=event, sequence=booking.sequence
        )
        if not created:
            return False
        send_booking_notice(booking, event)
    return True


def send_reminders(*, now=None) -> int:
    """Remind readers of confirmed bookings starting within BOOKING_REMINDER_HOURS."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.BOOKING_REMINDER_HOURS)
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        is_hold=False,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=horizon,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            booking = Booking.objects.select_for_update().get(pk=pk)
            if booking.reminder_sent_at is not None or booking.status != BookingStatus.CONFIRMED:
                continue
            booking.reminder_sent_at = now
            booking.save(update_fields=["reminder_sent_at"])
            send_booking_notice(booking, "reminder")
            sent += 1
    return sent


def announce_event(*, event_id: int) -> int:
    """Tell the readers who follow this kind of event that it is open for booking, once per
    event (a weekly series once, at its first occurrence). Past or cancelled events, and
    readers outside an event's audience groups, are not told."""
    from core.interests import tell_followers
    from core.models import InterestTopic

    from .models import Event

    event = Event.objects.filter(pk=event_id).select_related("series").first()
    if event is None or event.is_cancelled or event.starts_at <= timezone.now():
        return 0
    item = (
        f"booking.eventseries:{event.series_id}" if event.series_id else f"booking.event:{event.pk}"
    )
    return tell_followers(
        topic=InterestTopic.EVENT_KIND,
        keys=[event.kind],
        item=item,
        title=event.series.title if event.series_id else event.title,
        url=reverse("booking:event", args=[event.pk]),
        admits=lambda user: not event.audiences or user.audience_group in event.audiences,
    )
