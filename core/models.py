from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceHeartbeat(models.Model):
    """Last time a background process proved it was alive (the worker, via a beat task).

    /healthz reports the age of the worker's heartbeat, so an operator can tell a stalled worker
    from an idle one.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    seen_at = models.DateTimeField(_("seen at"))
    hostname = models.CharField(_("host name"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("service heartbeat")
        verbose_name_plural = _("service heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """A message for one reader, shown on their notifications page (besides any e-mail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message
