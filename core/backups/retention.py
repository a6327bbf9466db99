"""Which backups are kept (7 daily, 4 weekly, 12 monthly by default) and pruning the rest."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from .services import (
    BACKUPS,
    MANIFEST,
    OBJECTS,
    backup_key,
    blob_path,
    entries,
    list_backups,
    moment_of,
    read_manifest,
)
from .targets import Target

logger = logging.getLogger(__name__)

# --- retention -----------------------------------------------------------------------------------


def select_kept(
    moments: Iterable[datetime], *, keep_daily: int, keep_weekly: int, keep_monthly: int
) -> set[datetime]:
    """Which backups a daily/weekly/monthly schedule keeps.

    For each rule, the newest backup of each of the last N days (ISO weeks, months) that have
    a backup is kept; the rules add up. Periods are counted in UTC, as the names are. The
    newest backup is always kept, whatever the numbers say.
    """
    if min(keep_daily, keep_weekly, keep_monthly) < 0:
        raise ValueError("retention counts cannot be negative")
    ordered = sorted(set(moments), reverse=True)
    kept: set[datetime] = set(ordered[:1])
    rules = (
        (keep_daily, lambda moment: moment.astimezone(UTC).date()),
        (keep_weekly, lambda moment: moment.astimezone(UTC).isocalendar()[:2]),
        (keep_monthly, lambda moment: (moment.astimezone(UTC).year, moment.astimezone(UTC).month)),
    )
    for count, period_of in rules:
        periods: set[Any] = set()
        for moment in ordered:
            period = period_of(moment)
            if period in periods:
                continue
            if len(periods) >= count:
                break
            periods.add(period)
            kept.add(moment)
    return kept


@dataclass
class PruneResult:
    kept: list[str]
    deleted: list[str]
    blobs_deleted: int = 0


def prune_backups(
    *,
    target: Target,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    keep_monthly: int | None = None,
) -> PruneResult:
    """Delete backups outside the schedule (BACKUP_KEEP_* by default), then every blob that no
    kept manifest names. Unfinished backup folders go too: under the lock none is running.
    Call it under ``backup_lock()``.
    """
    key = backup_key()
    keep = {
        "keep_daily": settings.BACKUP_KEEP_DAILY if keep_daily is None else keep_daily,
        "keep_weekly": settings.BACKUP_KEEP_WEEKLY if keep_weekly is None else keep_weekly,
        "keep_monthly": settings.BACKUP_KEEP_MONTHLY if keep_monthly is None else keep_monthly,
    }
    names = list_backups(target=target)
    kept_moments = select_kept([moment_of(name) for name in names], **keep)
    kept = [name for name in names if moment_of(name) in kept_moments]
    # Every kept manifest must open before anything is deleted: a blob is only known to be
    # unneeded when every manifest that might name it has been read.
    referenced = set()
    for name in kept:
        manifest = read_manifest(target=target, name=name, key=key)
        referenced.update(blob_path(entry["sha256"]) for _store, entry in entries(manifest))
    deleted = [name for name in names if name not in kept]
    by_backup: dict[str, list[str]] = {}
    for path in target.list(f"{BACKUPS}/"):
        parts = path.split("/")
        if len(parts) >= 3:
            by_backup.setdefault(parts[1], []).append(path)
    for name, paths in by_backup.items():
        if name in kept:
            continue
        # The manifest first: a backup half deleted is then an unfinished one, never "latest".
        for path in sorted(paths, key=lambda path: not path.endswith(f"/{MANIFEST}")):
            target.delete(path)
    result = PruneResult(kept=kept, deleted=deleted)
    for path in list(target.list(f"{OBJECTS}/")):
        if path not in referenced:
            target.delete(path)
            result.blobs_deleted += 1
    return result


def latest_moment(*, target: Target) -> datetime | None:
    names = list_backups(target=target)
    return moment_of(names[-1]) if names else None
