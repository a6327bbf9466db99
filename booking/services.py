"""Every write to bookings: making, moving, cancelling, approving, check-in, waiting lists.

Locking, always in this order so that two transactions never wait on each other in a circle:

1. the reader (a transaction-scoped advisory lock), so one reader's parallel requests cannot
   slip past a quota together;
2. the event's row, when the booking is a place at an event, so the last place goes to
   exactly one reader;
3. the root of the resource's tree (``SELECT … FOR UPDATE``), so a room, its parts and the
   equipment in it are decided one booking at a time. Only staff saving an event take both
   2 and 3 (the event, then the room it holds).

Below the locks the exclusion constraint ``booking_no_overlap`` still refuses any overlap on
one resource; its violation is reported like any other conflict.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from core.insight import services as insight
from core.sanitize import plain_text
from core.tasks import enqueue

from . import rules, selectors
from .models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    BookingSuspension,
    CalendarFeed,
    Event,
    EventSeries,
    Qualification,
    Resource,
    UserQualification,
    WaitlistEntry,
    WaitlistStatus,
)

S = BookingStatus
# Advisory-lock keys: this namespace in the high 32 bits, the reader's id in the low ones.
_USER_LOCK_NAMESPACE = 0x4C54_4255  # "LTBU"
CHECK_IN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class BookingRefused(ValidationError):
    """A rule said no. ``code`` names the rule; the message says why, in the reader's language."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


# --- Locks ----------------------------------------------------------------------------------


def _lock_reader(user_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(_USER_LOCK_NAMESPACE << 32) | user_id])


def _lock_tree(resource: Resource) -> list[int]:
    """Lock the root of ``resource``'s tree; return the ids of the resources it blocks."""
    family = selectors.family_ids(resource)
    list(Resource.objects.select_for_update().filter(pk=family.root).values_list("pk"))
    return family.ids


def _lock_and_read(resource: Resource) -> tuple[Resource, list[int]]:
    """Lock the tree and read the resource fresh; one query when it is its own root."""
    family = selectors.family_ids(resource)
    if family.root == resource.pk:
        return selectors.resource_for_rules(resource.pk, lock=True), family.ids
    list(Resource.objects.select_for_update().filter(pk=family.root).values_list("pk"))
    return selectors.resource_for_rules(resource.pk), family.ids


def _lock_event(event_id: int) -> Event:
    return (
        Event.objects.select_for_update(of=("self",))
        .select_related("location", "category")
        .get(pk=event_id)
    )


# --- Rule checks ----------------------------------------------------------------------------


def _local(moment: datetime, resource_or_event) -> str:
    tz = resource_or_event.location.tz
    return date_format(moment.astimezone(tz), "Y-m-d H:i")


def _check_reader(*, user: User, now: datetime, audiences: list[str]) -> None:
    suspension = (
        BookingSuspension.objects.filter(user=user, until__gt=now).order_by("-until").first()
    )
    if suspension is not None:
        raise BookingRefused(
            "suspended",
            _("Your booking rights are suspended until %(until)s: %(reason)s")
            % {
                "until": date_format(timezone.localtime(suspension.until), "Y-m-d"),
                "reason": suspension.reason,
            },
        )
    if audiences and user.audience_group not in audiences:
        raise BookingRefused(
            "audience", _("This is only open to particular groups of readers, not yours.")
        )


def _check_quotas(
    *, user: User, category, start: datetime, end: datetime, now: datetime, exclude
) -> None:
    if category is None:
        return
    limits = (
        category.max_bookings_per_day,
        category.max_hours_per_day,
        category.max_bookings_per_week,
        category.max_hours_per_week,
    )
    if any(limit is not None for limit in limits):
        _check_period_quotas(user=user, category=category, start=start, end=end, exclude=exclude)
    if category.max_upcoming is not None:
        upcoming = selectors.upcoming_count(user=user, category=category, now=now, exclude=exclude)
        if upcoming + 1 > category.max_upcoming:
            raise BookingRefused(
                "max_upcoming",
                _("You may hold at most %(n)s upcoming bookings of %(category)s at once.")
                % {"n": category.max_upcoming, "category": category.name},
            )


