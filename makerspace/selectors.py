"""Reads for the maker space: what a maker may see, what the queue holds, which printer is
free, and the figures on the farm dashboard. Each returns a queryset or plain data, with the
joins its page needs so that lists do not grow queries with their length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from booking.models import Booking, BookingStatus, Event, Qualification, UserQualification
from media.models import StoredFile

from .models import (
    COUNTED,
    RUNNING,
    Equipment,
    EquipmentStatus,
    JobStatus,
    Printer,
    PrinterState,
    PrintJob,
    QueueControl,
    StudioJob,
    Training,
)

UTILISATION_DAYS = 7
# Where the makers' files are stored; one there that no job uses is a kept (pending) upload.
SOURCES_PREFIX = "makerspace/sources"


# --- Catalogue and certifications -------------------------------------------------------------


def equipment_list() -> QuerySet[Equipment]:
    return Equipment.objects.select_related(
        "location", "photo", "resource__required_qualification", "printer"
    )


def trainings() -> QuerySet[Training]:
    upcoming = Event.objects.filter(starts_at__gte=timezone.now(), is_cancelled=False)
    return Training.objects.select_related("qualification").prefetch_related(
        Prefetch("sessions", queryset=upcoming.order_by("starts_at"), to_attr="upcoming_sessions")
    )


def valid_certifications(user: User) -> QuerySet[UserQualification]:
    now = timezone.now()
    return (
        UserQualification.objects.filter(user=user)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("qualification")
    )


def certifications(user: User) -> QuerySet[UserQualification]:
    """All of a maker's certifications, expired ones included (the page marks them)."""
    return (
        UserQualification.objects.filter(user=user)
        .select_related("qualification")
        .order_by("qualification__name")
    )


def holders(qualification: Qualification) -> dict[int, UserQualification]:
    """Who holds a certification (expired ones included), by user id."""
    held = UserQualification.objects.filter(qualification=qualification).select_related("user")
    return {uq.user_id: uq for uq in held}


def session_attendees(training: Training) -> QuerySet[Booking]:
    """Readers with a place at one of the training's sessions (checked in or not)."""
    return (
        Booking.objects.filter(event__in=training.sessions.all(), is_hold=False)
        .filter(status__in=(BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN))
        .select_related("user", "event")
        .order_by("event__starts_at", "user__email")
    )


def attended(*, user: User, training: Training) -> bool:
    """Whether the maker was checked in at one of the training's sessions."""
    return Booking.objects.filter(
        user=user, event__in=training.sessions.all(), status=BookingStatus.CHECKED_IN
    ).exists()


def printer_types() -> list[str]:
    """The printer types (slicer profiles) of the farm's printers."""
    return list(Printer.objects.order_by("profile").values_list("profile", flat=True).distinct())


def printable_types(user: User) -> list[str]:
    """The printer types a maker is certified for."""
    return [t for t in printer_types() if not missing_qualifications(user=user, profile=t)]


def printers_of_type(profile: str) -> QuerySet[Printer]:
    return Printer.objects.filter(profile=profile)


def missing_qualifications(*, user: User, profile: str | None = None) -> list[Qualification]:
    """Certifications a maker lacks for printers of this type (any printer when None): those
    the printers' booking resources require."""
    printers = Printer.objects.all() if profile is None else Printer.objects.filter(profile=profile)
    required = Qualification.objects.filter(
        pk__in=printers.exclude(equipment__resource__required_qualification__isnull=True).values(
            "equipment__resource__required_qualification"
        )
    )
    held = valid_certifications(user).values("qualification")
    return list(required.exclude(pk__in=held))


@dataclass(frozen=True)
class QuotaUsage:
    jobs_this_week: int
    seconds_this_month: int


def quota_usage(*, user: User) -> QuotaUsage:
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counted = PrintJob.objects.filter(owner=user, status__in=COUNTED)
    figures = counted.aggregate(
        week=Count("pk", filter=Q(submitted_at__gte=now - timedelta(days=7))),
        month=Coalesce(
            Sum("estimated_seconds", filter=Q(submitted_at__gte=month_start)),
            0,
        ),
    )
    return QuotaUsage(jobs_this_week=figures["week"], seconds_this_month=figures["month"])


