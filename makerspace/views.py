"""Maker and technician pages. Each view checks who may act, then calls a service or selector.

A maker reaches only their own jobs: any other id answers 404, the same as an id that does not
exist, so ids cannot be probed. Technicians (``makerspace.run_print_farm``) reach everything.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from booking import selectors as booking_selectors
from booking import services as booking_services
from booking.models import Booking
from core.views import error_text

from . import selectors, services, slicer, studio
from .forms import PrintJobForm, ReasonForm, ReviewForm, StudioUploadForm
from .models import Equipment, EquipmentStatus, Printer, PrintJob, Training

farm_required = permission_required("makerspace.run_print_farm", raise_exception=True)


# --- Public catalogue ------------------------------------------------------------------------


EQUIPMENT_PER_PAGE = 24


def index(request: HttpRequest) -> HttpResponse:
    # A page of equipment at a time (by kind, then name), grouped by kind within the page.
    ordered = selectors.equipment_list().order_by("kind", "sort_order", "name", "pk")
    page = Paginator(ordered, EQUIPMENT_PER_PAGE).get_page(request.GET.get("page"))
    groups: dict[str, list[Equipment]] = {}
    for item in page:
        groups.setdefault(item.get_kind_display(), []).append(item)
    return render(
        request,
        "makerspace/index.html",
        {"groups": groups, "page": page, "trainings": selectors.trainings()},
    )


def equipment_detail(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(selectors.equipment_list(), slug=slug)
    trainings = []
    qualification = item.resource.required_qualification if item.resource_id else None
    if qualification is not None:
        trainings = list(selectors.trainings().filter(qualification=qualification))
    return render(
        request,
        "makerspace/equipment.html",
        {"item": item, "qualification": qualification, "trainings": trainings},
    )


# --- The maker's own page --------------------------------------------------------------------


@login_required
def maker_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    usage = selectors.quota_usage(user=user)
    return render(
        request,
        "makerspace/maker.html",
        {
            "certifications": selectors.certifications(user),
            "now": now,
            "bookings": booking_selectors.upcoming_bookings_of(user=user)[:10],
            "jobs": selectors.jobs_of(user)[:50],
            "studio_jobs": selectors.studio_jobs_of(user)[:20],
            "usage": usage,
            "hours_used": usage.seconds_this_month / 3600,
            "limits": {
                "jobs": settings.MAKERSPACE_JOBS_PER_WEEK,
                "hours": settings.MAKERSPACE_PRINT_HOURS_PER_MONTH,
            },
        },
    )


def _submit_form(data=None, files=None, *, profiles: list[str]) -> PrintJobForm:
    return PrintJobForm(
        data,
        files,
        profiles=profiles,
        colours=sorted(set(Printer.objects.values_list("colour", flat=True))),
    )


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    """The print form. Before any file is chosen it shows the maker's certifications and quota
    and, when they cannot print, why, with the button disabled. A file that arrives is kept
    (``services.keep_upload``) before the options are judged, so a refusal re-renders the form
    with that file still chosen: the maker fixes the options and sends again, without the file.
    """
    user = request.user
    try:
        services.check_can_print(user=user)
        refusal = ""
    except ValidationError as error:
        refusal = error_text(error)
    types = selectors.printable_types(user) or selectors.printer_types()
    form = _submit_form(profiles=types)
    kept = None
    if request.method == "POST":
        form = _submit_form(request.POST, request.FILES, profiles=types)
        valid = form.is_valid()
        if request.POST.get("kept"):
            kept = selectors.pending_upload(user, request.POST["kept"])
        chosen = request.FILES.get("file")
        if chosen is not None:
            try:
                kept = services.keep_upload(owner=user, upload=chosen)
            except ValidationError as error:
                form.add_error("file", error)
        elif kept is None and valid:
            form.add_error("file", _("Please choose the file to print."))
        if form.is_valid() and kept is not None:
            data = form.cleaned_data
            try:
                job = services.submit_job(
                    owner=user,
                    source=kept,
                    request=services.JobRequest.of(data),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("makerspace:job", pk=job.pk)
    usage = selectors.quota_usage(user=user)
    return render(
        request,
        "makerspace/submit.html",
        {
            "form": form,
            "kept": kept,
            "refusal": refusal,
            "certifications": selectors.valid_certifications(user).order_by("qualification__name"),
            "missing": selectors.missing_qualifications(user=user),
            "usage": usage,
            "hours_used": usage.seconds_this_month / 3600,
            "limits": {
                "jobs": settings.MAKERSPACE_JOBS_PER_WEEK,
                "hours": settings.MAKERSPACE_PRINT_HOURS_PER_MONTH,
            },
            "slicer_installed": slicer.executable() is not None,
        },
    )


def _job_or_404(request: HttpRequest, pk) -> PrintJob:
    job = selectors.job_for(request.user, pk)
    if job is None:
        raise Http404
    return job


@login_required
def job_detail(request: HttpRequest, pk) -> HttpResponse:
    job = _job_or_404(request, pk)
    if request.htmx and request.GET.get("seen") != job.status:
        # The state changed under the page: reload it whole, for the buttons the new state
        # offers (confirm, cancel, requeue), and to stop polling once the job has settled.
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    template = "makerspace/_job_status.html" if request.htmx else "makerspace/job.html"
    return render(
        request,
        template,
        {
            "job": job,
            "events": job.events.select_related("printer__equipment", "by"),
            "is_farm_staff": request.user.has_perm("makerspace.run_print_farm"),
            "is_owner": job.owner_id == request.user.pk,
            "reason_form": ReasonForm(),
            "review_form": ReviewForm(),
        },
    )


@login_required
@require_POST
def job_confirm(request: HttpRequest, pk) -> HttpResponse:
    job = _job_or_404(request, pk)
    try:
        services.confirm_job(job=job, user=request.user)
        messages.success(request, _("Sent to the library for review."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    except PermissionDenied:
        raise Http404 from None
    return redirect("makerspace:job", pk=job.pk)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk) -> HttpResponse:
    job = _job_or_404(request, pk)
    try:
        services.cancel_job(job=job, user=request.user)
        messages.success(request, _("The print was cancelled."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("makerspace:job", pk=job.pk)


@login_required
def studio_job_detail(request: HttpRequest, pk) -> HttpResponse:
    job = selectors.studio_job_for(request.user, pk)
    if job is None:
        raise Http404
    return render(
        request,
        "makerspace/studio_job.html",
        {"job": job, "chapters": studio.parse_chapters(job.chapters)},
    )


# --- Technicians -----------------------------------------------------------------------------


@farm_required
def farm(request: HttpRequest) -> HttpResponse:
    context = {
        "printers": selectors.farm(),
        "control": selectors.queue_control(),
    }
    if request.htmx:
        return render(request, "makerspace/_farm_printers.html", context)
    context |= {
        "review": selectors.awaiting_review(),
        "queue": selectors.queue(),
        "needing": selectors.needing_staff()[:30],
        "all_printers": Printer.objects.select_related("equipment"),
        "statuses": EquipmentStatus.choices,
        "review_form": ReviewForm(),
    }
    return render(request, "makerspace/farm.html", context)


def _staff_job_action(request: HttpRequest, pk, action) -> HttpResponse:
    job = get_object_or_404(PrintJob, pk=pk)
    try:
        message = action(job)
        if message:
            messages.success(request, message)
    except ValidationError as error:
        messages.error(request, error_text(error))
    target = request.POST.get("next")
    if target == "job":
        return redirect("makerspace:job", pk=job.pk)
    return redirect("makerspace:farm")


@farm_required
@require_POST
def review(request: HttpRequest, pk) -> HttpResponse:
    def act(job: PrintJob) -> str:
        if request.POST.get("decision") == "approve":
            form = ReviewForm(request.POST)
            priority = form.cleaned_data["priority"] if form.is_valid() else 0
            services.approve_job(job=job, by=request.user, priority=priority)
            return _("Approved; the maker has been told.")
        form = ReasonForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Please tell the maker why the print was rejected."))
        services.reject_job(job=job, by=request.user, reason=form.cleaned_data["reason"])
        return _("Rejected; the maker has been told why.")

    return _staff_job_action(request, pk, act)


@farm_required
@require_POST
def move(request: HttpRequest, pk) -> HttpResponse:
    up = request.POST.get("direction") == "up"
    return _staff_job_action(
        request, pk, lambda job: services.move_job(job=job, by=request.user, up=up) and ""
    )


@farm_required
@require_POST
def pin(request: HttpRequest, pk) -> HttpResponse:
    printer_id = request.POST.get("printer") or None
    printer = get_object_or_404(Printer, pk=printer_id) if printer_id else None

    def act(job: PrintJob) -> str:
        services.pin_job(job=job, printer=printer, by=request.user)
        return _("Pinned.") if printer else _("Unpinned.")

    return _staff_job_action(request, pk, act)


@farm_required
@require_POST
def requeue(request: HttpRequest, pk) -> HttpResponse:
    def act(job: PrintJob) -> str:
        services.requeue_job(job=job, by=request.user)
        return _("Queued again.")

    return _staff_job_action(request, pk, act)


@farm_required
@require_POST
def collected(request: HttpRequest, pk) -> HttpResponse:
    def act(job: PrintJob) -> str:
        services.mark_collected(job=job, by=request.user)
        return _("Marked as collected.")

    return _staff_job_action(request, pk, act)


@farm_required
@require_POST
def printer_cleared(request: HttpRequest, pk: int) -> HttpResponse:
    printer = get_object_or_404(Printer, pk=pk)
    try:
        services.mark_cleared(printer=printer, by=request.user)
        messages.success(
            request, _("%(printer)s is ready for the next print.") % {"printer": printer}
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("makerspace:farm")


@farm_required
@require_POST
def printer_status(request: HttpRequest, pk: int) -> HttpResponse:
    printer = get_object_or_404(Printer.objects.select_related("equipment"), pk=pk)
    try:
        services.set_printer_status(
            printer=printer, status=request.POST.get("status", ""), by=request.user
        )
        messages.success(request, _("Status changed."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("makerspace:farm")


@farm_required
@require_POST
def queue_pause(request: HttpRequest) -> HttpResponse:
    paused = request.POST.get("paused") == "1"
    services.set_queue_paused(paused=paused, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("The queue is paused.") if paused else _("The queue is running."))
    return redirect("makerspace:farm")


def _roster_action(request: HttpRequest, training: Training) -> str:
    """Check a session's attendee in, certify an attendee, or revoke; returns the message."""
    action = request.POST.get("action")
    if action == "check_in":
        booking = get_object_or_404(
            selectors.session_attendees(training), pk=request.POST.get("booking")
        )
        booking_services.check_in(booking=booking, by=request.user)
        name = booking.user.display_name or booking.user.email
        return _("%(name)s is checked in.") % {"name": name}
    user = get_object_or_404(User, pk=request.POST.get("user"))
    if action == "revoke":
        services.revoke_certification(
            user=user,
            qualification=training.qualification,
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
        return _("Certification revoked.")
    services.certify(user=user, training=training, by=request.user)
    return _("%(name)s is certified.") % {"name": user.display_name or user.email}


@farm_required
def training_roster(request: HttpRequest, slug: str) -> HttpResponse:
    """A training's desk: attendees are checked in at their session, and only those who
    attended are offered certification (the service refuses the others anyway)."""
    training = get_object_or_404(Training.objects.select_related("qualification"), slug=slug)
    if request.method == "POST":
        try:
            messages.success(request, _roster_action(request, training))
        except ValidationError as error:
            messages.error(request, error_text(error))
        return redirect("makerspace:training-roster", slug=training.slug)
    held = selectors.holders(training.qualification)
    return render(
        request,
        "makerspace/training_roster.html",
        {
            "training": training,
            "attendees": selectors.session_attendees(training),
            "held": held,
            "now": timezone.now(),
        },
    )


@farm_required
def studio_desk(request: HttpRequest) -> HttpResponse:
    form = StudioUploadForm()
    if request.method == "POST":
        form = StudioUploadForm(request.POST, request.FILES)
        if form.is_valid():
            booking = get_object_or_404(Booking, pk=form.cleaned_data["booking"])
            try:
                job = studio.attach_recording(
                    booking=booking,
                    upload=form.cleaned_data["file"],
                    by=request.user,
                    title=form.cleaned_data["title"],
                    chapters=form.cleaned_data["chapters"],
                    trim_silence=form.cleaned_data["trim_silence"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Uploaded; processing has started."))
                return redirect("makerspace:studio-job", pk=job.pk)
    return render(
        request,
        "makerspace/studio_desk.html",
        {
            "form": form,
            "bookings": selectors.studio_bookings_without_job(),
            "jobs": selectors.studio_queue()[:50],
        },
    )
