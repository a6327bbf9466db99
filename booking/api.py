"""Booking in the public API (``/api/v1/``): resources and their free times, events and their
free places, and the reader's own bookings (book, move, cancel).

The views only translate HTTP to the booking services and back; every rule is checked there
(under the resource's lock), and a refusal comes back as a problem with the rule's code
(``conflict``, ``full``, ``outside_hours``...): see ``core.api.problems``.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.pagination import ByName, ByStart
from core.api.permissions import has_perm
from core.siteurl import absolute

from . import selectors, services
from .models import (
    Booking,
    CalendarFeed,
    Event,
    Resource,
    ResourceKind,
    WaitlistEntry,
    WaitlistStatus,
)
from .serializers import (
    AvailabilitySerializer,
    BookingSerializer,
    BookResourceSerializer,
    CancelSerializer,
    CheckInSerializer,
    DecisionSerializer,
    EventSerializer,
    FeedSerializer,
    MoveSerializer,
    ResourceSerializer,
    StaffBookingSerializer,
    WaitlistEntrySerializer,
)

TAG = "booking"


@extend_schema(
    tags=[TAG],
    parameters=[OpenApiParameter("kind", enum=ResourceKind.values, required=False)],
)
class ResourceList(ETagMixin, generics.ListAPIView):
    """Bookable resources (rooms, machines, studios, human-library books)."""

    permission_classes = [AllowAny]
    serializer_class = ResourceSerializer
    pagination_class = ByName

    def get_queryset(self):
        kind = self.request.query_params.get("kind", "")
        return selectors.bookable_resources(kind=kind if kind in ResourceKind.values else "")


@extend_schema(tags=[TAG])
class ResourceDetail(ETagMixin, generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ResourceSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.bookable_resources()


@extend_schema(
    tags=[TAG],
    parameters=[
        OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD")
    ],
    responses=AvailabilitySerializer,
)
class Availability(ETagMixin, APIView):
    """Every start time of a day for the shortest booking, free or not."""

    permission_classes = [AllowAny]

    def get(self, request, slug: str):
        found = get_object_or_404(Resource, slug=slug, is_active=True, staff_only=False)
        resource = selectors.resource_for_rules(found.pk)
        try:
            day = date.fromisoformat(request.query_params.get("date", ""))
        except ValueError as error:
            raise ValidationError({"date": [_("Give the day as YYYY-MM-DD.")]}) from error
        today = timezone.localdate()
        if not today - timedelta(days=1) <= day <= today + timedelta(days=366):
            raise ValidationError(
                {"date": [_("Ask for a day within a year from today.")]}, code="out_of_range"
            )
        viewer = request.user if request.user.is_authenticated else None
        data = {
            "resource": resource.slug,
            "date": day,
            "closed": selectors.closure_on(resource.location, day),
            "slots": selectors.day_slots(resource, day, viewer=viewer),
        }
        return Response(AvailabilitySerializer(data).data)


@extend_schema(tags=[TAG])
class EventList(ETagMixin, generics.ListAPIView):
    """Events still to come, with their free places."""

    permission_classes = [AllowAny]
    serializer_class = EventSerializer
    pagination_class = ByStart

    def get_queryset(self):
        return selectors.upcoming_events()


@extend_schema(tags=[TAG])
class EventDetail(ETagMixin, generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = EventSerializer

    def get_queryset(self):
        return selectors.upcoming_events()


@extend_schema(tags=[TAG], request=None, responses={201: BookingSerializer})
class BookEvent(APIView):
    """Take a place at an event (or, when it needs approval, ask for one)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int):
        event = get_object_or_404(Event, pk=pk)
        booking = services.book_event(user=request.user, event=event)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


def _own(request, pk) -> Booking:
    booking = selectors.booking_for(user=request.user, pk=pk)
    if booking is None or booking.user_id != request.user.pk:
        raise Http404
    return booking


