from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Send mail in the reader's own language, whatever language the sender's request was in."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from django.utils import translation

        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True
