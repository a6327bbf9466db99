"""Removing what no one will finish or find: abandoned uploads and objects without a row."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import storages
from django.utils import timezone

from .models import StoredFile, Upload, UploadStatus, Visibility
from .uploads import sink_for


def remove_abandoned_uploads(*, idle_hours: int = 24) -> int:
    """Uploads that received nothing for ``idle_hours`` are cancelled and their bytes removed."""
    cutoff = timezone.now() - timedelta(hours=idle_hours)
    count = 0
    for upload in Upload.objects.filter(status=UploadStatus.RECEIVING, updated_at__lt=cutoff):
        sink_for(upload).discard()
        Upload.objects.filter(pk=upload.pk, status=UploadStatus.RECEIVING).update(
            status=UploadStatus.CANCELLED, failure_reason="abandoned"
        )
        count += 1
    return count


def remove_orphan_objects(*, grace_hours: int = 6) -> list[str]:
    """Delete objects that no StoredFile describes (left by a crash between storage and DB).

    Recent objects are spared: a request may have stored one and not yet committed its row, and
    unfinished uploads keep their chunks under ``uploads/`` until they finish or are abandoned.
    """
    cutoff = timezone.now() - timedelta(hours=grace_hours)
    removed = []
    live_uploads = {
        str(pk)
        for pk in Upload.objects.filter(status=UploadStatus.RECEIVING).values_list("pk", flat=True)
    }
    for alias, visibility in (("default", Visibility.PUBLIC), ("private", Visibility.PRIVATE)):
        storage = storages[alias]
        if not hasattr(storage, "iter_objects"):
            continue
        known = set(StoredFile.objects.filter(visibility=visibility).values_list("key", flat=True))
        for key, modified in storage.iter_objects():
            if key in known or (modified is not None and modified > cutoff):
                continue
            if key.startswith("uploads/") and any(upload_id in key for upload_id in live_uploads):
                continue
            if not key.startswith(("files/", "originals/", "derivatives/", "uploads/")):
                continue  # not ours to judge (for example Wagtail's images)
            storage.delete(key)
            removed.append(f"{alias}:{key}")
        removed += _abort_stale_multiparts(storage, alias, cutoff)
    return removed


def _live_multipart_ids() -> set[str]:
    return set(
        Upload.objects.filter(status=UploadStatus.RECEIVING)
        .exclude(multipart_id="")
        .values_list("multipart_id", flat=True)
    )


def _abort_stale_multiparts(storage, alias: str, cutoff) -> list[str]:
    """S3 multipart uploads left by a request that died before its row was saved."""
    if not hasattr(storage, "iter_multipart_uploads"):
        return []
    live = _live_multipart_ids()
    aborted = []
    for key, upload_id, started in storage.iter_multipart_uploads():
        if upload_id in live or (started is not None and started > cutoff):
            continue
        storage.abort_multipart(key, upload_id=upload_id)
        aborted.append(f"{alias}:multipart:{key}")
    return aborted
