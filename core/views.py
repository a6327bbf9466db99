from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import DisplayPreferencesForm, LanguageForm
from .models import Notification
from .preferences import DisplayPreferences


def error_text(error: ValidationError) -> str:
    """A refusal's messages as one line, for ``messages.error`` on the page it sends back to."""
    return " ".join(error.messages)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = services.health_report()
    return JsonResponse(report, status=200 if healthy else 503)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_POST
def display_preferences(request: HttpRequest) -> HttpResponse:
    form = DisplayPreferencesForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The display settings could not be read."))
    preferences = DisplayPreferences(
        large_text=form.cleaned_data["large_text"], high_contrast=form.cleaned_data["high_contrast"]
    )
    response = redirect(_safe_next(request, form.cleaned_data["next"]))
    services.save_display_preferences(
        request_user=request.user, response=response, preferences=preferences
    )
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unsupported language."))
    response = redirect(_safe_next(request, form.cleaned_data["next"]))
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
