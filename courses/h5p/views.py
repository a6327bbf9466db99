"""H5P: the player runs in a sandboxed frame on the user-content origin; the site keeps the
results.

Library and content files are supplied by packages, so they are served only from the
user-content origin (``USERCONTENT_URL``), never from the site: a script in a library folder
must not pass the site's ``script-src 'self'``. The site page (lesson block, ``H5PPage``,
``/learning/h5p/play/<id>/``) embeds ``<iframe sandbox="allow-scripts allow-same-origin">``
whose document (``usercontent_player``) loads h5p-standalone, the libraries and the content from
that origin under its own CSP. The frame has no cookie and no CSRF token: it hands xAPI
statements and its state to the page by ``postMessage`` (``site/frontend/h5p-frame.js``), and
the page (``site/frontend/h5p-player.js``) checks the sender and posts them to the site's
endpoints with its CSRF token. The saved state reaches the frame the same way, never in a URL.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.jsonbody import read_json
from core.siteurl import site_url
from media import usercontent
from media.delivery import stream_response
from media.services import storage_for

from ..models import H5PContent, H5PLibrary, H5PState, LessonPage, XAPIStatement
from . import package, services

TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".vtt": "text/vtt",
    ".webvtt": "text/vtt",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".glb": "model/gltf-binary",
}
# H5P core's one inline script, written into an activity's inner frame by h5p-standalone's
# "iframe" embedding. Our player embeds with "div" inside its own sandboxed frame instead, so the
# hash is no longer allowed anywhere; it stays named here so that tests can assert just that.
FRAME_SCRIPT = "'sha256-8CniZYrnO46q7MvZ3m08Wom1HH/ZhyXmm29kBKTV1rk='"
H5P_SALT = "courses.h5p.player"
# What the player frame itself needs, and no more. frame-ancestors is added per response.
FRAME_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'"
)
# Our own player code, served from the user-content origin so the frame's CSP stays 'self'.
STATIC_PREFIXES = ("build/h5p/",)
STATIC_FILES = frozenset({"build/h5p-frame.js"})
STATEMENTS_PER_MINUTE = 120


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _clean(path: str) -> str:
    normal = posixpath.normpath(path)
    if normal.startswith(("/", "..")) or "/../" in f"/{normal}/":
        raise Http404
    return normal


def _library(folder: str, path: str) -> tuple[H5PLibrary, str]:
    match = package.LIBRARY_FOLDER.match(folder)
    if match is None:
        raise Http404
    library = H5PLibrary.objects.filter(
        machine_name=match.group(1), major=int(match.group(2)), minor=int(match.group(3))
    ).first()
    path = _clean(path)
    if library is None or path not in library.files:
        raise Http404
    return library, path


def _content_path(content: H5PContent, path: str) -> str:
    path = _clean(path)
    if path == "h5p.json":
        return path
    if not path.startswith("content/") or path[len("content/") :] not in content.content_files:
        raise Http404
    return path


def player_token(content: H5PContent, lesson: LessonPage | None) -> str:
    """Names the activity (and the lesson it scores) for the frame and its content files."""
    return usercontent.sign(
        {"c": str(content.pk), "l": lesson.pk if lesson else None, "x": usercontent.expiry()},
        salt=H5P_SALT,
    )


def _content_for(token: str) -> tuple[H5PContent, dict]:
    try:
        payload = usercontent.unsign(token, salt=H5P_SALT)
    except usercontent.TokenRefused as refused:
        raise Http404(refused.code) from refused
    content = H5PContent.objects.playable().filter(pk=payload.get("c")).first()
    if content is None:
        raise Http404
    return content, payload


# -- on the site: redirects only ---------------------------------------------------------------


@require_GET
def library_file(request: HttpRequest, folder: str, path: str) -> HttpResponse:
    """Old site URL of a library file: it now lives on the user-content origin only."""
    library, path = _library(folder, path)
    return usercontent.redirect(
        f"{usercontent.base_url()}/h5p/libraries/{quote(library.folder)}/{quote(path)}"
    )


@require_GET
def content_file(request: HttpRequest, content_id, path: str) -> HttpResponse:
    content = get_object_or_404(H5PContent.objects.playable(), pk=content_id)
    path = _content_path(content, path)
    token = player_token(content, None)
    return usercontent.redirect(f"{usercontent.base_url()}/h5p/content/{token}/{quote(path)}")


def player_context(request: HttpRequest, content: H5PContent, lesson: LessonPage | None) -> dict:
    state = None
    if request.user.is_authenticated:
        saved = H5PState.objects.filter(
            user=request.user, content=content, data_type="state", sub_content_id=0
        ).first()
        state = saved.data if saved else None
    token = player_token(content, lesson)
    return {
        "content": content,
        "config": {
            "id": str(content.pk),
            "title": content.title,
            "lesson": lesson.pk if lesson else None,
            # Handed to the frame by postMessage once it says it is ready, never in its URL.
            "state": state,
            "signedIn": request.user.is_authenticated,
            "frameUrl": f"{usercontent.base_url()}/h5p/player/{token}/",
            "frameOrigin": _origin(usercontent.base_url()),
            "statementsUrl": reverse("courses:h5p-statements"),
            "stateUrl": reverse("courses:h5p-state", args=[content.pk, "state", 0]),
        },
    }


def player(request: HttpRequest, content_id) -> HttpResponse:
    """A standalone page for one activity (librarians preview uploads here)."""
    content = get_object_or_404(H5PContent.objects.playable(), pk=content_id)
    return render(request, "courses/h5p_player.html", player_context(request, content, None))


# -- on the user-content origin ----------------------------------------------------------------


def _serve_package_file(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """A package's file, streamed with Range support (content may hold video), under the
    package policy of ``media.usercontent.disposition_for``."""
    storage = storage_for(services.VISIBILITY)
    extension = posixpath.splitext(path)[1].lower()
    guessed = TYPES.get(extension) or mimetypes.guess_type(path)[0] or usercontent.OCTET_STREAM
    policy = usercontent.disposition_for(guessed, usercontent.Source.PACKAGE)
    try:
        response = stream_response(
            request,
            storage=storage,
            name=key,
            content_type=policy.content_type,
            filename=posixpath.basename(path),
            as_attachment=policy.disposition == usercontent.ATTACHMENT,
        )
    except FileNotFoundError as missing:
        raise Http404 from missing
    # Libraries and activity files are the same for everyone: browsers may keep them.
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_http_methods(["GET", "HEAD"])
def usercontent_library_file(request: HttpRequest, folder: str, path: str) -> HttpResponse:
    library, path = _library(folder, path)
    return _serve_package_file(request, services.library_key(library.folder, path), path)


@require_http_methods(["GET", "HEAD"])
def usercontent_content_file(request: HttpRequest, token: str, path: str) -> HttpResponse:
    content, _payload = _content_for(token)
    path = _content_path(content, path)
    if path == "h5p.json":
        return JsonResponse(content.h5p_json, json_dumps_params={"ensure_ascii": False})
    return _serve_package_file(request, services.content_key(content.pk, path), path)


@require_http_methods(["GET", "HEAD"])
def usercontent_player(request: HttpRequest, token: str) -> HttpResponse:
    """The player document, framed by site pages only. Its CSP allows our player code, the
    package's files from this origin and inline styles (H5P builds markup with them)."""
    content, _payload = _content_for(token)
    base = f"/h5p/content/{token}"
    # Rendered without the request: no context processor may look for a session or user here.
    html = render_to_string(
        "courses/h5p_frame.html",
        {
            "content": content,
            "config": {
                "id": str(content.pk),
                "title": content.title,
                "h5pJsonPath": base,
                "contentJsonPath": f"{base}/content",
                "librariesPath": "/h5p/libraries",
                "frameJs": "/static/build/h5p/frame.bundle.js",
                "frameCss": "/static/build/h5p/styles/h5p.css",
                "parentOrigin": _origin(site_url()),
            },
        },
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response.usercontent_csp = f"{FRAME_CSP}; frame-ancestors {_origin(site_url())}"
    response["Cache-Control"] = "private, no-store"
    return response


def _static_path(path: str) -> Path | None:
    """Found like WhiteNoise finds it: from the finders in development and tests, else from
    the collected files."""
    if getattr(settings, "WHITENOISE_USE_FINDERS", False):
        found = finders.find(path)
        return Path(found) if found else None
    try:
        local = Path(staticfiles_storage.path(path))
    except (NotImplementedError, ValueError):
        return None
    return local if local.is_file() else None


@require_http_methods(["GET", "HEAD"])
def usercontent_static(request: HttpRequest, path: str) -> HttpResponse:
    """The player's own static files (h5p-standalone's build and our frame script) only."""
    path = _clean(path)
    if path not in STATIC_FILES and not path.startswith(STATIC_PREFIXES):
        raise Http404
    local = _static_path(path)
    if local is None:
        raise Http404
    guessed = mimetypes.guess_type(path)[0] or usercontent.OCTET_STREAM
    if path.endswith(".js"):
        guessed = "text/javascript"
    policy = usercontent.disposition_for(guessed, usercontent.Source.PACKAGE)
    response = FileResponse(
        local.open("rb"),
        content_type=policy.content_type,
        as_attachment=policy.disposition == usercontent.ATTACHMENT,
        filename=posixpath.basename(path),
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_POST
def statements(request: HttpRequest) -> JsonResponse:
    """xAPI statements from the player: CSRF-protected, rate-limited, validated; stored once."""
    key = f"h5p-statements:{request.user.pk}"
    count = cache.get_or_set(key, 0, timeout=60)
    if count >= STATEMENTS_PER_MINUTE:
        return JsonResponse({"error": _("Too many results at once; please slow down.")}, status=429)
    cache.incr(key)
    try:
        body = read_json(request)
        content = H5PContent.objects.playable().get(pk=body["content"])
        lesson_id = body.get("lesson")
        lesson = LessonPage.objects.live().filter(pk=lesson_id).first() if lesson_id else None
        stored, created = services.record_statement(
            user=request.user, content=content, statement=body["statement"], lesson=lesson
        )
    except (ValueError, KeyError, TypeError, H5PContent.DoesNotExist, ValidationError) as error:
        message = (
            " ".join(error.messages)
            if isinstance(error, ValidationError)
            else _("The statement is not valid.")
        )
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"id": str(stored.pk), "stored": created}, status=201 if created else 200)


