import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class StoredFile(models.Model):
    """One object in storage, with who owns it and who may read it.

    Other apps point at StoredFile rather than at raw storage keys, so that delivery, permission
    checks and deletion from storage happen in one place. Ids are random UUIDs: a guessed URL
    leads nowhere, and even a correct one is checked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stored_files",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    key = models.CharField(_("storage key"), max_length=500)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        constraints = [
            models.UniqueConstraint(
                fields=["visibility", "key"], name="media_storedfile_unique_key"
            ),
            models.CheckConstraint(
                condition=models.Q(size__gte=0), name="media_storedfile_size_gte_0"
            ),
        ]
        permissions = [("read_private_storedfile", _("Can read any private stored file"))]

    def __str__(self) -> str:
        return self.original_name or self.key


class UploadStatus(models.TextChoices):
    RECEIVING = "receiving", _("Uploading")
    COMPLETE = "complete", _("Complete")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Upload(models.Model):
    """A resumable upload (tus protocol) on its way into private storage.

    The offset only ever moves forward, under a row lock, to the number of bytes really stored;
    a client that lost its connection asks for the offset and sends the rest from there.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    filename = models.CharField(_("file name"), max_length=255)
    length = models.BigIntegerField(_("size in bytes"))
    offset = models.BigIntegerField(_("bytes received"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=UploadStatus.choices, default=UploadStatus.RECEIVING
    )
    format = models.CharField(_("format"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=10, blank=True)
    failure_reason = models.TextField(_("reason for failure"), blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # Where the finished file will live, fixed at creation: on S3 the multipart upload writes
    # straight to this key, so finishing needs no copy.
    storage_key = models.CharField(_("storage key"), max_length=500, blank=True)
    multipart_id = models.CharField(max_length=200, blank=True)
    parts = models.JSONField(default=list, blank=True)
    stored_file = models.OneToOneField(
        StoredFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(offset__gte=0) & models.Q(offset__lte=models.F("length")),
                name="media_upload_offset_within_length",
            ),
            models.CheckConstraint(
                condition=models.Q(length__gt=0), name="media_upload_length_gt_0"
            ),
        ]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class MediaAsset(models.Model):
    """An original file and the state of its processing; derivatives hang off it.

    Courses, the oral-history archive, the maker space and user works all point at assets, so a
    video is probed, transcoded and delivered the same way wherever it is used.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    original = models.OneToOneField(StoredFile, on_delete=models.PROTECT, related_name="asset")
    kind = models.CharField(_("kind"), max_length=10)
    format = models.CharField(_("format"), max_length=10)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.PENDING,
    )
    failure_reason = models.TextField(_("reason for failure"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    processing_started_at = models.DateTimeField(_("processing started"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    probe = models.JSONField(_("technical details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The running job renews its lease every half minute; no page shows when it last did.
    kept_quiet_fields = ("processing_started_at",)

    class Meta:
        verbose_name = _("media asset")
        verbose_name_plural = _("media assets")
        indexes = [models.Index(fields=["status", "processing_started_at"])]

    def __str__(self) -> str:
        return f"{self.original} [{self.status}]"


class Derivative(models.Model):
    """A file made from an asset's original: an access copy, a poster, renditions, peaks."""

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="derivatives")
    role = models.CharField(_("role"), max_length=20)
    file = models.OneToOneField(StoredFile, on_delete=models.CASCADE, related_name="derivative")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("derivative")
        verbose_name_plural = _("derivatives")
        constraints = [
            models.UniqueConstraint(fields=["asset", "role"], name="media_derivative_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.asset_id}"
