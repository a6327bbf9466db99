"""Content sniffing at its edges: every magic number, polyglots, offsets and sizes exactly.

Found by mutation testing (scripts/mutation): test_sniff.py checks real files of each type;
these pin each byte and bound that media/sniff.py decides on, and that a program or a web page
is refused even when its first bytes also look like an accepted format. ``UnsupportedFile``
has no code, so the reason is asserted by its (English) message.
"""

import io
import struct
import zipfile

import pytest
from django.utils import translation

from media import sniff
from media.sniff import UnsupportedFile, check_claim, sniff_head, verify_complete
from media.tests import samples

PROGRAM = "Programs cannot be uploaded."
SCRIPT = "Scripts cannot be uploaded."
SVG = "SVG images cannot be uploaded, because they can carry scripts."
WEB = "Web pages and XML files cannot be uploaded."
ARCHIVE = "Archives cannot be uploaded."
NOT_ACCEPTED = "This type of file is not accepted."
MP4_VARIANT = "This MP4/QuickTime variant is not supported."
MATROSKA = "This Matroska variant is not supported."
RIFF = "This RIFF file type (for example AVI) is not supported."
OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def reason(head: bytes, **kwargs) -> str:
    with pytest.raises(UnsupportedFile) as caught:
        sniff_head(head, **kwargs)
    return str(caught.value)


def ftyp(brand: bytes, *compatible: bytes, pad: int = 0) -> bytes:
    body = b"ftyp" + brand + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + body + b"\0" * pad


def test_the_accepted_formats_are_pinned():
    assert {name: (f.kind, f.mime, f.extensions) for name, f in sniff.FORMATS.items()} == {
        "mp4": ("video", "video/mp4", ("mp4", "m4v", "mov")),
        "mov": ("video", "video/quicktime", ("mov", "mp4")),
        "webm": ("video", "video/webm", ("webm",)),
        "mkv": ("video", "video/x-matroska", ("mkv",)),
        "m4a": ("audio", "audio/mp4", ("m4a", "m4b")),
        "mp3": ("audio", "audio/mpeg", ("mp3",)),
        "wav": ("audio", "audio/wav", ("wav",)),
        "ogg": ("audio", "audio/ogg", ("ogg", "oga", "opus")),
        "flac": ("audio", "audio/flac", ("flac",)),
        "jpeg": ("image", "image/jpeg", ("jpg", "jpeg")),
        "png": ("image", "image/png", ("png",)),
        "webp": ("image", "image/webp", ("webp",)),
        "gif": ("image", "image/gif", ("gif",)),
        "pdf": ("document", "application/pdf", ("pdf",)),
        "stl": ("model", "model/stl", ("stl",)),
        "3mf": ("model", "model/3mf", ("3mf",)),
        "obj": ("model", "model/obj", ("obj",)),
        "glb": ("model", "model/gltf-binary", ("glb",)),
    }
    assert sniff.HEAD_BYTES == 4096
    assert {"3mf", "stl"} == sniff.NEEDS_FULL_CHECK


# -- refused whatever follows ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"MZ\0\0" + ftyp(b"isom")[4:], PROGRAM),  # a Windows program that also looks like MP4
        (b"\x7fELF" + ftyp(b"isom")[4:], PROGRAM),
        (b"\xcf\xfa\xed\xfe" + ftyp(b"isom")[4:], PROGRAM),
        (b"#!/bin/sh\n" + OBJ, SCRIPT),  # a script that also reads as an OBJ model
        (b"# <SVG onload=alert(1)>\n" + OBJ, SVG),
        (b"v 0 0 0\n# <svg>\n" + OBJ, SVG),
        (b"<!DOCTYPE html><p>", WEB),
        (b"  \n<HTML>", WEB),
        (b"<script>alert(1)</script>", WEB),
        (b'<?xml version="1.0"?><a/>', WEB),
        (b"<head><title>x</title>", WEB),
        (b"\t<Body>", WEB),
        (b"Rar!\x1a\x07\x00" + b"\0" * 20, ARCHIVE),
        (b"7z\xbc\xaf\x27\x1c" + b"\0" * 20, ARCHIVE),
        (b"\x1f\x8b\x08" + b"\0" * 20, ARCHIVE),
        (b"BZh91AY&SY" + b"\0" * 20, ARCHIVE),
    ],
)
def test_programs_scripts_web_pages_and_archives_are_refused(head, why):
    assert reason(head, total_size=len(head)) == why


