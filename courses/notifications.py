"""New courses and lessons for those who follow a path or a topic: email and in-site, in the
learner's language, exactly once per learner and page (a unique row decides, not a check)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from wagtail.models import Page

from accounts.models import User
from core.interests import tell_once

from .models import CoursePage, LessonPage, PathCourse, Subscription, SubscriptionNotice


def followers_of(page: Page) -> set[int]:
    """Learners following a path that contains the course, or one of the course's topics,
    since before the page was first published (so it is new to them)."""
    course = page if isinstance(page, CoursePage) else CoursePage.objects.ancestor_of(page).first()
    if course is None:
        return set()
    paths = list(PathCourse.objects.filter(course=course).values_list("path_id", flat=True))
    topics = list(course.topics.values_list("pk", flat=True))
    subscriptions = Subscription.objects.filter(Q(path_id__in=paths) | Q(topic_id__in=topics))
    if page.first_published_at:
        subscriptions = subscriptions.filter(created_at__lte=page.first_published_at)
    return set(subscriptions.values_list("user_id", flat=True))


def notify_followers(*, page_id: int) -> int:
    page = Page.objects.live().filter(pk=page_id).first()
    if page is None:
        return 0
    page = page.specific
    if not isinstance(page, CoursePage | LessonPage):
        return 0
    url = page.full_url or page.url

    def words() -> tuple[str, str]:
        subject = _("New on Liaotu learning: %(title)s") % {"title": page.title}
        body = _("Something new has been published where you follow:\n\n%(title)s\n%(url)s") % {
            "title": page.title,
            "url": url,
        }
        return subject, body

    return sum(
        tell_once(
            user=user,
            claim=lambda user=user: SubscriptionNotice.objects.create(user=user, page=page),
            words=words,
            url=page.url or "",
        )
        for user in User.objects.filter(pk__in=followers_of(page), is_active=True)
    )
