"""Sending stored objects to browsers after the caller has checked permission.

``stream_response`` streams through Django with HTTP Range support, so that audio and video can
seek and long downloads resume, while memory stays flat whatever the file size.
``presigned_redirect`` hands the transfer to MinIO with a short-lived URL where storage can sign
one, and falls back to streaming on local disk.
"""

import re
from urllib.parse import quote

from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single byte range asked for, as (start, end inclusive), or None for the whole file.

    Several ranges in one request are answered with the whole file, which RFC 9110 allows.
    """
    if not header or "," in header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        # A suffix range: the last N bytes.
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(header)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiable(header)
    return start, end


def _disposition(kind: str, filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def stream_response(
    request: HttpRequest,
    *,
    storage: Storage,
    name: str,
    content_type: str,
    filename: str = "",
    as_attachment: bool = False,
) -> HttpResponse:
    info = storage.stat(name)
    size = info.size
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response

    if byte_range is None:
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = byte_range, 206
    length = max(end - start + 1, 0)

    if request.method == "HEAD" or length == 0:
        response: HttpResponse = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            storage.stream(name, offset=start, length=length),
            status=status,
            content_type=content_type,
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if info.etag:
        response["ETag"] = f'"{info.etag}"'
    if filename or as_attachment:
        response["Content-Disposition"] = _disposition(
            "attachment" if as_attachment else "inline", filename or name.rsplit("/", 1)[-1]
        )
    # Private material must not be kept by shared caches, and must never be sniffed into HTML.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def presigned_redirect(
    request: HttpRequest,
    *,
    storage: Storage,
    name: str,
    content_type: str,
    filename: str = "",
) -> HttpResponse:
    presign = getattr(storage, "presigned_url", None)
    if presign is None:
        return stream_response(
            request,
            storage=storage,
            name=name,
            content_type=content_type,
            filename=filename,
            as_attachment=True,
        )
    url = presign(name, download_name=filename or None, content_type=content_type)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response