@extend_schema(tags=[TAG])
class MyBookings(generics.ListCreateAPIView):
    """Your bookings still to come; POST books a resource for a time."""

    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer
    pagination_class = ByStart

    def get_queryset(self):
        return selectors.upcoming_bookings_of(user=self.request.user)

    @extend_schema(request=BookResourceSerializer, responses={201: BookingSerializer})
    def post(self, request, *args, **kwargs):
        sent = BookResourceSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        resource = Resource.objects.filter(slug=data["resource"], is_active=True).first()
        if resource is None:
            raise ValidationError({"resource": [_("There is no such resource.")]})
        booking = services.book_resource(
            user=request.user,
            resource=resource,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
            booked_by=request.user,
        )
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class MyBooking(generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer

    def get_object(self):
        return _own(self.request, self.kwargs["pk"])


@extend_schema(tags=[TAG], request=CancelSerializer, responses=BookingSerializer)
class CancelBooking(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        booking = _own(request, pk)  # someone else's booking is not found, whatever was sent
        sent = CancelSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.cancel_booking(
            booking=booking, by=request.user, reason=sent.validated_data["reason"]
        )
        return Response(BookingSerializer(done).data)


@extend_schema(tags=[TAG], request=MoveSerializer, responses=BookingSerializer)
class MoveBooking(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        booking = _own(request, pk)  # someone else's booking is not found, whatever was sent
        sent = MoveSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.move_booking(
            booking=booking,
            by=request.user,
            starts_at=sent.validated_data["starts_at"],
            ends_at=sent.validated_data["ends_at"],
        )
        return Response(BookingSerializer(done).data)


@extend_schema(tags=[TAG], request=None, responses=BookingSerializer)
class ConfirmOffer(APIView):
    """Take the place the waiting list offered you (before ``offer_expires_at``)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        done = services.confirm_offer(booking=_own(request, pk), user=request.user)
        return Response(BookingSerializer(done).data)


@extend_schema(tags=[TAG], request=None, responses={201: WaitlistEntrySerializer})
class JoinEventWaitlist(APIView):
    """Wait for a place at a full event (refused with ``not_full`` while places are left)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int):
        event = get_object_or_404(selectors.upcoming_events(), pk=pk)
        entry = services.join_waitlist(user=request.user, event=event)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class MyWaitlist(generics.ListAPIView):
    """The waiting lists you are on."""

    permission_classes = [IsAuthenticated]
    serializer_class = WaitlistEntrySerializer
    pagination_class = ByStart

    def get_queryset(self):
        return WaitlistEntry.objects.filter(
            user=self.request.user, status=WaitlistStatus.WAITING
        ).select_related("event", "resource")


@extend_schema(tags=[TAG], request=None, responses={204: None})
class LeaveWaitlist(APIView):
    permission_classes = [IsAuthenticated]

    def delete(self, request, pk: int):
        entry = get_object_or_404(WaitlistEntry, pk=pk, user=request.user)
        services.leave_waitlist(entry=entry, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG])
class CalendarFeedAddress(APIView):
    """Your calendar feed: GET its address (null until made), POST a new one (the old address
    stops working), DELETE it."""

    permission_classes = [IsAuthenticated]

    def _answer(self, feed) -> Response:
        url = absolute(reverse("booking:feed", args=[feed.token])) if feed else None
        return Response(FeedSerializer({"url": url}).data)

    @extend_schema(responses=FeedSerializer)
    def get(self, request):
        return self._answer(CalendarFeed.objects.filter(user=request.user).first())

    @extend_schema(request=None, responses=FeedSerializer)
    def post(self, request):
        return self._answer(services.reset_feed(user=request.user))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        services.revoke_feed(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Staff: the check-in desk and approvals (the same permission as the desk's pages) -------

DESK = has_perm("booking.manage_bookings")


@extend_schema(tags=["staff"], request=CheckInSerializer, responses=StaffBookingSerializer)
class CheckIn(APIView):
    """Check a reader in by the code they show. Refused with ``check_in_window`` or ``state``."""

    permission_classes = [DESK]

    def post(self, request):
        sent = CheckInSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        found = (
            Booking.objects.filter(check_in_code=sent.validated_data["code"].strip().upper())
            .filter(is_hold=False)
            .select_related("user")
            .first()
        )
        if found is None:
            raise Http404
        done = services.check_in(booking=found, by=request.user)
        return Response(StaffBookingSerializer(done).data)


@extend_schema(tags=["staff"])
class Approvals(generics.ListAPIView):
    """Bookings waiting for a librarian's approval, soonest first."""

    permission_classes = [DESK]
    serializer_class = StaffBookingSerializer
    pagination_class = ByStart

    def get_queryset(self):
        return selectors.pending_approvals()


@extend_schema(tags=["staff"], request=DecisionSerializer, responses=StaffBookingSerializer)
class Decide(APIView):
    """Approve or decline a booking (declining needs a reason, which the reader is sent)."""

    permission_classes = [DESK]

    def post(self, request, pk):
        sent = DecisionSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        booking = get_object_or_404(Booking.objects.select_related("user"), pk=pk)
        if sent.validated_data["decision"] == "approve":
            done = services.approve_booking(booking=booking, by=request.user)
        else:
            done = services.decline_booking(
                booking=booking, by=request.user, reason=sent.validated_data["reason"]
            )
        return Response(StaffBookingSerializer(done).data)
