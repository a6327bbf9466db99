from csp.constants import SELF
from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from . import delivery, selectors
from .models import StoredFile
from .services import storage_for


def _readable_file(request: HttpRequest, file_id) -> StoredFile:
    stored_file = get_object_or_404(StoredFile, pk=file_id)
    # The same answer for "missing" and "not yours": a guessed id must not confirm existence.
    if not selectors.can_read(user=request.user, stored_file=stored_file):
        raise Http404
    return stored_file


# Pages of this site may show a file in a frame (the PDF viewer); other sites may not.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
@require_http_methods(["GET", "HEAD"])
def stream_file(request: HttpRequest, file_id) -> HttpResponse:
    stored_file = _readable_file(request, file_id)
    return delivery.stream_response(
        request,
        storage=storage_for(stored_file.visibility),
        name=stored_file.key,
        content_type=stored_file.content_type,
        filename=stored_file.original_name,
        as_attachment=request.GET.get("download") == "1",
    )


@require_http_methods(["GET"])
def download_link(request: HttpRequest, file_id) -> HttpResponse:
    stored_file = _readable_file(request, file_id)
    return delivery.presigned_redirect(
        request,
        storage=storage_for(stored_file.visibility),
        name=stored_file.key,
        content_type=stored_file.content_type,
        filename=stored_file.original_name,
    )
