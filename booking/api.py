"""JSON endpoints for availability and bookings (session-authenticated, CSRF-protected).

Shapes are kept plain so that the REST API documentation can describe them later:
times are ISO 8601 with offset, errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.jsonbody import JSONBodyError, read_json

from . import selectors, services
from .models import Booking, Event, Resource

# Refusals that mean "someone else has it" rather than "you may not".
CONFLICT_CODES = {"conflict", "full", "already_booked", "already_waiting", "state"}


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _refused(error: ValidationError) -> JsonResponse:
    code = getattr(error, "code", None) or "invalid"
    if isinstance(error, JSONBodyError):
        return _error(code, " ".join(error.messages), 400)
    return _error(code, " ".join(error.messages), 409 if code in CONFLICT_CODES else 422)


def json_errors(view: Callable) -> Callable:
    """Answer refusals, permission errors and unknown ids in JSON, like everything else here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return _error("not_found", _("Not found."), 404)
        except PermissionDenied:
            return _error("forbidden", _("You are not allowed to do this."), 403)
        except ValidationError as error:
            return _refused(error)

    return wrapper


def api_login_required(view: Callable) -> Callable:
    guarded = json_errors(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return _error("unauthenticated", _("Please sign in first."), 401)
        return guarded(request, *args, **kwargs)

    return wrapper


def _body(request: HttpRequest) -> dict:
    # Size and nesting are limited before parsing: a deep document must be a 400, not a 500.
    return read_json(request, empty={})


def _moment(data: dict, key: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(data[key]))
    except (KeyError, ValueError) as error:
        raise ValidationError(
            _("“%(field)s” must be a date and time such as 2026-12-01T10:00:00+08:00.")
            % {"field": key},
            code="invalid",
        ) from error
    if timezone.is_naive(value):
        raise ValidationError(
            _("“%(field)s” must include a UTC offset, such as +08:00.") % {"field": key},
            code="invalid",
        )
    return value


def booking_json(booking: Booking) -> dict:
    return {
        "id": str(booking.pk),
        "status": booking.status,
        "resource": booking.resource.slug if booking.resource_id else None,
        "event": booking.event_id,
        "title": booking.subject_title,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "check_in_code": booking.check_in_code if booking.is_active else None,
        "offer_expires_at": booking.offer_expires_at and booking.offer_expires_at.isoformat(),
    }


@require_GET
def resources(request: HttpRequest) -> JsonResponse:
    found = selectors.bookable_resources(kind=request.GET.get("kind", ""))
    return JsonResponse(
        {
            "resources": [
                {
                    "slug": r.slug,
                    "name": r.name,
                    "kind": r.kind,
                    "location": r.location.name,
                    "inside": r.parent.slug if r.parent_id else None,
                    "min_minutes": r.min_duration_minutes,
                    "max_minutes": r.max_duration_minutes,
                    "slot_minutes": r.slot_minutes,
                    "requires_approval": r.requires_approval,
                    "requires_training": r.required_qualification.name
                    if r.required_qualification_id
                    else None,
                }
                for r in found
            ]
        }
    )


@json_errors
@require_GET
def availability(request: HttpRequest, slug: str) -> JsonResponse:
    resource = get_object_or_404(Resource, slug=slug, is_active=True, staff_only=False)
    resource = selectors.resource_for_rules(resource.pk)
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return _error("invalid", _("Give the day as ?date=YYYY-MM-DD."), 400)
    slots = selectors.day_slots(resource, day)
    return JsonResponse(
        {
            "resource": resource.slug,
            "date": day.isoformat(),
            "closed": selectors.closure_on(resource.location, day),
            "slots": [
                {
                    "starts_at": s.starts_at.isoformat(),
                    "ends_at": s.ends_at.isoformat(),
                    "state": s.state,
                }
                for s in slots
            ],
        }
    )


@require_GET
def events(request: HttpRequest) -> JsonResponse:
    found = selectors.upcoming_events()[:100]
    return JsonResponse(
        {
            "events": [
                {
                    "id": e.pk,
                    "title": e.title,
                    "kind": e.kind,
                    "starts_at": e.starts_at.isoformat(),
                    "ends_at": e.ends_at.isoformat(),
                    "location": e.location.name,
                    "capacity": e.capacity,
                    "places_left": max(e.capacity - e.taken, 0),
                }
                for e in found
            ]
        }
    )


@api_login_required
@require_POST
def book_event(request: HttpRequest, pk: int) -> JsonResponse:
    event = get_object_or_404(Event, pk=pk)
    booking = services.book_event(user=request.user, event=event)
    return JsonResponse(booking_json(booking), status=201)


@api_login_required
@require_http_methods(["GET", "POST"])
def bookings(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        mine = selectors.upcoming_bookings_of(user=request.user)
        return JsonResponse({"bookings": [booking_json(b) for b in mine]})
    data = _body(request)
    resource = Resource.objects.filter(slug=str(data.get("resource", "")), is_active=True).first()
    if resource is None:
        return _error("not_found", _("There is no such resource."), 404)
    booking = services.book_resource(
        user=request.user,
        resource=resource,
        starts_at=_moment(data, "starts_at"),
        ends_at=_moment(data, "ends_at"),
        note=str(data.get("note", "")),
        booked_by=request.user,
    )
    return JsonResponse(booking_json(booking), status=201)


def _own(request: HttpRequest, pk) -> Booking:
    booking = selectors.booking_for(user=request.user, pk=pk)
    if booking is None:
        raise Http404
    return booking


@api_login_required
@require_GET
def booking(request: HttpRequest, pk) -> JsonResponse:
    return JsonResponse(booking_json(_own(request, pk)))


@api_login_required
@require_POST
def cancel(request: HttpRequest, pk) -> JsonResponse:
    data = _body(request)
    done = services.cancel_booking(
        booking=_own(request, pk), by=request.user, reason=str(data.get("reason", ""))
    )
    return JsonResponse(booking_json(done))


@api_login_required
@require_POST
def move(request: HttpRequest, pk) -> JsonResponse:
    data = _body(request)
    done = services.move_booking(
        booking=_own(request, pk),
        by=request.user,
        starts_at=_moment(data, "starts_at"),
        ends_at=_moment(data, "ends_at"),
    )
    return JsonResponse(booking_json(done))
