"""Reader and staff pages for bookings. Each view checks who may act, then calls a service."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import kept
from core.siteurl import absolute
from core.views import error_text

from . import ical, selectors, services
from .forms import (
    CalendarFilterForm,
    CheckInForm,
    OptionalReasonForm,
    ReasonForm,
    SlotForm,
    StaffBookingForm,
)
from .models import Booking, BookingStatus, Event, Resource, ResourceKind, WaitlistEntry

staff_required = permission_required("booking.manage_bookings", raise_exception=True)


def _own_booking_or_404(request: HttpRequest, pk) -> Booking:
    """The booking if it is the reader's own (or the user is staff); the same 404 otherwise."""
    booking = selectors.booking_for(user=request.user, pk=pk)
    if booking is None:
        raise Http404
    return booking


def _day_from(request: HttpRequest, resource: Resource) -> date:
    """The day asked for (a form's hidden field or the query), kept within the booking window."""
    today = timezone.localdate(timezone=resource.location.tz)
    try:
        day = date.fromisoformat(request.POST.get("date") or request.GET.get("date", ""))
    except ValueError:
        return today
    return min(max(day, today), today + timedelta(days=resource.booking_window_days))


# What each refusal code is about, named on the page above the reason itself.
RULE_NAMES = {
    "conflict": gettext_lazy("Already booked"),
    "past": gettext_lazy("Time already passed"),
    "min_notice": gettext_lazy("Minimum notice"),
    "window": gettext_lazy("How far ahead"),
    "hours": gettext_lazy("Opening hours"),
    "closed": gettext_lazy("Closed day"),
    "min_duration": gettext_lazy("Length of a booking"),
    "max_duration": gettext_lazy("Length of a booking"),
    "increment": gettext_lazy("Time steps"),
    "quota_count": gettext_lazy("Your quota"),
    "quota_hours": gettext_lazy("Your quota"),
    "max_upcoming": gettext_lazy("Your quota"),
    "qualification": gettext_lazy("Training required"),
    "role": gettext_lazy("Role required"),
    "suspended": gettext_lazy("Booking suspended"),
    "audience": gettext_lazy("Who may book"),
    "staff_only": gettext_lazy("Staff only"),
    "inactive": gettext_lazy("Not bookable"),
    "slot_free": gettext_lazy("Waiting list"),
    "already_waiting": gettext_lazy("Waiting list"),
    "move_deadline": gettext_lazy("Moving deadline"),
    "state": gettext_lazy("Booking status"),
}
# Refusals about the time chosen, where other free times that day are what would work.
SUGGEST_TIMES = {"conflict", "past", "min_notice", "hours", "increment", "slot_free"}


def _refusal(
    error: ValidationError,
    *,
    resource: Resource,
    start: datetime,
    minutes: int | None,
    exclude: Booking | None = None,
) -> dict:
    """A refusal as the page shows it: the rule's name, the reason, and free times that work."""
    code = getattr(error, "code", None) or ""
    suggestions = None
    if code in SUGGEST_TIMES and minutes:
        suggestions = selectors.free_starts(
            resource, start.date(), minutes=minutes, near=start, exclude=exclude
        )
    return {
        "code": code,
        "rule": RULE_NAMES.get(code, _("Booking rules")),
        "message": error_text(error),
        "suggestions": suggestions,
        "minutes": minutes,
    }


RESOURCES_PER_PAGE = 30


