"""Studio jobs: a session's raw recording is trimmed, normalised to about -16 LUFS, transcoded,
given chapters and lands in the maker's private works; measured with ffmpeg itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.tests.factories import ResourceFactory, local
from core.models import Notification
from makerspace import studio
from makerspace.models import StudioJob, StudioJobStatus
from media import processing
from media.models import StoredFile
from media.services import download_to
from tests.services import wait_for
from ugc.models import WorkState

from .factories import EquipmentFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def technician(db):
    staff = UserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="run_print_farm"))
    return staff


@pytest.fixture
def session(db):
    """A maker's recording-studio booking."""
    resource = ResourceFactory(kind="studio")
    EquipmentFactory(kind="recording", resource=resource, slug="studio-a")
    maker = UserFactory()
    return booking_services.book_resource(
        user=maker, resource=resource, starts_at=local(1, 10), ends_at=local(1, 11)
    )


def _recording(path: Path, *, video: bool = False) -> bytes:
    """2 s of silence, 5 s of a quiet tone (about -33 LUFS), 2 s of silence."""
    inputs = ["-f", "lavfi", "-i", "sine=frequency=440:duration=5:sample_rate=48000"]
    audio = "volume=-30dB,adelay=2000|2000,apad=pad_dur=2"
    if video:
        inputs += ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=9"]
        codecs = ["-map", "1:v", "-map", "0:a", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                  "-c:a", "aac", "-shortest"]  # fmt: skip
    else:
        codecs = ["-c:a", "pcm_s16le"]
    processing.ffmpeg(*inputs, "-af", audio, *codecs, str(path))
    return path.read_bytes()


def _chapters(path: Path) -> list[str]:
    dump = subprocess.run(
        [processing.FFMPEG, "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split("=", 1)[1] for line in dump.splitlines() if line.startswith("title=")]


def test_a_recording_is_trimmed_normalised_chaptered_and_becomes_a_private_work(
    session, technician, tmp_path
):
    raw = _recording(tmp_path / "raw.wav")
    job = studio.attach_recording(
        booking=session,
        upload=SimpleUploadedFile("session.wav", raw),
        by=technician,
        title="我的播客第一期",
        chapters="00:00 开场\n00:04.5 第二段",
    )
    assert studio.process(job.pk) == StudioJobStatus.DONE
    job.refresh_from_db()
    assert job.loudness_lufs == pytest.approx(-16, abs=1.0)
    work = job.work
    assert work.owner == session.user and work.state == WorkState.PRIVATE
    assert work.kind == "audio" and work.title == "我的播客第一期"
    result = tmp_path / "result.m4a"
    download_to(stored_file=work.asset.original, target=result)
    info = processing.probe_av(result)
    # 5 s of sound plus a breath either side: the 2 s silences are gone.
    assert info["duration"] == pytest.approx(5.4, abs=0.3)
    assert info["audio"]["codec"] == "aac"
    # Chapter times move with the trim: the second starts 4.5 - 2 + 0.2 s in.
    assert _chapters(result) == ["开场", "第二段"]
    assert studio.measure_loudness(result) == pytest.approx(-16, abs=1.0)
    assert Notification.objects.filter(user=session.user, url__contains=str(job.pk)).exists()
    assert studio.process(job.pk) == "skipped"  # a second delivery does nothing


def test_video_keeps_picture_and_sound_in_step(session, technician, tmp_path):
    raw = _recording(tmp_path / "raw.mp4", video=True)
    job = studio.attach_recording(
        booking=session,
        upload=SimpleUploadedFile("session.mp4", raw),
        by=technician,
        title="访谈",
    )
    assert studio.process(job.pk) == StudioJobStatus.DONE
    job.refresh_from_db()
    result = tmp_path / "result.mp4"
    download_to(stored_file=job.work.asset.original, target=result)
    info = processing.probe_av(result)
    assert job.work.kind == "video" and info["video"]["codec"] == "h264"
    assert info["duration"] == pytest.approx(5.4, abs=0.4)


@pytest.mark.parametrize(
    ("name", "data", "chapters", "message"),
    [
        ("session.wav", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "", "content"),
        ("session.wav", None, "5:30 ok\nsecond chapter", "line 2"),
        ("session.wav", None, "05:30 b\n01:00 a", "before the chapter above"),
    ],
)
def test_bad_recordings_and_markers_are_refused_and_nothing_is_stored(
    session, technician, tmp_path, name, data, chapters, message
):
    data = data or _recording(tmp_path / "raw.wav")
    with pytest.raises(ValidationError) as refused:
        studio.attach_recording(
            booking=session,
            upload=SimpleUploadedFile(name, data),
            by=technician,
            title="x",
            chapters=chapters,
        )
    assert message in " ".join(refused.value.messages)
    assert not StudioJob.objects.exists() and not StoredFile.objects.exists()


def test_only_staff_attach_and_only_to_studio_bookings(session, technician, tmp_path):
    raw = _recording(tmp_path / "raw.wav")
    with pytest.raises(studio.PermissionDenied):
        studio.attach_recording(
            booking=session, upload=SimpleUploadedFile("a.wav", raw), by=session.user, title="x"
        )
    room = booking_services.book_resource(
        user=session.user,
        resource=ResourceFactory(),
        starts_at=local(2, 10),
        ends_at=local(2, 11),
    )
    with pytest.raises(ValidationError, match="studio bookings"):
        studio.attach_recording(
            booking=room, upload=SimpleUploadedFile("a.wav", raw), by=technician, title="x"
        )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_processes_a_studio_job(technician, tmp_path, celery_worker):
    resource = ResourceFactory(kind="studio")
    EquipmentFactory(kind="video", resource=resource, slug="studio-b")
    session = booking_services.book_resource(
        user=UserFactory(), resource=resource, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    job = studio.attach_recording(
        booking=session,
        upload=SimpleUploadedFile("raw.wav", _recording(tmp_path / "raw.wav")),
        by=technician,
        title="录音",
    )
    wait_for(
        lambda: StudioJob.objects.get(pk=job.pk).status == StudioJobStatus.DONE,
        timeout=60,
        message=f"not processed:\n{celery_worker.log()[-3000:]}",
    )
