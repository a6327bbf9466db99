from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .dashboards import DASHBOARDS, allowed


@hooks.register("register_admin_urls")
def statistics_urls():
    return [
        path("statistics/", admin_views.index, name="insight_index"),
        path("statistics/summary/", admin_views.summary, name="insight_summary"),
        path("statistics/<slug:code>/", admin_views.dashboard, name="insight_dashboard"),
    ]


class StatisticsMenuItem(MenuItem):
    """Shown to anyone allowed at least one dashboard (each role sees its own)."""

    def is_shown(self, request) -> bool:
        return any(allowed(request.user, board) for board in DASHBOARDS.values())


@hooks.register("register_admin_menu_item")
def statistics_item() -> MenuItem:
    return StatisticsMenuItem(
        _("Statistics"), reverse("insight_index"), icon_name="table", order=242
    )
