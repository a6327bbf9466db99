"""H5P packages built in code for the tests: our own H5P.LiaotuChoice (courses/h5p/build.py),
and hostile variants of it. No test needs a file from outside the repository.

``entries()`` gives the files of a valid package by their path in the zip; tests change that
mapping and zip it with ``make()``. Variants a plain mapping cannot express (symbolic links,
zips that lie about their sizes, broken archives) have their own builders.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import zipfile

from PIL import Image

from courses.h5p import build

FOLDER = "H5P.LiaotuChoice-1.0"
QUESTION = "图书馆的借书证可以借几本书？"
ANSWERS = [
    build.Answer("五本", correct=True, feedback="对，每张借书证最多借五本。"),
    build.Answer("一本", feedback="可以借更多。"),
    build.Answer("二十本", feedback="太多了。"),
]
# The EICAR anti-virus test string: harmless, but every scanner reports it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def entries(*, language: str = "zh-hans", answers=None) -> dict[str, bytes]:
    return build.package_entries(
        title="借书证", question=QUESTION, answers=answers or ANSWERS, language=language
    )


def make(files: dict[str, bytes | str]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    out.seek(0)
    return out


def valid(**kwargs) -> io.BytesIO:
    return make(entries(**kwargs))


def changed(extra: dict[str, bytes | str] | None = None, drop: tuple[str, ...] = ()):
    files: dict[str, bytes | str] = {k: v for k, v in entries().items() if k not in drop}
    files.update(extra or {})
    return make(files)


def library_json(**changes) -> str:
    data = build.library_json()
    data.update(changes)
    return json.dumps(data)


def h5p_json(**changes) -> str:
    data = json.loads(entries()["h5p.json"])
    data.update(changes)
    return json.dumps(data)


def with_symlink(name: str) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in entries().items():
            archive.writestr(path, data)
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    out.seek(0)
    return out


def bomb(megabytes: int = 8) -> bytes:
    """A valid package plus a text file of zeros that compresses about a thousandfold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries().items():
            archive.writestr(path, data)
        archive.writestr("content/zeros.txt", b"0" * (megabytes * 1024 * 1024))
    return out.getvalue()


def lying_sizes() -> bytes:
    """The bomb, with the central directory declaring 100 bytes for the big file."""
    raw = bytearray(bomb(1))
    marker = raw.rfind(b"content/zeros.txt")
    header = raw.rfind(b"PK\x01\x02", 0, marker)
    raw[header + 24 : header + 28] = (100).to_bytes(4, "little")
    return bytes(raw)


# --- Samples of every file type the content whitelist allows --------------------------------


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _office_zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


def _ooxml(folder: str) -> bytes:
    return _office_zip({"[Content_Types].xml": b"<Types/>", f"{folder}/document.xml": b"<x/>"})


def _odf(kind: str) -> bytes:
    return _office_zip(
        {"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(), "content.xml": b"<x/>"}
    )


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MP4 = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2" + b"\x00" * 64
M4A = struct.pack(">I", 24) + b"ftypM4A " + b"\x00\x00\x02\x00M4A isom" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64
SAMPLES: dict[str, bytes] = {
    "json": b'{"a": 1}',
    "png": image("PNG"),
    "jpg": image("JPEG"),
    "jpeg": image("JPEG"),
    "gif": image("GIF"),
    "bmp": image("BMP"),
    "tif": image("TIFF"),
    "tiff": image("TIFF"),
    "eot": b"\x00" * 34 + b"LP" + b"\x00" * 64,
    "ttf": b"\x00\x01\x00\x00\x00\x0a" + b"\x00" * 64,
    "woff": b"wOFF\x00\x01\x00\x00" + b"\x00" * 64,
    "woff2": b"wOF2\x00\x01\x00\x00" + b"\x00" * 64,
    "otf": b"OTTO\x00\x0a" + b"\x00" * 64,
    "webm": WEBM,
    "mp4": MP4,
    "ogg": b"OggS\x00\x02" + b"\x00" * 64,
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 16,
    "m4a": M4A,
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64,
    "txt": "借书证：最多五本。\n".encode(),
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n",
    "rtf": rb"{\rtf1\ansi Hello}",
    "doc": OLE2,
    "docx": _ooxml("word"),
    "xls": OLE2,
    "xlsx": _ooxml("xl"),
    "ppt": OLE2,
    "pptx": _ooxml("ppt"),
    "odt": _odf("text"),
    "ods": _odf("spreadsheet"),
    "odp": _odf("presentation"),
    "csv": b"title,count\nbooks,5\n",
    "diff": b"--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n",
    "patch": b"--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n",
    "md": "# 借书\n\n最多五本。\n".encode(),
    "textile": b"h1. Borrowing\n\nUp to five books.\n",
    "vtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
    "webvtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
    "gltf": b'{"asset": {"version": "2.0"}}',
    "glb": b"glTF" + struct.pack("<II", 2, 80) + b"\x00" * 68,
}
