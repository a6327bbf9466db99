import time
from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import Http404, HttpRequest
from requests.adapters import HTTPAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Send mail in the reader's own language, whatever language the sender's request was in."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from django.utils import translation

        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            # allauth greets with the site's name, which would otherwise be the host name
            # ("Hello from 127.0.0.1:8000!"): the library's name, in the reader's language.
            context = {"current_site": self._site(), **context}
            super().send_mail(template_prefix, email, context)

    def _site(self) -> SimpleNamespace:
        from django.contrib.sites.shortcuts import get_current_site
        from django.utils.translation import gettext

        domain = get_current_site(self.request).domain if self.request is not None else ""
        return SimpleNamespace(name=gettext("Liaotu Commons"), domain=domain)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Staff are sent to set up TOTP right after signing in; allauth would then ask for
        the password they typed seconds ago. A password sign-in within the reauthentication
        window counts as having just confirmed it (later, the password is asked again)."""
        from allauth.core import context

        required = super().is_reauthentication_required(app=app, **kwargs)
        request = self.request or context.request
        if not required or app != "allauth.mfa" or request is None:
            return required
        return not self._signed_in_recently(request)

    @staticmethod
    def _signed_in_recently(request: HttpRequest) -> bool:
        from allauth.account import app_settings
        from allauth.account.internal.flows.login import get_authentication_records

        records = get_authentication_records(request, request.user)
        times = [record["at"] for record in records if record.get("method") == "password"]
        return bool(times) and time.time() - times[-1] < app_settings.REAUTHENTICATION_TIMEOUT

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True


#: The host of WeChat's OAuth and user-information API.
WEIXIN_API_HOST = "https://api.weixin.qq.com/"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign-in through WeChat (the one social provider) follows the site's own sign-up rules;
    in tests, WeChat's API host is answered by a stand-in server (WeChat is unreachable here)."""

    def get_app(self, request, provider, client_id=None):
        """Without WEIXIN_APP_ID the provider is installed but has no app: its sign-in address
        is then simply not there (allauth would fail with a server error)."""
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as error:
            raise Http404 from error

    def get_requests_session(self):
        session = super().get_requests_session()
        stand_in = settings.WEIXIN_API_STAND_IN
        if stand_in:
            session.mount(WEIXIN_API_HOST, _Rerouted(stand_in))
        return session


class _Rerouted(HTTPAdapter):
    """Send requests for WeChat's API host to another base URL (tests' stand-in server)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/") + "/"

    def send(self, request, **kwargs):
        request.url = self.base + request.url.removeprefix(WEIXIN_API_HOST)
        return super().send(request, **kwargs)