# --- Jobs ------------------------------------------------------------------------------------


def pending_uploads(owner: User | None = None) -> QuerySet[StoredFile]:
    """Files kept for a maker's next print (see services.keep_upload), not yet any job's."""
    files = StoredFile.objects.filter(key__startswith=f"{SOURCES_PREFIX}/").exclude(
        pk__in=PrintJob.objects.values("source")
    )
    return files if owner is None else files.filter(owner=owner)


def pending_upload(owner: User, pk) -> StoredFile | None:
    try:
        return pending_uploads(owner).filter(pk=pk).first()
    except ValidationError:  # not a UUID: nothing kept under that name
        return None


def jobs_of(user: User) -> QuerySet[PrintJob]:
    return PrintJob.objects.filter(owner=user).select_related("printer__equipment")


def job_for(user: User, pk) -> PrintJob | None:
    """The job if the user owns it or runs the farm; None otherwise (the view answers 404)."""
    jobs = PrintJob.objects.select_related("owner", "printer__equipment", "source", "gcode")
    if not user.has_perm("makerspace.run_print_farm"):
        jobs = jobs.filter(owner=user)
    return jobs.filter(pk=pk).first()


def awaiting_review() -> QuerySet[PrintJob]:
    return (
        PrintJob.objects.filter(status=JobStatus.SUBMITTED)
        .select_related("owner", "pinned_printer__equipment")
        .order_by("submitted_at")
    )


def queue() -> QuerySet[PrintJob]:
    return (
        PrintJob.objects.filter(status=JobStatus.QUEUED)
        .select_related("owner", "pinned_printer__equipment")
        .order_by("-priority", "submitted_at", "pk")
    )


def needing_staff() -> QuerySet[PrintJob]:
    """Failed and interrupted jobs, and finished prints waiting to be collected."""
    return (
        PrintJob.objects.filter(
            status__in=(JobStatus.FAILED, JobStatus.INTERRUPTED, JobStatus.DONE)
        )
        .select_related("owner", "printer__equipment")
        .order_by("-finished_at")
    )


def queue_paused() -> bool:
    return QueueControl.objects.filter(pk=1, paused=True).exists()


def queue_control() -> QueueControl | None:
    return QueueControl.objects.filter(pk=1).select_related("changed_by").first()


# --- Printers --------------------------------------------------------------------------------


def _free_filter() -> Q:
    return Q(
        equipment__status=EquipmentStatus.AVAILABLE,
        is_cleared=True,
        needs_attention=False,
        state=PrinterState.OPERATIONAL,
    ) & ~Q(octoprint_url="")


