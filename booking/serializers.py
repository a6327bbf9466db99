"""What the API shows of resources, events and bookings, and what it accepts to book.

Times are ISO 8601 with their UTC offset; a time without one is refused (a phone's clock and the
library's may be in different zones).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    Resource,
    ResourceKind,
    WaitlistEntry,
)


class ResourceSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ResourceKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    location = serializers.CharField(source="location.name")
    inside = serializers.SlugRelatedField(
        source="parent", slug_field="slug", read_only=True, allow_null=True
    )
    requires_training = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "slug",
            "name",
            "kind",
            "kind_label",
            "description",
            "location",
            "inside",
            "min_duration_minutes",
            "max_duration_minutes",
            "slot_minutes",
            "requires_approval",
            "requires_training",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_requires_training(self, resource: Resource) -> str | None:
        qualification = resource.required_qualification
        return qualification.name if qualification is not None else None


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    state = serializers.ChoiceField(
        choices=["free", "taken", "mine", "past", "yours"],
        help_text=_("free: can be booked; taken: someone else has it; mine: your booking."),
    )


class AvailabilitySerializer(serializers.Serializer):
    resource = serializers.SlugField()
    date = serializers.DateField()
    closed = serializers.CharField(
        allow_null=True, help_text=_("Why the location is closed that day, or null.")
    )
    slots = SlotSerializer(many=True)


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    location = serializers.CharField(source="location.name")
    places_left = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "kind",
            "kind_label",
            "description",
            "starts_at",
            "ends_at",
            "location",
            "capacity",
            "places_left",
        ]
        read_only_fields = fields

    def get_places_left(self, event: Event) -> int:
        return max(event.capacity - event.taken, 0)


class BookingSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    resource = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    title = serializers.CharField(source="subject_title")
    check_in_code = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "status",
            "status_label",
            "resource",
            "event",
            "title",
            "starts_at",
            "ends_at",
            "check_in_code",
            "offer_expires_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_check_in_code(self, booking: Booking) -> str | None:
        return booking.check_in_code if booking.is_active else None


class AwareDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "naive": _("Give the time with its UTC offset, such as 2026-12-01T10:00:00+08:00."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and not _has_offset(value):
            self.fail("naive")
        return super().to_internal_value(value)


def _has_offset(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith(("Z", "z")) or "+" in tail or "-" in tail


class BookResourceSerializer(serializers.Serializer):
    resource = serializers.SlugField(max_length=50)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MoveSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WaitlistEntrySerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = ["id", "event", "title", "starts_at", "ends_at", "status", "created_at"]
        read_only_fields = fields

    def get_title(self, entry) -> str:
        subject = entry.event or entry.resource
        return str(subject) if subject is not None else ""


class FeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        allow_null=True,
        help_text="Your bookings as an iCalendar feed (secret: anyone with it sees them).",
    )


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, help_text="The code (or QR code) the reader shows.")


class StaffBookingSerializer(BookingSerializer):
    reader = serializers.CharField(source="user.get_short_name")
    note = serializers.CharField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "reader", "note"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(["approve", "decline"])
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
