from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from .roles import sync_role_permissions

        # Permissions exist only once every app has migrated, so roles get theirs afterwards.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")

        from allauth.socialaccount.providers.weixin.provider import WeixinProvider

        # allauth names the provider "Weixin" on its buttons and pages, in every language;
        # readers know it as 微信 / WeChat.
        WeixinProvider.name = _("WeChat")
