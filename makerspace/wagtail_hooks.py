"""The maker space in the Wagtail admin: equipment, printers (with write-only API keys) and
trainings as snippets, and links to the farm dashboard and studio desk."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .forms import PrinterForm
from .models import Equipment, Printer, Training


class EquipmentViewSet(SnippetViewSet):
    model = Equipment
    icon = "cogs"
    list_display = ["name", "kind", "status", "location"]
    list_filter = ["kind", "status"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("status")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("photo"), FieldPanel("photo_alt")]),
        FieldRowPanel([FieldPanel("location"), FieldPanel("room")]),
        FieldPanel("resource"),
        FieldPanel("sort_order"),
    ]


class PrinterViewSet(SnippetViewSet):
    model = Printer
    icon = "cogs"
    list_display = ["equipment", "profile", "material", "colour", "state"]
    edit_handler = ObjectList(
        [
            FieldPanel("equipment"),
            FieldPanel("profile"),
            FieldRowPanel([FieldPanel("material"), FieldPanel("colour"), FieldPanel("nozzle_mm")]),
            FieldRowPanel(
                [FieldPanel("build_x_mm"), FieldPanel("build_y_mm"), FieldPanel("build_z_mm")],
                heading=_("Build volume"),
            ),
            MultiFieldPanel(
                [FieldPanel("octoprint_url"), FieldPanel("api_key")], heading=_("OctoPrint server")
            ),
        ],
        base_form_class=PrinterForm,
    )


class TrainingViewSet(SnippetViewSet):
    model = Training
    icon = "user"
    list_display = ["name", "qualification", "valid_days"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("qualification"), FieldPanel("valid_days")]),
        FieldPanel("sessions"),
    ]


class MakerspaceGroup(SnippetViewSetGroup):
    menu_label = _("Maker space")
    menu_icon = "cogs"
    menu_order = 260
    items = (EquipmentViewSet, PrinterViewSet, TrainingViewSet)


register_snippet(MakerspaceGroup)


class FarmMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("makerspace.run_print_farm")


@hooks.register("register_admin_menu_item")
def farm_menu_item():
    return FarmMenuItem(
        _("Print farm"),
        reverse("makerspace:farm"),
        icon_name="cogs",
        order=261,
    )
