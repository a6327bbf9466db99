"""Editor panels of the learning pages."""

from __future__ import annotations

from wagtail.admin.panels import Panel


class BrowserScoredLessonsPanel(Panel):
    """Lists the course's lessons that a browser-reported H5P score can complete.

    An editor choosing what a certificate means must see which lessons rest on scores the
    learner's browser reports (and could forge), next to the setting that excludes them.
    """

    @property
    def clean_name(self):
        return super().clean_name or "browser_scored_lessons"

    class BoundPanel(Panel.BoundPanel):
        template_name = "courses/panels/browser_scored_lessons.html"

        def get_context_data(self, parent_context=None):
            from .models import LessonPage

            context = super().get_context_data(parent_context)
            course = self.instance
            lessons = []
            if course is not None and course.pk:
                lessons = [
                    lesson
                    for lesson in LessonPage.objects.descendant_of(course).order_by("path")
                    if lesson.counts_browser_scores
                ]
            context["lessons"] = lessons
            context["server_only"] = getattr(course, "score_source", "any") == "server"
            return context
