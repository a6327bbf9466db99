"""Serving H5P files from our storage, the player, and what the player sends back.

Files come through Django with the right MIME type (so libraries and content stay in the
private bucket and the browser never talks to the object store). The player page gets a
Content-Security-Policy loosened only where H5P needs it: inline styles (H5P libraries build
markup with style attributes) and same-origin frames (each activity runs in an iframe).
"""

from __future__ import annotations

import json
import mimetypes
import posixpath

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

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
# H5P core writes one fixed inline script into each activity's frame (frame.bundle.js of
# h5p-standalone 3.8.2): "H5PIntegration = window.parent.H5PIntegration; var H5P = H5P || {};
# H5P.externalEmbed = false;". Allowing exactly that script by its hash keeps script-src closed.
FRAME_SCRIPT = "'sha256-8CniZYrnO46q7MvZ3m08Wom1HH/ZhyXmm29kBKTV1rk='"
PLAYER_CSP = {
    "script-src": [FRAME_SCRIPT],
    "style-src": [UNSAFE_INLINE],
    "frame-src": [SELF],
    "font-src": ["data:"],
}
STATEMENTS_PER_MINUTE = 120


def _serve(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Streamed with Range support (H5P content may hold video) by media's delivery."""
    storage = storage_for(services.VISIBILITY)
    if not storage.exists(key):
        raise Http404
    extension = posixpath.splitext(path)[1].lower()
    content_type = (
        TYPES.get(extension) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    )
    response = stream_response(request, storage=storage, name=key, content_type=content_type)
    # Libraries and activity files are the same for everyone: browsers may keep them.
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _clean(path: str) -> str:
    normal = posixpath.normpath(path)
    if normal.startswith(("/", "..")) or "/../" in f"/{normal}/":
        raise Http404
    return normal


@require_GET
def library_file(request: HttpRequest, folder: str, path: str) -> HttpResponse:
    match = package.LIBRARY_FOLDER.match(folder)
    if match is None:
        raise Http404
    library = H5PLibrary.objects.filter(
        machine_name=match.group(1), major=int(match.group(2)), minor=int(match.group(3))
    ).first()
    path = _clean(path)
    if library is None or path not in library.files:
        raise Http404
    return _serve(request, services.library_key(folder, path), path)


@require_GET
def content_file(request: HttpRequest, content_id, path: str) -> HttpResponse:
    content = get_object_or_404(H5PContent, pk=content_id)
    path = _clean(path)
    if path == "h5p.json":
        return JsonResponse(content.h5p_json, json_dumps_params={"ensure_ascii": False})
    if not path.startswith("content/") or path[len("content/") :] not in content.content_files:
        raise Http404
    return _serve(request, services.content_key(content.pk, path), path)


def player_context(request: HttpRequest, content: H5PContent, lesson: LessonPage | None) -> dict:
    state = None
    if request.user.is_authenticated:
        saved = H5PState.objects.filter(
            user=request.user, content=content, data_type="state", sub_content_id=0
        ).first()
        state = saved.data if saved else None
    return {
        "content": content,
        "config": {
            "id": str(content.pk),
            "title": content.title,
            "base": f"/learning/h5p/content/{content.pk}",
            "libraries": "/learning/h5p/libraries",
            "lesson": lesson.pk if lesson else None,
            "state": state,
            "signedIn": request.user.is_authenticated,
            "user": {
                "name": request.user.display_name or request.user.email,
                "mail": request.user.email,
            }
            if request.user.is_authenticated
            else None,
            "statementsUrl": "/learning/h5p/statements/",
            # Absolute: the activity's frame (about:blank) resolves no relative URL reliably.
            "stateUrl": request.build_absolute_uri(f"/learning/h5p/content/{content.pk}/state/")
            + ":dataType/:subContentId",
        },
    }


@csp_update(PLAYER_CSP)
def player(request: HttpRequest, content_id) -> HttpResponse:
    """A standalone page for one activity (librarians preview uploads here)."""
    content = get_object_or_404(H5PContent, pk=content_id)
    return render(request, "courses/h5p_player.html", player_context(request, content, None))


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
        body = json.loads(request.body)
        content = H5PContent.objects.get(pk=body["content"])
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
    content = get_object_or_404(H5PContent, pk=content_id)
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
