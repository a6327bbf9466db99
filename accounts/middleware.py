from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# Staff without MFA may still manage their own account (to enrol), sign out, and load assets.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/preferences/")


class StaffMFARequiredMiddleware:
    """Staff accounts must have TOTP before they can do anything else on the site.

    allauth makes MFA available to everyone; for staff we make it compulsory, because a staff
    account can publish pages and reach restricted archive material.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path_info.startswith(EXEMPT_PREFIXES)
            and not is_mfa_enabled(user, types=[Authenticator.Type.TOTP])
        ):
            messages.warning(
                request,
                _("Staff accounts must set up two-factor authentication before continuing."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
