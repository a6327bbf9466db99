"""The maker space: its equipment and studios, trainings that certify makers, the 3D-print queue
and studio recording jobs.

Booking is left to the booking engine: a piece of equipment points at the bookable Resource, and
a training grants the booking engine's Qualification, which that Resource may require. The print
queue is ours: jobs move through the states below, and the database keeps the invariants that
matter when several workers and staff act at once (one running job per printer).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import crypto, slicer


class EquipmentKind(models.TextChoices):
    PRINTER = "printer", _("3D printer")
    LASER = "laser", _("Laser cutter")
    RECORDING_STUDIO = "recording", _("Recording studio")
    VIDEO_STUDIO = "video", _("Video studio")
    MUSIC = "music", _("Music creation")
    PHOTO = "photo", _("Photography")
    CRAFT = "craft", _("Crafts")


class EquipmentStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    MAINTENANCE = "maintenance", _("Under maintenance")
    OUT_OF_ORDER = "out_of_order", _("Out of order")


class Equipment(models.Model):
    """A machine or studio in the catalogue. What readers book is its booking Resource."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EquipmentKind.choices)
    description = models.TextField(_("description"), blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    photo_alt = models.CharField(_("photo description (alt text)"), max_length=200, blank=True)
    location = models.ForeignKey(
        "booking.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    room = models.CharField(_("room"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EquipmentStatus.choices, default="available"
    )
    resource = models.OneToOneField(
        "booking.Resource",
        verbose_name=_("booking resource"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="equipment",
        help_text=_("What readers book; its required qualification is the certification."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Material(models.TextChoices):
    # The trade names stay (they are printed on the spools), with what each one is in words.
    PLA = "PLA", _("PLA (polylactic acid)")
    PETG = "PETG", _("PETG (tough, heat-resistant)")
    TPU = "TPU", _("TPU (flexible)")
    ABS = "ABS", _("ABS (engineering plastic)")


class PrinterState(models.TextChoices):
    """The state last read from OctoPrint by the sync task."""

    UNKNOWN = "unknown", _("Not checked yet")
    OFFLINE = "offline", _("Offline")
    OPERATIONAL = "operational", _("Idle")
    PRINTING = "printing", _("Printing")
    PAUSED = "paused", _("Paused")
    ERROR = "error", _("Error")


class Printer(models.Model):
    """A 3D printer in the farm and its OctoPrint server.

    ``profile`` names a PrusaSlicer profile kept in the project (makerspace/profiles/): jobs are
    sliced for a printer type and only printed on printers of that type.
    """

    equipment = models.OneToOneField(
        Equipment, verbose_name=_("equipment"), on_delete=models.CASCADE, related_name="printer"
    )
    profile = models.CharField(_("printer type (slicer profile)"), max_length=60)
    material = models.CharField(
        _("loaded material"), max_length=10, choices=Material.choices, default=Material.PLA
    )
    colour = models.CharField(_("loaded colour"), max_length=30, default="白色")
    nozzle_mm = models.DecimalField(
        _("nozzle (mm)"), max_digits=3, decimal_places=2, default=Decimal("0.40")
    )
    build_x_mm = models.PositiveSmallIntegerField(_("build width (mm)"), default=220)
    build_y_mm = models.PositiveSmallIntegerField(_("build depth (mm)"), default=220)
    build_z_mm = models.PositiveSmallIntegerField(_("build height (mm)"), default=250)
    octoprint_url = models.URLField(_("OctoPrint address"), blank=True)
    # Fernet token (see makerspace/crypto.py); the plain key is never shown again.
    api_key_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("API key (encrypted)")
    )
    # The queue gate: staff confirm the bed is cleared before the printer takes the next job.
    is_cleared = models.BooleanField(_("cleared and ready"), default=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.CharField(_("why it needs attention"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=PrinterState.choices, default=PrinterState.UNKNOWN
    )
    state_text = models.CharField(_("state reported by OctoPrint"), max_length=120, blank=True)
    last_seen_at = models.DateTimeField(_("last answered"), null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last synchronised at"))

    # Written by every sync, shown on no page: writing only these drops no kept page (core.kept).
    kept_quiet_fields = ("synced_at", "last_seen_at")

    class Meta:
        verbose_name = _("3D printer")
        verbose_name_plural = _("3D printers")
        ordering = ["equipment__sort_order", "equipment__name"]
        permissions = [("run_print_farm", _("Can run the print farm and review print jobs"))]

    def __str__(self) -> str:
        return self.equipment.name

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def set_api_key(self, plain: str) -> None:
        self.api_key_encrypted = crypto.encrypt(plain) if plain else ""

    def api_key(self) -> str:
        return crypto.decrypt(self.api_key_encrypted) if self.api_key_encrypted else ""

    @property
    def in_service(self) -> bool:
        return self.equipment.status == EquipmentStatus.AVAILABLE

    @property
    def type_name(self) -> str:
        return slicer.type_name(self.profile, self.nozzle_mm)


class QueueControl(models.Model):
    """Farm-wide switches (one row): staff pause the queue to stop new dispatches."""

    paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="makerspace_one_queue")]

    def __str__(self) -> str:
        return "paused" if self.paused else "running"


class Training(models.Model):
    """A course that certifies makers for some equipment; its sessions are booking events."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    qualification = models.ForeignKey(
        "booking.Qualification",
        verbose_name=_("certification granted"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    valid_days = models.PositiveIntegerField(
        _("certification valid for (days)"), default=365, validators=[MinValueValidator(1)]
    )
    sessions = models.ManyToManyField(
        "booking.Event", verbose_name=_("sessions"), blank=True, related_name="trainings"
    )

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CertificationAction(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REVOKED = "revoked", _("Revoked")


class CertificationLog(models.Model):
    """Who certified or de-certified whom, and why; the certification itself is the booking
    engine's UserQualification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certification_log"
    )
    qualification = models.ForeignKey(
        "booking.Qualification", on_delete=models.CASCADE, related_name="+"
    )
    training = models.ForeignKey(
        Training, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=CertificationAction.choices)
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action} {self.qualification_id} → {self.user_id}"


class JobStatus(models.TextChoices):
    SLICING = "slicing", _("Slicing")
    SLICE_FAILED = "slice_failed", _("Could not be sliced")
    ESTIMATED = "estimated", _("Waiting for your confirmation")
    SUBMITTED = "submitted", _("Waiting for review")
    REJECTED = "rejected", _("Rejected")
    QUEUED = "queued", _("Approved, in the queue")
    DISPATCHING = "dispatching", _("Being sent to a printer")
    PRINTING = "printing", _("Printing")
    DONE = "done", _("Ready to collect")
    COLLECTED = "collected", _("Collected")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")
    CANCELLED = "cancelled", _("Cancelled")


# A job in one of these states holds its printer.
RUNNING = (JobStatus.DISPATCHING, JobStatus.PRINTING)
# States that count against the maker's quotas (everything the library may still print or did).
COUNTED = (
    JobStatus.SUBMITTED,
    JobStatus.QUEUED,
    JobStatus.DISPATCHING,
    JobStatus.PRINTING,
    JobStatus.DONE,
    JobStatus.COLLECTED,
    JobStatus.FAILED,
    JobStatus.INTERRUPTED,
)


# A maker may withdraw a job in these states (nothing is on a printer).
OWNER_CANCELLABLE = (
    JobStatus.SLICING,
    JobStatus.SLICE_FAILED,
    JobStatus.ESTIMATED,
    JobStatus.SUBMITTED,
    JobStatus.QUEUED,
    JobStatus.FAILED,
    JobStatus.INTERRUPTED,
)


class SourceKind(models.TextChoices):
    STL = "stl", "STL"
    THREE_MF = "3mf", "3MF"
    GCODE = "gcode", "G-code"


class PrintJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="print_jobs"
    )
    title = models.CharField(_("title"), max_length=120)
    notes = models.TextField(_("notes for the technician"), blank=True, max_length=1000)
    source = models.ForeignKey(
        "media.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("file")
    )
    source_kind = models.CharField(max_length=10, choices=SourceKind.choices)
    gcode = models.ForeignKey(
        "media.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    profile = models.CharField(_("printer type"), max_length=60)
    material = models.CharField(_("material"), max_length=10, choices=Material.choices)
    # Blank means any colour will do.
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    nozzle_mm = models.DecimalField(_("nozzle (mm)"), max_digits=3, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(
        _("copies"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.SLICING
    )
    # Estimates read from the G-code (never from the maker).
    estimated_seconds = models.PositiveIntegerField(null=True, blank=True)
    filament_g = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    cost = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    extent_mm = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    pinned_printer = models.ForeignKey(
        Printer,
        verbose_name=_("pinned to printer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pinned_jobs",
    )
    printer = models.ForeignKey(
        Printer, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    remote_name = models.CharField(max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    progress = models.FloatField(null=True, blank=True)
    seconds_left = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-created_at"]
        constraints = [
            # One job at a time on a printer, whatever the workers and staff do at once.
            models.UniqueConstraint(
                fields=["printer"],
                condition=Q(status__in=RUNNING),
                name="makerspace_one_running_job_per_printer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=RUNNING) | Q(printer__isnull=False),
                name="makerspace_running_job_has_printer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "-priority", "submitted_at"], name="makerspace_queue_order"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def owner_can_cancel(self) -> bool:
        return self.status in OWNER_CANCELLABLE

    @property
    def type_name(self) -> str:
        return slicer.type_name(self.profile, self.nozzle_mm)

    @property
    def has_estimate(self) -> bool:
        """Only a job that was sliced (or came as G-code) has figures worth showing."""
        return self.estimated_seconds is not None and self.status not in (
            JobStatus.SLICING,
            JobStatus.SLICE_FAILED,
        )


class JobEvent(models.Model):
    """The job's history, shown to the maker and staff (and useful when something went wrong)."""

    job = models.ForeignKey(PrintJob, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=JobStatus.choices)
    message = models.CharField(max_length=500, blank=True)
    printer = models.ForeignKey(
        Printer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.status}"


class StudioJobStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for recordings")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("In your works")
    FAILED = "failed", _("Failed")


class StudioJob(models.Model):
    """Post-production for a studio booking: raw recordings in, a finished private work out."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.CASCADE, related_name="studio_job"
    )
    title = models.CharField(_("title"), max_length=120)
    # "mm:ss Title" per line; become chapters in the finished file.
    chapters = models.TextField(_("chapter markers"), blank=True)
    trim_silence = models.BooleanField(_("trim silence at both ends"), default=True)
    raw = models.ForeignKey(
        "media.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raw_format = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=20, choices=StudioJobStatus.choices, default=StudioJobStatus.WAITING
    )
    work = models.OneToOneField(
        "ugc.Work", null=True, blank=True, on_delete=models.SET_NULL, related_name="studio_job"
    )
    loudness_lufs = models.FloatField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The running job renews its lease (started_at) every half minute; no page shows it.
    kept_quiet_fields = ("started_at",)

    class Meta:
        verbose_name = _("studio job")
        verbose_name_plural = _("studio jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.booking.user
