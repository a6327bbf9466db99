"""Answers of the API that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .problems import plain_problem


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under /api/: a problem document, never the site's HTML 404 page (a
    client that asks for JSON must never have to parse a web page)."""
    return plain_problem(request, status_code=404, code="not_found", title=_("Not found."))


def sign_in_schema(request: HttpRequest) -> HttpResponse:
    """allauth's headless OpenAPI document (the app's sign-in, sign-up, TOTP and reset calls).

    allauth's own view cannot encode it here: it lists our sign-up form's fields, whose labels
    are translated lazily. Django's encoder turns them into text in the caller's language.
    """
    import json

    from allauth.headless.spec.internal.schema import get_schema
    from django.core.serializers.json import DjangoJSONEncoder

    return HttpResponse(
        json.dumps(get_schema(), cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/vnd.oai.openapi"
        + ("" if request.path.endswith(".yaml") else "+json"),
    )