def free_printer_ids() -> list[int]:
    busy = PrintJob.objects.filter(status__in=RUNNING, printer__isnull=False).values("printer")
    return list(
        Printer.objects.filter(_free_filter())
        .exclude(pk__in=busy)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def is_free(printer: Printer) -> bool:
    return (
        Printer.objects.filter(_free_filter(), pk=printer.pk).exists()
        and not PrintJob.objects.filter(printer=printer, status__in=RUNNING).exists()
    )


def _matching(printer: Printer) -> Q:
    return (
        Q(profile=printer.profile, nozzle_mm=printer.nozzle_mm, material=printer.material)
        & (Q(colour="") | Q(colour__iexact=printer.colour))
        & Q(extent_mm__x__lte=printer.build_x_mm)
        & Q(extent_mm__y__lte=printer.build_y_mm)
        & Q(extent_mm__z__lte=printer.build_z_mm)
    )


def jobs_for(printer: Printer) -> QuerySet[PrintJob]:
    """Queued jobs this printer can print, best first: pinned here, priority, submission."""
    return (
        PrintJob.objects.filter(status=JobStatus.QUEUED)
        .filter(_matching(printer))
        .filter(Q(pinned_printer__isnull=True) | Q(pinned_printer=printer))
        .annotate(
            pinned_here=Case(
                When(pinned_printer=printer, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("pinned_here", "-priority", "submitted_at", "pk")
    )


def printer_can_take(printer: Printer, job: PrintJob) -> bool:
    return PrintJob.objects.filter(pk=job.pk).filter(_matching(printer)).exists()


def printers_to_sync() -> QuerySet[Printer]:
    return Printer.objects.exclude(octoprint_url="").select_related("equipment")


def farm() -> list[Printer]:
    """Every printer with its running job, the jobs it could take next and its utilisation
    over the last week, in a fixed number of queries."""
    now = timezone.now()
    since = now - timedelta(days=UTILISATION_DAYS)
    printed = ExpressionWrapper(
        Coalesce("finished_at", Value(now)) - F("started_at"), output_field=DurationField()
    )
    busy = (
        PrintJob.objects.filter(printer=OuterRef("pk"), started_at__gte=since)
        .values("printer")
        .annotate(total=Sum(printed))
        .values("total")
    )
    printers = list(
        Printer.objects.select_related("equipment__location")
        .annotate(busy=Subquery(busy, output_field=DurationField()))
        .order_by("equipment__sort_order", "equipment__name")
    )
    running = {
        job.printer_id: job
        for job in PrintJob.objects.filter(status__in=RUNNING).select_related("owner")
    }
    queued = list(queue())
    for printer in printers:
        printer.current_job = running.get(printer.pk)
        printer.next_jobs = [job for job in queued if _could_take(printer, job)][:5]
        busy_seconds = printer.busy.total_seconds() if printer.busy else 0
        printer.utilisation = min(100.0, 100 * busy_seconds / (UTILISATION_DAYS * 86400))
    return printers


def _could_take(printer: Printer, job: PrintJob) -> bool:
    """The same match as ``_matching``, in Python for the dashboard's already-loaded queue."""
    extent = job.extent_mm or {}
    return (
        job.profile == printer.profile
        and job.nozzle_mm == printer.nozzle_mm
        and job.material == printer.material
        and (not job.colour or job.colour.lower() == printer.colour.lower())
        and (job.pinned_printer_id in (None, printer.pk))
        and extent.get("x", 0) <= printer.build_x_mm
        and extent.get("y", 0) <= printer.build_y_mm
        and extent.get("z", 0) <= printer.build_z_mm
    )


# --- Studio jobs -----------------------------------------------------------------------------


def studio_jobs_of(user: User) -> QuerySet[StudioJob]:
    return StudioJob.objects.filter(booking__user=user).select_related("booking__resource", "work")


def studio_job_for(user: User, pk) -> StudioJob | None:
    jobs = StudioJob.objects.select_related("booking__user", "booking__resource", "work")
    if not user.has_perm("makerspace.run_print_farm"):
        jobs = jobs.filter(booking__user=user)
    return jobs.filter(pk=pk).first()


def studio_queue() -> QuerySet[StudioJob]:
    return StudioJob.objects.select_related("booking__user", "booking__resource", "work").order_by(
        Case(
            When(status="processing", then=Value(0)),
            When(status="waiting", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        "-created_at",
    )


def studio_bookings_without_job(limit: int = 50) -> QuerySet[Booking]:
    """Recent studio bookings that staff may attach recordings to."""
    return (
        Booking.objects.filter(
            resource__equipment__kind__in=("recording", "video"),
            status__in=("confirmed", "checked_in"),
            studio_job__isnull=True,
            starts_at__lte=timezone.now() + timedelta(days=1),
        )
        .select_related("user", "resource")
        .order_by("-starts_at")[:limit]
    )


def technician_may_read(user, stored_file) -> bool:
    """Farm staff may read the files of print and studio jobs, and nothing else of a maker's."""
    if not user.is_authenticated or not user.has_perm("makerspace.run_print_farm"):
        return False
    return (
        PrintJob.objects.filter(Q(source=stored_file) | Q(gcode=stored_file)).exists()
        or StudioJob.objects.filter(raw=stored_file).exists()
    )
