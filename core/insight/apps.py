from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    """The activity record and what is read from it (dashboards, a reader's year, suggestions).

    A sub-package of ``core`` rather than a top-level app: every module writes to it, so it
    sits below them all, as ``core`` does.
    """

    name = "core.insight"
    label = "insight"
    verbose_name = _("Library insight")
