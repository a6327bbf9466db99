"""The user-content origin: where every byte that a reader, a librarian or a package supplied is
served, never on the site's own origin.

A page of the site links to its usual URL (``/files/<id>/``, ``/learning/media/<id>/`` …); that
view checks permission exactly as before and answers with a redirect to a short-lived signed URL
on ``settings.USERCONTENT_URL``. That host is a different origin (in production a different
registrable domain), so a hostile HTML file, SVG or PDF opened there can neither read the site's
cookies nor act with the site's CSRF token; and every answer there carries a sandboxing CSP,
``nosniff`` and, unless it is a processed image, audio or video or WebVTT, an attachment
disposition (``disposition_for`` is the one place that decides).

A token names everything the user-content view needs (storage, key, type, file name,
disposition, expiry), so that view reads no database row and trusts nothing from the request but
the signature. The expiry is rounded up to a step, so the same file asked for within a few
minutes gets the same URL and browsers can reuse what they cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_vary_headers

from .models import StoredFile, Visibility

FILE_SALT = "media.usercontent.file"
VERSION = 1
INLINE = "inline"
ATTACHMENT = "attachment"
OCTET_STREAM = "application/octet-stream"

# The CSP of every answer on the user-content origin except the H5P player document: a document
# rendered from one of these responses gets a unique opaque origin and may load nothing.
SANDBOX_CSP = "sandbox; default-src 'none'"


class Source(StrEnum):
    """Where a file's bytes came from, which decides how far they are trusted."""

    DERIVATIVE = "derivative"  # re-encoded by our pipeline (transcode, rendition, poster, copy)
    CAPTIONS = "captions"  # WebVTT parsed and checked by media.webvtt
    ORIGINAL = "original"  # bytes as a person uploaded them (or anything of unknown origin)
    PACKAGE = "package"  # a file from an H5P package (library or content)


# Types a browser may show inline when they are our own derivatives: decoded as media, never as
# a document that runs script.
INLINE_MEDIA_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "video/mp4",
        "video/webm",
        "video/ogg",
    }
)
WEBVTT = "text/vtt"
SVG = "image/svg+xml"
# Types a browser renders as an active document (script, markup, plug-ins). Unless they are an
# H5P package's code, they are sent as opaque bytes, whatever their name says.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        SVG,
        "text/xml",
        "application/xml",
        "text/xsl",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/ecmascript",
        "application/ecmascript",
        "application/x-shockwave-flash",
        "multipart/x-mixed-replace",
        "text/css",
    }
)
# What an H5P player must receive with its real type for a <script>, <link> or CSS image to work
# under nosniff. They run only inside the sandboxed player frame on the user-content origin.
PACKAGE_CODE_TYPES = frozenset({"text/javascript", "text/css", SVG})


@dataclass(frozen=True)
class Delivery:
    content_type: str
    disposition: str


