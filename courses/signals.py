"""On publishing a course or lesson: refresh its search entry, and tell followers once."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils.html import strip_tags
from wagtail.signals import page_published, page_unpublished

from core.tasks import enqueue

from .models import CoursePage, LearningPathPage, LessonPage, SearchEntry


def _text(page) -> list[tuple[str, str]]:
    parts = [(page.title, "A")]
    if isinstance(page, CoursePage | LearningPathPage):
        parts.append((page.introduction, "B"))
    if isinstance(page, LessonPage):
        parts.append((page.summary, "B"))
        for block in page.body:
            if block.block_type == "paragraph":
                parts.append((strip_tags(block.value.source), "C"))
            elif block.block_type in ("quiz", "link", "media"):
                parts.append(
                    (str(block.value.get("title") or block.value.get("caption") or ""), "C")
                )
    return parts


def index_page(page) -> None:
    from core import textsearch

    SearchEntry.objects.update_or_create(
        page_id=page.pk, defaults={"search": textsearch.weighted_vector(*_text(page))}
    )


@receiver(page_published)
def on_publish(sender, instance, revision=None, **kwargs) -> None:
    page = instance.specific
    if not isinstance(page, CoursePage | LessonPage | LearningPathPage):
        return
    index_page(page)
    from .tasks import notify_followers

    # Re-publishing an edit does not notify again: the notice rows make it once per page.
    if isinstance(page, CoursePage | LessonPage):
        enqueue(notify_followers, page.pk)
    else:  # a path: its courses may be new to those who follow it
        for course_id in page.path_courses.values_list("course_id", flat=True):
            enqueue(notify_followers, course_id)


@receiver(page_unpublished)
def on_unpublish(sender, instance, **kwargs) -> None:
    SearchEntry.objects.filter(page_id=instance.pk).delete()