def test_an_empty_file_is_refused():
    assert reason(b"") == "The file is empty."


# -- ISO base media (MP4, MOV, M4A) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "name"),
    [
        (ftyp(b"isom"), "mp4"),
        (ftyp(b"mp42"), "mp4"),
        (ftyp(b"M4V "), "mp4"),
        (ftyp(b"f4v "), "mp4"),
        (ftyp(b"M4A "), "m4a"),
        (ftyp(b"M4B "), "m4a"),
        (ftyp(b"qt  "), "mov"),
        (ftyp(b"XXXX", b"iso2"), "mp4"),  # a brand we do not know, compatible with one we do
        (ftyp(b"XXXX", b"iso2", b"abcd"), "mp4"),
        (ftyp(b"isom")[:12], "mp4"),  # twelve bytes are enough
        (ftyp(b"XXXX", b"abcd" * 11 + b"avc1"), "mp4"),  # the last place a brand is read (60)
    ],
)
def test_mp4_brands(head, name):
    assert sniff_head(head).name == name


@pytest.mark.parametrize(
    "head",
    [
        ftyp(b"XXXX"),
        ftyp(b"isoM"),  # brands are case-sensitive
        ftyp(b"m4a "),
        ftyp(b"QT  "),
        ftyp(b"XXXX", b"abcd" * 12 + b"isom"),  # past the first 64 bytes
        ftyp(b"XXXX", b"ab" + b"isom"),  # not on a four-byte boundary
    ],
)
def test_other_mp4_variants_are_refused(head):
    assert reason(head) == MP4_VARIANT


def test_a_head_too_short_for_a_brand_is_not_mp4():
    assert reason(ftyp(b"isom")[:11]) == NOT_ACCEPTED


# -- other containers ----------------------------------------------------------------------------
EBML = b"\x1a\x45\xdf\xa3"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (EBML + b"\0" * 20 + b"webm" + b"\0" * 40, "webm"),
        (EBML + b"\0" * 20 + b"matroska" + b"\0" * 40, "mkv"),
        (EBML + b"\0" * 56 + b"webm", "webm"),  # ends at byte 64
        (EBML + b"\0" * 57 + b"webm", MATROSKA),
        (EBML + b"\0" * 52 + b"matroska", "mkv"),  # ends at byte 64
        (EBML + b"\0" * 53 + b"matroska", MATROSKA),
        (EBML + b"\0" * 20 + b"WEBM", MATROSKA),
        (b"RIFF\0\0\0\0WAVEfmt ", "wav"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "webp"),
        (b"RIFF\0\0\0\0AVI LIST", RIFF),
        (b"RIFF\0\0\0\0wave", RIFF),
        (b"RIFF\0\0\0\0WAV", NOT_ACCEPTED),  # too short to say
        (b"OggS\0\2", "ogg"),
        (b"fLaC\0\0\0\x22", "flac"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\0\0", "png"),
        (b"\x89PNG\r\n\x1a", NOT_ACCEPTED),
        (b"GIF87a\1\0", "gif"),
        (b"GIF89a\1\0", "gif"),
        (b"%PDF-1.7\n", "pdf"),
        (b"%pdf-1.7\n", NOT_ACCEPTED),
        (b"glTF" + struct.pack("<I", 2) + b"\0" * 4, "glb"),
        (b"glTF" + struct.pack("<I", 1) + b"\0" * 4, NOT_ACCEPTED),
        (b"glTF\2\0\0", NOT_ACCEPTED),
        (b"glTF" + struct.pack("<I", 2), "glb"),  # eight bytes are enough
        (b"PK\x03\x04\x14\0", "3mf"),
        (b"ID3\x04\0\0", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),  # MPEG-1 layer III
        (b"\xff\xf3\x90\x00", "mp3"),  # MPEG-2 layer III
        (b"\xff\xfd\x90\x00", NOT_ACCEPTED),  # layer II
        (b"\xff\xff\x90\x00", NOT_ACCEPTED),  # layer I
        (b"\xff\xdb\x90\x00", NOT_ACCEPTED),  # no frame sync
        (b"\xff\xfb", NOT_ACCEPTED),  # too short for a frame header
        (b"\xff\xfb\x90", "mp3"),  # three bytes are enough
    ],
)
def test_magic_numbers(head, expected):
    if expected in sniff.FORMATS:
        assert sniff_head(head).name == expected
    else:
        assert reason(head) == expected


