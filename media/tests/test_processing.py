"""Processing with the real tools: ffmpeg (from the wheel), PyAV, Pillow and pdfium."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image

from media import pipeline, services
from media.models import MediaAsset, ProcessingStatus
from media.tests import samples


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("processing")


def make_asset(user, data: bytes, name: str, kind: str, fmt: str) -> MediaAsset:
    stored = services.store_file(
        content=ContentFile(data), original_name=name, content_type="application/octet-stream",
        owner=user, prefix="tests/processing",
    )  # fmt: skip
    return MediaAsset.objects.create(original=stored, kind=kind, format=fmt)


def derivative_bytes(asset: MediaAsset, role: str) -> bytes:
    stored = asset.derivatives.get(role=role).file
    return b"".join(storages["private"].stream(stored.key))


@pytest.mark.django_db
def test_video_becomes_h264_aac_mp4_with_a_poster(user, sample_dir, s3_endpoint):
    asset = make_asset(user, samples.ffmpeg_sample(sample_dir, "webm").read_bytes(), "clip.webm",
                       "video", "webm")  # fmt: skip
    assert pipeline.run(asset.pk) == ProcessingStatus.READY
    asset.refresh_from_db()
    assert asset.status == ProcessingStatus.READY
    assert asset.probe["video"]["width"] == 320
    assert asset.probe["duration"] == pytest.approx(2, abs=0.5)
    video = derivative_bytes(asset, "video")
    assert video[4:8] == b"ftyp"
    probe = pipeline.processing.probe_av(_write(sample_dir / "out.mp4", video))
    assert probe["video"]["codec"] == "h264"
    assert probe["audio"]["codec"] == "aac"
    poster = Image.open(io.BytesIO(derivative_bytes(asset, "poster")))
    assert poster.format == "JPEG" and poster.height == 240
    assert len(asset.original.__class__.objects.get(pk=asset.original_id).sha256) == 64


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.django_db
def test_audio_gets_aac_and_waveform_peaks(user, sample_dir, s3_endpoint):
    asset = make_asset(user, samples.ffmpeg_sample(sample_dir, "flac").read_bytes(), "a.flac",
                       "audio", "flac")  # fmt: skip
    assert pipeline.run(asset.pk) == ProcessingStatus.READY
    peaks = json.loads(derivative_bytes(asset, "waveform"))["peaks"]
    assert 700 <= len(peaks) <= 801
    assert all(0.1 < peak < 0.2 for peak in peaks[:-1])  # ffmpeg's sine source is at 1/8 scale
    assert derivative_bytes(asset, "audio")[4:8] == b"ftyp"


@pytest.mark.django_db
def test_images_lose_exif_and_gps_and_get_renditions(user, s3_endpoint):
    data = samples.image_bytes("jpeg", size=(2000, 1000), exif_gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # GPS is really there
    asset = make_asset(user, data, "photo.jpg", "image", "jpeg")
    assert pipeline.run(asset.pk) == ProcessingStatus.READY
    asset.refresh_from_db()
    original = b"".join(storages["private"].stream(asset.original.key))
    cleaned = Image.open(io.BytesIO(original))
    assert not cleaned.getexif()
    assert cleaned.size == (2000, 1000)
    large = Image.open(io.BytesIO(derivative_bytes(asset, "large")))
    assert (large.format, large.width) == ("WEBP", 1600)
    assert not large.getexif()
    assert Image.open(io.BytesIO(derivative_bytes(asset, "thumbnail"))).width == 320


@pytest.mark.django_db
def test_decompression_bombs_are_refused(user, settings, s3_endpoint):
    settings.MEDIA_MAX_IMAGE_PIXELS = 1000
    asset = make_asset(user, samples.image_bytes("png", size=(100, 100)), "a.png", "image", "png")
    assert pipeline.run(asset.pk) == ProcessingStatus.FAILED
    asset.refresh_from_db()
    assert "1,000" in asset.failure_reason
    assert not asset.derivatives.exists()


@pytest.mark.django_db
def test_pdf_gets_a_first_page_thumbnail(user, s3_endpoint):
    asset = make_asset(user, samples.pdf_bytes(), "guide.pdf", "document", "pdf")
    assert pipeline.run(asset.pk) == ProcessingStatus.READY
    asset.refresh_from_db()
    assert asset.probe["pages"] == 1
    assert Image.open(io.BytesIO(derivative_bytes(asset, "thumbnail"))).format == "WEBP"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (samples.stl_binary(), "stl"),
        (samples.stl_ascii(), "stl"),
        (samples.obj_text(), "obj"),
        (samples.three_mf(), "3mf"),
        (samples.glb(), "glb"),
    ],
)
def test_models_report_triangles_and_bounding_box_with_a_preview(user, s3_endpoint, data, fmt):
    asset = make_asset(user, data, f"cube.{fmt}", "model", fmt)
    assert pipeline.run(asset.pk) == ProcessingStatus.READY
    asset.refresh_from_db()
    assert asset.probe["triangles"] == 12
    assert asset.probe["bounding_box_mm"] == [10, 20, 30]
    preview = Image.open(io.BytesIO(derivative_bytes(asset, "preview")))
    assert preview.size == (480, 480)
    assert len(set(preview.getdata())) > 3  # shaded faces, not a blank square


@pytest.mark.django_db
def test_a_damaged_file_fails_with_a_reason_and_running_again_changes_nothing(user, s3_endpoint):
    asset = make_asset(user, b"\x1a\x45\xdf\xa3webm" + b"\x00" * 500, "x.webm", "video", "webm")
    assert pipeline.run(asset.pk) == ProcessingStatus.FAILED
    asset.refresh_from_db()
    assert asset.failure_reason
    # A re-delivered task finds the asset already settled and does nothing.
    assert pipeline.run(asset.pk) == "skipped"


@pytest.mark.django_db
def test_running_twice_keeps_one_set_of_derivatives(
    user, s3_endpoint, django_capture_on_commit_callbacks
):
    asset = make_asset(user, samples.pdf_bytes(), "guide.pdf", "document", "pdf")
    pipeline.run(asset.pk)
    first = asset.derivatives.get().file.key
    MediaAsset.objects.filter(pk=asset.pk).update(status=ProcessingStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.run(asset.pk)
    assert asset.derivatives.count() == 1
    assert asset.derivatives.get().file.key != first
    assert not storages["private"].exists(first)
