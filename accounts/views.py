from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.preferences import DisplayPreferences
from core.services import save_display_preferences, save_language

from . import selectors, services
from .forms import DeleteAccountForm, ProfileForm


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.PROFILE_FIELDS}
        services.update_profile(user=request.user, **changes)
        messages.success(request, _("Your profile has been saved."))
        response = redirect("accounts:profile")
        # Keep the browser's cookies in step so the choice also holds after signing out.
        save_language(request_user=None, response=response, language=request.user.language)
        save_display_preferences(
            request_user=None,
            response=response,
            preferences=DisplayPreferences(
                large_text=request.user.large_text, high_contrast=request.user.high_contrast
            ),
        )
        return response
    context = {
        "form": form,
        "roles": selectors.role_names(user=request.user),
        "has_totp": selectors.has_totp(user=request.user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("/")
    return render(request, "accounts/delete.html", {"form": form})


def admin_login(request: HttpRequest) -> HttpResponse:
    """Wagtail's sign-in URL, for any method: on to allauth's, keeping where staff were going.

    Wagtail's own form would sign a staff member in on the password alone, skipping the TOTP
    step allauth adds; a POST here signs nobody in.
    """
    from urllib.parse import urlencode

    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
