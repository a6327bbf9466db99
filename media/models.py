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
