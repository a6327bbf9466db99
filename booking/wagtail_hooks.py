"""What staff set up in the Wagtail admin: locations, resources, rules, events, certifications.

Saving an event also holds its room (and saving a series creates its occurrences) in the same
transaction; if the room is taken the form shows why and nothing is saved.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from core.admin_columns import yes_no

from . import services
from .models import (
    BookingSuspension,
    Category,
    Event,
    EventSeries,
    Location,
    Qualification,
    Resource,
    UserQualification,
)


class _ScheduleAfterSave:
    """Run a booking service after the snippet is saved, inside the same transaction."""

    def save_instance(self):
        instance = super().save_instance()
        self.after_save(instance)
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.BookingRefused as refusal:
            form.add_error(None, refusal.messages)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class EventCreateView(_ScheduleAfterSave, CreateView):
    def after_save(self, instance: Event) -> None:
        services.sync_event(event=instance, by=self.request.user)


class EventEditView(_ScheduleAfterSave, EditView):
    def after_save(self, instance: Event) -> None:
        services.sync_event(event=instance, by=self.request.user)


class SeriesCreateView(_ScheduleAfterSave, CreateView):
    def after_save(self, instance: EventSeries) -> None:
        services.generate_occurrences(series=instance, by=self.request.user)


class SeriesEditView(_ScheduleAfterSave, EditView):
    def after_save(self, instance: EventSeries) -> None:
        services.generate_occurrences(series=instance, by=self.request.user)


class LocationViewSet(SnippetViewSet):
    model = Location
    icon = "site"
    list_display = ["name", "address", "timezone"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("address"),
        FieldPanel("timezone"),
        InlinePanel("opening_hours", label=_("Opening hours")),
        InlinePanel("closures", label=_("Closures and holidays")),
    ]


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    list_display = ["name", "max_bookings_per_day", "max_hours_per_week", "max_upcoming"]


class QualificationViewSet(SnippetViewSet):
    model = Qualification
    icon = "success"


class UserQualificationViewSet(SnippetViewSet):
    model = UserQualification
    icon = "user"
    list_display = ["user", "qualification", "granted_at", "expires_at"]
    list_filter = ["qualification"]


class ResourceViewSet(SnippetViewSet):
    model = Resource
    icon = "cogs"
    list_display = ["name", "kind", "location", "parent", yes_no(Resource, "is_active")]
    list_filter = ["kind", "location", "is_active"]
    search_fields = ["name", "description"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("slug"),
                FieldPanel("kind"),
                FieldPanel("location"),
                FieldPanel("parent"),
                FieldPanel("category"),
                FieldPanel("description"),
                FieldPanel("is_active"),
            ],
            heading=_("What it is"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("min_duration_minutes"),
                        FieldPanel("max_duration_minutes"),
                        FieldPanel("slot_minutes"),
                        FieldPanel("buffer_minutes"),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("min_notice_minutes"),
                        FieldPanel("booking_window_days"),
                        FieldPanel("cancel_deadline_hours"),
                        FieldPanel("move_deadline_hours"),
                    ]
                ),
            ],
            heading=_("Booking rules"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("requires_approval"),
                FieldPanel("staff_only"),
                FieldPanel("audiences"),
                FieldPanel("required_qualification"),
                FieldPanel("required_group"),
            ],
            heading=_("Who may book"),
        ),
        InlinePanel("availability", label=_("Weekly availability")),
    ]


class EventViewSet(SnippetViewSet):
    model = Event
    icon = "date"
    add_view_class = EventCreateView
    edit_view_class = EventEditView
    list_display = ["title", "kind", "starts_at", "capacity", yes_no(Event, "is_cancelled")]
    list_filter = ["kind", "location", "is_cancelled"]
    panels = [
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("description"),
        FieldPanel("location"),
        FieldPanel("resource"),
        FieldPanel("category"),
        FieldPanel("capacity"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("audiences"),
        FieldPanel("is_cancelled"),
    ]


class EventSeriesViewSet(SnippetViewSet):
    model = EventSeries
    icon = "calendar-alt"
    add_view_class = SeriesCreateView
    edit_view_class = SeriesEditView
    list_display = ["title", "kind", "first_date", "last_date"]


class SuspensionViewSet(SnippetViewSet):
    model = BookingSuspension
    icon = "warning"
    list_display = ["user", "until", "reason"]


class BookingAdminGroup(SnippetViewSetGroup):
    menu_label = _("Bookings")
    menu_icon = "calendar"
    menu_order = 250
    items = (
        LocationViewSet,
        CategoryViewSet,
        ResourceViewSet,
        EventViewSet,
        EventSeriesViewSet,
        QualificationViewSet,
        UserQualificationViewSet,
        SuspensionViewSet,
    )


register_snippet(BookingAdminGroup)


class StaffMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("booking.manage_bookings")


@hooks.register("register_admin_menu_item")
def booking_desk_menu_item() -> MenuItem:
    """The booking desk (calendar, check-in, approvals) lives on the public site's pages."""
    return StaffMenuItem(
        _("Booking desk"),
        reverse("booking:staff-calendar"),
        icon_name="calendar-check",
        order=260,
    )
