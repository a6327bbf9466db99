"""Open Badges 2.0 hosted verification: Issuer, BadgeClass and Assertion documents at stable
URLs, and PNG baking (the assertion in an ``openbadges`` iTXt chunk).

The recipient is never the plain email: it is ``sha256$`` + SHA-256(email + salt), with the
salt in the assertion, so a verifier who knows the email can check it and nobody else learns it.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

from django.http import HttpRequest
from django.urls import reverse
from PIL import Image

from core.siteurl import absolute

from .models import Assertion, BadgeClass

CONTEXT = "https://w3id.org/openbadges/v2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _url(request: HttpRequest, name: str, *args) -> str:
    return absolute(reverse(name, args=args))


def issuer(request: HttpRequest) -> dict:
    return {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": _url(request, "courses:badge-issuer"),
        "name": "辽宁省图书馆 辽图共享空间",
        "url": absolute("/"),
        "email": "learning@liaotu.example",
    }


def badge_class(request: HttpRequest, badge: BadgeClass) -> dict:
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": _url(request, "courses:badge-class", badge.slug),
        "name": badge.name,
        "description": badge.description,
        "image": _url(request, "courses:badge-image", badge.slug),
        "criteria": {"narrative": badge.criteria},
        "issuer": _url(request, "courses:badge-issuer"),
    }


def assertion(request: HttpRequest, item: Assertion) -> dict:
    data = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": _url(request, "courses:badge-assertion", item.pk),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": item.salt,
            "identity": item.identity,
        },
        "badge": _url(request, "courses:badge-class", item.badge.slug),
        "verification": {"type": "hosted"},
        "issuedOn": item.issued_on.isoformat(),
        "image": _url(request, "courses:badge-baked", item.pk),
    }
    if item.revoked_at:
        data["revoked"] = True
        data["revocationReason"] = item.revocation_reason
    return data


def badge_png(badge: BadgeClass) -> bytes:
    """The badge image as PNG (converted if it was uploaded in another format)."""
    with badge.image.open_file() as handle, Image.open(handle) as picture:
        if picture.format == "PNG":
            handle.seek(0)
            return handle.read()
        out = io.BytesIO()
        picture.convert("RGBA").save(out, format="PNG")
        return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    found, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        found.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return found


def bake(png: bytes, payload: str) -> bytes:
    """Insert an uncompressed iTXt chunk ``openbadges`` before IEND (replacing an old one)."""
    itxt = b"openbadges\x00" + b"\x00\x00" + b"\x00" + b"\x00" + payload.encode("utf-8")
    out = [PNG_SIGNATURE]
    for kind, data in chunks(png):
        if kind == b"iTXt" and data.startswith(b"openbadges\x00"):
            continue
        if kind == b"IEND":
            out.append(_chunk(b"iTXt", itxt))
        out.append(_chunk(kind, data))
    return b"".join(out)


def unbake(png: bytes) -> str | None:
    for kind, data in chunks(png):
        if kind == b"iTXt" and data.startswith(b"openbadges\x00"):
            keyword_end = data.index(b"\x00")
            rest = data[keyword_end + 1 :]
            compressed, _method = rest[0], rest[1]
            rest = rest[2:]
            _language, rest = rest.split(b"\x00", 1)
            _translated, text = rest.split(b"\x00", 1)
            return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


def baked_assertion(request: HttpRequest, item: Assertion) -> bytes:
    return bake(badge_png(item.badge), json.dumps(assertion(request, item), ensure_ascii=False))
