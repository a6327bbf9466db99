"""Studio jobs: raw recordings from a recording- or video-studio booking become a finished file
in the maker's private works.

Post-production is the same for every session: silence trimmed at both ends (both streams cut
together, so video stays in sync), loudness normalised to about -16 LUFS (EBU R128 speech
target for online audio) with ffmpeg's two-pass ``loudnorm``, transcoded (AAC in M4A, or H.264
+ AAC in MP4), with chapters when staff give markers. The result then enters the ordinary media
pipeline as a private ugc Work that the maker may submit for publication.

A job is claimed with a lease like media assets are (``processing`` + timestamp in one UPDATE),
renewed while the job runs (core.leases.Heartbeat), so a second delivery does nothing and a
crashed worker's job is picked up again within minutes.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from booking.models import ACTIVE_STATUSES, Booking
from core.insight import services as insight
from core.leases import Heartbeat
from core.sanitize import plain_text
from core.tasks import enqueue
from media import processing
from media.pipeline import create_asset
from media.services import delete_stored_file, download_to, identify_upload, store_file
from media.sniff import MediaKind
from ugc.services import add_work

from . import notifications
from .models import EquipmentKind, StudioJob, StudioJobStatus

TARGET_LUFS = -16.0
SILENCE_DB = -50
_MARKER = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?\s+(.+?)\s*$")


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


def parse_chapters(text: str) -> list[Chapter]:
    """``mm:ss Title`` or ``h:mm:ss Title`` per line, in order; errors name the line."""
    chapters: list[Chapter] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _MARKER.match(line)
        if match is None:
            raise ValidationError(
                _("Chapter line %(line)d should look like “05:30 Title”.") % {"line": number}
            )
        hours, minutes, seconds, fraction, title = match.groups()
        start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        start += int((fraction or "0").ljust(3, "0")) / 1000
        if int(seconds) >= 60 or (hours and int(minutes) >= 60):
            raise ValidationError(
                _("Chapter line %(line)d has an impossible time.") % {"line": number}
            )
        if chapters and start <= chapters[-1].start:
            raise ValidationError(
                _("Chapter line %(line)d starts before the chapter above it.") % {"line": number}
            )
        chapters.append(Chapter(start=start, title=plain_text(title)[:100]))
    return chapters


# --- Staff: attaching recordings --------------------------------------------------------------


def attach_recording(
    *,
    booking: Booking,
    upload,
    by: User,
    title: str,
    chapters: str = "",
    trim_silence: bool = True,
) -> StudioJob:
    """Staff (or the studio computer's account) upload a session's raw recording."""
    if not by.has_perm("makerspace.run_print_farm"):
        raise PermissionDenied
    equipment = getattr(booking.resource, "equipment", None) if booking.resource_id else None
    if equipment is None or equipment.kind not in (
        EquipmentKind.RECORDING_STUDIO,
        EquipmentKind.VIDEO_STUDIO,
    ):
        raise ValidationError(_("Recordings can only be attached to studio bookings."))
    if booking.status not in ACTIVE_STATUSES:
        raise ValidationError(_("This booking was cancelled."))
    title = plain_text(title)[:120]
    if not title:
        raise ValidationError(_("Please give the recording a title."))
    parse_chapters(chapters)
    fmt = identify_upload(
        upload,
        kinds={MediaKind.AUDIO, MediaKind.VIDEO},
        max_bytes=settings.MAKERSPACE_MAX_RECORDING_BYTES,
    )
    with transaction.atomic():
        job = StudioJob.objects.select_for_update().filter(booking=booking).first()
        if job is not None and job.status not in (StudioJobStatus.WAITING, StudioJobStatus.FAILED):
            raise ValidationError(_("This session's recording is already being processed."))
        raw = store_file(
            content=upload,
            original_name=upload.name,
            content_type=fmt.mime,
            owner=booking.user,
            prefix="makerspace/studio",
        )
        if job is None:
            job = StudioJob(booking=booking)
        elif job.raw is not None:
            delete_stored_file(stored_file=job.raw)  # the failed attempt's file, on commit
        job.title = title
        job.chapters = chapters.strip()
        job.trim_silence = trim_silence
        job.raw = raw
        job.raw_format = fmt.name
        job.status = StudioJobStatus.WAITING
        job.failure_reason = ""
        job.attempts = 0
        job.save()
        from .tasks import process_studio_job

        enqueue(process_studio_job, str(job.pk))
    return job


# --- Processing ------------------------------------------------------------------------------


def _run(*args: str) -> str:
    """ffmpeg with its info log, where the filters used here write their measurements."""
    return processing.ffmpeg(*args, log_level="info")


def speech_bounds(source: Path, duration: float) -> tuple[float, float]:
    """Where sound starts and stops (silencedetect below -50 dBFS for half a second)."""
    log = _run("-i", str(source), "-vn", "-af",
               f"silencedetect=noise={SILENCE_DB}dB:d=0.5", "-f", "null", "-")  # fmt: skip
    starts = [float(v) for v in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(v) for v in re.findall(r"silence_end: ([\d.]+)", log)]
    begin, finish = 0.0, duration
    if starts and starts[0] <= 0.05 and ends:
        begin = ends[0]
    if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.05):
        finish = starts[-1]
    if finish - begin < 0.5:  # all silence: keep everything rather than nothing
        return 0.0, duration
    # Leave a breath of room either side, as an editor would.
    return max(0.0, begin - 0.2), min(duration, finish + 0.2)


def measure_loudness(path: Path) -> float:
    log = _run("-i", str(path), "-vn", "-af", "loudnorm=print_format=json", "-f", "null", "-")
    return float(_loudnorm_json(log)["input_i"])


def _loudnorm_json(log: str) -> dict:
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", log, re.S)
    if found is None:
        raise processing.ProcessingError(_("The loudness could not be measured."))
    return json.loads(found.group(0))


def _chapters_file(path: Path, chapters: list[Chapter], *, offset: float, length: float) -> None:
    lines = [";FFMETADATA1"]
    kept = [c for c in chapters if c.start - offset < length]
    for index, chapter in enumerate(kept):
        start = max(0.0, chapter.start - offset)
        end = kept[index + 1].start - offset if index + 1 < len(kept) else length
        title = chapter.title.replace("\\", "\\\\").replace("=", "\\=").replace(";", "\\;")
        title = title.replace("#", "\\#").replace("\n", " ")
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(start * 1000)}",
                  f"END={int(end * 1000)}", f"title={title}"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def master(source: Path, workdir: Path, *, chapters: list[Chapter], trim: bool) -> tuple[Path, str]:
    """Trim, normalise, transcode and add chapters; returns the file and its media kind."""
    info = processing.probe_av(source)
    if "audio" not in info:
        raise processing.ProcessingError(_("The recording has no sound."))
    duration = info.get("duration") or 0.0
    begin, finish = speech_bounds(source, duration) if trim else (0.0, duration)
    window = ["-ss", f"{begin:.3f}", "-to", f"{finish:.3f}"]
    # Pass 1 measures the trimmed sound; pass 2 applies a linear gain from those figures.
    first = _loudnorm_json(
        _run(*window, "-i", str(source), "-vn", "-af",
             f"loudnorm=I={TARGET_LUFS}:TP=-1.5:LRA=11:print_format=json", "-f", "null", "-")
    )  # fmt: skip
    loudnorm = (
        f"loudnorm=I={TARGET_LUFS}:TP=-1.5:LRA=11:measured_I={first['input_i']}"
        f":measured_TP={first['input_tp']}:measured_LRA={first['input_lra']}"
        f":measured_thresh={first['input_thresh']}:offset={first['target_offset']}"
        ":linear=true,aresample=48000"
    )
    meta = workdir / "chapters.txt"
    _chapters_file(meta, chapters, offset=begin, length=finish - begin)
    is_video = "video" in info
    output = workdir / ("master.mp4" if is_video else "master.m4a")
    codecs = (
        ["-map", "0:v:0", "-map", "0:a:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
         "-pix_fmt", "yuv420p"]
        if is_video
        else ["-map", "0:a:0", "-vn"]
    )  # fmt: skip
    _run(*window, "-i", str(source), "-i", str(meta), "-map_metadata", "1", "-map_chapters", "1",
         *codecs, "-af", loudnorm, "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart",
         "-y", str(output))  # fmt: skip
    return output, MediaKind.VIDEO if is_video else MediaKind.AUDIO


def _claim(job_id) -> StudioJob | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MEDIA_PROCESSING_LEASE_SECONDS)
    claimed = (
        StudioJob.objects.filter(pk=job_id, raw__isnull=False)
        .filter(
            Q(status=StudioJobStatus.WAITING)
            | Q(status=StudioJobStatus.PROCESSING, started_at__lt=stale)
        )
        .update(status=StudioJobStatus.PROCESSING, started_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return StudioJob.objects.select_related("booking__user", "raw").get(pk=job_id)


def _failed(job: StudioJob, reason: str) -> None:
    with transaction.atomic():
        updated = StudioJob.objects.filter(pk=job.pk, status=StudioJobStatus.PROCESSING).update(
            status=StudioJobStatus.FAILED, failure_reason=reason[:500], started_at=None
        )
        if updated:
            job.refresh_from_db()
            insight.record("studio.processed", user=job.booking.user, subject=job, outcome="failed")
            notifications.studio_job_changed(job)


def process(job_id) -> str:
    job = _claim(job_id)
    if job is None:
        return "skipped"
    owner = job.booking.user
    heartbeat = Heartbeat(model=StudioJob, pk=job.pk, field="started_at", held_since=job.started_at)
    try:
        with heartbeat, tempfile.TemporaryDirectory(prefix="liaotu-studio-") as tmp:
            workdir = Path(tmp)
            source = workdir / f"raw.{job.raw_format}"
            download_to(stored_file=job.raw, target=source)
            output, kind = master(
                source, workdir, chapters=parse_chapters(job.chapters), trim=job.trim_silence
            )
            loudness = measure_loudness(output)
            with open(output, "rb") as handle:
                stored = store_file(
                    content=File(handle),
                    original_name=f"{job.title}{output.suffix}",
                    content_type="video/mp4" if kind == MediaKind.VIDEO else "audio/mp4",
                    owner=owner,
                    prefix="makerspace/studio",
                )
    except (processing.ProcessingError, ValidationError) as error:
        reason = error.messages[0] if isinstance(error, ValidationError) else str(error)
        _failed(job, reason)
        return StudioJobStatus.FAILED
    except Exception:
        job.refresh_from_db()
        if job.attempts >= settings.MEDIA_PROCESSING_MAX_ATTEMPTS:
            _failed(job, _("Processing failed several times; the library has been told."))
        else:
            StudioJob.objects.filter(
                pk=job.pk, status=StudioJobStatus.PROCESSING, started_at=heartbeat.stamp
            ).update(status=StudioJobStatus.WAITING, started_at=None)
        raise
    with transaction.atomic():
        locked = StudioJob.objects.select_for_update().get(pk=job.pk)
        if (
            heartbeat.lost
            or locked.status != StudioJobStatus.PROCESSING
            or locked.started_at != heartbeat.stamp
            or locked.work_id
        ):
            delete_stored_file(stored_file=stored)
            return "skipped"
        asset = create_asset(original=stored, kind=kind, fmt=output.suffix.lstrip("."))
        locked.work = add_work(
            owner=owner,
            asset=asset,
            title=locked.title,
            description=_("Recorded in the library's %(studio)s on %(day)s.")
            % {
                "studio": locked.booking.resource.name,
                "day": timezone.localtime(locked.booking.starts_at).date().isoformat(),
            },
        )
        locked.status = StudioJobStatus.DONE
        locked.loudness_lufs = round(loudness, 1)
        locked.started_at = None
        locked.save()
        insight.record("studio.processed", user=owner, subject=locked, outcome="done")
        notifications.studio_job_changed(locked)
    return StudioJobStatus.DONE


def resume_stalled() -> int:
    """Hand jobs a crashed worker left (or whose task was lost) to a worker again."""
    from .tasks import process_studio_job

    stale = timezone.now() - timedelta(seconds=settings.MEDIA_PROCESSING_LEASE_SECONDS)
    due = list(
        StudioJob.objects.filter(raw__isnull=False)
        .filter(
            Q(status=StudioJobStatus.PROCESSING, started_at__lt=stale)
            | Q(status=StudioJobStatus.WAITING, updated_at__lt=stale)
        )
        .values_list("pk", flat=True)
    )
    for pk in due:
        enqueue(process_studio_job, str(pk))
    return len(due)
