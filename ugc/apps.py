from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UgcConfig(AppConfig):
    name = "ugc"
    verbose_name = _("User works")

    def ready(self) -> None:
        from media import access

        from .selectors import moderator_may_read

        access.register(moderator_may_read)
