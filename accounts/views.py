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
