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
