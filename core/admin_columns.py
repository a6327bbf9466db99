"""Columns for the Wagtail admin's listings.

Wagtail prints a boolean field in a listing as Python's own words ("True", "False") or as an
icon titled with them, in English whatever the staff member's language. Staff here read
"是" / "否".
"""

from __future__ import annotations

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column


class YesNoColumn(Column):
    def get_value(self, instance):
        value = super().get_value(instance)
        if value is None:
            return "—"
        return _("yes") if value else _("no")


def yes_no(model: type[Model], field: str) -> YesNoColumn:
    """A listing column for ``model.field`` (a boolean), labelled with its verbose name."""
    return YesNoColumn(field, label=model._meta.get_field(field).verbose_name, sort_key=field)