def index(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ResourceKind.values:
        kind = ""
    # A page of resources at a time: a library with hundreds of rooms and machines lists them
    # in pages, with the kind filter kept across them.
    resources = Paginator(selectors.bookable_resources(kind=kind), RESOURCES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    events = selectors.upcoming_events()[:12]
    context = {"resources": resources, "events": events, "kinds": ResourceKind.choices}
    context["kind"] = kind
    return render(request, "booking/index.html", context)


def _resource_page(
    request: HttpRequest,
    resource: Resource,
    *,
    form: SlotForm | None = None,
    status: int = 200,
    refusal: dict | None = None,
) -> HttpResponse:
    # After a refusal the reader stays on the day they chose, with their choice still made.
    chosen = getattr(form, "cleaned_data", {}).get("start") if form is not None else None
    day = chosen.date() if chosen else _day_from(request, resource)
    today = timezone.localdate(timezone=resource.location.tz)
    days = [today + timedelta(days=n) for n in range(resource.booking_window_days + 1)]
    if form is None:
        initial = {}
        if request.GET.get("start"):
            initial["start"] = f"{day.isoformat()}T{request.GET['start']}"
        if request.GET.get("duration", "").isdigit():
            initial["duration"] = int(request.GET["duration"])
        form = SlotForm(resource=resource, initial=initial)
    context = {
        "resource": resource,
        "day": day,
        "days": days,
        "previous_day": day - timedelta(days=1) if day > today else None,
        "next_day": day + timedelta(days=1) if day < days[-1] else None,
        "slots": selectors.day_slots(
            resource, day, viewer=request.user if request.user.is_authenticated else None
        ),
        "closure": selectors.closure_on(resource.location, day),
        "form": form,
        "chosen_start": form["start"].value() or "",
        "refusal": refusal,
        "partial": bool(request.htmx),
    }
    template = "booking/_slots.html" if request.htmx else "booking/resource.html"
    return render(request, template, context, status=status)


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _bookable_or_404(request, slug)
    return _resource_page(request, resource)


def _bookable_or_404(request: HttpRequest, slug: str) -> Resource:
    resource = get_object_or_404(Resource, slug=slug, is_active=True)
    if resource.staff_only and not request.user.has_perm("booking.manage_bookings"):
        raise Http404
    return selectors.resource_for_rules(resource.pk)


@login_required
@require_POST
def book_resource(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _bookable_or_404(request, slug)
    data = request.POST.copy()
    # A taken slot's own "wait for it" button names its start; free slots are chosen by radio.
    waitlist = bool(data.get("waitlist"))
    if waitlist:
        data["start"] = data["waitlist"]
    form = SlotForm(data, resource=resource)
    if not form.is_valid():
        return _resource_page(request, resource, form=form, status=400)
    start, end = form.interval()
    try:
        if waitlist:
            entry = services.join_waitlist(
                user=request.user, resource=resource, starts_at=start, ends_at=end
            )
            messages.success(
                request,
                _("You are on the waiting list, number %(n)s. We will tell you if it frees up.")
                % {"n": selectors.waitlist_position(entry)},
            )
            return redirect("booking:mine")
        booking = services.book_resource(
            user=request.user,
            resource=resource,
            starts_at=start,
            ends_at=end,
            note=form.cleaned_data["note"],
            booked_by=request.user,
        )
    except ValidationError as error:
        refusal = _refusal(
            error, resource=resource, start=start, minutes=form.cleaned_data["duration"]
        )
        return _resource_page(request, resource, form=form, status=409, refusal=refusal)
    if booking.status == BookingStatus.PENDING:
        messages.success(
            request, _("Your request has been sent; staff will approve or decline it.")
        )
    else:
        messages.success(
            request, _("Booked. Your check-in code is %(code)s.") % {"code": booking.check_in_code}
        )
    return redirect("booking:detail", booking.pk)


MOVABLE = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


def _grid_day(asked: str, *, default: date, today: date, last: date) -> date:
    try:
        day = date.fromisoformat(asked)
    except ValueError:
        day = default
    return min(max(day, today), last)


def grid(request: HttpRequest) -> HttpResponse:
    """The booking grid: rooms × hours for a day, or one resource's week (also used to move).

    It only shows what is free; choosing a free cell leads to the same booking form (or, when
    moving, the same move service), so every rule is applied where it always is.
    """
    moving = None
    if request.GET.get("move"):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            moving = _own_booking_or_404(request, uuid.UUID(request.GET["move"]))
        except ValueError as error:
            raise Http404 from error
        if not moving.resource_id or moving.status not in MOVABLE:
            return redirect("booking:detail", moving.pk)
    return _grid_page(request, moving=moving, asked=request.GET.get("date", ""))


def _grid_page(
    request: HttpRequest,
    *,
    moving: Booking | None,
    asked: str,
    refusal: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    kind = request.GET.get("kind", "")
    if kind not in ResourceKind.values:
        kind = ResourceKind.SPACE
    resource = None
    if moving is not None:
        resource = selectors.resource_for_rules(moving.resource_id)
    elif request.GET.get("resource"):
        resource = _bookable_or_404(request, request.GET["resource"])
    span = "week" if resource is not None else "day"
    if resource is not None:
        last = today + timedelta(days=resource.booking_window_days)
        default = timezone.localdate(moving.starts_at) if moving is not None else today
        day = _grid_day(asked, default=default, today=today, last=last)
        minutes = int(moving.duration.total_seconds() // 60) if moving is not None else None
        table = selectors.week_grid(
            resource=resource, first_day=day, minutes=minutes, exclude=moving
        )
        step = timedelta(days=7)
    else:
        resources = list(selectors.bookable_resources(kind=kind))
        longest = max((r.booking_window_days for r in resources), default=14)
        last = today + timedelta(days=longest)
        day = _grid_day(asked, default=today, today=today, last=last)
        table = selectors.day_grid(resources=resources, day=day)
        step = timedelta(days=1)
    query = {"kind": kind} if resource is None else {"resource": resource.slug}
    if moving is not None:
        query = {"move": str(moving.pk)}

    def link(to: date | None) -> str | None:
        if to is None:
            return None
        return "?" + urlencode({**query, "date": to.isoformat()})

    context = {
        "table": table,
        "day": day,
        "span": span,
        "kind": kind,
        "kinds": ResourceKind.choices,
        "resource": resource,
        "moving": moving,
        "previous_link": link(day - step if day > today else None),
        "next_link": link(day + step if day + step <= last else None),
        "refusal": refusal,
        "partial": bool(request.htmx),
        "move_minutes": int(moving.duration.total_seconds() // 60) if moving else None,
    }
    template = "booking/_grid.html" if request.htmx else "booking/grid.html"
    return render(request, template, context, status=status)


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("location", "resource"), pk=pk)
    mine = None
    waiting = None
    if request.user.is_authenticated:
        mine = event.bookings.filter(
            user=request.user,
            status__in=[
                BookingStatus.CONFIRMED,
                BookingStatus.OFFERED,
                BookingStatus.CHECKED_IN,
                BookingStatus.PENDING,
            ],
        ).first()
        waiting = selectors.waiting_entry(user=request.user, event=event)
    taken = selectors.places_taken(event)
    # A visitor's kept copy of this page (core.pagecache) changes by itself when it starts.
    kept.valid_until(event.starts_at)
    context = {
        "event": event,
        "left": max(event.capacity - taken, 0),
        "mine": mine,
        "waiting": waiting,
        "is_past": event.starts_at <= timezone.now(),
    }
    return render(request, "booking/event.html", context)


@login_required
@require_POST
def book_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event, pk=pk)
    try:
        if request.POST.get("action") == "waitlist":
            entry = services.join_waitlist(user=request.user, event=event)
            messages.success(
                request,
                _(
                    "You are on the waiting list, number %(n)s. "
                    "We will tell you if a place frees up."
                )
                % {"n": selectors.waitlist_position(entry)},
            )
            return redirect("booking:event", event.pk)
        booking = services.book_event(user=request.user, event=event)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("booking:event", event.pk)
    messages.success(
        request,
        _("Your place is booked. Your check-in code is %(code)s.")
        % {"code": booking.check_in_code},
    )
    return redirect("booking:detail", booking.pk)


@login_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    feed = getattr(request.user, "calendar_feed", None)
    feed_url = absolute(reverse("booking:feed", args=[feed.token])) if feed else None
    earlier = selectors.earlier_lines_of(user=request.user, now=now)
    context = {
        "upcoming": selectors.upcoming_lines_of(user=request.user, now=now),
        "past": Paginator(earlier, 20).get_page(request.GET.get("page")),
        "waiting": selectors.waiting_lines_of(user=request.user, now=now),
        "suspension": request.user.booking_suspensions.filter(until__gt=now).first(),
        "feed_url": feed_url,
        # The same address for calendar apps that subscribe when a webcal: link is opened.
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else None,
    }
    return render(request, "booking/my_bookings.html", context)


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def booking_detail(request: HttpRequest, pk) -> HttpResponse:
    booking = _own_booking_or_404(request, pk)
    check_in_url = absolute(reverse("booking:staff-check-in") + f"?code={booking.check_in_code}")
    context = {
        "booking": booking,
        "qr": _qr_svg(check_in_url) if booking.is_active else "",
        "cancel_form": OptionalReasonForm(),
        "can_move": bool(booking.resource_id) and booking.status in MOVABLE,
        "tz": booking.subject.location.tz,
    }
    return render(request, "booking/booking_detail.html", context)


@login_required
@require_POST
def cancel_booking(request: HttpRequest, pk) -> HttpResponse:
    booking = _own_booking_or_404(request, pk)
    form = OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_booking(booking=booking, by=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The booking has been cancelled."))
    return redirect("booking:detail", booking.pk)


@login_required
@require_POST
def move_booking(request: HttpRequest, pk) -> HttpResponse:
    """A start chosen on the move grid (or sent by a form); the move service applies the rules.

    A refusal shows the grid again on the week the reader was looking at, with the reason.
    """
    booking = _own_booking_or_404(request, pk)
    if not booking.resource_id:
        raise Http404
    resource = selectors.resource_for_rules(booking.resource_id)
    data = request.POST.copy()
    data.setdefault("duration", str(int(booking.duration.total_seconds() // 60)))
    form = SlotForm(data, resource=resource)
    if not form.is_valid():
        messages.error(request, _("Please choose a valid new time."))
        return redirect(reverse("booking:grid") + "?" + urlencode({"move": str(booking.pk)}))
    start, end = form.interval()
    try:
        services.move_booking(booking=booking, by=request.user, starts_at=start, ends_at=end)
    except ValidationError as error:
        refusal = _refusal(
            error,
            resource=resource,
            start=start,
            minutes=form.cleaned_data["duration"],
            exclude=booking,
        )
        # The grid stays on the week the reader was looking at.
        asked = request.POST.get("date") or start.date().isoformat()
        return _grid_page(request, moving=booking, asked=asked, refusal=refusal, status=409)
    messages.success(request, _("The booking has been moved."))
    return redirect("booking:detail", booking.pk)


@login_required
@require_POST
def confirm_offer(request: HttpRequest, pk) -> HttpResponse:
    booking = _own_booking_or_404(request, pk)
    try:
        services.confirm_offer(booking=booking, user=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(
            request, error_text(error) if isinstance(error, ValidationError) else _("Not allowed.")
        )
    else:
        messages.success(request, _("Confirmed. The place is yours."))
    return redirect("booking:detail", booking.pk)


@login_required
@require_POST
def leave_waitlist(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, user=request.user)
    services.leave_waitlist(entry=entry, user=request.user)
    messages.success(request, _("You have left the waiting list."))
    # Back where the reader left from (the event's page or their bookings), on this site only.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts=None) and back.startswith("/"):
        return redirect(back)
    return redirect("booking:mine")


def _calendar_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def booking_ics(request: HttpRequest, pk) -> HttpResponse:
    booking = _own_booking_or_404(request, pk)
    return _calendar_response(ical.booking_download(booking), "booking.ics")


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's private feed: only their own bookings, only with the current secret."""
    found = selectors.feed_bookings(token=token)
    if found is None:
        raise Http404
    _user, bookings = found
    response = HttpResponse(
        ical.calendar(bookings, name=_("My library bookings")),
        content_type="text/calendar; charset=utf-8",
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def reset_feed(request: HttpRequest) -> HttpResponse:
    services.reset_feed(user=request.user)
    messages.success(
        request, _("Your calendar feed has a new address; the old one no longer works.")
    )
    return redirect("booking:mine")


@login_required
@require_POST
def revoke_feed(request: HttpRequest) -> HttpResponse:
    services.revoke_feed(user=request.user)
    messages.success(request, _("Your calendar feed has been switched off."))
    return redirect("booking:mine")


# --- Staff ----------------------------------------------------------------------------------


@staff_required
def staff_calendar(request: HttpRequest) -> HttpResponse:
    form = CalendarFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    first_day = data.get("day") or timezone.localdate()
    days = 7 if data.get("span") == "week" else 1
    resources, bookings = selectors.staff_calendar(
        first_day=first_day, days=days, location=data.get("location"), kind=data.get("kind", "")
    )
    dates = [first_day + timedelta(days=n) for n in range(days)]
    cells: dict[tuple[int, date], list[Booking]] = {}
    for booking in bookings:
        cells.setdefault((booking.resource_id, timezone.localdate(booking.starts_at)), []).append(
            booking
        )
    rows = [
        {"resource": resource, "cells": [cells.get((resource.pk, day), []) for day in dates]}
        for resource in resources
    ]
    context = {"form": form, "dates": dates, "rows": rows, "first_day": first_day, "days": days}
    return render(request, "booking/staff_calendar.html", context)


@staff_required
def staff_check_in(request: HttpRequest) -> HttpResponse:
    form = CheckInForm(request.POST or request.GET or None)
    found = None
    if form.is_valid():
        found = (
            Booking.objects.select_related("user", "resource__location", "event__location")
            .filter(check_in_code=form.cleaned_data["code"], is_hold=False)
            .first()
        )
        if found is None:
            form.add_error("code", _("No booking has this code."))
        elif request.method == "POST":
            try:
                services.check_in(booking=found, by=request.user)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request, _("%(name)s is checked in.") % {"name": found.user.get_short_name()}
                )
            return redirect(reverse("booking:staff-check-in") + f"?code={found.check_in_code}")
    context = {
        "form": form,
        "found": found,
        "today": selectors.day_bookings_for_check_in(day=timezone.localdate()),
    }
    return render(request, "booking/staff_check_in.html", context)


@staff_required
def staff_approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "booking/staff_approvals.html",
        {"pending": selectors.pending_approvals(), "decline_form": ReasonForm()},
    )


@staff_required
@require_POST
def staff_decide(request: HttpRequest, pk) -> HttpResponse:
    booking = get_object_or_404(Booking, pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            services.approve_booking(booking=booking, by=request.user)
            messages.success(request, _("Approved."))
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Please give a reason for declining."))
                return redirect("booking:staff-approvals")
            services.decline_booking(
                booking=booking, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Declined; the reader has been told why."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("booking:staff-approvals")


@staff_required
def staff_book(request: HttpRequest) -> HttpResponse:
    form = StaffBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start = data["start"]
        end = start + timedelta(minutes=data["duration"])
        try:
            if data["weeks"] > 1:
                made = services.book_recurring(
                    user=data["reader"],
                    resource=data["resource"],
                    starts_at=start,
                    ends_at=end,
                    weeks=data["weeks"],
                    booked_by=request.user,
                    override_reason=data["override_reason"],
                    note=data["note"],
                )
            else:
                made = [
                    services.book_resource(
                        user=data["reader"],
                        resource=data["resource"],
                        starts_at=start,
                        ends_at=end,
                        booked_by=request.user,
                        override_reason=data["override_reason"],
                        note=data["note"],
                    )
                ]
        except PermissionDenied:
            form.add_error("override_reason", _("You may not override the booking rules."))
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request,
                _("%(n)s booking(s) made for %(reader)s.")
                % {"n": len(made), "reader": data["reader"].email},
            )
            return redirect("booking:detail", made[0].pk)
    return render(
        request, "booking/staff_book.html", {"form": form}, status=400 if form.errors else 200
    )
