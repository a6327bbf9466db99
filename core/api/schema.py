"""Hooks for the OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AppSessionTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``core.api.authentication.AppSessionToken`` (registered by being imported,
    which the preprocessing hook below makes sure of)."""

    target_class = "core.api.authentication.AppSessionToken"
    name = "appSessionToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": (
                "For apps: the session token that allauth's headless API gives on signing in "
                "(POST /_allauth/app/v1/auth/login; its own schema is /_allauth/openapi.json). "
                "A token that has expired or was signed out answers 401 `token_invalid`."
            ),
        }


def only_the_public_api(endpoints: list) -> list:
    """Wagtail's admin has DRF views of its own (``/admin/api/``): they are not part of the
    public API and stay out of its schema."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details. Branch on `code`; show `detail` to people.",
    "properties": {
        "type": {"type": "string", "description": "urn:liaotu:problem:<code>"},
        "title": {"type": "string", "description": "Short, in the caller's language."},
        "status": {"type": "integer"},
        "code": {
            "type": "string",
            "description": (
                "Stable reason: unauthenticated, forbidden, not_found, method_not_allowed, "
                "unsupported_media_type, throttled, json_invalid, json_too_large, "
                "json_too_deep, json_not_object, a field rule (required, invalid, max_length, "
                "naive...) or the domain's refusal (booking: conflict, full, already_booked, "
                "max_duration, outside_hours...)."
            ),
        },
        "detail": {"type": "string", "description": "What happened, in the caller's language."},
        "instance": {"type": "string", "description": "The path that was asked for."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per field, what is wrong with it (400 only).",
        },
    },
    "required": ["type", "title", "status", "code"],
}


def problems_everywhere(result: dict, generator, request, public) -> dict:
    """Every operation may answer with a problem document (``default`` response): a refusal by
    a rule, a missing sign-in, a limit. Documented once, referenced by each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {
        "description": "A refusal: an RFC 9457 problem document with a stable `code`.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation.setdefault("responses", {}).setdefault("default", reference)
    return result
