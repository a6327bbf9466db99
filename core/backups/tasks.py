"""The nightly backup (Celery beat, ``backups-nightly`` in settings): back up, then prune.

Registered through CELERY_IMPORTS (config/settings/base.py): ``autodiscover_tasks`` only looks
for ``<app>.tasks`` modules, and ``core.backups`` is a package of the core app, not an app.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings

from core.services import record_heartbeat
from core.tasks import IdempotentTask

from . import retention, services
from .targets import open_target

logger = logging.getLogger(__name__)

# A backup this recent makes tonight's run a no-op: beat started twice (two beat processes, or
# a re-delivery after the broker's visibility timeout) must not make a second backup.
RECENT = timedelta(hours=6)


@shared_task(
    base=IdempotentTask,
    name="core.backups.tasks.nightly_backup",
    # The first backup of a large library copies everything; later ones take minutes.
    time_limit=12 * 3600,
    soft_time_limit=12 * 3600 - 300,
    max_retries=2,
)
def nightly_backup(*, target: str = "") -> dict:
    """Back up to BACKUP_TARGET and prune it, unless another run holds the lock or has just
    finished one. Returns what it did (for the worker's log)."""
    where = open_target(target or settings.BACKUP_TARGET)
    try:
        with services.backup_lock():
            latest = retention.latest_moment(target=where)
            if latest and datetime.now(tz=UTC) - latest < RECENT:
                logger.info("backup %s is recent; nothing to do", services.name_for(latest))
                return {"skipped": "recent", "latest": services.name_for(latest)}
            result = services.create_backup(target=where)
            pruned = retention.prune_backups(target=where)
            # /metrics shows its age (liaotu_last_seen_seconds{heartbeat="backup"}): the alert.
            record_heartbeat(name="backup", hostname=result.name)
    except services.BackupBusy:
        logger.info("another backup, restore or prune holds the lock; nothing to do")
        return {"skipped": "busy"}
    return {
        "name": result.name,
        "objects": result.objects,
        "copied": result.copied,
        "copied_bytes": result.copied_bytes,
        "pruned": pruned.deleted,
        "blobs_deleted": pruned.blobs_deleted,
    }
