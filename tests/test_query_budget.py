"""Every page costs at most 15 database queries, for a visitor and for a signed-in reader, and
the same number whether the library has a handful of things or many more (issue #17).

Pages are measured as they are made (visitors' kept copies are off here, see
config/settings/test.py), after one request has filled the kept menus, site and permissions
that every page shares (core/kept.py).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

BUDGET = 15


def _count(client: Client, url: str) -> int:
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _library(reader, n: int, start: int = 0) -> None:
    """``n`` more of each kind of thing a page lists, some of them the reader's own."""
    from booking import services as booking
    from booking.models import Resource
    from booking.tests.factories import (
        CategoryFactory,
        EventFactory,
        LocationFactory,
        ResourceFactory,
    )
    from makerspace.models import Equipment
    from oral_history.tests.factories import InterviewFactory

    location, category = LocationFactory(), CategoryFactory()
    Resource.objects.bulk_create(
        ResourceFactory.build(location=location, category=category, slug=f"room-{k}")
        for k in range(start, start + n)
    )
    Equipment.objects.bulk_create(
        Equipment(name=f"缝纫机{k}", slug=f"sewing-{k}", kind="craft", location=location)
        for k in range(start, start + n)
    )
    for k in range(n):
        event = EventFactory(title=f"讲座{start + k}", location=location)
        booking.book_event(user=reader, event=event)
        InterviewFactory(title=f"往事{start + k}")


def _pages(course, lesson, path, interview, event, resource) -> list[str]:
    return [
        "/",
        course.get_parent().url,
        path.url,
        course.url,
        lesson.url,
        reverse("oral_history:index"),
        reverse("oral_history:interview", args=[interview.pk]),
        reverse("oral_history:subjects"),
        reverse("oral_history:narrators"),
        reverse("makerspace:index"),
        reverse("booking:index"),
        reverse("booking:event", args=[event.pk]),
        reverse("booking:resource", args=[resource.slug]),
        reverse("ugc:gallery"),
        reverse("search") + "?q=讲座",
    ]


READER_ONLY = ["booking:mine", "core:notifications", "ugc:mine", "accounts:profile"]


def test_every_page_stays_within_the_budget_as_the_library_grows(demo_site, user):
    from booking.models import Event, Resource
    from courses import services as learning
    from courses.tests.factories import course, lessons_of, path_with
    from oral_history.models import Interview

    first = course(title="智能手机入门")
    path = path_with(first)
    lesson = lessons_of(first)[0]
    learning.enrol(user=user, course=first)
    _library(user, 3)
    interview = Interview.objects.order_by("pk").first()
    event = Event.objects.order_by("pk").first()
    resource = Resource.objects.order_by("pk").first()
    urls = _pages(first, lesson, path, interview, event, resource)
    reader = Client()
    reader.force_login(user)

    def measure() -> dict[str, tuple[int, int]]:
        found = {url: (_count(Client(), url), _count(reader, url)) for url in urls}
        for name in READER_ONLY:
            found[name] = (0, _count(reader, reverse(name)))
        return found

    before = measure()
    over = {url: counts for url, counts in before.items() if max(counts) > BUDGET}
    assert not over, f"pages over {BUDGET} queries (visitor, reader): {over}"

    _library(user, 25, start=3)
    from courses.models import PathCourse

    for extra in range(6):
        PathCourse.objects.create(
            path=path, course=course(title=f"课程{extra}"), sort_order=extra + 1
        )
    after = measure()
    grown = {url: (before[url], after[url]) for url in before if after[url] != before[url]}
    assert not grown, f"query counts changed as lists grew (before, after): {grown}"
