"""Real sample files made on the spot: ffmpeg synthesises video and audio, Pillow draws images,
and small 3D models and documents are written byte by byte."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zipfile
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

_VIDEO = [
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=320x240:rate=25:duration={d}",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:duration={d}",
]
_AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:duration={d}"]
FFMPEG_RECIPES = {
    "mp4": (_VIDEO, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]),
    "mov": (_VIDEO, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mov"]),
    "webm": (_VIDEO, ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libvorbis"]),
    "mkv": (_VIDEO, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]),
    "mp3": (_AUDIO, ["-c:a", "libmp3lame"]),
    "m4a": (_AUDIO, ["-c:a", "aac"]),
    "wav": (_AUDIO, ["-c:a", "pcm_s16le"]),
    "ogg": (_AUDIO, ["-c:a", "libvorbis"]),
    "flac": (_AUDIO, ["-c:a", "flac"]),
}


def ffmpeg_sample(directory: Path, fmt: str, *, seconds: float = 2) -> Path:
    inputs, codecs = FFMPEG_RECIPES[fmt]
    path = directory / f"sample.{fmt}"
    if not path.exists():
        args = [a.format(d=seconds) for a in inputs]
        subprocess.run(
            [
                FFMPEG,
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                *args,
                *codecs,
                "-shortest",
                str(path),
            ],
            check=True,
        )
    return path


def image_bytes(fmt: str, *, size=(64, 48), exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    buffer = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "TestCamera"  # Make
        exif[0x8825] = {1: "N", 2: (41.0, 48.0, 0.0), 3: "E", 4: (123.0, 25.0, 0.0)}  # GPS IFD
        kwargs["exif"] = exif
    image.save(buffer, format=fmt.upper() if fmt != "jpg" else "JPEG", **kwargs)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (255, 255, 255)).save(buffer, format="PDF")
    return buffer.getvalue()


CUBE_VERTICES = [(x, y, z) for x in (0, 10) for y in (0, 20) for z in (0, 30)]
CUBE_TRIANGLES = [
    (0, 1, 3),
    (0, 3, 2),
    (4, 6, 7),
    (4, 7, 5),
    (0, 4, 5),
    (0, 5, 1),
    (2, 3, 7),
    (2, 7, 6),
    (0, 2, 6),
    (0, 6, 4),
    (1, 5, 7),
    (1, 7, 3),
]


def stl_binary() -> bytes:
    body = b"".join(
        struct.pack("<12fH", 0, 0, 0, *CUBE_VERTICES[a], *CUBE_VERTICES[b], *CUBE_VERTICES[c], 0)
        for a, b, c in CUBE_TRIANGLES
    )
    return b"binary stl cube".ljust(80, b" ") + struct.pack("<I", len(CUBE_TRIANGLES)) + body


def stl_ascii() -> bytes:
    facets = "".join(
        "facet normal 0 0 0\n outer loop\n"
        + "".join(f"  vertex {x} {y} {z}\n" for x, y, z in (CUBE_VERTICES[i] for i in tri))
        + " endloop\nendfacet\n"
        for tri in CUBE_TRIANGLES
    )
    return f"solid cube\n{facets}endsolid cube\n".encode()


def obj_text() -> bytes:
    lines = ["# cube", "o cube"]
    lines += [f"v {x} {y} {z}" for x, y, z in CUBE_VERTICES]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in CUBE_TRIANGLES]
    return ("\n".join(lines) + "\n").encode()


def three_mf() -> bytes:
    vertices = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in CUBE_VERTICES)
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in CUBE_TRIANGLES)
    model = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{vertices}</vertices>'
        f"<triangles>{triangles}</triangles></mesh></object></resources>"
        '<build><item objectid="1"/></build></model>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("3D/3dmodel.model", model)
    return buffer.getvalue()


def glb() -> bytes:
    positions = b"".join(struct.pack("<3f", *v) for v in CUBE_VERTICES)
    indices = b"".join(struct.pack("<3H", *t) for t in CUBE_TRIANGLES)
    binary = positions + indices
    document = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)},
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 8,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [10, 20, 30],
            },
            {"bufferView": 1, "componentType": 5123, "count": 36, "type": "SCALAR"},
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
    }
    chunk = json.dumps(document).encode()
    chunk += b" " * (-len(chunk) % 4)
    binary += b"\x00" * (-len(binary) % 4)
    body = (
        struct.pack("<I4s", len(chunk), b"JSON")
        + chunk
        + struct.pack("<I4s", len(binary), b"BIN\x00")
        + binary
    )
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "not a model")
    return buffer.getvalue()


WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00"
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(1)</script><circle r='4'/></svg>"
)
