"""Librarians' side of learning: topics, badges, lesson media (uploaded through the media
pipeline), badge revocation, and the statistics page."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from core.admin_menu import PermissionMenuItem

from . import services, views
from .forms import LearningMediaForm
from .h5p.forms import H5PUploadForm
from .models import Assertion, BadgeClass, H5PContent, LearningMedia, Topic


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "slug"]


class BadgeViewSet(SnippetViewSet):
    model = BadgeClass
    icon = "pick"
    list_display = ["name", "slug"]


class LearningMediaViewSet(SnippetViewSet):
    model = LearningMedia
    icon = "media"
    list_display = ["title"]
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("upload"),
            FieldPanel("captions_file"),
            FieldPanel("transcript"),
        ],
        base_form_class=LearningMediaForm,
    )


class RevokeView(EditView):
    """Saving with a reason revokes the assertion (recorded by the service)."""

    def save_instance(self):
        instance = self.form.save(commit=False)
        return services.revoke_badge(
            assertion=instance, user=self.request.user, reason=instance.revocation_reason
        )


class AssertionViewSet(SnippetViewSet):
    model = Assertion
    icon = "pick"
    edit_view_class = RevokeView
    list_display = ["badge", "user", "issued_on", "revoked_at"]
    add_to_admin_menu = False
    panels = [FieldPanel("revocation_reason")]


class H5PCreateView(CreateView):
    """The package is installed (libraries shared, content stored) by the H5P service."""

    def save_instance(self):
        from django.contrib import messages

        from .h5p import review

        # The form has already read and checked the whole package; store it, or hold it for an
        # administrator when it brings libraries its uploader may not install.
        upload = self.form.cleaned_data["package"]
        upload.seek(0)
        content = review.submit(
            checked=self.form.checked, raw=upload.read(), user=self.request.user
        )
        if content.status == H5PContent.Status.HELD:
            messages.warning(
                self.request,
                _(
                    "This package brings H5P libraries that are not installed yet. It waits for "
                    "an administrator to approve them; until then it cannot be played."
                ),
            )
        title = self.form.cleaned_data.get("title")
        if title:
            content.title = title
            content.save(update_fields=["title"])
        return content


class H5PViewSet(SnippetViewSet):
    model = H5PContent
    icon = "pick"
    add_view_class = H5PCreateView
    list_display = ["title", "main_library", "status", "created_at"]
    edit_handler = ObjectList(
        [FieldPanel("title"), FieldPanel("package")], base_form_class=H5PUploadForm
    )


class LearningGroup(SnippetViewSetGroup):
    menu_label = _("Learning")
    menu_icon = "doc-full-inverse"
    menu_order = 240
    items = (TopicViewSet, BadgeViewSet, LearningMediaViewSet, H5PViewSet, AssertionViewSet)


register_snippet(LearningGroup)


@hooks.register("register_admin_urls")
def stats_url():
    return [path("learning-stats/", views.stats, name="courses_stats")]


@hooks.register("register_admin_menu_item")
def stats_item() -> MenuItem:
    # Shown only to those who may open it (the page itself refuses the others).
    return PermissionMenuItem(
        _("Learning statistics"),
        reverse("courses_stats"),
        icon_name="table",
        order=241,
        permission="courses.view_stats",
    )


@hooks.register("register_admin_urls")
def h5p_review_urls():
    from .h5p import admin_views

    return [
        path("h5p-review/", admin_views.review_list, name="courses_h5p_review"),
        path("h5p-review/<uuid:content_id>/", admin_views.decide, name="courses_h5p_decide"),
    ]


@hooks.register("register_admin_menu_item")
def h5p_review_item() -> MenuItem:
    from .h5p.review import INSTALL_PERMISSION

    return PermissionMenuItem(
        _("H5P library review"),
        reverse("courses_h5p_review"),
        icon_name="pick",
        order=242,
        permission=INSTALL_PERMISSION,
    )
