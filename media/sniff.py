"""What a file really is, judged by its content (magic bytes), never by its name or the browser.

Two steps, because uploads arrive in pieces:

* ``sniff_head`` looks at the first bytes (and the announced total size) as soon as the first
  chunk arrives, so an executable or a web page is refused before the rest is sent;
* ``verify_complete`` looks inside the whole file once it is there (a 3MF must really be a 3MF
  package, not any zip renamed; a binary STL's size must match its triangle count).

Then ``check_claim`` compares the result with the file name's extension: a file whose content
does not match its claimed type is refused too.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.db import models
from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 4096
# Formats whose first bytes are not proof enough: verify_complete reads the whole file.
NEEDS_FULL_CHECK = frozenset({"3mf", "stl"})


class MediaKind(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    IMAGE = "image", _("Image")
    DOCUMENT = "document", _("Document")
    MODEL = "model", _("3D model")


@dataclass(frozen=True)
class Format:
    name: str
    kind: str
    mime: str
    extensions: tuple[str, ...]


FORMATS = {
    f.name: f
    for f in [
        Format("mp4", MediaKind.VIDEO, "video/mp4", ("mp4", "m4v", "mov")),
        Format("mov", MediaKind.VIDEO, "video/quicktime", ("mov", "mp4")),
        Format("webm", MediaKind.VIDEO, "video/webm", ("webm",)),
        Format("mkv", MediaKind.VIDEO, "video/x-matroska", ("mkv",)),
        Format("m4a", MediaKind.AUDIO, "audio/mp4", ("m4a", "m4b")),
        Format("mp3", MediaKind.AUDIO, "audio/mpeg", ("mp3",)),
        Format("wav", MediaKind.AUDIO, "audio/wav", ("wav",)),
        Format("ogg", MediaKind.AUDIO, "audio/ogg", ("ogg", "oga", "opus")),
        Format("flac", MediaKind.AUDIO, "audio/flac", ("flac",)),
        Format("jpeg", MediaKind.IMAGE, "image/jpeg", ("jpg", "jpeg")),
        Format("png", MediaKind.IMAGE, "image/png", ("png",)),
        Format("webp", MediaKind.IMAGE, "image/webp", ("webp",)),
        Format("gif", MediaKind.IMAGE, "image/gif", ("gif",)),
        Format("pdf", MediaKind.DOCUMENT, "application/pdf", ("pdf",)),
        Format("stl", MediaKind.MODEL, "model/stl", ("stl",)),
        Format("3mf", MediaKind.MODEL, "model/3mf", ("3mf",)),
        Format("obj", MediaKind.MODEL, "model/obj", ("obj",)),
        Format("glb", MediaKind.MODEL, "model/gltf-binary", ("glb",)),
    ]
}
ALLOWED_EXTENSIONS = sorted({ext for f in FORMATS.values() for ext in f.extensions})

# ISO base media brands (the "ftyp" box) that we accept, and what they are.
_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_QUICKTIME_BRANDS = {b"qt  "}
_VIDEO_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"mmp4",
    b"dash",
    b"MSNV",
    b"NDAS",
    b"f4v ",
}
_OBJ_KEYWORDS = {
    b"v",
    b"vt",
    b"vn",
    b"vp",
    b"f",
    b"l",
    b"p",
    b"o",
    b"g",
    b"s",
    b"usemtl",
    b"mtllib",
    b"#",
}


class UnsupportedFile(ValueError):
    """The file is not one the platform accepts; ``str()`` is a message for the uploader."""


def _refuse(message) -> UnsupportedFile:
    return UnsupportedFile(str(message))


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return False
    return True


def _is_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    # An MPEG audio frame header: 11 sync bits, then layer III.
    return (
        len(head) > 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] >> 1) & 3 == 1
    )


def _refuse_dangerous(head: bytes) -> None:
    lowered = head[:1024].lstrip().lower()
    if (
        head.startswith(b"MZ")
        or head.startswith(b"\x7fELF")
        or head.startswith(b"\xcf\xfa\xed\xfe")
    ):
        raise _refuse(_("Programs cannot be uploaded."))
    if head.startswith(b"#!"):
        raise _refuse(_("Scripts cannot be uploaded."))
    if b"<svg" in lowered:
        raise _refuse(_("SVG images cannot be uploaded, because they can carry scripts."))
    if lowered.startswith((b"<!doctype html", b"<html", b"<script", b"<?xml", b"<head", b"<body")):
        raise _refuse(_("Web pages and XML files cannot be uploaded."))


def sniff_head(head: bytes, *, total_size: int | None = None) -> Format:
    """Identify a file from its first bytes, or raise UnsupportedFile saying why not."""
    if not head:
        raise _refuse(_("The file is empty."))
    _refuse_dangerous(head)

    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brand in _AUDIO_BRANDS:
            return FORMATS["m4a"]
        if brand in _QUICKTIME_BRANDS:
            return FORMATS["mov"]
        if brand in _VIDEO_BRANDS or compatible & _VIDEO_BRANDS:
            return FORMATS["mp4"]
        raise _refuse(_("This MP4/QuickTime variant is not supported."))
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return FORMATS["webm"]
        if b"matroska" in head[:64]:
            return FORMATS["mkv"]
        raise _refuse(_("This Matroska variant is not supported."))
    if head.startswith(b"RIFF") and len(head) >= 12:
        if head[8:12] == b"WAVE":
            return FORMATS["wav"]
        if head[8:12] == b"WEBP":
            return FORMATS["webp"]
        raise _refuse(_("This RIFF file type (for example AVI) is not supported."))
    if head.startswith(b"OggS"):
        return FORMATS["ogg"]
    if head.startswith(b"fLaC"):
        return FORMATS["flac"]
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["png"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FORMATS["gif"]
    if head.startswith(b"%PDF-"):
        return FORMATS["pdf"]
    if head.startswith(b"glTF") and len(head) >= 8 and struct.unpack("<I", head[4:8])[0] == 2:
        return FORMATS["glb"]
    if head.startswith(b"PK\x03\x04"):
        # Only a 3MF package is welcome; verify_complete looks inside it.
        return FORMATS["3mf"]
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh")):
        raise _refuse(_("Archives cannot be uploaded."))
    if _is_mp3(head):
        return FORMATS["mp3"]
    if total_size is not None and len(head) >= 84:
        (triangles,) = struct.unpack("<I", head[80:84])
        if total_size == 84 + 50 * triangles and triangles > 0:
            return FORMATS["stl"]
    if _looks_like_text(head):
        stripped = head.lstrip()
        if stripped[:5].lower() == b"solid" and b"facet" in head:
            return FORMATS["stl"]
        if _looks_like_obj(head):
            return FORMATS["obj"]
    raise _refuse(_("This type of file is not accepted."))


def _looks_like_obj(head: bytes) -> bool:
    lines = [line.strip() for line in head.splitlines()[:-1] if line.strip()]
    if not lines:
        return False
    keywords = [line.split()[0] if not line.startswith(b"#") else b"#" for line in lines]
    return all(k in _OBJ_KEYWORDS for k in keywords) and b"v" in keywords


def verify_complete(fmt: Format, handle: BinaryIO, *, size: int) -> Format:
    """Look inside the whole file where its first bytes are not proof enough."""
    if fmt.name == "3mf":
        try:
            with zipfile.ZipFile(handle) as package:
                names = set(package.namelist())
        except zipfile.BadZipFile as error:
            raise _refuse(_("The 3MF package is damaged.")) from error
        if "3D/3dmodel.model" not in names and "3d/3dmodel.model" not in {n.lower() for n in names}:
            raise _refuse(_("Archives cannot be uploaded; this zip file is not a 3MF model."))
    elif fmt.name == "stl":
        handle.seek(0)
        head = handle.read(HEAD_BYTES)
        binary_ok = len(head) >= 84 and size == 84 + 50 * struct.unpack("<I", head[80:84])[0]
        ascii_ok = _looks_like_text(head) and head.lstrip()[:5].lower() == b"solid"
        if not (binary_ok or ascii_ok):
            raise _refuse(_("The STL file is damaged (its size does not match its content)."))
    return fmt


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def check_claim(fmt: Format, filename: str) -> None:
    """The file name's extension must be one that this content may carry."""
    extension = extension_of(filename)
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _("Files ending in .%(extension)s are not accepted.") % {"extension": extension or "?"}
        )
    if extension not in fmt.extensions:
        raise _refuse(
            _("The file's content (%(actual)s) does not match its name (.%(extension)s).")
            % {"actual": fmt.name.upper(), "extension": extension}
        )
