"""iCalendar (RFC 5545) files: one booking in an e-mail, or a reader's whole private feed."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from core.siteurl import absolute

from .models import Booking, BookingStatus

_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.OFFERED: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.CHECKED_IN: "CONFIRMED",
}


def _vevent(booking: Booking) -> Event:
    subject = booking.subject
    entry = Event()
    # A stable UID and a growing SEQUENCE let calendar programs update or cancel their copy.
    entry.add("uid", f"{booking.pk}@liaotu-commons")
    entry.add("sequence", booking.sequence)
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", booking.starts_at)
    entry.add("dtend", booking.ends_at)
    entry.add("summary", booking.subject_title)
    place = subject.location.name
    if booking.event_id and booking.event.resource_id:
        place = f"{place} · {booking.event.resource.name}"
    entry.add("location", place)
    entry.add("status", _STATUS.get(booking.status, "CANCELLED"))
    entry.add(
        "description",
        _("Check-in code: %(code)s") % {"code": booking.check_in_code}
        + "\n"
        + absolute(reverse("booking:detail", args=[booking.pk])),
    )
    return entry


def calendar(bookings: Iterable[Booking], *, name: str, method: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Liaotu Commons//Bookings//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    if method:
        cal.add("method", method)
    for booking in bookings:
        cal.add_component(_vevent(booking))
    return cal.to_ical()


def booking_file(booking: Booking) -> bytes:
    """The attachment for a confirmation (REQUEST) or cancellation (CANCEL) e-mail."""
    method = "REQUEST" if booking.is_active else "CANCEL"
    return calendar([booking], name=booking.subject_title, method=method)


def booking_download(booking: Booking) -> bytes:
    """The "add to my calendar" file: a plain published event, not an invitation to answer."""
    return calendar([booking], name=booking.subject_title, method="PUBLISH")