# -- 3D models -----------------------------------------------------------------------------------
def binary_stl(triangles: int) -> bytes:
    return b"\0" * 80 + struct.pack("<I", triangles) + b"\1" * (50 * triangles)


def test_a_binary_stl_is_known_by_its_size():
    data = binary_stl(3)
    assert sniff_head(data, total_size=len(data)).name == "stl"
    assert reason(data, total_size=len(data) + 1) == NOT_ACCEPTED
    assert reason(data, total_size=len(data) - 1) == NOT_ACCEPTED
    assert reason(data) == NOT_ACCEPTED  # no size announced: nothing to compare
    assert reason(binary_stl(0), total_size=84) == NOT_ACCEPTED
    assert reason(data[:83], total_size=len(data)) == NOT_ACCEPTED
    assert sniff_head(data[:84], total_size=len(data)).name == "stl"  # a first chunk of 84 bytes
    one = binary_stl(1)
    assert sniff_head(one, total_size=len(one)).name == "stl"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"solid cube\n facet normal 0 0 1\n", "stl"),
        (b"  \nSOLID cube\n facet normal 0 0 1\n", "stl"),
        (b"solid cube\n endsolid\n", NOT_ACCEPTED),
        (b"solid\0cube facet", NOT_ACCEPTED),
        (OBJ, "obj"),
        (b"# made by hand\n\n" + OBJ, "obj"),
        (b"mtllib a.mtl\no cube\ng side\nusemtl red\ns off\n" + OBJ + b"vt 0 0\nvn 0 0 1\n", "obj"),
        (b"vp 0 0\nl 1 2\np 1\n" + OBJ, "obj"),
        (OBJ + b"the last line may be cut sho", "obj"),
        (OBJ + b"nonsense here\n" + OBJ, NOT_ACCEPTED),
        (b"v 0 0 0\nnonsense\nv 1 1 1", NOT_ACCEPTED),  # only the very last line may be cut
        (b"#comment\n" + OBJ, "obj"),
        (b"f 1 2 3\nvt 0 0\n", NOT_ACCEPTED),  # no vertex
        (b"# only a comment\n\n", NOT_ACCEPTED),
        (b"\n\n", NOT_ACCEPTED),
        (OBJ + "# 中文".encode()[:-1], "obj"),  # a character cut at the end is still text
        (OBJ + b"\xff\xfe# x\n" + OBJ, NOT_ACCEPTED),  # not text at all
        (OBJ.replace(b"\n", b"\0\n"), NOT_ACCEPTED),
    ],
)
def test_text_models(head, expected):
    if expected in sniff.FORMATS:
        assert sniff_head(head).name == expected
    else:
        assert reason(head) == expected


def test_text_cut_inside_a_character_is_allowed_only_at_the_very_end():
    cut = "中".encode()[:2]  # two bytes of three
    assert sniff_head(OBJ + b"# " + cut).name == "obj"
    assert sniff_head(OBJ + b"# " + cut + b"ab").name == "obj"  # within the last four bytes
    assert reason(OBJ + b"# " + cut + b"abc") == NOT_ACCEPTED


# -- whole files -------------------------------------------------------------------------------
def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(name, "<model/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "names", [("3D/3dmodel.model",), ("3d/3DModel.model", "x"), ("3D/3DMODEL.MODEL",)]
)
def test_a_3mf_package_holds_its_model(names):
    data = zipped(*names)
    assert verify_complete(sniff.FORMATS["3mf"], io.BytesIO(data), size=len(data)).name == "3mf"


