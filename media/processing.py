"""Turning an original into what readers receive: probes, access copies, posters, renditions.

Each handler works on a local copy in a temporary folder and returns the files it made; the
task stores them as derivatives. ffmpeg is the binary shipped in the imageio-ffmpeg wheel, so no
system package is needed; PyAV reads technical details, Pillow handles images and pypdfium2
renders PDF pages.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pypdfium2
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from . import models3d
from .sniff import MediaKind

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
ACCESS_HEIGHT = 720
WAVEFORM_POINTS = 800
WAVEFORM_RATE = 8000
IMAGE_RENDITIONS = [("large", 1600, "WEBP"), ("medium", 800, "JPEG"), ("thumbnail", 320, "WEBP")]


class ProcessingError(Exception):
    """Processing cannot succeed for this file; ``str()`` is shown to its owner."""


@dataclass
class Output:
    role: str
    path: Path
    content_type: str
    width: int | None = None
    height: int | None = None


@dataclass
class Result:
    probe: dict = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)
    # Set when the original itself was rewritten (images lose their EXIF/GPS data).
    cleaned_original: Path | None = None


def ffmpeg(*args: str, timeout: int | None = None, log_level: str = "error") -> str:
    """Run ffmpeg; returns what it logged (filters such as ``loudnorm`` and ``silencedetect``
    report their measurements there at ``log_level="info"``)."""
    completed = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", log_level, "-nostdin", "-y", *args],
        capture_output=True,
        text=True,
        timeout=timeout or settings.CELERY_TASK_SOFT_TIME_LIMIT,
    )
    if completed.returncode != 0:
        raise ProcessingError(
            _("The file could not be converted: %(detail)s")
            % {"detail": completed.stderr.strip()[-300:] or completed.returncode}
        )
    return completed.stderr


def probe_av(path: Path) -> dict:
    try:
        with av.open(str(path)) as container:
            duration = float(container.duration / av.time_base) if container.duration else None
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            info: dict = {"format": container.format.name, "duration": duration}
            if video is not None:
                info["video"] = {
                    "codec": video.codec_context.name,
                    "width": video.codec_context.width,
                    "height": video.codec_context.height,
                    "fps": float(video.average_rate) if video.average_rate else None,
                }
            if audio is not None:
                info["audio"] = {
                    "codec": audio.codec_context.name,
                    "sample_rate": audio.codec_context.sample_rate,
                    "channels": audio.codec_context.channels,
                }
            return info
    except av.error.FFmpegError as error:
        raise ProcessingError(_("The file is damaged or not a media file.")) from error


def process_video(source: Path, workdir: Path) -> Result:
    info = probe_av(source)
    if "video" not in info:
        raise ProcessingError(_("The file has no video picture."))
    height = min(ACCESS_HEIGHT, info["video"]["height"] or ACCESS_HEIGHT)
    access = workdir / "access.mp4"
    ffmpeg(
        "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", f"scale=-2:{height - height % 2}", "-c:v", "libx264", "-preset", "veryfast",
        "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart", str(access),
    )  # fmt: skip
    poster = workdir / "poster.jpg"
    at = min(1.0, (info.get("duration") or 0) / 2)
    ffmpeg("-ss", f"{at:.2f}", "-i", str(source), "-frames:v", "1",
           "-vf", f"scale=-2:{height - height % 2}", "-q:v", "3", str(poster))  # fmt: skip
    width = probe_av(access)["video"]["width"]
    return Result(
        probe=info,
        outputs=[
            Output("video", access, "video/mp4", width, height),
            Output("poster", poster, "image/jpeg", width, height),
        ],
    )


def waveform_peaks(source: Path, *, points: int = WAVEFORM_POINTS, duration: float | None) -> list:
    """Peak levels (0–1) across the recording, decoded by ffmpeg a block at a time."""
    expected = max(1, int((duration or 1) * WAVEFORM_RATE))
    per_point = max(1, math.ceil(expected / points))
    process = subprocess.Popen(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(source),
         "-ac", "1", "-ar", str(WAVEFORM_RATE), "-f", "s16le", "-"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    peaks: list[float] = []
    carry = np.zeros(0, dtype=np.int16)
    assert process.stdout is not None
    while chunk := process.stdout.read(per_point * 2 * 256):
        samples = np.concatenate([carry, np.frombuffer(chunk[: len(chunk) // 2 * 2], "<i2")])
        whole = len(samples) // per_point * per_point
        if whole:
            blocks = np.abs(samples[:whole].astype(np.int32)).reshape(-1, per_point).max(axis=1)
            peaks.extend((blocks / 32768).round(3).tolist())
        carry = samples[whole:]
    if len(carry):
        peaks.append(round(float(np.abs(carry.astype(np.int32)).max()) / 32768, 3))
    process.wait()
    return peaks


def process_audio(source: Path, workdir: Path) -> Result:
    info = probe_av(source)
    if "audio" not in info:
        raise ProcessingError(_("The file has no sound."))
    access = workdir / "access.m4a"
    ffmpeg("-i", str(source), "-vn", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
           str(access))  # fmt: skip
    peaks_path = workdir / "peaks.json"
    peaks = waveform_peaks(source, duration=info.get("duration"))
    peaks_path.write_text(json.dumps({"version": 1, "rate": WAVEFORM_RATE, "peaks": peaks}))
    # Pages draw the waveform from the probe, without fetching the JSON from storage.
    return Result(
        probe={**info, "peaks": peaks},
        outputs=[
            Output("audio", access, "audio/mp4"),
            Output("waveform", peaks_path, "application/json"),
        ],
    )


def _open_image(source: Path) -> Image.Image:
    too_large = ProcessingError(
        _("The image is too large (more than %(pixels)s pixels).")
        % {"pixels": f"{settings.MEDIA_MAX_IMAGE_PIXELS:,}"}
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard stays on as a second line; ours is the configured limit,
        # checked from the header before a single pixel is decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(source)
            if image.width * image.height > settings.MEDIA_MAX_IMAGE_PIXELS:
                raise too_large
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise too_large from error
        except OSError as error:
            raise ProcessingError(_("The image is damaged.")) from error
    return image


def process_image(source: Path, workdir: Path) -> Result:
    image = _open_image(source)
    original_format = image.format
    # Turn the picture the way the camera meant, then drop every bit of metadata (GPS included).
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    cleaned = workdir / f"cleaned.{(original_format or 'png').lower()}"
    if original_format == "JPEG":
        upright.convert("RGB").save(cleaned, "JPEG", quality=95)
    elif original_format == "GIF" and getattr(image, "is_animated", False):
        cleaned = source  # animated GIFs carry no EXIF; keep their frames
    else:
        upright.save(cleaned, original_format or "PNG")
    outputs = []
    for role, width, fmt in IMAGE_RENDITIONS:
        copy = upright.copy()
        copy.thumbnail((width, width * 4))
        path = workdir / f"{role}.{fmt.lower()}"
        copy.convert("RGB").save(path, fmt, quality=85) if fmt == "JPEG" else copy.save(path, fmt)
        outputs.append(Output(role, path, f"image/{fmt.lower()}", copy.width, copy.height))
    return Result(
        probe={"format": original_format, "width": upright.width, "height": upright.height},
        outputs=outputs,
        cleaned_original=cleaned if cleaned != source else None,
    )


# --- Flattening: what staff open must carry no active content and no metadata ---------------

FLATTEN_MAX_PAGES = 40
FLATTEN_DPI = 150


def flatten_image(source: Path) -> tuple[bytes, str]:
    """The picture alone, re-encoded (turned upright, no EXIF/GPS, no trailing bytes of a
    polyglot): JPEG for photographs, PNG for everything else. Returns (bytes, MIME type)."""
    image = _open_image(source)
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if image.format == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=92)
        return out.getvalue(), "image/jpeg"
    if upright.mode not in ("RGB", "RGBA", "L"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    upright.save(out, "PNG")
    return out.getvalue(), "image/png"


def flatten_pdf(
    source: Path, *, max_pages: int = FLATTEN_MAX_PAGES, dpi: int = FLATTEN_DPI
) -> bytes:
    """A new PDF made only of the pages rendered as pictures by pdfium: whatever the original
    held (JavaScript, /OpenAction, forms, attachments, metadata) is not carried over."""
    try:
        pdf = pypdfium2.PdfDocument(str(source))
    except pypdfium2.PdfiumError as error:
        raise ProcessingError(_("The PDF is damaged or protected by a password.")) from error
    try:
        if not len(pdf):
            raise ProcessingError(_("The PDF has no pages."))
        if len(pdf) > max_pages:
            raise ProcessingError(
                _("The PDF has more than %(pages)d pages.") % {"pages": max_pages}
            )
        pictures = [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in pdf]
    finally:
        pdf.close()
    out = io.BytesIO()
    pictures[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pictures[1:])
    return out.getvalue()


def process_document(source: Path, workdir: Path) -> Result:
    try:
        pdf = pypdfium2.PdfDocument(str(source))
    except pypdfium2.PdfiumError as error:
        raise ProcessingError(_("The PDF is damaged or protected by a password.")) from error
    try:
        pages = len(pdf)
        if not pages:
            raise ProcessingError(_("The PDF has no pages."))
        first = pdf[0]
        scale = 480 / max(first.get_width(), 1)
        picture = first.render(scale=min(scale, 4)).to_pil()
    finally:
        pdf.close()
    thumbnail = workdir / "thumbnail.webp"
    picture.save(thumbnail, "WEBP", quality=85)
    return Result(
        probe={"pages": pages},
        outputs=[Output("thumbnail", thumbnail, "image/webp", picture.width, picture.height)],
    )


def process_model(source: Path, workdir: Path, *, fmt: str) -> Result:
    try:
        mesh = models3d.load(source, fmt)
    except models3d.ModelError as error:
        raise ProcessingError(str(error)) from error
    preview = workdir / "preview.png"
    picture = models3d.render_preview(mesh, size=480)
    picture.save(preview, "PNG")
    low, high = mesh.bounds
    return Result(
        probe={
            "triangles": mesh.triangle_count,
            "bounding_box_mm": [round(float(v), 3) for v in (high - low)],
            "min": [round(float(v), 3) for v in low],
            "max": [round(float(v), 3) for v in high],
        },
        outputs=[Output("preview", preview, "image/png", picture.width, picture.height)],
    )


HANDLERS: dict[str, Callable[[Path, Path], Result]] = {
    MediaKind.VIDEO: process_video,
    MediaKind.AUDIO: process_audio,
    MediaKind.IMAGE: process_image,
    MediaKind.DOCUMENT: process_document,
}


def process(source: Path, workdir: Path, *, kind: str, fmt: str) -> Result:
    """Run the handler for this kind of media (3D models also need to know their format)."""
    if kind == MediaKind.MODEL:
        return process_model(source, workdir, fmt=fmt)
    return HANDLERS[kind](source, workdir)