@login_required
@require_http_methods(["GET", "POST"])
def state(request: HttpRequest, content_id, data_type: str, sub_content_id: int) -> JsonResponse:
    """H5P's contentUserData: the learner's unfinished activity, saved and restored."""
    content = get_object_or_404(H5PContent.objects.playable(), pk=content_id)
    try:
        services.check_state_key(data_type=data_type, sub_content_id=sub_content_id)
    except ValidationError as error:
        return JsonResponse({"success": False, "message": " ".join(error.messages)}, status=400)
    if request.method == "GET":
        saved = H5PState.objects.filter(
            user=request.user, content=content, data_type=data_type, sub_content_id=sub_content_id
        ).first()
        return JsonResponse({"success": True, "data": saved.data if saved else False})
    try:
        services.save_state(
            user=request.user,
            content=content,
            data_type=data_type,
            sub_content_id=sub_content_id,
            data=request.POST.get("data", ""),
        )
    except ValidationError as error:
        return JsonResponse({"success": False, "message": " ".join(error.messages)}, status=400)
    return JsonResponse({"success": True})


@login_required
def export_statements(request: HttpRequest) -> JsonResponse:
    rows = XAPIStatement.objects.filter(user=request.user).order_by("stored_at")
    response = JsonResponse(
        [row.statement for row in rows], safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Disposition"] = 'attachment; filename="h5p-statements.json"'
    return response
