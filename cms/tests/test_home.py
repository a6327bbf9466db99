"""The home page says what is on (events with places, learning paths, works, the archive, the
maker space, today's hours) and, for a signed-in reader, what is theirs, within a small and flat
query budget."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from wagtail.models import Site

from accounts.tests.factories import UserFactory
from booking import services as booking
from booking.tests.factories import EventFactory
from cms.models import OpeningHoursSettings
from makerspace.models import JobStatus, PrintJob
from makerspace.tests.factories import PrinterFactory
from media.models import StoredFile
from oral_history.models import AccessLevel, AccessRequest
from oral_history.tests.factories import InterviewFactory
from ugc.models import Work, WorkState

BUDGET = 15


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def stored(owner) -> StoredFile:
    return StoredFile.objects.create(
        owner=owner,
        key=f"originals/{uuid.uuid4()}.gcode",
        original_name="part.gcode",
        content_type="text/x-gcode",
        size=10,
        sha256="0" * 64,
    )


def add_rows(reader, n: int, *, moderator_title: str = "") -> None:
    """``n`` of everything the home page reads: events, printers, interviews, a reader's own."""
    from media.models import MediaAsset

    for i in range(n):
        event = EventFactory(title=f"数字素养讲座{i}", capacity=5)
        booking.book_event(user=reader, event=event)
        PrinterFactory()
        interview = InterviewFactory(title=f"老工人回忆{i}")
        AccessRequest.objects.create(
            interview=InterviewFactory(access_level=AccessLevel.REQUEST),
            reader=reader,
            purpose="研究",
            status=AccessRequest.Status.GRANTED,
            decided_at=timezone.now(),
            granted_until=timezone.now() + dt.timedelta(days=30),
        )
        assert interview.pk
        PrintJob.objects.create(
            owner=reader,
            title=f"零件{i}",
            source=stored(reader),
            source_kind="gcode",
            profile="virtual",
            material="PLA",
            nozzle_mm="0.40",
            status=JobStatus.QUEUED,
        )
        asset = MediaAsset.objects.create(original=stored(reader), kind="image", format="png")
        Work.objects.create(
            owner=reader,
            asset=asset,
            title=f"家乡的河{i}",
            kind="image",
            state=WorkState.PUBLISHED,
            published_at=timezone.now(),
        )


def count_queries(client, django_assert_max_num_queries):
    client.get("/")  # what is on is kept after the first visit; others pay only for theirs
    with django_assert_max_num_queries(BUDGET) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.django_db
def test_a_visitor_sees_what_is_on_within_the_budget(
    client, demo_site, django_assert_max_num_queries
):
    reader = UserFactory()
    add_rows(reader, 2)
    few, html = count_queries(client, django_assert_max_num_queries)
    assert "数字素养讲座0" in html and "还剩 4 个名额" in html
    assert "老工人回忆1" in html and "家乡的河1" in html
    assert "今天开放" in html and "09:00–21:00" in html
    assert "台打印机" in html or "台 3D 打印机" in html or "2 台" in html
    assert "我的动态" not in html and "我的下一个预约" not in html
    add_rows(reader, 3)
    more, _html = count_queries(client, django_assert_max_num_queries)
    assert more == few


@pytest.mark.django_db
def test_a_reader_sees_their_own_things_within_the_budget(
    client, demo_site, django_assert_max_num_queries
):
    reader = UserFactory()
    add_rows(reader, 1)
    client.force_login(reader)
    few, html = count_queries(client, django_assert_max_num_queries)
    for text in ("我的下一个预约", "数字素养讲座0", "零件0", "已批准，排队中", "家乡的河0"):
        assert text in html, text
    assert "我的查阅申请" in html and "已批准" in html
    add_rows(reader, 3)
    more, _html = count_queries(client, django_assert_max_num_queries)
    assert more == few


@pytest.mark.django_db
def test_todays_hours_come_from_the_librarians_setting(client, demo_site):
    hours = OpeningHoursSettings.for_site(Site.objects.get(is_default_site=True))
    today = hours.days.get(weekday=timezone.localdate().weekday())
    today.opens = today.closes = None
    today.save()
    assert "今天闭馆" in client.get("/").content.decode()
    today.opens, today.closes = dt.time(13, 30), dt.time(17)
    today.save()
    assert "13:30–17:00" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_home_page_title_names_the_site_once(client, demo_site):
    html = client.get("/").content.decode()
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.count("辽图共享空间") == 1, title
    # Other pages still say where they are, then the site.
    about = client.get("/search/").content.decode()
    assert about.split("<title>", 1)[1].split("</title>", 1)[0].endswith(" · 辽图共享空间")


@pytest.mark.django_db
def test_the_home_page_features_only_interviews_anyone_can_hear(client, demo_site):
    InterviewFactory(title="开放的访谈")
    InterviewFactory(title="申请后可听的访谈", access_level=AccessLevel.REQUEST)
    InterviewFactory(
        title="封存的访谈",
        access_level=AccessLevel.EMBARGO,
        embargo_until=timezone.localdate() + dt.timedelta(days=30),
    )
    InterviewFactory(
        title="解封的访谈",
        access_level=AccessLevel.EMBARGO,
        embargo_until=timezone.localdate() - dt.timedelta(days=1),
    )
    html = client.get("/").content.decode()
    assert "开放的访谈" in html and "解封的访谈" in html
    assert "申请后可听的访谈" not in html and "封存的访谈" not in html
