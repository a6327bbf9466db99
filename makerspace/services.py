"""Everything that changes the maker space: certifications, print jobs from upload to
collection, the queue, dispatching to OctoPrint and keeping our state in step with the printers.

The queue's rules live in the database where concurrency matters: a printer can hold only one
running job (partial unique index), the scheduler locks printer rows and skips jobs another
scheduler has locked, and a maker's quota is counted under a per-maker advisory lock. Every state
change is a guarded UPDATE or happens under a row lock, so a task delivered twice, or the beat
task running beside a dispatch, cannot move a job twice.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from httpx import Timeout

from accounts.models import User
from booking.models import Qualification, UserQualification
from booking.services import grant_qualification
from core.insight import services as insight
from core.sanitize import plain_text
from core.tasks import enqueue
from media import sniff
from media.models import StoredFile
from media.services import delete_stored_file, download_to, identify_upload, store_file

from . import crypto, gcode, notifications, selectors, slicer
from .models import (
    OWNER_CANCELLABLE,
    RUNNING,
    CertificationAction,
    CertificationLog,
    EquipmentStatus,
    JobEvent,
    JobStatus,
    Material,
    Printer,
    PrinterState,
    PrintJob,
    QueueControl,
    SourceKind,
    Training,
)
from .octoprint import (
    Forbidden,
    NotOperational,
    OctoPrint,
    OctoPrintError,
    Unreachable,
    UnsupportedFile,
)

log = logging.getLogger(__name__)

_MAKER_LOCK_NAMESPACE = 0x4D4B  # "MK": per-maker advisory locks for quotas
SOURCES_PREFIX = selectors.SOURCES_PREFIX
GCODE_SUFFIXES = (".gcode", ".gco", ".g")
# Errors about the link to the printer (the print was cut off, the printer itself may be fine),
# as opposed to firmware errors such as thermal runaway.
_LINK_ERROR = re.compile(r"serial|timeout|connection|disconnect", re.IGNORECASE)


# --- Certifications --------------------------------------------------------------------------


def _require_staff(user: User) -> None:
    if not user.has_perm("makerspace.run_print_farm"):
        raise PermissionDenied


@transaction.atomic
def certify(*, user: User, training: Training, by: User) -> UserQualification:
    """Certify a maker who attended a session of the training; renews an existing
    certification. Attendance is a check-in at the session (a booking alone proves nothing:
    people book and stay away), so the desk checks people in before it certifies them."""
    _require_staff(by)
    if not selectors.attended(user=user, training=training):
        raise ValidationError(
            _(
                "%(name)s has not been checked in to a session of this training. Only makers "
                "who attended a session can be certified."
            )
            % {"name": user.display_name or user.email},
            code="not_attended",
        )
    expires = timezone.now() + timedelta(days=training.valid_days)
    held = grant_qualification(
        user=user, qualification=training.qualification, expires_at=expires, granted_by=by
    )
    CertificationLog.objects.create(
        user=user,
        qualification=training.qualification,
        training=training,
        action=CertificationAction.GRANTED,
        by=by,
    )
    return held


@transaction.atomic
def revoke_certification(
    *, user: User, qualification: Qualification, by: User, reason: str
) -> None:
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Please give a reason for revoking the certification."))
    deleted, _rows = UserQualification.objects.filter(
        user=user, qualification=qualification
    ).delete()
    if not deleted:
        raise ValidationError(_("This maker does not hold that certification."))
    CertificationLog.objects.create(
        user=user,
        qualification=qualification,
        action=CertificationAction.REVOKED,
        reason=reason[:300],
        by=by,
    )


# --- Submitting ------------------------------------------------------------------------------


def _event(
    job: PrintJob, message: str = "", *, by: User | None = None, printer: Printer | None = None
) -> None:
    """Record the job's new state; ``printer`` for a job that has just left its printer."""
    JobEvent.objects.create(
        job=job, status=job.status, message=message[:500], printer=printer or job.printer, by=by
    )


def _lock_maker(user_id: int) -> None:
    with connection.cursor() as cursor:
        key = (_MAKER_LOCK_NAMESPACE << 32) | user_id
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_certified(user: User, profile: str | None) -> None:
    """``profile`` None: certified for at least one printer type in the maker space."""
    if profile is None:
        types = selectors.printer_types()
        if any(not selectors.missing_qualifications(user=user, profile=t) for t in types):
            return
    missing = selectors.missing_qualifications(user=user, profile=profile)
    if missing:
        names = "、".join(q.name for q in missing)
        raise ValidationError(
            _("Only certified makers can print here. Please complete the training first: %(names)s")
            % {"names": names},
            code="not_certified",
        )