def test_a_zip_without_a_model_or_a_damaged_one_is_refused():
    data = zipped("3D/other.model", "readme.txt")
    with pytest.raises(UnsupportedFile) as caught:
        verify_complete(sniff.FORMATS["3mf"], io.BytesIO(data), size=len(data))
    assert str(caught.value) == "Archives cannot be uploaded; this zip file is not a 3MF model."
    with pytest.raises(UnsupportedFile) as caught:
        verify_complete(sniff.FORMATS["3mf"], io.BytesIO(b"PK\x03\x04broken"), size=10)
    assert str(caught.value) == "The 3MF package is damaged."


def test_an_stl_must_match_its_size_or_be_text():
    stl = sniff.FORMATS["stl"]
    data = binary_stl(2)
    handle = io.BytesIO(data)
    handle.read()  # verify_complete reads from the start, wherever the handle was
    assert verify_complete(stl, handle, size=len(data)) is stl
    for size in (len(data) - 1, len(data) + 50):
        with pytest.raises(UnsupportedFile) as caught:
            verify_complete(stl, io.BytesIO(data), size=size)
        assert str(caught.value) == (
            "The STL file is damaged (its size does not match its content)."
        )
    text = b"  solid x\nfacet\nendsolid\n"
    assert verify_complete(stl, io.BytesIO(text), size=999) is stl
    with pytest.raises(UnsupportedFile):
        verify_complete(stl, io.BytesIO(b"solid\0" + b"\0" * 100), size=999)
    with pytest.raises(UnsupportedFile):
        verify_complete(stl, io.BytesIO(data[:80]), size=80)


def test_other_formats_are_not_read_again():
    unread = io.BytesIO(b"anything")
    assert verify_complete(sniff.FORMATS["png"], unread, size=1).name == "png"
    assert unread.tell() == 0


# -- names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filename", "extension"),
    [("a.MP4", "mp4"), ("archive.tar.gz", "gz"), ("noextension", ""), (".hidden", "hidden")],
)
def test_extension_of(filename, extension):
    assert sniff.extension_of(filename) == extension


def test_claims_are_checked_against_the_content():
    png = sniff.FORMATS["png"]
    check_claim(png, "photo.PNG")
    check_claim(sniff.FORMATS["mov"], "clip.mp4")
    for filename, message in [
        ("photo.jpg", "The file's content (PNG) does not match its name (.jpg)."),
        ("photo", "Files ending in .? are not accepted."),
        ("photo.exe", "Files ending in .exe are not accepted."),
    ]:
        with pytest.raises(UnsupportedFile) as caught:
            check_claim(png, filename)
        assert str(caught.value) == message


def test_real_samples_still_pass_through_the_whole_check():
    for data, filename in [(samples.stl_binary(), "a.stl"), (samples.three_mf(), "a.3mf")]:
        fmt = sniff_head(data[: sniff.HEAD_BYTES], total_size=len(data))
        assert verify_complete(fmt, io.BytesIO(data), size=len(data)) is fmt
        check_claim(fmt, filename)


def test_svg_markers_are_looked_for_in_the_first_kib():
    line = b"v 0 0 0\n"
    padding = line * 127 + b"#" * 4  # 1020 bytes
    assert reason(padding + b"<svg>\n" + OBJ) == SVG  # "<svg" in bytes 1020-1023
    # One byte later it ends past the first KiB; there it is only a comment of the model.
    assert sniff_head(padding + b"#<svg>\n" + OBJ).name == "obj"


def test_the_triangle_count_of_a_binary_stl_is_unsigned():
    count = 2**31  # negative if read as a signed number
    head = b"\0" * 80 + struct.pack("<I", count) + b"\1" * 100
    stl = sniff.FORMATS["stl"]
    assert verify_complete(stl, io.BytesIO(head), size=84 + 50 * count) is stl
    assert sniff_head(head, total_size=84 + 50 * count).name == "stl"
