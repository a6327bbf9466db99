"""Archivists edit records in the Wagtail admin (辽海往事 menu). Saving a record re-indexes it
for search in the same transaction. Access levels, withdrawal, transcripts, recordings,
redactions and consent are changed at the archive desk instead, where each change is audited."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from core.admin_columns import yes_no
from core.admin_menu import PermissionMenuItem

from . import services
from .models import Collection, IndexSegment, Interview, Narrator, Place, Series, Subject


class _ReindexAfterSave:
    def save_instance(self):
        instance = super().save_instance()
        interview = instance if isinstance(instance, Interview) else instance.interview
        services.reindex(interview=interview)
        services.announce(interview=interview)
        return instance


class InterviewCreateView(_ReindexAfterSave, CreateView):
    pass


class InterviewEditView(_ReindexAfterSave, EditView):
    pass


class InterviewViewSet(SnippetViewSet):
    model = Interview
    icon = "media"
    add_view_class = InterviewCreateView
    edit_view_class = InterviewEditView
    list_display = [
        "accession_number",
        "title",
        "interview_date",
        "access_level",
        yes_no(Interview, "published"),
    ]
    list_filter = ["collection", "access_level", "published"]
    search_fields = ["title", "accession_number"]
    panels = [
        FieldRowPanel([FieldPanel("accession_number"), FieldPanel("published")]),
        FieldPanel("title"),
        FieldRowPanel(
            [
                FieldPanel("interview_date"),
                FieldPanel("interview_end_date"),
                FieldPanel("duration_seconds"),
            ]
        ),
        FieldRowPanel([FieldPanel("collection"), FieldPanel("series")]),
        FieldPanel("narrators"),
        FieldPanel("interviewers"),
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("subjects"),
                FieldPanel("keywords"),
                FieldPanel("places"),
                FieldRowPanel([FieldPanel("year_from"), FieldPanel("year_to")]),
                FieldPanel("language"),
            ],
            heading=_("Description"),
        ),
        FieldPanel("recording_details"),
        FieldPanel("rights_statement"),
    ]


class SegmentCreateView(_ReindexAfterSave, CreateView):
    pass


class SegmentEditView(_ReindexAfterSave, EditView):
    pass


class IndexSegmentViewSet(SnippetViewSet):
    model = IndexSegment
    icon = "list-ul"
    add_view_class = SegmentCreateView
    edit_view_class = SegmentEditView
    list_display = ["interview", "start", "title", "access_level"]
    list_filter = ["access_level"]
    search_fields = ["title"]
    panels = [
        FieldPanel("interview"),
        FieldRowPanel(
            [FieldPanel("start"), FieldPanel("access_level"), FieldPanel("embargo_until")]
        ),
        FieldPanel("title"),
        FieldPanel("synopsis"),
        FieldPanel("partial_transcript"),
        FieldPanel("keywords"),
        FieldPanel("subjects"),
        FieldPanel("gps_points"),
        FieldPanel("hyperlinks"),
    ]


class NarratorViewSet(SnippetViewSet):
    model = Narrator
    icon = "user"
    list_display = ["name", yes_no(Narrator, "anonymised"), "birth_year", "hometown"]
    search_fields = ["name", "label", "hometown"]


class CollectionViewSet(SnippetViewSet):
    model = Collection
    icon = "folder-open-inverse"
    list_display = ["name", "slug"]


class SeriesViewSet(SnippetViewSet):
    model = Series
    icon = "folder-inverse"
    list_display = ["name", "collection"]


class SubjectViewSet(SnippetViewSet):
    model = Subject
    icon = "tag"


class PlaceViewSet(SnippetViewSet):
    model = Place
    icon = "site"
    list_display = ["name", "latitude", "longitude"]


class MemoriesGroup(SnippetViewSetGroup):
    menu_label = _("Liaohai Memories")
    menu_icon = "media"
    menu_order = 260
    items = (InterviewViewSet, IndexSegmentViewSet, NarratorViewSet, CollectionViewSet,
             SeriesViewSet, SubjectViewSet, PlaceViewSet)  # fmt: skip


register_snippet(MemoriesGroup)


@hooks.register("register_admin_menu_item")
def archive_desk_item() -> MenuItem:
    return PermissionMenuItem(
        _("Archive desk"),
        "/memories/desk/",
        icon_name="clipboard-list",
        order=261,
        permission="oral_history.view_restricted_interview",
    )
