"""Whole pages kept for visitors who are not signed in, dropped exactly when what they show
changes (core/kept.py says how).

A rush (registration opening at 9:00, a lecture shared on WeChat) is mostly people who have not
signed in yet reading the same few pages. Those pages are the same for every such visitor in one
language and display mode, so one copy serves them all; the copy is made again only after a row
it was made from changes (an event's booking, a published page, an edited interview).

What is never kept: anything for a signed-in reader (a session cookie), a page that set a cookie
or used a CSRF token, anything but a plain 200, the admin, the API, sign-in and file delivery,
and HTMX fragments. Counting is not lost: the page views a page records while it is made are
sent again each time its copy is served.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, set_response_etag

from . import kept
from .preferences import DISPLAY_COOKIE, DisplayPreferences

logger = logging.getLogger(__name__)

# Paths never kept: staff and API, sign-in, private files and tokens in the address.
NEVER_KEPT = (
    "/admin/",
    "/api/",
    "/accounts/",
    "/_allauth/",
    "/csrf/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/files/",
    "/documents/",
    "/booking/b/",
    "/booking/feed/",
    "/makerspace/jobs/",
    # The benches' yardstick (config/bench_urls.py): Django's own cost, never a copy.
    "/__bench/",
)
HEADER = "X-Page-Cache"


def _language(request: HttpRequest) -> str:
    # A visitor's language is their cookie's, else the site's (core.middleware); never the
    # browser's header for pages.
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return cookie if cookie in supported else settings.LANGUAGE_CODE


def key_for(request: HttpRequest) -> str | None:
    """The copy's key, or None when this request is not one a copy may answer."""
    if not settings.PAGE_CACHE_ENABLED or request.method not in ("GET", "HEAD"):
        return None
    if request.path_info.startswith(NEVER_KEPT) or request.headers.get("HX-Request"):
        return None
    # A session means a signed-in reader (or one in the middle of signing in); messages waiting
    # in their cookie are for this visitor alone.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return None
    if request.headers.get("Authorization"):
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    display = DisplayPreferences.from_cookie(request.COOKIES.get(DISPLAY_COOKIE)).to_cookie()
    raw = "|".join((host, request.get_full_path(), _language(request), display))
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def _keepable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    return vary <= {"cookie", "accept-encoding"}


class PageCacheMiddleware:
    """Answers a visitor from a kept copy when it is still good, and keeps new ones."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = key_for(request)
        if key is None:
            return self.get_response(request)
        try:
            entry = kept.store().get(key)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return self.get_response(request)
        if entry is not None and entry["until"] > time.time() and kept.fresh(entry["versions"]):
            return self._served(request, entry)
        with kept.make() as current:
            response = self.get_response(request)
        if _keepable(request, response):
            self._keep(key, response, current)
        return response

    def _served(self, request: HttpRequest, entry: dict) -> HttpResponseBase:
        from core.insight import services as insight

        for values in entry["replay"]:
            insight.send_again(values)
        response = HttpResponse(entry["content"], status=entry["status"])
        for name, value in entry["headers"]:
            response[name] = value
        response[HEADER] = "hit"
        return get_conditional_response(request, etag=response.get("ETag"), response=response)

    def _keep(self, key: str, response: HttpResponse, current: kept.Making) -> None:
        recorded = kept.settle(current)
        timeout = kept.seconds_left(current, settings.PAGE_CACHE_SECONDS)
        response[HEADER] = "miss"
        if recorded is None or timeout <= 0:
            return
        if not response.has_header("ETag"):
            set_response_etag(response)
        response.headers.setdefault("Cache-Control", "max-age=0, must-revalidate")
        entry = {
            "status": response.status_code,
            "headers": [(n, v) for n, v in response.items() if n not in (HEADER, "Set-Cookie")],
            "content": response.content,
            "versions": recorded,
            "until": time.time() + timeout,
            "replay": current.replay,
        }
        try:
            kept.store().set(key, entry, timeout)
        except Exception:
            logger.warning("page cache: could not keep a page", exc_info=True)
