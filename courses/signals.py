"""On publishing a course or lesson, tell its followers once (the site search indexes it:
core.search)."""

from __future__ import annotations

from django.dispatch import receiver
from wagtail.signals import page_published

from core.tasks import enqueue

from .models import CoursePage, LearningPathPage, LessonPage


@receiver(page_published)
def on_publish(sender, instance, revision=None, **kwargs) -> None:
    page = instance.specific
    if not isinstance(page, CoursePage | LessonPage | LearningPathPage):
        return
    from .tasks import notify_followers

    # Re-publishing an edit does not notify again: the notice rows make it once per page.
    if isinstance(page, CoursePage | LessonPage):
        enqueue(notify_followers, page.pk)
    else:  # a path: its courses may be new to those who follow it
        for course_id in page.path_courses.values_list("course_id", flat=True):
            enqueue(notify_followers, course_id)