def _essence(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower() or OCTET_STREAM


def disposition_for(content_type: str, source: Source) -> Delivery:
    """The one policy for how a file is sent from the user-content origin.

    * Inline only: our own image/audio/video derivatives, and WebVTT captions.
    * Everything else is an attachment: originals, PDFs, documents, consent scans, G-code, 3D
      models, package files (a ``<script>``, ``<video>`` or CSS image ignores the disposition,
      so the player still works; a person who opens the URL gets a download).
    * Active types (HTML, XML, SVG, scripts, CSS) become ``application/octet-stream``, except an
      H5P package's scripts, styles and SVG images, which the player needs with their real type.
      No SVG is ever inline.
    """
    essence = _essence(content_type)
    if source == Source.DERIVATIVE and essence in INLINE_MEDIA_TYPES:
        return Delivery(essence, INLINE)
    if source in (Source.DERIVATIVE, Source.CAPTIONS) and essence == WEBVTT:
        return Delivery(essence, INLINE)
    if essence in ACTIVE_TYPES and not (source == Source.PACKAGE and essence in PACKAGE_CODE_TYPES):
        return Delivery(OCTET_STREAM, ATTACHMENT)
    return Delivery(essence, ATTACHMENT)


def source_of(stored_file: StoredFile) -> Source:
    """How far a stored file is trusted: pipeline output, checked captions, or an original."""
    from .models import Derivative

    if Derivative.objects.filter(file=stored_file).exists():
        return Source.DERIVATIVE
    if _essence(stored_file.content_type) == WEBVTT:
        # Every WebVTT StoredFile is written by a service that parsed it with media.webvtt.
        return Source.CAPTIONS
    return Source.ORIGINAL


# -- URLs and tokens ---------------------------------------------------------------------------


def base_url() -> str:
    return settings.USERCONTENT_URL.rstrip("/")


def max_age() -> int:
    return int(settings.USERCONTENT_URL_MAX_AGE)


def expiry(now: float | None = None) -> int:
    """When a token made now stops working: at least ``max_age`` away, rounded up to a step
    (a tenth of the lifetime, at most ten minutes) so repeated views share one URL."""
    now = time.time() if now is None else now
    lifetime = max_age()
    step = max(1, min(600, lifetime // 10))
    return int(math.ceil((now + lifetime) / step) * step)


def redirect_max_age() -> int:
    """How long a browser may keep a redirect: well inside the token's own lifetime."""
    return max(0, min(300, max_age() // 4))


def url_name(filename: str) -> str:
    """The last path segment of a file URL: the download name without separators."""
    name = filename.replace("/", "_").replace("\\", "_").strip() or "file"
    return name[:200]


def sign(payload: dict, *, salt: str) -> str:
    """A URL-safe token over ``payload`` (deterministic: the same payload gives the same URL)."""
    return signing.Signer(salt=salt).sign_object({"v": VERSION, **payload}, compress=True)


class TokenRefused(Exception):
    """A token that is malformed, edited, expired or used on another route."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def unsign(token: str, *, salt: str, now: float | None = None) -> dict:
    """The payload of a valid token, or ``TokenRefused`` with code ``token_invalid`` or
    ``token_expired``."""
    try:
        payload = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError, TypeError) as error:
        raise TokenRefused("token_invalid") from error
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise TokenRefused("token_invalid")
    expires = payload.get("x")
    if not isinstance(expires, int):
        raise TokenRefused("token_invalid")
    if (time.time() if now is None else now) >= expires:
        raise TokenRefused("token_expired")
    return payload


def file_url(
    *,
    visibility: str,
    key: str,
    content_type: str,
    filename: str,
    source: Source,
    force_attachment: bool = False,
) -> str:
    """A signed URL on the user-content origin for one stored object."""
    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise ValueError(f"unknown visibility {visibility!r}")
    delivery = disposition_for(content_type, source)
    disposition = ATTACHMENT if force_attachment else delivery.disposition
    name = url_name(filename or key.rsplit("/", 1)[-1])
    token = sign(
        {
            "s": str(visibility),
            "k": key,
            "t": delivery.content_type,
            "n": name,
            "d": disposition,
            "x": expiry(),
        },
        salt=FILE_SALT,
    )
    return f"{base_url()}/f/{token}/{quote(name)}"


def stored_file_url(
    stored_file: StoredFile, *, source: Source | None = None, force_attachment: bool = False
) -> str:
    return file_url(
        visibility=stored_file.visibility,
        key=stored_file.key,
        content_type=stored_file.content_type,
        filename=stored_file.original_name or stored_file.key.rsplit("/", 1)[-1],
        source=source_of(stored_file) if source is None else source,
        force_attachment=force_attachment,
    )


def redirect(url: str) -> HttpResponse:
    """The site's answer for a file it has just allowed: go and fetch it from user content.

    The browser may keep the redirect briefly (``private``: never a shared cache), always less
    than the token lives, and never across a change of session (``Vary: Cookie``).
    """
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = f"private, max-age={redirect_max_age()}"
    patch_vary_headers(response, ("Cookie",))
    return response


def redirect_to_file(
    stored_file: StoredFile, *, source: Source | None = None, force_attachment: bool = False
) -> HttpResponse:
    return redirect(stored_file_url(stored_file, source=source, force_attachment=force_attachment))


def apply_headers(response: HttpResponse) -> HttpResponse:
    """Headers every answer on the user-content origin carries (the routing middleware calls it).

    The H5P player document sets ``response.usercontent_csp`` to its own policy; everything else
    gets the sandbox. No cookie is ever set there, and nothing is shared with credentials.
    """
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = getattr(response, "usercontent_csp", None) or SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    response["Referrer-Policy"] = "no-referrer"
    for header in ("Access-Control-Allow-Credentials", "X-Frame-Options", "Vary"):
        if header in response:
            del response[header]
    response.cookies.clear()
    return response
