from functools import cache, wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import DisplayPreferencesForm, LanguageForm
from .models import Notification
from .preferences import DisplayPreferences
from .siteurl import absolute


def error_text(error: ValidationError) -> str:
    """A refusal's messages as one line, for ``messages.error`` on the page it sends back to."""
    return " ".join(error.messages)


@never_cache
@require_GET
def csrf_token(request: HttpRequest) -> JsonResponse:
    """A CSRF token for scripts on pages that are the same for every visitor (and so may be
    cached): they ask for it when they first need to send something, so a visitor who only
    reads gets no cookie and the page carries no per-visitor token."""
    from django.middleware.csrf import get_token

    return JsonResponse({"token": get_token(request)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = services.health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The load balancer's readiness check: 503 while migrations are pending (an upgrade in
    progress) or a service is down; ``/healthz`` stays the liveness check."""
    ready, report = services.readiness_report()
    return JsonResponse(report, status=200 if ready else 503)


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/") -> str:
    """Where to send the reader back to: ``candidate`` if it is on this site, else ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def visitors_without_token(view):
    """A preference form that a visitor may send without a CSRF token, so that the pages that
    carry it (every page) hold nothing of one visitor's own and can be kept for all
    (core.pagecache). It changes only that browser's own cookie. For a signed-in reader it
    changes their account, and the token is required as everywhere else."""

    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return protected(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


@visitors_without_token
@require_POST
def display_preferences(request: HttpRequest) -> HttpResponse:
    form = DisplayPreferencesForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The display settings could not be read."))
    preferences = DisplayPreferences(
        large_text=form.cleaned_data["large_text"], high_contrast=form.cleaned_data["high_contrast"]
    )
    response = redirect(safe_next(request, form.cleaned_data["next"]))
    services.save_display_preferences(
        request_user=request.user, response=response, preferences=preferences
    )
    return response


@visitors_without_token
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unsupported language."))
    response = redirect(safe_next(request, form.cleaned_data["next"]))
    services.save_language(
        request_user=request.user, response=response, language=form.cleaned_data["language"]
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The reader's messages; newest first. Posting marks them all read."""
    if request.method == "POST":
        services.mark_notifications_read(user=request.user)
        return redirect("core:notifications")
    items = Notification.objects.filter(user=request.user)[:100]
    unread = sum(1 for item in items if item.read_at is None)
    return render(request, "core/notifications.html", {"items": items, "unread": unread})


# Crawlers may read the public pages; they are asked to keep out of the admin, sign-in and
# account pages, the desks and the readers' own pages (all of which need a session anyway), file
# delivery, site search (endless result pages) and the private calendar feeds.
ROBOTS_DISALLOWED_URL_NAMES = [
    "wagtailadmin_home",
    "account_login",
    "core:notifications",
    "core:display-preferences",
    "search",
    "booking:mine",
    "booking:staff-calendar",
    "makerspace:me",
    "makerspace:submit",
    "makerspace:farm",
    "oral_history:desk",
    "ugc:mine",
    "ugc:new",
    "ugc:moderation",
    "courses:record",
]
ROBOTS_DISALLOWED_PREFIXES = ["/files/", "/booking/b/", "/booking/feed/", "/makerspace/jobs/"]


def _robots_prefix(name: str) -> str:
    """The folder a URL name lives in (``/accounts/login/`` → ``/accounts/``) or the URL itself."""
    path = reverse(name)
    return "/accounts/" if path.startswith("/accounts/") else path


@require_GET
@cache_control(public=True, max_age=3600)
def robots_txt(request: HttpRequest) -> HttpResponse:
    named = [_robots_prefix(name) for name in ROBOTS_DISALLOWED_URL_NAMES]
    disallowed = dict.fromkeys([*named, *ROBOTS_DISALLOWED_PREFIXES])
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in disallowed)]
    # The sitemap's address comes from SITE_URL, never from the request's Host header.
    lines += ["", f"Sitemap: {absolute(reverse('sitemap-index'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@cache
def _favicon_bytes() -> bytes:
    return (settings.BASE_DIR / "site" / "static" / "favicon.ico").read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to; pages also link the SVG."""
    return HttpResponse(_favicon_bytes(), content_type="image/vnd.microsoft.icon")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused security check (the form or page was open too long, cookies are off, or the
    request came from elsewhere), in the site's own words and layout; JSON for JSON callers.
    ``reason`` is Django's English diagnosis: it stays in the log, not on the page."""
    message = _(
        "The page was open too long or your browser did not send its security cookie. "
        "Reload the page and try again; if it keeps happening, allow cookies for this site."
    )
    wants_json = request.content_type == "application/json" or "json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        return JsonResponse({"error": message, "code": "csrf_failed"}, status=403)
    return render(request, "403_csrf.html", {"message": message}, status=403)
