from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MakerspaceConfig(AppConfig):
    name = "makerspace"
    verbose_name = _("Maker space")

    def ready(self) -> None:
        from media import access

        from .selectors import technician_may_read

        # Technicians open makers' models, G-code and raw studio recordings.
        access.register(technician_may_read)
