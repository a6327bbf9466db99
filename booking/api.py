"""Booking in the public API (``/api/v1/``): resources and their free times, events and their
free places, and the reader's own bookings (book, move, cancel).

The views only translate HTTP to the booking services and back; every rule is checked there
(under the resource's lock), and a refusal comes back as a problem with the rule's code
(``conflict``, ``full``, ``outside_hours``...): see ``core.api.problems``.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
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

from . import selectors, services
from .models import Booking, Event, Resource, ResourceKind
from .serializers import (
    AvailabilitySerializer,
    BookingSerializer,
    BookResourceSerializer,
    CancelSerializer,
    EventSerializer,
    MoveSerializer,
    ResourceSerializer,
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
        sent = CancelSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.cancel_booking(
            booking=_own(request, pk), by=request.user, reason=sent.validated_data["reason"]
        )
        return Response(BookingSerializer(done).data)


@extend_schema(tags=[TAG], request=MoveSerializer, responses=BookingSerializer)
class MoveBooking(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        sent = MoveSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.move_booking(
            booking=_own(request, pk),
            by=request.user,
            starts_at=sent.validated_data["starts_at"],
            ends_at=sent.validated_data["ends_at"],
        )
        return Response(BookingSerializer(done).data)
