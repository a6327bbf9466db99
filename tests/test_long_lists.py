"""Lists a visitor sees stay one page long as the library grows: with 1,000 items, the page
shows one page of them, its size and its queries are what they are with a handful, and the
pages after it are reached by links that keep the filter. A hostile page number is no error."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MANY = 1000


def _get(url: str, **params):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.get(url, params)  # fills what every page keeps (menus, site: core.kept)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _resources(count: int, start: int = 0) -> None:
    from booking.models import Resource
    from booking.tests.factories import CategoryFactory, LocationFactory, ResourceFactory

    location, category = LocationFactory(), CategoryFactory()
    Resource.objects.bulk_create(
        ResourceFactory.build(
            location=location, category=category, name=f"研讨室{n:04d}", slug=f"room-{n}"
        )
        for n in range(start, start + count)
    )


def _equipment(count: int, start: int = 0) -> None:
    from booking.tests.factories import LocationFactory
    from makerspace.models import Equipment

    location = LocationFactory()
    Equipment.objects.bulk_create(
        Equipment(name=f"缝纫机{n:04d}", slug=f"sewing-{n}", kind="craft", location=location)
        for n in range(start, start + count)
    )


def _subjects(count: int, start: int = 0) -> None:
    from oral_history.models import Subject
    from oral_history.tests.factories import InterviewFactory

    made = Subject.objects.bulk_create(
        Subject(name=f"主题{n:04d}", slug=f"subject-{n}") for n in range(start, start + count)
    )
    interview = InterviewFactory()
    interview.subjects.add(*made)


def _list_items(html: str, css_class: str) -> int:
    return len(re.findall(rf'<ul class="{css_class}">.*?</ul>', html, re.S)[0].split("<li"))


@pytest.mark.parametrize(
    ("url", "make", "shown", "marker"),
    [
        ("/booking/", _resources, 30, "研讨室"),
        ("/makerspace/", _equipment, 24, "缝纫机"),
        ("/memories/subjects/", _subjects, 60, "主题0"),
    ],
    ids=["resources", "equipment", "subjects"],
)
def test_a_list_of_a_thousand_shows_one_page_in_flat_size_and_queries(url, make, shown, marker):
    make(5)
    _get(url)  # the site's first page makes its settings rows
    few_html, few_queries = _get(url)
    make(MANY - 5, start=5)
    html, queries = _get(url)
    assert html.count(marker) == shown
    assert queries == few_queries
    # The page grows by the items it shows, not by the thousand.
    assert len(html.encode()) < len(few_html.encode()) + shown * 800
    assert "第 1 页，共" in html and 'rel="next"' in html
    last = -(-MANY // shown)
    end, _ = _get(url, page=last)
    assert end.count(marker) == MANY - (last - 1) * shown
    assert 'rel="prev"' in end and 'rel="next"' not in end


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999", "1e9", "1;DROP", "２"])
def test_a_hostile_page_number_gives_a_real_page(page):
    _resources(45)
    html, _ = _get("/booking/", page=page)
    assert html.count("研讨室") in (30, 15)


def test_the_kind_filter_is_kept_across_pages():
    from booking.models import Resource

    _resources(40)
    Resource.objects.filter(name__gte="研讨室0035").update(kind="studio")
    html, _ = _get("/booking/", kind="space")
    assert html.count("研讨室") == 30
    assert 'href="?kind=space&amp;page=2#resources"' in html
    second, _ = _get("/booking/", kind="space", page=2)
    assert second.count("研讨室") == 5


def test_the_archive_front_page_shows_the_busiest_subjects_and_links_to_all():
    _subjects(MANY)
    html, _ = _get("/memories/")
    assert html.count('href="/memories/subjects/subject-') == 30
    assert f'<a href="{reverse("oral_history:subjects")}">全部 {MANY} 个主题</a>' in html


def test_a_long_learning_path_lists_its_courses_a_page_at_a_time():
    from courses.models import CoursePage
    from courses.tests.factories import learning_index, path_with

    index = learning_index()
    courses = [
        index.add_child(
            instance=CoursePage(title=f"课程{n:03d}", slug=f"c{n}", introduction="简介")
        )
        for n in range(5)
    ]
    path = path_with(*courses)
    _get(path.url)  # the site's first page makes its settings rows
    _html, few_queries = _get(path.url)
    more = [
        index.add_child(
            instance=CoursePage(title=f"课程{n:03d}", slug=f"c{n}", introduction="简介")
        )
        for n in range(5, 120)
    ]
    from courses.models import PathCourse

    PathCourse.objects.bulk_create(
        PathCourse(path=path, course=course, sort_order=10 + n) for n, course in enumerate(more)
    )
    html, queries = _get(path.url)
    listed = re.compile(r">课程\d{3}<")
    assert len(listed.findall(html)) == 20 and queries == few_queries
    assert "第 1 页，共 6 页" in html
    last, _ = _get(path.url, page=6)
    assert len(listed.findall(last)) == 20 and 'start="101"' in last
