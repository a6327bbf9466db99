from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


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

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True