def _check_period_quotas(*, user: User, category, start: datetime, end: datetime, exclude) -> None:
    tz = timezone.get_default_timezone()
    theirs = selectors.reader_intervals(user=user, category=category, around=start, exclude=exclude)
    candidate = (start, end)
    day = start.astimezone(tz).date()
    for week, max_count, max_hours, label in (
        (False, category.max_bookings_per_day, category.max_hours_per_day, _("per day")),
        (True, category.max_bookings_per_week, category.max_hours_per_week, _("per week")),
    ):
        used = rules.usage([*theirs, candidate], tz=tz, day=day, week=week)
        if max_count is not None and used.count > max_count:
            raise BookingRefused(
                "quota_count",
                _("You may make at most %(n)s bookings of %(category)s %(period)s.")
                % {"n": max_count, "category": category.name, "period": label},
            )
        if max_hours is not None and used.hours > max_hours:
            raise BookingRefused(
                "quota_hours",
                _("You may book at most %(n)s hours of %(category)s %(period)s.")
                % {"n": f"{max_hours.normalize():f}", "category": category.name, "period": label},
            )


def check_resource_rules(
    *,
    user: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude: Booking | None = None,
    staff: bool = False,
) -> None:
    """Raise ``BookingRefused`` for the first rule this booking would break."""
    if not resource.is_active:
        raise BookingRefused("inactive", _("This resource cannot be booked at the moment."))
    if end <= start:
        raise BookingRefused("order", _("The end must be after the start."))
    if start < now:
        raise BookingRefused("past", _("This time has already passed."))
    if resource.staff_only and not staff:
        raise BookingRefused("staff_only", _("Only library staff can book this resource."))
    _check_eligible(user=user, resource=resource, now=now, at=end)
    tz = resource.location.tz
    minutes = (end - start).total_seconds() / 60
    if minutes < resource.min_duration_minutes:
        raise BookingRefused(
            "min_duration",
            _("A booking must last at least %(n)s minutes.") % {"n": resource.min_duration_minutes},
        )
    if minutes > resource.max_duration_minutes:
        raise BookingRefused(
            "max_duration",
            _("A booking may last at most %(n)s minutes.") % {"n": resource.max_duration_minutes},
        )
    if not rules.on_slot_grid(start, end, slot_minutes=resource.slot_minutes, tz=tz):
        raise BookingRefused(
            "increment",
            _("Bookings start and end on %(n)s-minute steps.") % {"n": resource.slot_minutes},
        )
    if start - now < timedelta(minutes=resource.min_notice_minutes):
        raise BookingRefused(
            "min_notice",
            _("Please book at least %(n)s minutes in advance.")
            % {"n": resource.min_notice_minutes},
        )
    last_day = now.astimezone(tz).date() + timedelta(days=resource.booking_window_days)
    if start.astimezone(tz).date() > last_day:
        raise BookingRefused(
            "window",
            _("Bookings open %(n)s days ahead; this date is not open yet.")
            % {"n": resource.booking_window_days},
        )
    day = start.astimezone(tz).date()
    if not rules.within((start, end), selectors.open_windows(resource, day)):
        closure = selectors.closure_on(resource.location, day)
        if closure is not None:
            raise BookingRefused(
                "closed", _("The library is closed that day: %(reason)s") % {"reason": closure}
            )
        raise BookingRefused(
            "hours", _("This time is outside the hours when the resource can be booked.")
        )
    _check_quotas(
        user=user, category=resource.category, start=start, end=end, now=now, exclude=exclude
    )


def _check_eligible(*, user: User, resource: Resource, now: datetime, at: datetime) -> None:
    """Who may use ``resource`` at all: not suspended, in its audience, role and training.

    Shared by booking and by the waiting list's offers, so a place is never offered to a reader
    who could not book it.
    """
    _check_reader(user=user, now=now, audiences=resource.audiences)
    if resource.required_group_id and not user.groups.filter(pk=resource.required_group_id):
        raise BookingRefused(
            "role",
            _("Only readers with the role “%(role)s” can book this resource.")
            % {"role": resource.required_group.name},
        )
    if resource.required_qualification_id:
        _check_qualification(user=user, qualification=resource.required_qualification, at=at)


def _check_qualification(*, user: User, qualification: Qualification, at: datetime) -> None:
    held = UserQualification.objects.filter(user=user, qualification=qualification).first()
    if held is not None and (held.expires_at is None or held.expires_at >= at):
        return
    if held is not None:
        message = _(
            "Your certification “%(name)s” expired on %(date)s. Please take the training again."
        ) % {"name": qualification.name, "date": date_format(held.expires_at, "Y-m-d")}
    else:
        message = _(
            "This resource requires the training “%(name)s”. Please take it before booking."
        ) % {"name": qualification.name}
    raise BookingRefused("qualification", message)