def _check_quota(user: User, *, adding_seconds: int) -> None:
    """Jobs per week and print hours per month, counted from what the library accepted."""
    usage = selectors.quota_usage(user=user)
    if usage.jobs_this_week >= settings.MAKERSPACE_JOBS_PER_WEEK:
        raise ValidationError(
            _("You have reached the limit of %(n)d print jobs in 7 days.")
            % {"n": settings.MAKERSPACE_JOBS_PER_WEEK},
            code="quota_jobs",
        )
    limit = settings.MAKERSPACE_PRINT_HOURS_PER_MONTH * 3600
    if usage.seconds_this_month + adding_seconds > limit:
        raise ValidationError(
            _(
                "This print would take you over the limit of %(hours)d print hours this month "
                "(%(used).1f hours used)."
            )
            % {
                "hours": settings.MAKERSPACE_PRINT_HOURS_PER_MONTH,
                "used": usage.seconds_this_month / 3600,
            },
            code="quota_hours",
        )


def check_can_print(*, user: User) -> None:
    """What the print form asks before a file is chosen: is the maker certified for some
    printer type, and is there room left in their quotas? A ValidationError (codes
    ``not_certified``, ``quota_jobs``, ``quota_hours``) says why not."""
    _check_certified(user, None)
    # One second more than used: refused only when no print time at all is left this month.
    _check_quota(user, adding_seconds=1)


def _fits(analysis: gcode.Analysis, profile: slicer.Profile) -> None:
    if not analysis.fits(x=profile.bed_x, y=profile.bed_y, z=profile.height):
        raise ValidationError(
            _("The model does not fit the printer: its build volume is %(x)g × %(y)g × %(z)g mm.")
            % {"x": profile.bed_x, "y": profile.bed_y, "z": profile.height},
            code="too_big",
        )


def _extent(analysis: gcode.Analysis) -> dict[str, float]:
    """The furthest point of each axis (0 for an axis that never moves); the scheduler
    compares it with each printer's own build volume."""
    return {axis.lower(): round(analysis.extent.get(axis, (0.0, 0.0))[1], 2) for axis in "XYZ"}


def _cost(filament_g: float | None) -> Decimal | None:
    price = Decimal(str(settings.MAKERSPACE_PRICE_PER_GRAM))
    if filament_g is None or not price:
        return None
    return (Decimal(str(filament_g)) * price).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _read_upload(upload) -> str:
    """The source kind by content: STL/3MF by their bytes (media.sniff), G-code by its text."""
    if upload.size > settings.MAKERSPACE_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d MB.")
            % {"limit": settings.MAKERSPACE_MAX_UPLOAD_BYTES >> 20},
            code="too_large",
        )
    if upload.name.lower().endswith(GCODE_SUFFIXES):
        return SourceKind.GCODE
    try:
        fmt = identify_upload(
            upload, kinds={sniff.MediaKind.MODEL}, max_bytes=settings.MAKERSPACE_MAX_UPLOAD_BYTES
        )
    except ValidationError as error:
        reason = " ".join(error.messages)
        raise ValidationError(
            _("Please upload an STL or 3MF model, or G-code (.gcode). %(reason)s")
            % {"reason": reason},
            code="file_type",
        ) from None
    if fmt.name not in ("stl", "3mf"):
        raise ValidationError(_("Only STL and 3MF models can be sliced here."), code="file_type")
    return SourceKind(fmt.name)


@dataclass(frozen=True)
class JobRequest:
    title: str
    profile: str
    material: str
    colour: str = ""
    quantity: int = 1
    notes: str = ""

    @classmethod
    def of(cls, data) -> JobRequest:
        """From the print form's (or the API's) cleaned data."""
        return cls(
            **{
                name: data[name]
                for name in ("title", "profile", "material", "colour", "quantity", "notes")
            }
        )


def _content_type(kind: str) -> str:
    return "text/x-gcode" if kind == SourceKind.GCODE else f"model/{kind}"


_KIND_OF_CONTENT_TYPE = {_content_type(kind): kind for kind in SourceKind.values}


def keep_upload(*, owner: User, upload) -> StoredFile:
    """Keep a maker's chosen file before the print is accepted, so that a refusal that comes
    after the upload (a missing title, too many copies, the quota reached meanwhile, a model
    too big for the chosen printer type) never makes them choose and send it again.

    Only a file we could print is kept (type checked by content), only for a maker certified
    for some printer type, and one at a time: a new one replaces the last. It is the job's
    source once submitted; ``discard_abandoned_uploads`` removes those never submitted.
    """
    _check_certified(owner, None)
    kind = _read_upload(upload)
    if kind == SourceKind.GCODE:
        # G-code the farm would never print (a denied command, not G-code at all) is not kept.
        gcode.analyse(upload.read(), deny=tuple(settings.MAKERSPACE_GCODE_DENY))
        upload.seek(0)
    with transaction.atomic():
        _lock_maker(owner.pk)
        for stale in selectors.pending_uploads(owner):
            delete_stored_file(stored_file=stale)
        return store_file(
            content=upload,
            original_name=upload.name,
            content_type=_content_type(kind),
            owner=owner,
            prefix=SOURCES_PREFIX,
        )


