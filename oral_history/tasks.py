"""Background work for the archive: the redacted public access copy of a recording."""

from __future__ import annotations

import tempfile
from pathlib import Path

from celery import Task, shared_task
from django.core.files import File
from django.db import transaction

from core.tasks import IdempotentTask, enqueue
from media import processing
from media.models import ProcessingStatus, Visibility
from media.selectors import access_copy
from media.services import delete_stored_file, download_to, store_file

from .models import InterviewMedia


def _between(ranges: list[list[float]]) -> str:
    return "+".join(f"between(t,{start:.3f},{end:.3f})" for start, end in ranges)


def build_redacted_copy(item_id: str) -> str:
    """Silence (and for video, black out) the redacted ranges in a copy of the access copy.

    Timings stay as they are, so the transcript, the index and deep links still line up.
    Idempotent: the copy is kept only if the item still wants one for the same ranges.
    """
    item = InterviewMedia.objects.select_related("asset").filter(pk=item_id).first()
    if item is None or item.redacted_copy_status != InterviewMedia.CopyStatus.PENDING:
        return "not pending"
    if item.asset.status != ProcessingStatus.READY:
        return "waiting for the access copy"
    source = access_copy(asset_id=item.asset_id)
    if source is None:
        return "no access copy"
    ranges = item.redacted_for
    video = source.role == "video"
    with tempfile.TemporaryDirectory(prefix="oh-redact-") as workdir:
        original = Path(workdir) / ("in.mp4" if video else "in.m4a")
        target = Path(workdir) / ("out.mp4" if video else "out.m4a")
        download_to(stored_file=source.file, target=original)
        enable = _between(ranges)
        args = ["-i", str(original), "-af", f"volume=enable='{enable}':volume=0"]
        if video:
            args += ["-vf", f"drawbox=enable='{enable}':color=black:t=fill", "-c:v", "libx264",
                     "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p"]  # fmt: skip
        args += ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(target)]
        processing.ffmpeg(*args)
        with open(target, "rb") as handle:
            stored = store_file(
                content=File(handle, name=target.name),
                original_name=f"redacted-{item.pk}{target.suffix}",
                content_type=source.file.content_type,
                visibility=Visibility.PRIVATE,
                prefix="oral-history/redacted",
            )
    with transaction.atomic():
        locked = InterviewMedia.objects.select_for_update().get(pk=item.pk)
        if (
            locked.redacted_copy_status != InterviewMedia.CopyStatus.PENDING
            or locked.redacted_for != ranges
        ):
            delete_stored_file(stored_file=stored)
            return "superseded"
        previous = locked.redacted_copy
        locked.redacted_copy = stored
        locked.redacted_copy_status = InterviewMedia.CopyStatus.READY
        locked.save(update_fields=["redacted_copy", "redacted_copy_status"])
        if previous is not None:
            delete_stored_file(stored_file=previous)
    return "ready"


@shared_task(base=IdempotentTask, bind=True, name="oral_history.tasks.make_redacted_copy")
def make_redacted_copy(self: Task, item_id: str) -> str:
    try:
        return build_redacted_copy(item_id)
    except processing.ProcessingError as error:
        InterviewMedia.objects.filter(
            pk=item_id, redacted_copy_status=InterviewMedia.CopyStatus.PENDING
        ).update(redacted_copy_status=InterviewMedia.CopyStatus.FAILED)
        return str(error)


@shared_task(base=IdempotentTask, name="oral_history.tasks.resume_redacted_copies")
def resume_redacted_copies() -> int:
    """Beat: copies still pending (the access copy was not ready yet, or a worker died)."""
    pending = InterviewMedia.objects.filter(
        redacted_copy_status=InterviewMedia.CopyStatus.PENDING,
        asset__status=ProcessingStatus.READY,
    ).values_list("pk", flat=True)
    for item_id in pending:
        enqueue(make_redacted_copy, str(item_id))
    return len(pending)


@shared_task(base=IdempotentTask, name="oral_history.tasks.announce_interview")
def announce_interview(interview_id: int) -> int:
    """Tell the followers of a published interview's subjects (once each)."""
    from . import services

    return services.tell_subject_followers(interview_id=interview_id)
