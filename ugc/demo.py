"""Demo works: a dozen of each kind, made on the spot and processed, most published, some
waiting for review (loaded by ``seed_demo``)."""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.test import override_settings
from PIL import Image, ImageDraw

from accounts.models import User
from media import pipeline, services
from media.models import MediaAsset
from media.processing import FFMPEG

from . import services as works
from .models import Licence, Work

PER_KIND = 12
PLACES = ["浑河", "北陵公园", "中街", "故宫", "铁西工厂", "棋盘山", "辽河", "老北市", "太原街",
          "西塔", "南湖", "大连星海"]  # fmt: skip
TAGS = ["沈阳", "老照片", "家乡", "创客", "播客", "非遗"]


def _image(index: int) -> bytes:
    image = Image.new("RGB", (960, 640), (40 + index * 15, 90, 160 - index * 8))
    draw = ImageDraw.Draw(image)
    for step in range(8):
        draw.ellipse([60 * step, 40 * step, 60 * step + 300, 40 * step + 200],
                     outline=(255, 255, 255), width=4)  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _pdf(index: int) -> bytes:
    pages = [Image.new("RGB", (595, 842), "white") for _ in range(1 + index % 3)]
    for number, page in enumerate(pages):
        draw = ImageDraw.Draw(page)
        draw.rectangle([0, 0, 595, 260], fill=(138, 28, 28))
        for line in range(12):
            top = 320 + line * 36
            right = 535 - (line * 17 + number * 40) % 200
            draw.rectangle([60, top, right, top + 14], fill=(90, 90, 90))
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def _stl(index: int) -> bytes:
    size = 10 + index * 5
    corners = [(x, y, z) for x in (0, size) for y in (0, size) for z in (0, size // 2 + 5)]
    faces = [(0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1),
             (2, 3, 7), (2, 7, 6), (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3)]  # fmt: skip
    body = b"".join(
        struct.pack("<12fH", 0, 0, 0, *corners[a], *corners[b], *corners[c], 0) for a, b, c in faces
    )
    return b"demo".ljust(80, b" ") + struct.pack("<I", len(faces)) + body


def _ffmpeg(workdir: Path, name: str, args: list[str]) -> bytes:
    path = workdir / name
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args, str(path)],
                   check=True)  # fmt: skip
    return path.read_bytes()


def _video(workdir: Path, index: int) -> bytes:
    patterns = ["testsrc", "testsrc2", "smptebars", "rgbtestsrc"]
    return _ffmpeg(workdir, f"v{index}.mp4", [
        "-f", "lavfi", "-i", f"{patterns[index % 4]}=size=320x240:rate=15:duration=2",
        "-f", "lavfi", "-i", f"sine=frequency={300 + index * 40}:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    ])  # fmt: skip


def _audio(workdir: Path, index: int) -> bytes:
    return _ffmpeg(workdir, f"a{index}.mp3", [
        "-f", "lavfi", "-i", f"sine=frequency={220 + index * 30}:duration=4",
        "-af", f"volume=4,tremolo=f={0.5 + index * 0.1}:d=0.9", "-c:a", "libmp3lame",
    ])  # fmt: skip


KINDS = [
    ("video", "mp4", "video/mp4", "视频", lambda d, i: _video(d, i)),
    ("audio", "mp3", "audio/mpeg", "播客", lambda d, i: _audio(d, i)),
    ("image", "jpg", "image/jpeg", "摄影", lambda d, i: _image(i)),
    ("document", "pdf", "application/pdf", "手册", lambda d, i: _pdf(i)),
    ("model", "stl", "model/stl", "模型", lambda d, i: _stl(i)),
]


def _captions(label: str, place: str) -> bytes:
    return (
        f"WEBVTT\n\n00:00.000 --> 00:01.500\n这是读者在{place}录制的{label}。\n\n"
        f"00:01.500 --> 00:03.000\n感谢收看收听。\n"
    ).encode()


def seed() -> list[str]:
    maker = User.objects.filter(email="maker@demo.liaotu.cn").first()
    reader = User.objects.filter(email="reader@demo.liaotu.cn").first()
    moderator = User.objects.filter(email="moderator@demo.liaotu.cn").first()
    if not (maker and reader and moderator):
        return ["skipped: demo accounts missing"]
    if Work.objects.filter(owner__in=[maker, reader]).exists():
        return [f"{Work.objects.count()} works already present"]
    licences = list(Licence.values)
    made = 0
    # Notifications to demo accounts are not worth printing.
    with (
        tempfile.TemporaryDirectory() as tmp,
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
    ):
        workdir = Path(tmp)
        for kind, ext, mime, label, make in KINDS:
            for index in range(PER_KIND):
                owner = maker if index % 2 else reader
                stored = services.store_file(
                    content=ContentFile(make(workdir, index)),
                    original_name=f"demo-{kind}-{index}.{ext}",
                    content_type=mime,
                    owner=owner,
                    prefix="originals",
                )
                fmt = "jpeg" if ext == "jpg" else ext
                asset = MediaAsset.objects.create(original=stored, kind=kind, format=fmt)
                pipeline.run(asset.pk)
                place = PLACES[index % len(PLACES)]
                work = Work.objects.create(
                    owner=owner,
                    asset=asset,
                    title=f"{place}{label}（{index + 1}）",
                    description=f"<p>读者在{place}创作的{label}作品。</p>",
                    kind=kind,
                    licence=licences[index % len(licences)],
                )
                work.tags.set([TAGS[index % len(TAGS)], label])
                if kind in works.CAPTIONED_KINDS:
                    # Recordings are published with captions, as readers' must be.
                    work = works.set_captions(work=work, user=owner, data=_captions(label, place))
                if index < 9:
                    works.submit_for_review(work=work, user=owner)
                    if index < 7:
                        works.approve(work=work, moderator=moderator)
                made += 1
    return [f"{made} works made: 7 of each kind published, 2 pending review, 3 private"]
