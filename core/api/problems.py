"""RFC 9457 problem details for every refusal of the API.

A client branches on ``code`` (stable, documented per operation), shows ``detail`` (in the
caller's language, chosen by Accept-Language or the reader's setting) and may read ``errors``
(field -> messages) after a 400 on a form-like body. ``type`` is a URN built from the code, so
it stays the same wherever the API is served.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.jsonbody import JSONBodyError

PROBLEM_JSON = "application/problem+json"

#: Refusals of the domain services that mean "someone else has it" rather than "not allowed".
TAKEN_CODES = frozenset({"conflict", "full", "already_booked", "already_waiting"})
#: ... or "it has changed meanwhile" (a decided request, a booking already cancelled).
CONFLICT_CODES = TAKEN_CODES | {"state", "slot_free", "not_full"}


#: The codes DRF gives its exceptions by default; a refusal raised with any other code keeps it.
DRF_GENERIC_CODES = frozenset(
    {
        "error",
        "authentication_failed",
        "not_authenticated",
        "permission_denied",
        "not_found",
        "method_not_allowed",
        "not_acceptable",
        "unsupported_media_type",
        "throttled",
        "parse_error",
    }
)


def problem_body(*, status_code: int, code: str, title: str, **members: Any) -> dict[str, Any]:
    """The members every problem document has, then any others (detail, instance...)."""
    body: dict[str, Any] = {
        "type": f"urn:liaotu:problem:{code}",
        "title": title,
        "status": status_code,
        "code": code,
    }
    body.update({name: value for name, value in members.items() if value})
    return body


def plain_problem(request, *, status_code: int, code: str, title: str) -> HttpResponse:
    """A problem document from outside DRF (URL fallbacks, middleware)."""
    import json

    body = problem_body(status_code=status_code, code=code, title=title, instance=request.path)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status_code, content_type=PROBLEM_JSON
    )


def problem(
    *,
    status_code: int,
    code: str,
    title: str,
    detail: str = "",
    instance: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    body = problem_body(
        status_code=status_code,
        code=code,
        title=title,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    body.update(extensions or {})
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_JSON
    return response


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(field): _messages(value) for field, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _first_code(detail: Any) -> str:
    codes = exceptions.ValidationError(detail).get_codes() if detail is not None else None
    while isinstance(codes, dict | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes or "invalid"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every error the API gives is a problem document."""
    request = context.get("request")
    instance = request.path if request is not None else ""

    if isinstance(exc, JSONBodyError):
        # A body refused for its size was not read, and gunicorn then drops the connection
        # after the answer: say so, so that the client opens a new one for its next request.
        # (Only under gunicorn: the WSGI servers of Django's runserver and tests refuse an
        # application's hop-by-hop headers.)
        server = request.META.get("SERVER_SOFTWARE", "") if request is not None else ""
        closing = (
            {"Connection": "close"}
            if exc.code == "json_too_large" and server.startswith("gunicorn")
            else None
        )
        return problem(
            status_code=400,
            code=exc.code or "json_invalid",
            title=_("The request body was refused."),
            detail=" ".join(exc.messages),
            instance=instance,
            headers=closing,
        )
    if isinstance(exc, DjangoValidationError):
        # A domain service said no (booking rules, quotas, certification, upload limits).
        code = exc.code or "invalid"
        conflict = code in CONFLICT_CODES
        # A service may say what it did before it refused (``accepted``: a report's events).
        accepted = getattr(exc, "accepted", None)
        return problem(
            status_code=409 if conflict else 422,
            code=code,
            title=(
                _("This is already taken.")
                if code in TAKEN_CODES
                else _("This no longer applies.")
                if conflict
                else _("This is not possible.")
            ),
            detail=" ".join(exc.messages),
            instance=instance,
            extensions={"accepted": accepted} if accepted is not None else None,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real error: Django's 500 handling and error reporting see it

    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header

    if isinstance(exc, exceptions.ValidationError):
        return problem(
            status_code=400,
            code=_first_code(exc.detail),
            title=_("Some of what was sent is not valid."),
            detail=" ".join(_messages(exc.detail)),
            instance=instance,
            errors=_field_errors(exc.detail),
        )
    codes = {
        exceptions.NotAuthenticated: ("unauthenticated", _("Please sign in first.")),
        exceptions.AuthenticationFailed: ("unauthenticated", _("Please sign in first.")),
        exceptions.PermissionDenied: ("forbidden", _("You are not allowed to do this.")),
        exceptions.NotFound: ("not_found", _("Not found.")),
        exceptions.MethodNotAllowed: ("method_not_allowed", _("This method is not allowed here.")),
        exceptions.NotAcceptable: ("not_acceptable", _("This format cannot be given.")),
        exceptions.UnsupportedMediaType: (
            "unsupported_media_type",
            _("Send the request body as application/json."),
        ),
        exceptions.Throttled: ("throttled", _("Too many requests. Please wait a moment.")),
        exceptions.ParseError: ("json_invalid", _("The request body is not valid JSON.")),
    }
    code, title = next(
        (value for kind, value in codes.items() if isinstance(exc, kind)),
        (str(exc.default_code), _("The request was refused.")),
    )
    specific = exc.get_codes()
    if isinstance(specific, str) and specific not in DRF_GENERIC_CODES:
        # A refusal raised with a code of its own (token_invalid, mfa_required...): its message
        # is the title, as the site's own refusal says it.
        code = specific
        if not any(isinstance(exc, kind) for kind in codes):
            title = str(exc.detail)
    detail = " ".join(_messages(exc.detail))
    status_code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when no authentication scheme can send a challenge (the session);
        # the caller is simply not signed in, which is a 401 with the ways to sign in.
        status_code = status.HTTP_401_UNAUTHORIZED
        headers.setdefault("WWW-Authenticate", 'Session realm="api"')
    return problem(
        status_code=status_code,
        code=code,
        title=title,
        detail=detail if detail != title else "",
        instance=instance,
        headers=headers or None,
    )
