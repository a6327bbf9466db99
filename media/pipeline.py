"""Running and supervising processing jobs for media assets.

A job claims its asset by moving it to ``processing`` with a timestamp (a lease) in one UPDATE,
so two deliveries of the same task never work on one asset at once. The running job renews the
lease (core.leases.Heartbeat); a worker that dies stops renewing it, so it runs out within
minutes and ``requeue_stalled`` (a beat task) hands the asset to another worker, and after too
many attempts marks it failed with a reason instead of retrying for ever. A job that finds its
lease taken over (it stalled past it) throws its result away.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.leases import Heartbeat
from core.tasks import enqueue

from . import processing
from .models import Derivative, MediaAsset, ProcessingStatus, StoredFile
from .services import download_to, new_key, storage_for


def create_asset(*, original: StoredFile, kind: str, fmt: str) -> MediaAsset:
    from .tasks import process_asset

    asset = MediaAsset.objects.create(original=original, kind=kind, format=fmt)
    enqueue(process_asset, str(asset.pk))
    return asset


def _claim(asset_id, *, lease_seconds: int) -> MediaAsset | None:
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds)
    claimed = (
        MediaAsset.objects.filter(pk=asset_id)
        .filter(
            Q(status=ProcessingStatus.PENDING)
            | Q(status=ProcessingStatus.PROCESSING, processing_started_at__lt=stale)
        )
        .update(
            status=ProcessingStatus.PROCESSING,
            processing_started_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return MediaAsset.objects.select_related("original").get(pk=asset_id) if claimed else None


def _fail(asset: MediaAsset, reason: str) -> None:
    MediaAsset.objects.filter(pk=asset.pk).update(
        status=ProcessingStatus.FAILED, failure_reason=reason, processing_started_at=None
    )


def run(asset_id, *, lease_seconds: int | None = None) -> str:
    """Process one asset if it is due; returns the status it ended in (or 'skipped')."""
    lease = settings.MEDIA_PROCESSING_LEASE_SECONDS if lease_seconds is None else lease_seconds
    asset = _claim(asset_id, lease_seconds=lease)
    if asset is None:
        return "skipped"
    original = asset.original
    storage = storage_for(original.visibility)
    made: list[StoredFile] = []
    heartbeat = Heartbeat(
        model=MediaAsset, pk=asset.pk, field="processing_started_at",
        held_since=asset.processing_started_at,
    )  # fmt: skip
    try:
        with heartbeat, tempfile.TemporaryDirectory(prefix="liaotu-media-") as tmp:
            workdir = Path(tmp)
            source = workdir / f"original.{asset.format}"
            digest = download_to(stored_file=original, target=source)
            result = processing.process(source, workdir, kind=asset.kind, fmt=asset.format)
            for output in result.outputs:
                with open(output.path, "rb") as handle:
                    key = storage.save(
                        new_key(prefix="derivatives", original_name=output.path.name), File(handle)
                    )
                made.append(
                    StoredFile(
                        owner=original.owner,
                        visibility=original.visibility,
                        key=key,
                        original_name=output.path.name,
                        content_type=output.content_type,
                        size=output.path.stat().st_size,
                        sha256="",
                    )
                )
            size = original.size
            if result.cleaned_original is not None:
                # Replace the original with the copy that has no EXIF or GPS data.
                storage.delete(original.key)
                with open(result.cleaned_original, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
                    handle.seek(0)
                    storage.save(original.key, File(handle))
                size = result.cleaned_original.stat().st_size
        if heartbeat.lost or not _finish(
            asset, result, made, digest=digest, size=size, held_since=heartbeat.stamp
        ):
            # Another worker took the asset over while this one stalled: its result stands.
            _discard(made, storage)
            return "skipped"
    except processing.ProcessingError as error:
        _discard(made, storage)
        _fail(asset, str(error))
        return ProcessingStatus.FAILED
    except Exception:
        _discard(made, storage)
        asset.refresh_from_db()
        if asset.attempts >= settings.MEDIA_PROCESSING_MAX_ATTEMPTS:
            _fail(asset, _("Processing failed several times; the library has been told."))
        else:
            # Hand the asset back so that a retry (or the reconciliation task) can claim it,
            # unless another worker holds it by now.
            MediaAsset.objects.filter(
                pk=asset.pk,
                status=ProcessingStatus.PROCESSING,
                processing_started_at=heartbeat.stamp,
            ).update(status=ProcessingStatus.PENDING, processing_started_at=None)
        raise
    return ProcessingStatus.READY


def _discard(made: list[StoredFile], storage) -> None:
    for stored in made:
        storage.delete(stored.key)


@transaction.atomic
def _finish(asset, result, made: list[StoredFile], *, digest: str, size: int, held_since) -> bool:
    locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
    if locked.status != ProcessingStatus.PROCESSING or locked.processing_started_at != held_since:
        return False
    # A re-run replaces what an earlier run made; their objects go once this commits.
    old = list(StoredFile.objects.filter(derivative__asset=locked))
    Derivative.objects.filter(asset=locked).delete()
    for stored in old:
        stored_storage = storage_for(stored.visibility)
        key = stored.key
        stored.delete()
        transaction.on_commit(lambda s=stored_storage, k=key: s.delete(k))
    for stored, output in zip(made, result.outputs, strict=True):
        stored.save()
        Derivative.objects.create(
            asset=locked, role=output.role, file=stored, width=output.width, height=output.height
        )
    StoredFile.objects.filter(pk=locked.original_id).update(sha256=digest, size=size)
    locked.status = ProcessingStatus.READY
    locked.probe = result.probe
    locked.failure_reason = ""
    locked.processed_at = timezone.now()
    locked.processing_started_at = None
    locked.save()
    return True


def requeue_stalled(
    *, lease_seconds: int | None = None, pending_grace_seconds: int | None = None
) -> int:
    """Give stalled jobs to a worker again; fail those that have used up their attempts.

    A job still waiting after two leases is sent again too: its message may have been taken by
    a worker that died before starting it (it comes back from Redis only after the visibility
    timeout, hours later). A duplicate costs one skipped claim; a lost one a reader's upload.
    """
    from .tasks import process_asset

    lease = settings.MEDIA_PROCESSING_LEASE_SECONDS if lease_seconds is None else lease_seconds
    if pending_grace_seconds is None:
        pending_grace_seconds = 2 * lease
    now = timezone.now()
    stalled = MediaAsset.objects.filter(
        Q(
            status=ProcessingStatus.PROCESSING,
            processing_started_at__lt=now - timedelta(seconds=lease),
        )
        | Q(
            # Waiting long (its message lost with a worker, or a long queue): handed out again
            # once per grace period, not at every run, so a long queue is not multiplied.
            Q(processing_started_at=None)
            | Q(processing_started_at__lt=now - timedelta(seconds=pending_grace_seconds)),
            status=ProcessingStatus.PENDING,
            created_at__lt=now - timedelta(seconds=pending_grace_seconds),
        )
    )
    count = 0
    for asset in stalled:
        if asset.attempts >= settings.MEDIA_PROCESSING_MAX_ATTEMPTS:
            _fail(asset, _("Processing failed several times; the library has been told."))
            continue
        # A waiting asset's timestamp is when it was last handed out (claiming overwrites it).
        MediaAsset.objects.filter(pk=asset.pk, status=asset.status).update(
            status=ProcessingStatus.PENDING, processing_started_at=now
        )
        process_asset.apply_async(args=[str(asset.pk)])
        count += 1
    return count
