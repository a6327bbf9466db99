import io

import pytest

from media.sniff import UnsupportedFile, check_claim, sniff_head, verify_complete
from media.tests import samples


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("samples")


def identify(data: bytes, filename: str):
    fmt = sniff_head(data[:4096], total_size=len(data))
    fmt = verify_complete(fmt, io.BytesIO(data), size=len(data))
    check_claim(fmt, filename)
    return fmt


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("mp4", "video"),
        ("mov", "video"),
        ("webm", "video"),
        ("mkv", "video"),
        ("mp3", "audio"),
        ("m4a", "audio"),
        ("wav", "audio"),
        ("ogg", "audio"),
        ("flac", "audio"),
    ],
)
def test_real_audio_and_video_are_recognised(sample_dir, fmt, kind):
    data = samples.ffmpeg_sample(sample_dir, fmt).read_bytes()
    detected = identify(data, f"clip.{fmt}")
    assert detected.kind == kind
    assert fmt in detected.extensions


@pytest.mark.parametrize(
    ("data", "filename", "name"),
    [
        (samples.image_bytes("jpeg"), "photo.jpg", "jpeg"),
        (samples.image_bytes("png"), "photo.png", "png"),
        (samples.image_bytes("webp"), "photo.webp", "webp"),
        (samples.image_bytes("gif"), "anim.gif", "gif"),
        (samples.pdf_bytes(), "guide.pdf", "pdf"),
        (samples.stl_binary(), "cube.stl", "stl"),
        (samples.stl_ascii(), "cube.stl", "stl"),
        (samples.obj_text(), "cube.obj", "obj"),
        (samples.three_mf(), "cube.3mf", "3mf"),
        (samples.glb(), "cube.glb", "glb"),
    ],
)
def test_images_documents_and_models_are_recognised(data, filename, name):
    assert identify(data, filename).name == name


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (samples.WINDOWS_EXE, "movie.mp4", "程序"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "song.mp3", "程序"),
        (samples.HTML_PAGE, "photo.jpg", "网页"),
        (samples.SVG_WITH_SCRIPT, "logo.png", "SVG"),
        (samples.plain_zip(), "model.3mf", "不是 3MF"),
        (b"Rar!\x1a\x07\x00" + b"\x00" * 50, "model.stl", "压缩"),
        (samples.image_bytes("png"), "photo.jpg", "不符"),
        (samples.image_bytes("jpeg"), "photo.exe", ".exe"),
        (b"", "empty.mp4", "空"),
        (b"just some notes, not a model\n", "notes.obj", "不接受"),
    ],
)
def test_hostile_or_mismatched_files_are_refused_with_a_reason(data, filename, reason):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(UnsupportedFile) as error:
        identify(data, filename)
    assert reason in str(error.value)


def test_a_truncated_binary_stl_is_refused():
    data = samples.stl_binary()[:-20]
    with pytest.raises(UnsupportedFile):
        identify(data, "cube.stl")
