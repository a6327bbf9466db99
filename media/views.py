"""File delivery: the site checks permission and redirects; the user-content origin streams.

``stream_file``, ``download_link`` and ``document`` run on the site (with the reader's session)
and never send a stored byte themselves: they answer with a redirect to a signed URL on the
user-content origin (see ``media.usercontent``). ``usercontent_file`` runs there, without
cookies, session or CSRF, and streams what the token names with Range support.
"""

import mimetypes

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.documents.models import document_served

from . import delivery, selectors, usercontent
from .models import StoredFile, Visibility
from .services import storage_for


def _readable_file(request: HttpRequest, file_id) -> StoredFile:
    stored_file = get_object_or_404(StoredFile, pk=file_id)
    # The same answer for "missing" and "not yours": a guessed id must not confirm existence.
    if not selectors.can_read(user=request.user, stored_file=stored_file):
        raise Http404
    return stored_file


@require_http_methods(["GET", "HEAD"])
def stream_file(request: HttpRequest, file_id) -> HttpResponse:
    """A stored file, after the permission check, from the user-content origin.

    ``?download=1`` asks for an attachment even where the policy would allow inline.
    """
    stored_file = _readable_file(request, file_id)
    return usercontent.redirect_to_file(
        stored_file, force_attachment=request.GET.get("download") == "1"
    )


@require_http_methods(["GET"])
def download_link(request: HttpRequest, file_id) -> HttpResponse:
    stored_file = _readable_file(request, file_id)
    return usercontent.redirect_to_file(stored_file, force_attachment=True)


@require_http_methods(["GET", "HEAD"])
def document(request: HttpRequest, document_id: str, document_filename: str) -> HttpResponse:
    """Wagtail documents: Wagtail's own checks (filename, collection view restrictions through
    its ``before_serve_document`` hooks, the ``document_served`` signal), then a redirect to an
    attachment on the user-content origin instead of streaming the file from the site."""
    model = get_document_model()
    doc = get_object_or_404(model, id=document_id)
    if doc.filename != document_filename:
        raise Http404
    for hook in hooks.get_hooks("before_serve_document"):
        result = hook(doc, request)
        if isinstance(result, HttpResponse):
            return result
    document_served.send(sender=model, instance=doc, request=request)
    return usercontent.redirect(
        usercontent.file_url(
            visibility=Visibility.PUBLIC,
            key=doc.file.name,
            content_type=doc.content_type,
            filename=doc.filename,
            source=usercontent.Source.ORIGINAL,
        )
    )


# -- on the user-content origin ----------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def usercontent_file(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """Stream what a valid token names. An edited, expired or foreign token, or a token under
    another name, gets 404 and no byte of the file."""
    try:
        payload = usercontent.unsign(token, salt=usercontent.FILE_SALT)
    except usercontent.TokenRefused as refused:
        raise Http404(refused.code) from refused
    if payload.get("n") != name or payload.get("s") not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise Http404("token_invalid")
    storage = storage_for(payload["s"])
    try:
        response = delivery.stream_response(
            request,
            storage=storage,
            name=payload["k"],
            content_type=payload["t"],
            filename=payload["n"],
            as_attachment=payload["d"] == usercontent.ATTACHMENT,
        )
    except FileNotFoundError as missing:
        raise Http404("missing") from missing
    if payload["s"] == Visibility.PUBLIC:
        # Public objects may be kept (the URL is the capability and changes with its expiry).
        response["Cache-Control"] = f"public, max-age={min(3600, usercontent.max_age())}"
    return response


@require_http_methods(["GET", "HEAD"])
def usercontent_public_media(request: HttpRequest, path: str) -> HttpResponse:
    """``make run`` only (files on local disk): the public folder under ``/media/``, which
    Wagtail images link to. Never on the site's origin; always under the policy of an original."""
    if settings.S3_ENDPOINT_URL or path.startswith(("/", "..")) or "/../" in f"/{path}/":
        raise Http404
    storage = storage_for(Visibility.PUBLIC)
    guessed = mimetypes.guess_type(path)[0] or usercontent.OCTET_STREAM
    policy = usercontent.disposition_for(guessed, usercontent.Source.ORIGINAL)
    try:
        return delivery.stream_response(
            request,
            storage=storage,
            name=path,
            content_type=policy.content_type,
            filename=path.rsplit("/", 1)[-1],
            as_attachment=policy.disposition == usercontent.ATTACHMENT,
        )
    except (FileNotFoundError, ValueError) as missing:
        raise Http404 from missing