def discard_abandoned_uploads(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Remove kept files that never became a print job."""
    stale = list(selectors.pending_uploads().filter(created_at__lt=timezone.now() - older_than))
    for stored in stale:
        delete_stored_file(stored_file=stored)
    return len(stale)


def _read_kept(source: StoredFile) -> ContentFile:
    """A kept G-code file's bytes, for the same checks a fresh upload gets."""
    with tempfile.TemporaryDirectory(prefix="liaotu-kept-") as tmp:
        target = Path(tmp) / "source"
        download_to(stored_file=source, target=target)
        return ContentFile(target.read_bytes(), name=source.original_name)


def submit_job(
    *, owner: User, request: JobRequest, upload=None, source: StoredFile | None = None
) -> PrintJob:
    """Start a job from a fresh upload or a file kept by ``keep_upload``: models are sliced by
    a task, G-code is checked at once. Either way the maker then sees the estimate and
    confirms (``confirm_job``). The request's options are checked before the file is read."""
    if (upload is None) == (source is None):
        raise ValueError("submit_job needs either an upload or a kept source")
    _check_certified(owner, request.profile)
    profile = slicer.profiles().get(request.profile)
    if profile is None or not selectors.printers_of_type(request.profile).exists():
        raise ValidationError(
            _("There is no printer of this type in the maker space."), code="no_printer"
        )
    if request.material not in Material.values:
        raise ValidationError(_("Unknown material."), code="material")
    if not 1 <= request.quantity <= 20:
        raise ValidationError(_("You can print between 1 and 20 copies."), code="quantity")
    title = plain_text(request.title)[:120]
    if not title:
        raise ValidationError(_("Please give your print a title."), code="title_required")
    if source is not None:
        if source.owner_id != owner.pk or source.content_type not in _KIND_OF_CONTENT_TYPE:
            raise PermissionDenied
        kind = _KIND_OF_CONTENT_TYPE[source.content_type]
        upload = _read_kept(source) if kind == SourceKind.GCODE else None
    else:
        kind = _read_upload(upload)
    if kind == SourceKind.GCODE and request.quantity != 1:
        raise ValidationError(
            _(
                "Ready G-code is printed as it is. To print several copies, upload the model "
                "(STL or 3MF) or arrange the copies in your slicer."
            )
        )
    if kind != SourceKind.GCODE and slicer.executable() is None:
        raise ValidationError(slicer.missing_message())
    analysis = None
    if kind == SourceKind.GCODE:
        analysis = gcode.analyse(upload.read(), deny=tuple(settings.MAKERSPACE_GCODE_DENY))
        _fits(analysis, profile)
        upload.seek(0)
    with transaction.atomic():
        _lock_maker(owner.pk)
        _check_quota(owner, adding_seconds=0)
        if source is None:
            source = store_file(
                content=upload,
                original_name=upload.name,
                content_type=_content_type(kind),
                owner=owner,
                prefix=SOURCES_PREFIX,
            )
        elif not selectors.pending_uploads(owner).filter(pk=source.pk).exists():
            raise ValidationError(
                _("The file you chose earlier is no longer kept. Please choose it again."),
                code="upload_gone",
            )
        job = PrintJob.objects.create(
            owner=owner,
            title=title,
            notes=plain_text(request.notes)[:1000],
            source=source,
            source_kind=kind,
            profile=profile.name,
            material=request.material,
            colour=plain_text(request.colour)[:30],
            nozzle_mm=profile.nozzle_mm,
            quantity=request.quantity,
        )
        insight.record("print.submitted", user=owner, subject=job, quantity=request.quantity)
        if analysis is None:
            _event(job, by=owner)
            from .tasks import slice_job

            enqueue(slice_job, str(job.pk))
        else:
            job.gcode = source
            _estimated(job, analysis)
            _event(job, by=owner)
    return job


def _estimated(job: PrintJob, analysis: gcode.Analysis) -> None:
    job.status = JobStatus.ESTIMATED
    job.estimated_seconds = analysis.seconds
    job.filament_g = (
        Decimal(str(analysis.filament_g)).quantize(Decimal("0.01"))
        if analysis.filament_g is not None
        else None
    )
    job.cost = _cost(analysis.filament_g)
    job.extent_mm = _extent(analysis)
    job.save()


def slice_job(job_id) -> str:
    """Slice a model (the task's body). Idempotent: only a job still 'slicing' is sliced, and
    the result is written under a lock that checks the state again."""
    job = PrintJob.objects.select_related("source").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.SLICING:
        return "skipped"
    profile = slicer.profiles().get(job.profile)
    with tempfile.TemporaryDirectory(prefix="liaotu-slice-") as tmp:
        model = Path(tmp) / f"model.{job.source_kind}"
        output = Path(tmp) / "job.gcode"
        download_to(stored_file=job.source, target=model)
        try:
            # An unknown printer type is refused by slice_model before _fits needs it.
            slicer.slice_model(
                model=model,
                profile=job.profile,
                material=job.material,
                quantity=job.quantity,
                output=output,
            )
            analysis = gcode.analyse(
                output.read_bytes(), deny=tuple(settings.MAKERSPACE_GCODE_DENY)
            )
            _fits(analysis, profile)
        except (slicer.SlicerError, ValidationError) as error:
            reason = error.messages[0] if isinstance(error, ValidationError) else str(error)
            updated = PrintJob.objects.filter(pk=job.pk, status=JobStatus.SLICING).update(
                status=JobStatus.SLICE_FAILED, reason=reason[:500]
            )
            if updated:
                job.refresh_from_db()
                _event(job, reason)
            return JobStatus.SLICE_FAILED
        with open(output, "rb") as handle:
            stored = store_file(
                content=File(handle),
                original_name=f"{job.pk}.gcode",
                content_type="text/x-gcode",
                owner=job.owner,
                prefix="makerspace/gcode",
            )
    with transaction.atomic():
        locked = PrintJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != JobStatus.SLICING:
            delete_stored_file(stored_file=stored)  # a duplicate delivery lost the race
            return "skipped"
        locked.gcode = stored
        _estimated(locked, analysis)
        _event(locked)
    return JobStatus.ESTIMATED


def confirm_job(*, job: PrintJob, user: User) -> PrintJob:
    """The maker accepts the estimate; the job goes to staff for review (quota permitting)."""
    if job.owner_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        _lock_maker(user.pk)
        locked = PrintJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != JobStatus.ESTIMATED:
            raise ValidationError(
                _("This print is not waiting for your confirmation."), code="state"
            )
        _check_quota(user, adding_seconds=locked.estimated_seconds or 0)
        locked.status = JobStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        _event(locked, by=user)
    return locked


def cancel_job(*, job: PrintJob, user: User) -> PrintJob:
    """Makers cancel their own jobs before they print; staff can also stop a running print."""
    is_staff = user.has_perm("makerspace.run_print_farm")
    if job.owner_id != user.pk and not is_staff:
        raise PermissionDenied
    cancellable = list(OWNER_CANCELLABLE)
    if is_staff:
        cancellable += list(RUNNING)
    with transaction.atomic():
        locked = PrintJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in cancellable:
            raise ValidationError(_("This print can no longer be cancelled."), code="state")
        was_running = locked.status in RUNNING
        printer = locked.printer
        locked.status = JobStatus.CANCELLED
        locked.finished_at = timezone.now()
        locked.save()
        _event(locked, by=user)
        _log_end(locked)
        if was_running and printer is not None:
            Printer.objects.filter(pk=printer.pk).update(is_cleared=False)
            transaction.on_commit(lambda: _cancel_at_printer(printer))
    return locked


def _cancel_at_printer(printer: Printer) -> None:
    try:
        with client_for(printer) as api:
            api.cancel()
    except OctoPrintError as error:  # the next sync will see what the printer is doing
        log.warning("cancel on %s failed: %s", printer, error)


# --- Review ----------------------------------------------------------------------------------


def _transition(job: PrintJob, *, expect: tuple[str, ...], message: str) -> PrintJob:
    locked = PrintJob.objects.select_for_update().get(pk=job.pk)
    if locked.status not in expect:
        raise ValidationError(message, code="state")
    return locked


def _log_decision(job: PrintJob, outcome: str) -> None:
    """Staff's decision on a maker's job, with the hours the maker waited for it."""
    waited = (timezone.now() - job.created_at).total_seconds() / 3600
    insight.record("print.decided", user=job.owner, subject=job, outcome=outcome, value=waited)


def _log_end(job: PrintJob) -> None:
    """A job's end at (or before) a printer: hours it printed and the filament it used."""
    printed = None
    if job.started_at is not None and job.finished_at is not None:
        printed = (job.finished_at - job.started_at).total_seconds() / 3600
    insight.record(
        "print.finished",
        user=job.owner,
        subject=("makerspace.printer", job.printer_id) if job.printer_id else job,
        outcome=job.status,
        value=printed,
        quantity=float(job.filament_g) if job.filament_g is not None else None,
        term=job.reason,
    )


@transaction.atomic
def approve_job(*, job: PrintJob, by: User, priority: int | None = None) -> PrintJob:
    _require_staff(by)
    locked = _transition(job, expect=(JobStatus.SUBMITTED,), message=_("Already reviewed."))
    locked.status = JobStatus.QUEUED
    locked.approved_at = timezone.now()
    locked.reviewed_by = by
    if priority is not None:
        locked.priority = priority
    locked.save()
    _event(locked, by=by)
    _log_decision(locked, "approved")
    notifications.job_changed(locked)
    _schedule_soon()
    return locked


@transaction.atomic
def reject_job(*, job: PrintJob, by: User, reason: str) -> PrintJob:
    _require_staff(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            _("Please tell the maker why the print was rejected."), code="reason_required"
        )
    locked = _transition(job, expect=(JobStatus.SUBMITTED,), message=_("Already reviewed."))
    locked.status = JobStatus.REJECTED
    locked.reason = reason[:500]
    locked.reviewed_by = by
    locked.save()
    _event(locked, reason, by=by)
    _log_decision(locked, "rejected")
    notifications.job_changed(locked)
    return locked


@transaction.atomic
def requeue_job(*, job: PrintJob, by: User) -> PrintJob:
    _require_staff(by)
    locked = _transition(
        job,
        expect=(JobStatus.FAILED, JobStatus.INTERRUPTED),
        message=_("Only failed or interrupted prints can be queued again."),
    )
    locked.status = JobStatus.QUEUED
    locked.printer = None
    locked.progress = None
    locked.seconds_left = None
    locked.save()
    _event(locked, _("Queued again by staff."), by=by)
    _schedule_soon()
    return locked


@transaction.atomic
def mark_collected(*, job: PrintJob, by: User) -> PrintJob:
    _require_staff(by)
    locked = _transition(job, expect=(JobStatus.DONE,), message=_("This print is not finished."))
    locked.status = JobStatus.COLLECTED
    locked.save()
    _event(locked, by=by)
    return locked


# --- Queue management ------------------------------------------------------------------------


@transaction.atomic
def move_job(*, job: PrintJob, by: User, up: bool) -> PrintJob:
    """Reorder the queue: swap places with the neighbouring queued job."""
    _require_staff(by)
    queue = list(selectors.queue().select_for_update(of=("self",)))
    ids = [j.pk for j in queue]
    if job.pk not in ids:
        raise ValidationError(_("Only queued prints can be moved."), code="state")
    index = ids.index(job.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(queue):
        return job
    mine, other = queue[index], queue[other_index]
    if mine.priority == other.priority:
        # Same priority: order is by submission, so step just past the neighbour.
        mine.priority = other.priority + (1 if up else -1)
    else:
        mine.priority, other.priority = other.priority, mine.priority
        other.save(update_fields=["priority", "updated_at"])
    mine.save(update_fields=["priority", "updated_at"])
    return mine


@transaction.atomic
def pin_job(*, job: PrintJob, printer: Printer | None, by: User) -> PrintJob:
    _require_staff(by)
    locked = _transition(
        job,
        expect=(JobStatus.SUBMITTED, JobStatus.QUEUED),
        message=_("Only waiting prints can be pinned to a printer."),
    )
    if printer is not None and not selectors.printer_can_take(printer, locked):
        raise ValidationError(
            _("%(printer)s cannot print this job (printer type, nozzle, material or size).")
            % {"printer": printer}
        )
    locked.pinned_printer = printer
    locked.save(update_fields=["pinned_printer", "updated_at"])
    _schedule_soon()
    return locked


@transaction.atomic
def set_queue_paused(*, paused: bool, by: User, reason: str = "") -> QueueControl:
    _require_staff(by)
    control, _created = QueueControl.objects.select_for_update().get_or_create(pk=1)
    control.paused = paused
    control.paused_reason = reason[:300] if paused else ""
    control.changed_by = by
    control.changed_at = timezone.now()
    control.save()
    if not paused:
        _schedule_soon()
    return control


@transaction.atomic
def mark_cleared(*, printer: Printer, by: User) -> Printer:
    """The technician has taken the print off and checked the printer: it may take the next."""
    _require_staff(by)
    locked = Printer.objects.select_for_update().get(pk=printer.pk)
    if PrintJob.objects.filter(printer=locked, status__in=RUNNING).exists():
        raise ValidationError(_("This printer is still printing."))
    locked.is_cleared = True
    locked.needs_attention = False
    locked.attention_reason = ""
    locked.save(update_fields=["is_cleared", "needs_attention", "attention_reason"])
    _schedule_soon()
    return locked


@transaction.atomic
def set_printer_status(*, printer: Printer, status: str, by: User) -> Printer:
    """Maintenance or out of order takes a printer out of the queue (after its current job)."""
    _require_staff(by)
    if status not in EquipmentStatus.values:
        raise ValidationError(_("Unknown status."))
    equipment = printer.equipment
    equipment.status = status
    equipment.save(update_fields=["status"])
    if status == EquipmentStatus.AVAILABLE:
        _schedule_soon()
    return printer


def set_api_key(*, printer: Printer, api_key: str) -> None:
    printer.set_api_key(api_key.strip())
    printer.save(update_fields=["api_key_encrypted"])


# --- Scheduling and dispatch -----------------------------------------------------------------


def _schedule_soon() -> None:
    from .tasks import schedule_queue

    enqueue(schedule_queue)


def client_for(printer: Printer) -> OctoPrint:
    timeout = Timeout(settings.MAKERSPACE_OCTOPRINT_TIMEOUT, connect=3.0)
    return OctoPrint(printer.octoprint_url, printer.api_key(), timeout=timeout)


def _key_refused() -> str:
    return _("OctoPrint refused the API key; enter a new one.")


def schedule() -> list[PrintJob]:
    """Give each free printer the best queued job it can print; returns the jobs assigned.

    A free printer is in service, cleared and ready, not needing attention, idle at its last
    sync and has no running job. Jobs go by pin, then priority, then submission time. Printer
    rows are locked (others skipped) and jobs taken with SKIP LOCKED, so schedulers running at
    once split the work instead of assigning twice; the unique index is the last word.
    """
    assigned: list[PrintJob] = []
    if selectors.queue_paused():
        return assigned
    for printer_id in selectors.free_printer_ids():
        with transaction.atomic():
            printer = (
                Printer.objects.select_for_update(skip_locked=True)
                .filter(pk=printer_id)
                .select_related("equipment")
                .first()
            )
            if printer is None or not selectors.is_free(printer):
                continue
            job = (
                selectors.jobs_for(printer)
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if job is None:
                continue
            job.status = JobStatus.DISPATCHING
            job.printer = printer
            job.attempts += 1
            job.remote_name = f"liaotu-{job.pk.hex[:12]}-{job.attempts}.gcode"
            job.dispatched_at = timezone.now()
            job.reason = ""
            job.save()
            _event(job)
            from .tasks import dispatch_job

            enqueue(dispatch_job, str(job.pk))
            assigned.append(job)
    return assigned


def _locked_dispatching(job_id) -> PrintJob | None:
    """The job under its row lock if it is still being sent (else None: someone moved it)."""
    job = PrintJob.objects.select_for_update().filter(pk=job_id).first()
    return job if job is not None and job.status == JobStatus.DISPATCHING else None


def _requeue_locked(job: PrintJob, *, reason: str) -> None:
    """A dispatch that did not start a print: the job waits for the next free printer."""
    printer = job.printer
    job.status = JobStatus.QUEUED
    job.reason = reason[:500]
    job.printer = None
    job.save()
    _event(job, reason, printer=printer)


def _start_locked(job: PrintJob, *, now: datetime) -> None:
    job.status = JobStatus.PRINTING
    job.started_at = now
    job.progress = 0
    job.save()
    _event(job)
    waited = (now - job.approved_at).total_seconds() / 3600 if job.approved_at else None
    insight.record(
        "print.started",
        user=job.owner,
        subject=("makerspace.printer", job.printer_id),
        value=waited,
        at=now,
    )
    notifications.job_changed(job)


def _back_to_queue(job_id, *, reason: str) -> None:
    with transaction.atomic():
        job = _locked_dispatching(job_id)
        if job is not None:
            _requeue_locked(job, reason=reason)


def _mark_printer(printer: Printer, *, state: str, text: str = "", attention: str = "") -> None:
    fields = {"state": state, "state_text": text[:120], "synced_at": timezone.now()}
    if attention:
        fields |= {"needs_attention": True, "attention_reason": attention[:300]}
    Printer.objects.filter(pk=printer.pk).update(**fields)


def _started(job_id, *, printer: Printer) -> bool:
    with transaction.atomic():
        job = _locked_dispatching(job_id)
        if job is None:
            return False
        now = timezone.now()
        _start_locked(job, now=now)
        Printer.objects.filter(pk=printer.pk).update(state=PrinterState.PRINTING, last_seen_at=now)
    return True


def dispatch(job_id) -> str:
    """Send a job the scheduler assigned to its printer (the dispatch task's body).

    Before uploading it asks OctoPrint what it is printing: if this job's file is already
    printing (an earlier delivery uploaded it and then the worker died), it only records that.
    """
    job = PrintJob.objects.select_related("printer", "gcode").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.DISPATCHING or job.printer is None:
        return "skipped"
    printer = job.printer
    try:
        with client_for(printer) as api:
            current = api.job()
            if current.file_name == job.remote_name and current.state.startswith("Printing"):
                _started(job.pk, printer=printer)
                return JobStatus.PRINTING
            with tempfile.TemporaryDirectory(prefix="liaotu-dispatch-") as tmp:
                target = Path(tmp) / "job.gcode"
                download_to(stored_file=job.gcode, target=target)
                with open(target, "rb") as handle:
                    result = api.upload_and_print(name=job.remote_name, data=handle)
    except Unreachable as error:
        _mark_printer(printer, state=PrinterState.OFFLINE, text=str(error)[:120])
        _back_to_queue(job.pk, reason=_("The printer's OctoPrint server did not answer."))
        return JobStatus.QUEUED
    except NotOperational:
        _mark_printer(printer, state=PrinterState.OFFLINE, text="not operational")
        _back_to_queue(job.pk, reason=_("The printer was not ready."))
        return JobStatus.QUEUED
    except Forbidden:
        _mark_printer(printer, state=PrinterState.ERROR, attention=_key_refused())
        _back_to_queue(job.pk, reason=_("The printer refused the library's key."))
        return JobStatus.QUEUED
    except UnsupportedFile:
        with transaction.atomic():
            locked = _locked_dispatching(job.pk)
            if locked is not None:
                _finish(locked, JobStatus.FAILED, _("The printer did not accept the G-code."))
        return JobStatus.FAILED
    if not result.effective_print:
        # OctoPrint stored the file but did not start it: the printer was busy after all.
        _mark_printer(printer, state=PrinterState.PRINTING, text="busy")
        _back_to_queue(job.pk, reason=_("The printer was busy; the print waits for the next."))
        return JobStatus.QUEUED
    _started(job.pk, printer=printer)
    return JobStatus.PRINTING


def _finish(job: PrintJob, status: str, reason: str = "") -> None:
    """End a running job (under its row lock): the printer wants clearing before the next."""
    job.status = status
    job.reason = reason[:500]
    job.finished_at = timezone.now()
    if status == JobStatus.DONE:
        job.progress = 100
        job.seconds_left = 0
    job.save()
    _event(job, reason)
    _log_end(job)
    update = {"is_cleared": False}
    if status != JobStatus.DONE:
        update |= {"needs_attention": True, "attention_reason": reason[:300]}
    Printer.objects.filter(pk=job.printer_id).update(**update)
    notifications.job_changed(job)


# --- Keeping in step with the printers ------------------------------------------------------


@dataclass
class Observed:
    """What one sync saw at the printer."""

    state: str
    text: str
    file_name: str | None = None
    completion: float | None = None
    seconds_left: int | None = None
    last_success: bool | None = None
    error: str = ""
    reachable: bool = True
    key_refused: bool = False


def observe(printer: Printer, *, expect: str = "") -> Observed:
    """Ask OctoPrint what the printer is doing; never raises. ``expect`` names the file our
    running job printed, so its result is known even if OctoPrint no longer has it selected."""
    if not printer.octoprint_url:
        return Observed(state=PrinterState.OFFLINE, text=_("No OctoPrint address"), reachable=False)
    try:
        with client_for(printer) as api:
            conn = api.connection()
            try:
                state = api.printer()
            except NotOperational:
                # OctoPrint 1.11 reports "Closed" after a firmware error; the error itself
                # (e.g. thermal runaway) is only in /api/job.
                job = api.job()
                error = job.error or ("error" in conn.state.lower() and conn.state) or ""
                return Observed(
                    state=PrinterState.ERROR if error else PrinterState.OFFLINE,
                    text=(error or conn.state)[:120],
                    error=error,
                )
            job = api.job()
            observed = Observed(
                state=PrinterState.OPERATIONAL,
                text=state.text,
                file_name=job.file_name,
                completion=job.completion,
                seconds_left=job.print_time_left,
                error=job.error or "",
            )
            if state.printing or state.paused:
                observed.state = PrinterState.PAUSED if state.paused else PrinterState.PRINTING
            elif state.error or state.closed_or_error:
                observed.state = PrinterState.ERROR
                observed.error = state.text
            elif expect:
                try:
                    observed.last_success = api.last_print_succeeded(expect)
                except OctoPrintError:  # deleted at the printer: nothing to learn from it
                    observed.last_success = None
            return observed
    except (Forbidden, crypto.UnreadableSecret):
        return Observed(state=PrinterState.ERROR, text=_("API key refused"), key_refused=True)
    except Unreachable:
        return Observed(
            state=PrinterState.OFFLINE, text=_("OctoPrint server not answering"), reachable=False
        )
    except OctoPrintError as error:
        return Observed(state=PrinterState.ERROR, text=str(error)[:120], error=str(error))


def reconcile(printer: Printer, seen: Observed, *, now: datetime | None = None) -> None:
    """Bring our records in line with what the printer is doing.

    Afterwards no job is 'printing' on a printer that is not printing it: a print that
    vanished finished (OctoPrint says it succeeded), or failed (the printer reported an error)
    or was interrupted (connection lost, server down, cancelled at the printer).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Printer.objects.select_for_update().get(pk=printer.pk)
        values = {"state": seen.state, "state_text": seen.text[:120], "synced_at": now}
        if seen.state != PrinterState.OFFLINE or seen.file_name:
            values["last_seen_at"] = now
        if seen.key_refused:
            values |= {"needs_attention": True, "attention_reason": _key_refused()}
        # Only what changed is written: a sync that finds the printer as it was touches only
        # the bookkeeping times, which no page shows (Printer.kept_quiet_fields), so the pages
        # kept for visitors (core.kept) are not dropped every few seconds.
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        if changed:
            locked.save(update_fields=changed)
        job = (
            PrintJob.objects.select_for_update()
            .filter(printer=locked, status__in=RUNNING)
            .select_related("owner")
            .first()
        )
        if job is None:
            return
        ours = seen.file_name == job.remote_name
        active = seen.state in (PrinterState.PRINTING, PrinterState.PAUSED)
        if job.status == JobStatus.DISPATCHING:
            if active and ours:
                _start_locked(job, now=now)
            elif (
                job.dispatched_at
                and (now - job.dispatched_at).total_seconds() > settings.MAKERSPACE_DISPATCH_TIMEOUT
            ):
                _requeue_locked(
                    job, reason=_("Sending to the printer did not finish; queued again.")
                )
            return
        # The job is printing as far as we know.
        if active and ours:
            job.progress = seen.completion
            job.seconds_left = seen.seconds_left
            job.save(update_fields=["progress", "seconds_left", "updated_at"])
            return
        if seen.state == PrinterState.OPERATIONAL and (ours or seen.last_success is not None):
            if seen.last_success is True or (
                seen.last_success is None and (seen.completion or 0) >= 100
            ):
                _finish(job, JobStatus.DONE)
            else:
                _finish(job, JobStatus.INTERRUPTED, _("The print was cancelled at the printer."))
        elif seen.state == PrinterState.OPERATIONAL:
            _finish(job, JobStatus.INTERRUPTED, _("The printer is no longer printing this job."))
        elif seen.state == PrinterState.ERROR and not _LINK_ERROR.search(seen.error):
            _finish(
                job,
                JobStatus.FAILED,
                _("The printer reported an error: %(error)s") % {"error": seen.text or seen.error},
            )
        elif not seen.reachable:
            _finish(job, JobStatus.INTERRUPTED, _("The printer's OctoPrint server stopped."))
        else:
            _finish(
                job,
                JobStatus.INTERRUPTED,
                # The raw OctoPrint state shows on the print farm; the maker needs only this.
                _("The connection to the printer was lost."),
            )


def sync_printer(printer: Printer) -> Observed:
    running = (
        PrintJob.objects.filter(printer=printer, status=JobStatus.PRINTING)
        .values_list("remote_name", flat=True)
        .first()
    )
    seen = observe(printer, expect=running or "")
    reconcile(printer, seen)
    return seen


def sync_farm() -> int:
    """The beat task's body: sync every printer, then fill the free ones."""
    printers = list(selectors.printers_to_sync())
    for printer in printers:
        sync_printer(printer)
    schedule()
    return len(printers)


def resume_stalled_slicing() -> int:
    """Re-enqueue slicing that a crashed worker left behind."""
    from .tasks import slice_job

    cutoff = timezone.now() - timedelta(seconds=settings.MAKERSPACE_SLICE_TIMEOUT * 2)
    stalled = list(
        PrintJob.objects.filter(status=JobStatus.SLICING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in stalled:
        PrintJob.objects.filter(pk=pk, status=JobStatus.SLICING).update(updated_at=timezone.now())
        enqueue(slice_job, str(pk))
    return len(stalled)
