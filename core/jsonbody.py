"""The one reader for JSON request bodies: size and nesting depth are limited before parsing.

Python's ``json`` module recurses once per nested array or object, so 5,000 nested brackets in
10 KB raise ``RecursionError`` (a 500). Every endpoint that accepts JSON reads it here instead,
and a malformed, too large or too deep body becomes a ``ValidationError`` with a stable code
(``json_invalid``, ``json_too_large``, ``json_too_deep``, ``json_not_object``,
``json_bad_character``) that the caller turns into its usual 400 shape.

Two things Python's parser accepts are refused too, because PostgreSQL cannot store them and
the write would fail half-way as a 500: ``NaN`` and ``Infinity`` (not JSON at all, by RFC 8259),
and strings holding a NUL character or half of a UTF-16 surrogate pair (``"\\u0000"``,
``"\\ud800"``), which ``jsonb`` and ``text`` columns refuse.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONBodyError(ValidationError):
    """A body that is not acceptable JSON; ``code`` says why."""


def _invalid() -> JSONBodyError:
    return JSONBodyError(_("The request body is not valid JSON."), code="json_invalid")


def _depth_exceeds(text: str, limit: int) -> bool:
    """True when brackets nest deeper than ``limit`` (strings are skipped, escapes honoured).

    A linear scan: the parser never sees a document deep enough to exhaust the stack.
    """
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity


def _storable(value: Any) -> bool:
    """No string (key or value) holds a NUL or a lone surrogate. Depth is already limited."""
    if isinstance(value, str):
        return "\x00" not in value and not _SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def too_large(max_bytes: int = MAX_BYTES) -> JSONBodyError:
    return JSONBodyError(
        _("The request body is larger than %(kb)d KB.") % {"kb": max_bytes // 1024},
        code="json_too_large",
    )


def parse(
    data: bytes | str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    require_object: bool = True,
) -> Any:
    """Parse a JSON document within the limits, or raise ``JSONBodyError``."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid() from error
    if _depth_exceeds(text, max_depth):
        raise JSONBodyError(
            _("The request body is nested more than %(depth)d levels deep.") % {"depth": max_depth},
            code="json_too_deep",
        )
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise _invalid() from error
    # A NUL or a surrogate can only arrive escaped (raw, the text would not have decoded or
    # parsed): bodies without an escape, nearly all of them, are not walked.
    if "\\u" in text and not _storable(value):
        raise JSONBodyError(
            _("The request body contains a character that cannot be stored (NUL or a lone "
              "surrogate)."),
            code="json_bad_character",
        )  # fmt: skip
    if require_object and not isinstance(value, dict):
        raise JSONBodyError(_("The request body must be a JSON object."), code="json_not_object")
    return value


def read_json(
    request: HttpRequest,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    require_object: bool = True,
    empty: Any = None,
) -> Any:
    """The request's JSON body. ``empty`` (when not None) stands for a body with no bytes.

    The declared length is checked before the body is read, so a huge body is never buffered.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise too_large(max_bytes)
    body = request.body
    if not body and empty is not None:
        return empty
    return parse(body, max_bytes=max_bytes, max_depth=max_depth, require_object=require_object)
