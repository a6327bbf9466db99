"""Conditional GET for API reads: a strong ETag over the response body, and 304 Not Modified
when the client already holds it (a phone on a slow connection then downloads nothing)."""

from __future__ import annotations

import hashlib

from django.utils.cache import patch_vary_headers
from rest_framework.response import Response


class ETagMixin:
    """For DRF views: GET and HEAD answers carry an ETag; a matching If-None-Match gets 304."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if not isinstance(response, Response):
            return response
        response.render()
        tag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        response["ETag"] = tag
        patch_vary_headers(response, ["Accept-Language", "Cookie", "Authorization"])
        sent = request.META.get("HTTP_IF_NONE_MATCH", "")
        wanted = {part.strip().removeprefix("W/") for part in sent.split(",") if part.strip()}
        if tag in wanted or "*" in wanted:
            not_modified = Response(status=304, headers={"ETag": tag})
            not_modified.accepted_renderer = response.accepted_renderer
            not_modified.accepted_media_type = response.accepted_media_type
            not_modified.renderer_context = response.renderer_context
            not_modified["Vary"] = response["Vary"]
            return not_modified
        return response
