"""Notices readers asked for: follow a kind of event or an archive subject, and be told once,
on the site and by e-mail in their own language, when something new is published there.

The apps that publish (booking, oral_history) call ``tell_followers`` from a task enqueued on
commit; it works out who follows, and a unique row per reader and item makes "once" hold under
retries and under two topics that both match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Interest, InterestNotice, InterestTopic
from .services import notify
from .siteurl import absolute


def follow(*, user, topic: str, key: str) -> Interest:
    if topic not in InterestTopic.values:
        raise ValueError(f"unknown topic {topic!r}")
    interest, _created = Interest.objects.get_or_create(user=user, topic=topic, key=str(key))
    return interest


def unfollow(*, user, topic: str, key: str) -> int:
    deleted, _ = Interest.objects.filter(user=user, topic=topic, key=str(key)).delete()
    return deleted


@transaction.atomic
def set_following(*, user, topic: str, keys: Iterable[str]) -> None:
    """Make ``keys`` exactly what the reader follows under ``topic`` (the form's checkboxes)."""
    wanted = {str(key) for key in keys}
    Interest.objects.filter(user=user, topic=topic).exclude(key__in=wanted).delete()
    for key in wanted:
        follow(user=user, topic=topic, key=key)


def following(user, topic: str) -> set[str]:
    return set(Interest.objects.filter(user=user, topic=topic).values_list("key", flat=True))


def tell_followers(
    *,
    topic: str,
    keys: Iterable[str],
    item: str,
    title: str,
    url: str,
    admits: Callable[[object], bool] = lambda user: True,
) -> int:
    """Tell each active reader who follows one of ``keys`` under ``topic`` about ``item``, once.
    ``admits`` leaves out readers the item is not for (an event for another audience group).
    Returns how many were told now."""
    from accounts.models import User

    followers = User.objects.filter(
        is_active=True,
        interests__topic=topic,
        interests__key__in=[str(key) for key in keys],
    ).distinct()

    def words() -> tuple[str, str]:
        subject = _("New at the library: %(title)s") % {"title": title}
        body = _(
            "Something new has been published that you asked to hear about:\n\n"
            "%(title)s\n%(url)s\n\nChange what you follow: %(following)s"
        ) % {
            "title": title,
            "url": absolute(url),
            "following": absolute(reverse("insight:following")),
        }
        return subject, body

    return sum(
        tell_once(
            user=user,
            claim=lambda user=user: InterestNotice.objects.create(user=user, item=item),
            words=words,
            url=url,
        )
        for user in followers
        if admits(user)
    )


def tell_once(
    *, user, claim: Callable[[], object], words: Callable[[], tuple[str, str]], url: str
) -> bool:
    """Tell ``user`` something new, on the site and by e-mail, in their own language, unless
    ``claim`` (which writes the row that makes it once) finds they were told before."""
    try:
        with transaction.atomic():
            claim()
    except IntegrityError:
        return False  # told before
    with translation.override(user.language or "zh-hans"):
        subject, body = words()
    notify(user=user, message=subject, url=url)
    if user.email:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
