from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "media"
    verbose_name = _("Media")

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from . import storage

        # Buckets are created (if missing) whenever the database is migrated, i.e. at every deploy.
        post_migrate.connect(storage.ensure_buckets_after_migrate, sender=self)
        setting_changed.connect(storage.reset_storages_on_setting_change)
