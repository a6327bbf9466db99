"""What can be booked, when, under which rules, and the bookings themselves.

Every resource is single-occupancy: one booking at a time, guaranteed by a PostgreSQL exclusion
constraint over the time it blocks (its buffer included). Anything with seats (lectures,
workshops, small-group human-library talks) is an ``Event`` with a capacity; its bookings are
counted under a row lock on the event. An event held in a room blocks the room with a booking
of its own, so rooms, their parts and the equipment inside them never clash with events either.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from accounts.models import AudienceGroup


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Location(ClusterableModel):
    """A library building or branch, with its own opening hours and closures."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Opening hours and weekly availability are wall-clock times in this zone.
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", choices=timezone_choices
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class OpeningHours(models.Model):
    location = ParentalKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="booking_opening_hours_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """A holiday or other day(s) when the location is closed, whatever the opening hours say."""

    location = ParentalKey(Location, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=120)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="booking_closure_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.first_day}–{self.last_day})"


class Qualification(models.Model):
    """Something a reader must hold to book a resource, e.g. the laser cutter safety training.

    Maker-space trainings grant these (with an expiry); booking only reads them, so it does not
    depend on how a reader came to hold one.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    # Where a reader can sign up for the training that grants it (shown when a booking is refused).
    training_url = models.CharField(_("training page"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQualification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("reader"),
    )
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="+", verbose_name=_("qualification")
    )
    granted_at = models.DateTimeField(_("granted at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta:
        verbose_name = _("reader's qualification")
        verbose_name_plural = _("readers' qualifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "qualification"], name="booking_one_qualification_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.qualification}"


class Category(models.Model):
    """A group of resources sharing quotas, e.g. 3D printers, studios, human library."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    # Quotas per reader; empty means no limit. Days and weeks are local (weeks start on Monday).
    max_hours_per_day = models.DecimalField(
        _("hours per day"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_bookings_per_day = models.PositiveSmallIntegerField(
        _("bookings per day"), null=True, blank=True
    )
    max_hours_per_week = models.DecimalField(
        _("hours per week"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_bookings_per_week = models.PositiveSmallIntegerField(
        _("bookings per week"), null=True, blank=True
    )
    max_upcoming = models.PositiveSmallIntegerField(
        _("upcoming bookings at once"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("booking category")
        verbose_name_plural = _("booking categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResourceKind(models.TextChoices):
    SPACE = "space", _("Space")
    EQUIPMENT = "equipment", _("Equipment")
    STUDIO = "studio", _("Studio")
    HUMAN_BOOK = "human_book", _("Human-library book")


class Resource(ClusterableModel):
    """A single-occupancy bookable thing: a room or part of one, a machine, a studio, a person.

    ``parent`` nests resources: a room's parts and the equipment inside it. Booking any resource
    blocks its ancestors and descendants for that time (not its siblings).
    """

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="resources", verbose_name=_("location")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("inside"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="resources", verbose_name=_("category")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("bookable"), default=True)

    min_duration_minutes = models.PositiveSmallIntegerField(_("shortest booking (min)"), default=30)
    max_duration_minutes = models.PositiveSmallIntegerField(_("longest booking (min)"), default=120)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (min)"), default=30)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after each booking (min)"), default=0
    )
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (min)"), default=60)
    booking_window_days = models.PositiveSmallIntegerField(_("bookable days ahead"), default=14)
    cancel_deadline_hours = models.PositiveSmallIntegerField(
        _("cancel up to (hours before)"), default=2
    )
    move_deadline_hours = models.PositiveSmallIntegerField(
        _("move up to (hours before)"), default=2
    )
    requires_approval = models.BooleanField(_("needs staff approval"), default=False)
    staff_only = models.BooleanField(_("staff only"), default=False)
    # Empty: everyone. Otherwise only readers in one of these audience groups.
    audiences = ArrayField(
        models.CharField(max_length=20, choices=AudienceGroup.choices),
        blank=True,
        default=list,
        verbose_name=_("only for"),
    )
    required_qualification = models.ForeignKey(
        Qualification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("required qualification"),
    )
    required_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("required role"),
    )

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        # By name only: an ordering across the location would add a join to every lookup,
        # including the row lock taken for each booking.
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_duration_minutes__gte=models.F("min_duration_minutes"))
                & Q(slot_minutes__gt=0)
                & Q(min_duration_minutes__gt=0),
                name="booking_resource_durations",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AvailabilityWindow(models.Model):
    """Weekly hours when a resource can be booked; without any, the location's opening hours."""

    resource = ParentalKey(Resource, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="booking_window_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class EventKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    WORKSHOP = "workshop", _("Workshop")
    CLASS = "class", _("Digital-literacy class")
    TRAINING = "training", _("Training")
    HUMAN_LIBRARY = "human_library", _("Human-library conversation")


class EventSeries(models.Model):
    """A weekly recurring event; its occurrences are generated as ``Event`` rows.

    Times are wall-clock times at the location, so 19:00 stays 19:00 across daylight-saving
    changes (the UTC instant moves instead).
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resource"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    capacity = models.PositiveIntegerField(_("places"))
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices), verbose_name=_("weekdays")
    )
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (min)"))
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"))

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="events", verbose_name=_("location")
    )
    # The room it is held in, or the human-library book who talks; blocked for its duration.
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("resource"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("category"),
    )
    series = models.ForeignKey(
        EventSeries,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("series"),
    )
    capacity = models.PositiveIntegerField(_("places"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    audiences = ArrayField(
        models.CharField(max_length=20, choices=AudienceGroup.choices),
        blank=True,
        default=list,
        verbose_name=_("only for"),
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    # The booking that holds ``resource`` for this event.
    room_booking = models.OneToOneField(
        "Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room booking"),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="booking_event_order",
                violation_error_message=_("An event must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["series", "starts_at"], name="booking_one_occurrence_per_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    OFFERED = "offered", _("Offered from the waiting list")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined")
    NO_SHOW = "no_show", _("No-show")
    EXPIRED = "expired", _("Offer expired")


# These hold the resource or the seat; the others have let it go.
ACTIVE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.OFFERED,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Booking(models.Model):
    # Random ids: a booking's URL must not lead anyone to the next reader's booking.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="bookings"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # End of the time this booking keeps others away: its end plus the resource's buffer.
    blocked_until = models.DateTimeField()
    status = models.CharField(
        _("status"), max_length=20, choices=BookingStatus.choices, db_index=True
    )
    note = models.CharField(_("purpose"), max_length=300, blank=True)
    check_in_code = models.CharField(_("check-in code"), max_length=8, unique=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Set when staff booked for the reader, and the reason when staff overrode a rule.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(_("rule override reason"), max_length=300, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("confirm by"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Holds a room (or a human-library book) for an event: never a no-show, not a reader's booking.
    is_hold = models.BooleanField(default=False)
    # Bumped on every change so calendar programs replace their copy (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # Bookings made together by staff as one weekly series.
    recurrence = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        permissions = [
            ("manage_bookings", _("Can manage bookings for readers")),
            ("override_rules", _("Can book against the rules, with a reason")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=False, event__isnull=True)
                | Q(resource__isnull=True, event__isnull=False),
                name="booking_resource_xor_event",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at"))
                & Q(blocked_until__gte=models.F("ends_at")),
                name="booking_time_order",
            ),
            # The last word on double booking: no two live bookings of a resource may overlap,
            # buffers included, whatever the application code above does.
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "blocked_until", models.Value("[)")), "&&"),
                ],
                condition=Q(resource__isnull=False, status__in=ACTIVE_STATUSES),
            ),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(event__isnull=False, status__in=ACTIVE_STATUSES),
                name="booking_one_place_per_reader",
            ),
        ]
        indexes = [models.Index(fields=["user", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.subject} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def subject(self) -> Resource | Event:
        return self.resource if self.resource_id else self.event

    @property
    def subject_title(self) -> str:
        return self.resource.name if self.resource_id else self.event.title

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Place offered")
    LEFT = "left", _("Left the list")
    SKIPPED = "skipped", _("Skipped (no longer eligible)")


class WaitlistEntry(models.Model):
    """A reader waiting for an event place, or for one slot of a resource."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="waitlist"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="waitlist"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=False, event__isnull=True)
                | Q(resource__isnull=True, event__isnull=False),
                name="booking_waitlist_resource_xor_event",
            ),
            models.UniqueConstraint(
                fields=["user", "event", "resource", "starts_at"],
                condition=Q(status="waiting"),
                nulls_distinct=False,
                name="booking_waitlist_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.starts_at:%Y-%m-%d %H:%M}"


class BookingSuspension(models.Model):
    """A reader may not book until ``until`` (after repeated no-shows, or by staff)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="booking_suspensions",
        verbose_name=_("reader"),
    )
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reader told at"))

    class Meta:
        verbose_name = _("booking suspension")
        verbose_name_plural = _("booking suspensions")
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"{self.user} · {self.until:%Y-%m-%d}"


class CalendarFeed(models.Model):
    """The secret address of a reader's own iCalendar feed; resetting it revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.user)


class SentNotice(models.Model):
    """Which message about which version of a booking has gone out, so a retried task does not
    send it twice."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20)
    sequence = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "event", "sequence"], name="booking_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.sequence}"
