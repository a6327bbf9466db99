from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site core")

    def ready(self) -> None:
        from .siteurl import sync_wagtail_site

        # Wagtail's Site record follows SITE_URL after every migrate (make run derives SITE_URL
        # from HOST and PORT), so sitemaps and full page URLs name the address the site is on.
        post_migrate.connect(sync_wagtail_site, dispatch_uid="core.sync_wagtail_site")

        from . import kept, metrics, requestid, search

        requestid.connect()
        metrics.connect()

        # Every statement on every connection names what it read or changed, so that kept
        # pages are dropped exactly when what they show changes (core/kept.py).
        kept.connect()

        # Site search: each app's search.py registers its sources; their signals keep the
        # index in step with what visitors may see.
        search.connect()
