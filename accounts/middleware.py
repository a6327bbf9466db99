from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Staff without MFA may still manage their own account (to enrol), sign out, and load assets.
# allauth's headless API (/_allauth/) is how an app signs in and sets up TOTP.
EXEMPT_PREFIXES = ("/accounts/", "/_allauth/", "/static/", "/healthz", "/preferences/")
# Where a staff member was going when they were sent to enrol; the recovery-codes page that
# ends the enrolment links on to it (accounts/templates/mfa/recovery_codes/index.html).
AFTER_MFA_KEY = "liaotu_after_mfa"


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
        ):
            if is_mfa_enabled(user, types=[Authenticator.Type.TOTP]):
                if request.session.get(AFTER_MFA_KEY) == request.get_full_path():
                    del request.session[AFTER_MFA_KEY]  # arrived: the link has done its work
                return self.get_response(request)
            if request.path_info.startswith("/api/"):
                # An API client cannot follow the enrolment pages: a problem document says why.
                return mfa_required_problem(request)
            going_to = request.get_full_path()
            if (
                request.method == "GET"
                and not request.headers.get("HX-Request")
                # A path such as //example.com/ reads as another host in a link: only a path on
                # this site is kept, so the continue link cannot lead elsewhere.
                and url_has_allowed_host_and_scheme(going_to, allowed_hosts=set())
            ):
                request.session[AFTER_MFA_KEY] = going_to
            messages.warning(
                request,
                _("Staff accounts must set up two-factor authentication before continuing."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def mfa_required_problem(request: HttpRequest) -> HttpResponse:
    """The API's refusal of a staff session without TOTP (as ``core.api.authentication`` gives
    it for an app token)."""
    from core.api.problems import plain_problem

    message = _("Staff accounts must set up two-factor authentication before continuing.")
    return plain_problem(request, status_code=403, code="mfa_required", title=message)


class AdminAccessMiddleware:
    """A signed-in reader who opens the staff admin is told it is not for them.

    Wagtail sends anyone without admin access to the sign-in page; for someone already signed
    in, the sign-in page sends them back to the admin, and round it goes. They get the site's
    "not allowed" page instead (signed-out visitors still go to sign in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path_info.startswith("/admin/")
            and not request.path_info.startswith("/admin/login/")
            and user.is_authenticated
            and not user.has_perm("wagtailadmin.access_admin")
        ):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return self.get_response(request)
