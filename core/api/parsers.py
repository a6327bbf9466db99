"""JSON bodies for the API, read within the limits of ``core.jsonbody``.

DRF's own JSONParser hands the bytes to ``json.load``: 5,000 nested brackets would recurse until
``RecursionError``. Here the size is checked against the declared length before reading and the
depth before parsing; a refusal is a ``JSONBodyError`` with its stable code (a 400 problem).
"""

from __future__ import annotations

from rest_framework.parsers import BaseParser

from core import jsonbody


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = 0
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
        if declared > jsonbody.MAX_BYTES:
            raise jsonbody.too_large()
        raw = stream.read(jsonbody.MAX_BYTES + 1) if stream is not None else b""
        if not raw:
            return {}
        return jsonbody.parse(raw, require_object=True)
