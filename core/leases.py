"""Leases that the running job renews, so that a crashed worker's job is taken over in minutes.

A long job (transcoding a reader's video, mastering a studio recording) claims its row by
setting a status and a timestamp in one UPDATE. Another worker may take the row over once the
timestamp is older than the lease. A lease fixed at the start has to outlast the longest job,
which left a crashed worker's job stuck for hours; here the lease is short and the job renews
it while it runs (a heartbeat), so the lease only runs out when nobody is working on the row.

The heartbeat is a compare-and-set on the timestamp it last wrote: if another worker has taken
the row over (this job stalled past its lease), the UPDATE matches nothing, the heartbeat stops,
and the job sees ``lost`` and throws its result away instead of overwriting the new owner's.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Model
from django.utils import timezone

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    """How often a running job renews its lease: four times per lease, so that a slow beat or
    one failed write never lets a live job's lease run out."""
    return max(settings.MEDIA_PROCESSING_LEASE_SECONDS / 4, 0.05)


class Heartbeat:
    """Renews ``field`` of one row every ``interval`` seconds while the ``with`` block runs."""

    def __init__(
        self,
        *,
        model: type[Model],
        pk,
        field: str,
        held_since: datetime,
        interval: float | None = None,
    ) -> None:
        self.model = model
        self.pk = pk
        self.field = field
        self.stamp = held_since
        self.interval = heartbeat_seconds() if interval is None else interval
        self.beats = 0
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{model._meta.label}-{pk}", daemon=True
        )

    @property
    def lost(self) -> bool:
        """True once another worker has taken the row over."""
        return self._lost.is_set()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> bool:
        """Renew the lease once; False when it is no longer ours."""
        now = timezone.now()
        renewed = (
            self.model._default_manager.filter(pk=self.pk, **{self.field: self.stamp})
            .update(**{self.field: now})
        )  # fmt: skip
        if renewed:
            self.stamp = now
            self.beats += 1
            return True
        self._lost.set()
        return False

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not self.beat():
                        label = self.model._meta.label
                        logger.warning("lease lost", extra={"model": label, "pk": str(self.pk)})
                        return
                except Exception:
                    # A database hiccup: try again at the next beat (the lease outlasts three).
                    logger.exception("lease renewal failed")
                    close_old_connections()
        finally:
            # This thread's own connection; the job's connection is not touched.
            connections.close_all()
