"""Routing by host name: the user-content origin is answered apart from the site.

``USERCONTENT_URL`` names a second host served by the same processes. A request for that host
never meets the site's middleware: its ``Cookie`` header is dropped before anything can read it,
no session, user, CSRF check, allauth or language is set up, and it is resolved against its own
small urlconf (``config.usercontent_urls``), so no site page answers there and no user-content
route answers on the site. Every answer gets the user-content headers (``media.usercontent``).

The decision is made on the host name alone, not the port: cookies are scoped by host, so the
two origins must differ in host name (``make run`` uses 127.0.0.1 for the site and localhost for
user content; production uses another registrable domain).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.handlers.exception import convert_exception_to_response
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import split_domain_port
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, get_resolver, set_urlconf

from media import usercontent

USERCONTENT_URLCONF = "config.usercontent_urls"


def usercontent_host() -> str:
    return (urlsplit(settings.USERCONTENT_URL).hostname or "").lower()


def is_usercontent_request(request: HttpRequest) -> bool:
    """True when the request's host name (validated against ALLOWED_HOSTS) is the user-content
    host. The port is not compared: in tests one live server answers both names."""
    domain, _port = split_domain_port(request.get_host())
    host = usercontent_host()
    return bool(host) and domain.lower() == host


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def preflight() -> HttpResponse:
    """CORS preflight for a viewer elsewhere that reads with a Range header: reads only, and
    never with credentials."""
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD"
    response["Access-Control-Allow-Headers"] = "range"
    response["Access-Control-Max-Age"] = "86400"
    return response


class UserContentMiddleware:
    """Placed first: answers the user-content host itself and passes the site's requests on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # HTTPS redirects and HSTS apply to user content too; nothing else of the site's chain.
        self.usercontent_chain = convert_exception_to_response(
            SecurityMiddleware(convert_exception_to_response(self.dispatch))
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_usercontent_request(request):
            return self.get_response(request)
        # Before anything reads it: the site's cookies must never reach user content.
        request.META.pop("HTTP_COOKIE", None)
        request.COOKIES = {}
        request.urlconf = USERCONTENT_URLCONF
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            return usercontent.apply_headers(preflight())
        try:
            response = self.usercontent_chain(request)
        finally:
            # The answer is made (a stream needs no URLs): this thread resolves the site again.
            set_urlconf(None)
        return usercontent.apply_headers(response)

    def dispatch(self, request: HttpRequest) -> HttpResponseBase:
        set_urlconf(USERCONTENT_URLCONF)
        try:
            match = get_resolver(USERCONTENT_URLCONF).resolve(request.path_info)
        except Resolver404:
            return _plain(404, "Not found")
        request.resolver_match = match
        try:
            return match.func(request, *match.args, **match.kwargs)
        except Http404:
            return _plain(404, "Not found")
        except PermissionDenied:
            return _plain(403, "Forbidden")
        except SuspiciousOperation:
            return _plain(400, "Bad request")