def _check_free(*, resource: Resource, family: Iterable[int], start, end, exclude) -> None:
    candidate = rules.blocked(start, end, timedelta(minutes=resource.buffer_minutes))
    clash = selectors.blocking_bookings(family=family, interval=candidate, exclude=exclude)
    if clash:
        raise BookingRefused("conflict", _("This time is already booked. Please choose another."))


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = plain_text(reason)[:300]
    if required and not reason:
        raise ValidationError(_("Please give a reason."))
    return reason


def _override(booked_by: User | None, override_reason: str) -> str:
    """The (checked) reason for overriding the rules; only staff allowed to may give one."""
    if not override_reason:
        return ""
    if booked_by is None or not booked_by.has_perm("booking.override_rules"):
        raise PermissionDenied
    return _clean_reason(override_reason, required=True)


def _booker_is_staff(booked_by: User | None) -> bool:
    return booked_by is not None and booked_by.has_perm("booking.manage_bookings")


# --- Making bookings ------------------------------------------------------------------------


def new_check_in_code() -> str:
    return "".join(secrets.choice(CHECK_IN_ALPHABET) for _ in range(8))


def _constraint(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def _insert(**fields) -> Booking:
    """Create the row; a clash caught by a constraint becomes the refusal that explains it.

    No savepoint (one round trip less on every booking): the refusal ends the transaction
    anyway. A check-in code collision (8 characters from 32, so about one in 10¹² per live
    booking) is retried by ``_retry_on_code_collision`` around the whole transaction.
    """
    try:
        return Booking.objects.create(check_in_code=new_check_in_code(), **fields)
    except IntegrityError as error:
        constraint = _constraint(error)
        if constraint == "booking_no_overlap":
            raise BookingRefused(
                "conflict", _("This time is already booked. Please choose another.")
            ) from error
        if constraint == "booking_one_place_per_reader":
            raise BookingRefused(
                "already_booked", _("You already have a place at this event.")
            ) from error
        raise


def _retry_on_code_collision(make: Callable[[], Booking]) -> Booking:
    for attempt in range(3):
        try:
            return make()
        except IntegrityError as error:
            if "check_in_code" not in _constraint(error) or attempt == 2:
                raise
    raise AssertionError("unreachable")


# A cancellation less than this before the start counts as late in the library's statistics.
LATE_CANCEL = timedelta(hours=24)


def _subject_of(booking: Booking) -> tuple[tuple[str, int], str]:
    """The event or resource a booking is for, and its location, for the activity record."""
    if booking.event_id:
        return ("booking.event", booking.event_id), str(booking.event.location_id)
    return ("booking.resource", booking.resource_id), str(booking.resource.location_id)


def _log(kind: str, booking: Booking, *, user: User | None = None, outcome: str = "") -> None:
    """One event about ``booking`` in the activity record, in the caller's transaction. Staff
    holds are the library's own use of a room, not a reader's activity."""
    if booking.is_hold:
        return
    subject, location = _subject_of(booking)
    insight.record(
        kind,
        user=user or booking.user,
        subject=subject,
        location=location,
        outcome=outcome,
        value=(booking.ends_at - booking.starts_at).total_seconds() / 3600,
    )


def _log_refusal(refusal: BookingRefused, *, user: User, subject: Resource | Event) -> None:
    insight.record_refusal(
        "booking.refused",
        user=user,
        subject=subject,
        location=str(subject.location_id),
        outcome=refusal.code or "",
    )


def _announce(event: Event) -> None:
    from .tasks import announce_event

    enqueue(announce_event, event.pk)


def _notify(booking: Booking, event: str) -> None:
    from .tasks import notify_booking

    if not booking.is_hold:
        enqueue(notify_booking, str(booking.pk), event)


def book_resource(
    *,
    user: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
    booked_by: User | None = None,
    override_reason: str = "",
    recurrence: uuid.UUID | None = None,
    is_hold: bool = False,
) -> Booking:
    """Book ``resource`` for ``user``; staff may book on a reader's behalf and override rules."""
    override_reason = _override(booked_by, override_reason)
    now = timezone.now()

    def make() -> Booking:
        with transaction.atomic():
            _lock_reader(user.pk)
            locked, family = _lock_and_read(resource)
            # Staff powers only matter for two settings; most bookings skip the permission read.
            staff = (locked.staff_only or locked.requires_approval) and _booker_is_staff(booked_by)
            if not override_reason and not is_hold:
                check_resource_rules(
                    user=user, resource=locked, start=starts_at, end=ends_at, now=now, staff=staff
                )
            elif ends_at <= starts_at:
                raise BookingRefused("order", _("The end must be after the start."))
            _check_free(resource=locked, family=family, start=starts_at, end=ends_at, exclude=None)
            needs_approval = locked.requires_approval and not staff and not is_hold
            booking = _insert(
                user=user,
                resource=locked,
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_until=ends_at + timedelta(minutes=locked.buffer_minutes),
                status=S.PENDING if needs_approval else S.CONFIRMED,
                note=plain_text(note)[:300],
                booked_by=booked_by if booked_by is not None and booked_by != user else None,
                override_reason=override_reason,
                recurrence=recurrence,
                is_hold=is_hold,
            )
            _notify(booking, "pending" if needs_approval else "confirmed")
            _log("booking.created", booking, user=user, outcome=booking.status)
        return booking

    try:
        return _retry_on_code_collision(make)
    except BookingRefused as refusal:
        if not is_hold:
            _log_refusal(refusal, user=user, subject=resource)
        raise


def book_recurring(
    *,
    user: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    weeks: int,
    booked_by: User,
    override_reason: str = "",
    note: str = "",
) -> list[Booking]:
    """Staff only: the same local time every week, all of them or none.

    If any week is refused the whole series is rolled back and the message names that date.
    """
    if not booked_by.has_perm("booking.manage_bookings"):
        raise PermissionDenied
    if not 1 <= weeks <= 52:
        raise ValidationError(_("A series has between 1 and 52 weeks."))
    series = uuid.uuid4()
    occurrences = rules.same_local_time_weekly(
        starts_at, ends_at, weeks=weeks, tz=resource.location.tz
    )
    with transaction.atomic():
        made = []
        for start, end in occurrences:
            try:
                made.append(
                    book_resource(
                        user=user,
                        resource=resource,
                        starts_at=start,
                        ends_at=end,
                        note=note,
                        booked_by=booked_by,
                        override_reason=override_reason,
                        recurrence=series,
                    )
                )
            except BookingRefused as refusal:
                raise BookingRefused(
                    refusal.code,
                    _("%(date)s: %(reason)s")
                    % {"date": _local(start, resource), "reason": refusal.message},
                ) from refusal
    return made


def book_event(
    *, user: User, event: Event, booked_by: User | None = None, override_reason: str = ""
) -> Booking:
    """A place at ``event``; refused with code ``full`` when none is left."""
    override_reason = _override(booked_by, override_reason)
    now = timezone.now()

    def make() -> Booking:
        with transaction.atomic():
            _lock_reader(user.pk)
            locked = _lock_event(event.pk)
            if locked.is_cancelled:
                raise BookingRefused("cancelled", _("This event has been cancelled."))
            if locked.starts_at <= now:
                raise BookingRefused("past", _("This event has already started."))
            if not override_reason:
                _check_reader(user=user, now=now, audiences=locked.audiences)
                _check_quotas(
                    user=user,
                    category=locked.category,
                    start=locked.starts_at,
                    end=locked.ends_at,
                    now=now,
                    exclude=None,
                )
            if locked.bookings.filter(user=user, status__in=ACTIVE_STATUSES).exists():
                raise BookingRefused("already_booked", _("You already have a place at this event."))
            if selectors.places_taken(locked) >= locked.capacity:
                raise BookingRefused(
                    "full", _("This event is full. You can join the waiting list instead.")
                )
            booking = _insert(
                user=user,
                event=locked,
                starts_at=locked.starts_at,
                ends_at=locked.ends_at,
                blocked_until=locked.ends_at,
                status=S.CONFIRMED,
                booked_by=booked_by if booked_by is not None and booked_by != user else None,
                override_reason=override_reason,
            )
            _notify(booking, "confirmed")
            _log("booking.created", booking, user=user, outcome=booking.status)
        return booking

    try:
        return _retry_on_code_collision(make)
    except BookingRefused as refusal:
        _log_refusal(refusal, user=user, subject=event)
        raise


# --- Changing bookings ----------------------------------------------------------------------


def _lock_booking(booking: Booking) -> tuple[Booking, list[int] | None]:
    """Take the locks for ``booking`` in the fixed order and return it fresh from the database."""
    _lock_reader(booking.user_id)
    family = None
    if booking.resource_id:
        family = _lock_tree(booking.resource)
    else:
        _lock_event(booking.event_id)
    fresh = Booking.objects.select_for_update().get(pk=booking.pk)
    return fresh, family


def _is_staff(user: User) -> bool:
    return user.has_perm("booking.manage_bookings")


def _deadline(booking: Booking, hours_field: str) -> datetime:
    if booking.resource_id:
        return booking.starts_at - timedelta(hours=getattr(booking.resource, hours_field))
    return booking.starts_at


def cancel_booking(*, booking: Booking, by: User, reason: str = "") -> Booking:
    """Readers cancel their own bookings up to the deadline; staff cancel any, any time."""
    staff = _is_staff(by)
    if booking.user_id != by.pk and not staff:
        raise PermissionDenied
    with transaction.atomic():
        booking, _family = _lock_booking(booking)
        if booking.status not in (S.PENDING, S.OFFERED, S.CONFIRMED):
            raise BookingRefused("state", _("This booking can no longer be cancelled."))
        # An unconfirmed offer can always be turned down: it only passes the place on sooner.
        if (
            not staff
            and booking.status != S.OFFERED
            and timezone.now() > _deadline(booking, "cancel_deadline_hours")
        ):
            raise BookingRefused(
                "cancel_deadline",
                _("Bookings can be cancelled until %(deadline)s; please contact the library.")
                % {
                    "deadline": _local(_deadline(booking, "cancel_deadline_hours"), booking.subject)
                },
            )
        if booking.status == S.OFFERED:
            timing = "offer_declined"
        elif booking.starts_at - timezone.now() < LATE_CANCEL:
            timing = "late"
        else:
            timing = "in_time"
        booking.status = S.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.cancel_reason = _clean_reason(reason, required=False)
        booking.sequence += 1
        booking.save()
        _notify(booking, "cancelled")
        _log("booking.cancelled", booking, outcome=timing)
        _promote_waitlist(booking)
    return booking


def move_booking(*, booking: Booking, by: User, starts_at: datetime, ends_at: datetime) -> Booking:
    """Move a resource booking to another time on the same resource, under the same rules."""
    staff = _is_staff(by)
    if booking.user_id != by.pk and not staff:
        raise PermissionDenied
    if not booking.resource_id:
        raise BookingRefused("state", _("Event places cannot be moved; cancel and book again."))
    now = timezone.now()
    with transaction.atomic():
        booking, family = _lock_booking(booking)
        if booking.status not in (S.PENDING, S.CONFIRMED):
            raise BookingRefused("state", _("This booking can no longer be moved."))
        resource = selectors.resource_for_rules(booking.resource_id)
        if not staff and now > _deadline(booking, "move_deadline_hours"):
            raise BookingRefused(
                "move_deadline",
                _("Bookings can be moved until %(deadline)s; please contact the library.")
                % {"deadline": _local(_deadline(booking, "move_deadline_hours"), resource)},
            )
        check_resource_rules(
            user=booking.user,
            resource=resource,
            start=starts_at,
            end=ends_at,
            now=now,
            exclude=booking,
            staff=staff,
        )
        _check_free(resource=resource, family=family, start=starts_at, end=ends_at, exclude=booking)
        old = Booking(pk=booking.pk, resource=resource, starts_at=booking.starts_at)
        old.ends_at, old.blocked_until = booking.ends_at, booking.blocked_until
        booking.starts_at, booking.ends_at = starts_at, ends_at
        booking.blocked_until = ends_at + timedelta(minutes=resource.buffer_minutes)
        if resource.requires_approval and not staff:
            booking.status = S.PENDING
        booking.reminder_sent_at = None
        booking.sequence += 1
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as error:
            raise BookingRefused(
                "conflict", _("This time is already booked. Please choose another.")
            ) from error
        _notify(booking, "moved")
        _promote_waitlist(old)
    return booking


def approve_booking(*, booking: Booking, by: User) -> Booking:
    if not _is_staff(by):
        raise PermissionDenied
    with transaction.atomic():
        booking, _family = _lock_booking(booking)
        if booking.status != S.PENDING:
            raise BookingRefused("state", _("Only bookings waiting for approval can be approved."))
        booking.status = S.CONFIRMED
        booking.sequence += 1
        booking.save(update_fields=["status", "sequence", "updated_at"])
        _notify(booking, "approved")
    return booking


def decline_booking(*, booking: Booking, by: User, reason: str) -> Booking:
    if not _is_staff(by):
        raise PermissionDenied
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        booking, _family = _lock_booking(booking)
        if booking.status != S.PENDING:
            raise BookingRefused("state", _("Only bookings waiting for approval can be declined."))
        booking.status = S.DECLINED
        booking.decline_reason = reason
        booking.sequence += 1
        booking.save(update_fields=["status", "decline_reason", "sequence", "updated_at"])
        _notify(booking, "declined")
        _log("booking.declined", booking)
        _promote_waitlist(booking)
    return booking


def confirm_offer(*, booking: Booking, user: User) -> Booking:
    if booking.user_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        booking, _family = _lock_booking(booking)
        if booking.status != S.OFFERED or booking.offer_expires_at <= timezone.now():
            raise BookingRefused("state", _("This offer is no longer open."))
        booking.status = S.CONFIRMED
        booking.sequence += 1
        booking.save(update_fields=["status", "sequence", "updated_at"])
        _notify(booking, "confirmed")
    return booking


def check_in(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Staff check a reader in, from the code or QR code the reader shows."""
    if not _is_staff(by):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status == S.CHECKED_IN:
            return booking
        if booking.status != S.CONFIRMED:
            raise BookingRefused("state", _("This booking is not confirmed."))
        opens = booking.starts_at - timedelta(minutes=settings.BOOKING_CHECK_IN_OPENS_MINUTES)
        closes = booking.starts_at + timedelta(minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES)
        if not opens <= now <= closes:
            raise BookingRefused(
                "check_in_window",
                _("Check-in is open from %(opens)s to %(closes)s.")
                % {
                    "opens": _local(opens, booking.subject),
                    "closes": _local(closes, booking.subject),
                },
            )
        booking.status = S.CHECKED_IN
        booking.checked_in_at = now
        booking.save(update_fields=["status", "checked_in_at", "updated_at"])
        _log("booking.checked_in", booking)
    return booking


# --- Waiting lists --------------------------------------------------------------------------


def join_waitlist(
    *,
    user: User,
    event: Event | None = None,
    resource: Resource | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> WaitlistEntry:
    """Wait for a place at a full event, or for a taken slot of a resource."""
    now = timezone.now()
    if event is not None:
        if event.is_cancelled or event.starts_at <= now:
            raise BookingRefused("past", _("This event has already started."))
        _check_reader(user=user, now=now, audiences=event.audiences)
        if event.bookings.filter(user=user, status__in=ACTIVE_STATUSES).exists():
            raise BookingRefused("already_booked", _("You already have a place at this event."))
        # Waiting is for a full event only: with a place left, joining would book nothing.
        if selectors.places_taken(event) < event.capacity:
            raise BookingRefused(
                "not_full", _("This event still has places left. Book a place instead of waiting.")
            )
        starts_at, ends_at = event.starts_at, event.ends_at
    else:
        resource = selectors.resource_for_rules(resource.pk)
        # The same rules as a booking, except that the slot is taken: that is why one waits.
        check_resource_rules(user=user, resource=resource, start=starts_at, end=ends_at, now=now)
        blockers = selectors.slot_blockers(resource, starts_at, ends_at)
        if not blockers:
            raise BookingRefused(
                "slot_free", _("This time is still free. Book it instead of waiting.")
            )
        if any(booking.user_id == user.pk for booking in blockers):
            raise BookingRefused("already_booked", _("You have already booked this time."))
    subject = event if event is not None else resource
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                user=user, event=event, resource=resource, starts_at=starts_at, ends_at=ends_at
            )
            insight.record(
                "waitlist.joined", user=user, subject=subject, location=str(subject.location_id)
            )
            return entry
    except IntegrityError as error:
        raise BookingRefused(
            "already_waiting", _("You are already on the waiting list for this.")
        ) from error


def leave_waitlist(*, entry: WaitlistEntry, user: User) -> None:
    if entry.user_id != user.pk:
        raise PermissionDenied
    WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.LEFT
    )


def _offer(entry: WaitlistEntry, *, subject: dict, blocked_until: datetime, now) -> Booking:
    deadline = min(now + timedelta(hours=settings.BOOKING_OFFER_HOURS), entry.starts_at)

    def make() -> Booking:
        # A savepoint, so that a (very unlikely) code collision does not undo the cancellation
        # that freed the place.
        with transaction.atomic():
            return _insert(
                user=entry.user,
                starts_at=entry.starts_at,
                ends_at=entry.ends_at,
                blocked_until=blocked_until,
                status=S.OFFERED,
                offer_expires_at=deadline,
                **subject,
            )

    booking = _retry_on_code_collision(make)
    entry.status = WaitlistStatus.OFFERED
    entry.booking = booking
    entry.save(update_fields=["status", "booking"])
    _notify(booking, "offered")
    _log("waitlist.offered", booking, user=entry.user)
    return booking


def _promote_waitlist(freed: Booking) -> None:
    """Offer what ``freed`` gave up to whoever waits for it, in order of joining.

    Runs inside the transaction that freed the place, under the same locks.
    """
    now = timezone.now()
    if freed.event_id:
        event = Event.objects.get(pk=freed.event_id)
        if event.is_cancelled or event.starts_at <= now:
            return
        waiting = WaitlistEntry.objects.filter(event=event, status=WaitlistStatus.WAITING)
        for entry in waiting.select_related("user"):
            if selectors.places_taken(event) >= event.capacity:
                return
            try:
                _check_reader(user=entry.user, now=now, audiences=event.audiences)
                if event.bookings.filter(user=entry.user, status__in=ACTIVE_STATUSES).exists():
                    raise BookingRefused("already_booked", "")
            except BookingRefused:
                entry.status = WaitlistStatus.SKIPPED
                entry.save(update_fields=["status"])
                continue
            _offer(entry, subject={"event": event}, blocked_until=event.ends_at, now=now)
        return
    resource = selectors.resource_for_rules(freed.resource_id)
    family = selectors.family_ids(resource).ids
    waiting = WaitlistEntry.objects.filter(
        resource=resource,
        status=WaitlistStatus.WAITING,
        starts_at__lt=freed.blocked_until,
        ends_at__gt=freed.starts_at,
        starts_at__gt=now,
    ).select_related("user")
    for entry in waiting:
        interval = rules.blocked(
            entry.starts_at, entry.ends_at, timedelta(minutes=resource.buffer_minutes)
        )
        if selectors.blocking_bookings(family=family, interval=interval, exclude=None):
            continue
        try:
            _check_eligible(user=entry.user, resource=resource, now=now, at=entry.ends_at)
        except BookingRefused:
            entry.status = WaitlistStatus.SKIPPED
            entry.save(update_fields=["status"])
            continue
        _offer(entry, subject={"resource": resource}, blocked_until=interval[1], now=now)


# --- Periodic work (called by beat tasks) ---------------------------------------------------


def release_no_shows(*, now: datetime | None = None) -> int:
    """Release confirmed bookings nobody checked in to; suspend repeat no-shows."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES)
    due = Booking.objects.filter(status=S.CONFIRMED, is_hold=False, starts_at__lt=cutoff)
    released = 0
    for booking in due.select_related("resource"):
        with transaction.atomic():
            booking, _family = _lock_booking(booking)
            if booking.status != S.CONFIRMED or booking.starts_at >= cutoff:
                continue
            booking.status = S.NO_SHOW
            booking.save(update_fields=["status", "updated_at"])
            released += 1
            _notify(booking, "no_show")
            _log("booking.no_show", booking)
            _suspend_if_repeated(booking.user, now=now)
            if booking.ends_at > now:
                _promote_waitlist(booking)
    return released


def _suspend_if_repeated(user: User, *, now: datetime) -> BookingSuspension | None:
    since = now - timedelta(days=settings.BOOKING_NO_SHOW_WINDOW_DAYS)
    last = BookingSuspension.objects.filter(user=user).order_by("-created_at").first()
    if last is not None:
        if last.until > now:
            return None
        # No-shows that already led to a suspension do not count twice.
        since = max(since, last.created_at)
    count = Booking.objects.filter(
        user=user, status=S.NO_SHOW, starts_at__gte=since, updated_at__gte=since
    ).count()
    if count < settings.BOOKING_NO_SHOW_LIMIT:
        return None
    suspension = BookingSuspension.objects.create(
        user=user,
        until=now + timedelta(days=settings.BOOKING_SUSPENSION_DAYS),
        reason=_("%(n)s bookings were not used and not cancelled.") % {"n": count},
    )
    from .tasks import notify_suspension

    enqueue(notify_suspension, suspension.pk)
    return suspension


def expire_offers(*, now: datetime | None = None) -> int:
    """Offers not confirmed in time pass on to the next reader waiting."""
    now = now or timezone.now()
    expired = 0
    due = Booking.objects.filter(status=S.OFFERED, offer_expires_at__lt=now)
    for booking in due.select_related("resource"):
        with transaction.atomic():
            booking, _family = _lock_booking(booking)
            if booking.status != S.OFFERED or booking.offer_expires_at >= now:
                continue
            booking.status = S.EXPIRED
            booking.sequence += 1
            booking.save(update_fields=["status", "sequence", "updated_at"])
            expired += 1
            _promote_waitlist(booking)
    return expired


# --- Events, qualifications, feeds ----------------------------------------------------------


def sync_event(*, event: Event, by: User) -> Event:
    """Bring everything an event owns in line with it after staff saved it.

    The room (or human-library book) is held for the event's time, or the save is refused if it
    is taken; readers' places follow a change of time (and are told); a cancelled event lets
    its room go. Staff lock themselves first, keeping the reader → event → tree order.
    """
    with transaction.atomic():
        _lock_reader(by.pk)
        event = _lock_event(event.pk)
        # Those who follow its kind hear of it once (the task skips a past or cancelled one).
        _announce(event)
        if event.is_cancelled:
            _cancel_places(event, reason=_("This event has been cancelled."))
        else:
            moved = event.bookings.filter(status__in=ACTIVE_STATUSES).exclude(
                starts_at=event.starts_at, ends_at=event.ends_at
            )
            for booking in moved.select_for_update():
                booking.starts_at, booking.ends_at = event.starts_at, event.ends_at
                booking.blocked_until = event.ends_at
                booking.reminder_sent_at = None
                booking.sequence += 1
                booking.save()
                _notify(booking, "moved")
        current = event.room_booking
        wanted = None if event.is_cancelled else (event.resource_id, event.starts_at, event.ends_at)
        if current is not None and current.is_active:
            if wanted == (current.resource_id, current.starts_at, current.ends_at):
                return event
            Booking.objects.filter(pk=current.pk).update(
                status=S.CANCELLED, cancelled_at=timezone.now()
            )
        hold = None
        if wanted is not None and event.resource_id:
            hold = book_resource(
                user=by,
                resource=event.resource,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                note=event.title,
                is_hold=True,
            )
        event.room_booking = hold
        event.save(update_fields=["room_booking"])
    return event


def _cancel_places(event: Event, *, reason: str) -> int:
    places = list(event.bookings.select_for_update().filter(status__in=ACTIVE_STATUSES))
    for booking in places:
        booking.status = S.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.cancel_reason = reason
        booking.sequence += 1
        booking.save()
        _notify(booking, "cancelled")
    WaitlistEntry.objects.filter(event=event, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.SKIPPED
    )
    return len(places)


def generate_occurrences(*, series: EventSeries, by: User) -> list[Event]:
    """Create the series' events (idempotent: existing occurrences are kept), all or none."""
    occurrences = rules.weekly_occurrences(
        first_date=series.first_date,
        last_date=series.last_date,
        weekdays=series.weekdays,
        start_time=series.start_time,
        duration=timedelta(minutes=series.duration_minutes),
        tz=series.location.tz,
    )
    made = []
    with transaction.atomic():
        existing = set(series.events.values_list("starts_at", flat=True))
        for start, end in occurrences:
            if start in existing:
                continue
            event = Event.objects.create(
                title=series.title,
                description=series.description,
                kind=series.kind,
                location=series.location,
                resource=series.resource,
                category=series.category,
                series=series,
                capacity=series.capacity,
                starts_at=start,
                ends_at=end,
            )
            if series.resource_id:
                try:
                    sync_event(event=event, by=by)
                except BookingRefused as refusal:
                    raise BookingRefused(
                        refusal.code,
                        _("%(date)s: %(reason)s")
                        % {"date": _local(start, series), "reason": refusal.message},
                    ) from refusal
            made.append(event)
        if made:
            # The series is announced once, by its first new occurrence.
            _announce(made[0])
    return made


def cancel_event(*, event: Event, by: User, reason: str) -> int:
    """Cancel an event and every place booked at it; readers are told why."""
    if not _is_staff(by):
        raise PermissionDenied
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        _lock_reader(by.pk)
        event = _lock_event(event.pk)
        event.is_cancelled = True
        event.save(update_fields=["is_cancelled"])
        cancelled = _cancel_places(event, reason=reason)
        sync_event(event=event, by=by)
    return cancelled


def grant_qualification(
    *,
    user: User,
    qualification: Qualification,
    expires_at: datetime | None,
    granted_by: User | None = None,
) -> UserQualification:
    """Grant or renew a certification (maker-space trainings call this)."""
    held, _created = UserQualification.objects.update_or_create(
        user=user,
        qualification=qualification,
        defaults={"granted_at": timezone.now(), "expires_at": expires_at, "granted_by": granted_by},
    )
    return held


def reset_feed(*, user: User) -> CalendarFeed:
    """A new secret feed address; the old one stops working at once."""
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32)}
    )
    return feed


def revoke_feed(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def suspend(*, user: User, until: datetime, reason: str, by: User) -> BookingSuspension:
    if not _is_staff(by):
        raise PermissionDenied
    return BookingSuspension.objects.create(
        user=user, until=until, reason=_clean_reason(reason, required=True)
    )


def lift_suspensions(*, user: User, by: User) -> int:
    if not _is_staff(by):
        raise PermissionDenied
    return BookingSuspension.objects.filter(user=user, until__gt=timezone.now()).update(
        until=timezone.now()
    )
