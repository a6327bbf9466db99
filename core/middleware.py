from collections.abc import Callable
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation


class PreferredLanguageMiddleware:
    """Choose the interface language: the reader's saved choice, then the cookie, then zh-hans.

    Django's LocaleMiddleware would also follow the browser's Accept-Language header. We do not:
    the platform serves a Chinese public first, and many shared terminals in the library run
    English-language browsers. English is always one click away in the language switcher.

    The API (``/api/``) is different: an app or mini-program sends Accept-Language on purpose
    (its own language setting), so there it counts after the reader's saved choice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self.language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # An app's token names its reader only inside the API view, which may switch the
        # language then (core.api.authentication): the header says the one answered in.
        response.headers.setdefault("Content-Language", getattr(request, "LANGUAGE_CODE", language))
        response.headers.setdefault("Vary", "Cookie")
        return response

    def language_for(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.supported:
            return user.language
        if request.path.startswith("/api/") and request.META.get("HTTP_ACCEPT_LANGUAGE"):
            asked = self._accepted(request.META["HTTP_ACCEPT_LANGUAGE"])
            if asked:
                return asked
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in self.supported:
            return cookie
        return settings.LANGUAGE_CODE

    def _accepted(self, header: str) -> str | None:
        """The first language of an Accept-Language header that we speak ("zh-CN" → zh-hans)."""
        from django.utils.translation import trans_real

        for code, _quality in trans_real.parse_accept_lang_header(header[:200]):
            if code == "*":
                continue
            try:
                found = translation.get_supported_language_variant(code)
            except LookupError:
                found = None
            if found is None and code.lower().startswith("zh"):
                found = "zh-hans"
            if found in self.supported:
                return found
        return None


# Where site pages may load user content from: images, media, fetches and the H5P player frame.
# Never scripts, styles or fonts: nothing from that origin runs in a site page.
USERCONTENT_DIRECTIVES = ("img-src", "media-src", "connect-src", "frame-src")


def usercontent_origin() -> str:
    parts = urlsplit(settings.USERCONTENT_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy plus the user-content origin (read per request, so that a test's
    live server can move it), loosened for the staff-only Wagtail admin (CSP_ADMIN_EXTRA)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = {
            key: [value] if isinstance(value, str) else list(value or [])
            for key, value in (parts.update or {}).items()
        }
        if origin := usercontent_origin():
            for directive in USERCONTENT_DIRECTIVES:
                update[directive] = [*update.get(directive, []), origin]
        if not report_only and request.path_info.startswith("/admin/"):
            for directive, values in settings.CSP_ADMIN_EXTRA.items():
                update[directive] = [*update.get(directive, []), *values]
        if not report_only and request.path_info.startswith("/api/v1/redoc/"):
            for directive, values in settings.CSP_DOCS_EXTRA.items():
                update[directive] = [*update.get(directive, []), *values]
        parts.update = update
        return parts
