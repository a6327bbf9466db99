"""The tus 1.0 resumable-upload endpoint (creation and termination extensions).

Thin HTTP translation around ``media.uploads``: headers in, a service call, headers out.
Refusals carry a plain-text message in the reader's language, which the browser shows.
"""

import base64
import binascii

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.api.authentication import accepts_app_token

from . import uploads
from .models import Upload, UploadStatus

TUS_VERSION = "1.0.0"


def _tus_response(status: int = 204, message: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _refusal(error: uploads.UploadRefused) -> HttpResponse:
    return _tus_response(error.status, str(error))


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated ``key base64value`` pairs."""
    metadata = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as error:
            raise uploads.UploadRefused(_("The upload's metadata could not be read.")) from error
    return metadata


def _int_header(request: HttpRequest, name: str) -> int:
    try:
        value = int(request.headers[name])
    except (KeyError, ValueError) as error:
        raise uploads.UploadRefused(
            _("The %(header)s header is missing or not a number.") % {"header": name}
        ) from error
    if value < 0:
        raise uploads.UploadRefused(
            _("The %(header)s header is missing or not a number.") % {"header": name}
        )
    return value


def _check_version(request: HttpRequest) -> HttpResponse | None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _tus_response(412, _("This server speaks tus 1.0.0."), Tus_Version=TUS_VERSION)
    return None


# The upload page sends Django's CSRF token in X-CSRFToken with every tus request; apps send
# their X-Session-Token instead.
@accepts_app_token
@login_required
@require_http_methods(["OPTIONS", "POST"])
def upload_collection(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _tus_response(
            204,
            Tus_Version=TUS_VERSION,
            Tus_Extension="creation,termination",
            Tus_Max_Size=str(max(settings.MEDIA_MAX_BYTES.values())),
        )
    if refused := _check_version(request):
        return refused
    try:
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        upload = uploads.create_upload(
            user=request.user,
            filename=metadata.get("filename", ""),
            length=_int_header(request, "Upload-Length"),
            metadata={k: v for k, v in metadata.items() if k != "filename"},
        )
    except uploads.UploadRefused as error:
        return _refusal(error)
    return _tus_response(201, Location=reverse("media:upload", args=[upload.pk]), Upload_Offset="0")


@accepts_app_token
@login_required
@require_http_methods(["HEAD", "PATCH", "DELETE", "OPTIONS"])
def upload_resource(request: HttpRequest, upload_id) -> HttpResponse:
    if request.method == "OPTIONS":
        return _tus_response(204, Tus_Version=TUS_VERSION, Tus_Extension="creation,termination")
    if refused := _check_version(request):
        return refused
    try:
        if request.method == "HEAD":
            upload = get_object_or_404(Upload, pk=upload_id, owner=request.user)
            return _tus_response(
                200, Upload_Offset=str(upload.offset), Upload_Length=str(upload.length)
            )
        if request.method == "DELETE":
            uploads.cancel_upload(upload_id=upload_id, user=request.user)
            return _tus_response(204)
        if request.content_type != "application/offset+octet-stream":
            return _tus_response(
                415, _("Upload chunks must be sent as application/offset+octet-stream.")
            )
        upload = uploads.receive_chunk(
            upload_id=upload_id,
            user=request.user,
            offset=_int_header(request, "Upload-Offset"),
            stream=request,
            length=_int_header(request, "Content-Length"),
        )
    except uploads.UploadRefused as error:
        return _refusal(error)
    headers = {"Upload_Offset": str(upload.offset)}
    if upload.status == UploadStatus.COMPLETE:
        headers["Upload_Complete"] = str(upload.stored_file_id)
    return _tus_response(204, **headers)
