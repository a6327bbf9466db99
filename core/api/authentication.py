"""How apps authenticate to the API: allauth's headless session token, with the site's rules.

An app (the library's own, the WeChat mini-program) signs in through allauth's headless API
(``/_allauth/app/v1/auth/login``: the same password, verification, TOTP and lockout rules as the
site's forms) and sends the session token it receives in ``X-Session-Token`` with every call.
"""

from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

HEADER = "X-Session-Token"


class MFARequired(exceptions.APIException):
    """A staff account without TOTP: the site sends it to set one up before anything else; the
    API refuses it until it has (``mfa_required``)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "mfa_required"
    default_detail = _("Staff accounts must set up two-factor authentication before continuing.")


def use_readers_language(request, user) -> None:
    """The reader's saved language comes first, as on the site's pages (whose middleware knows
    the reader from the session; an app's reader is known only here)."""
    from django.conf import settings
    from django.utils import translation

    if user.language in {code for code, _name in settings.LANGUAGES}:
        translation.activate(user.language)
        getattr(request, "_request", request).LANGUAGE_CODE = user.language


def refuse_staff_without_totp(user) -> None:
    if user.is_staff and not is_mfa_enabled(user, types=[Authenticator.Type.TOTP]):
        raise MFARequired()


class AppSessionToken(XSessionTokenAuthentication):
    """``X-Session-Token``. A token that was sent but is unknown, expired or signed out is a 401
    (``token_invalid``): the app signs in again rather than carrying on as a visitor."""

    def authenticate(self, request):
        token = self.get_session_token(request)
        if token is None:
            return None
        found = super().authenticate(request)
        if found is None or not found[0].is_active:
            raise exceptions.AuthenticationFailed(
                _("Your sign-in has expired. Please sign in again."), code="token_invalid"
            )
        use_readers_language(request, found[0])
        refuse_staff_without_totp(found[0])
        return found

    def authenticate_header(self, request) -> str:
        return f'{HEADER} realm="api"'


def accepts_app_token(view):
    """For the plain Django views that apps call besides the API (the tus upload endpoint): an
    ``X-Session-Token`` authenticates the request in place of the session cookie, and then needs
    no CSRF token (a browser never adds that header by itself, so another site cannot make a
    reader's browser send it). Without the header, the session and CSRF apply as before."""
    from functools import wraps

    from django.http import HttpResponse
    from django.views.decorators.csrf import csrf_exempt, csrf_protect

    protected = csrf_protect(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if HEADER not in request.headers:
            return protected(request, *args, **kwargs)
        try:
            request.user, _session = AppSessionToken().authenticate(request)
        except exceptions.APIException as error:
            return HttpResponse(
                str(error.detail),
                status=error.status_code,
                content_type="text/plain; charset=utf-8",
                headers={"WWW-Authenticate": f'{HEADER} realm="api"'},
            )
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
