"""为你推荐: pairs from what readers take up together, suggestions with their reasons, only
what the reader may use, nothing that reveals one other reader, and the same in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking.models import EventSeries
from booking.tests.factories import EventFactory, LocationFactory, local
from core.insight import partitions, recommendations, services
from core.insight.models import ActivityEvent, ItemPair, PopularItem
from courses.models import Enrolment
from courses.tests.factories import course
from oral_history.models import AccessLevel
from oral_history.tests.factories import InterviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _months():
    partitions.ensure_months(around=timezone.now(), back=2, ahead=1)


def took_up(readers, *subjects, audience: str = "senior") -> list:
    """Each of ``readers`` (a number: made-up accounts) takes up every subject."""
    users = [UserFactory(audience_group=audience) for _ in range(readers)]
    kinds = {"coursepage": "course.enrolled", "event": "booking.created"}
    for user in users:
        for subject in subjects:
            kind = kinds.get(subject._meta.model_name, "interview.played")
            services.record(kind, user=user, subject=subject)
    return users


def test_pairs_need_enough_readers_and_events_pair_as_their_series():
    first, second = course(title="智能手机入门"), course(title="网上挂号")
    third = course(title="防诈骗")
    series = EventSeries.objects.create(
        title="银龄智能手机课", kind="class", location=EventFactory().location, capacity=5,
        weekdays=[1], start_time=dt.time(9), duration_minutes=60,
        first_date=dt.date(2026, 1, 1), last_date=dt.date(2026, 3, 1),
    )  # fmt: skip
    past = EventFactory(series=series, starts_at=local(-7, 9), ends_at=local(-7, 10))
    took_up(3, first, second, past)
    took_up(2, first, third)  # two readers only: never a pair
    found = recommendations.compute()
    pairs = {
        (p.item_type, p.item_id, p.other_type, p.other_id): p.readers
        for p in ItemPair.objects.all()
    }
    c1, c2 = ("courses.coursepage", str(first.pk)), ("courses.coursepage", str(second.pk))
    s = ("booking.eventseries", str(series.pk))
    assert pairs == {
        (*c1, *c2): 3, (*c2, *c1): 3, (*c1, *s): 3, (*s, *c1): 3, (*c2, *s): 3, (*s, *c2): 3,
    }  # fmt: skip
    assert found["pairs"] == 6
    popular = {(p.audience, p.item_id): p.readers for p in PopularItem.objects.all()}
    assert popular[("senior", str(first.pk))] == 5 and popular[("", str(first.pk))] == 5
    assert ("senior", str(third.pk)) not in popular
    # Idempotent: the same tables again.
    recommendations.compute()
    assert ItemPair.objects.count() == 6
    assert {(p.audience, p.item_id): p.readers for p in PopularItem.objects.all()} == popular


def test_old_activity_and_visitors_make_no_pairs():
    first, second = course(title="甲"), course(title="乙")
    users = took_up(3, first)
    old = timezone.now() - dt.timedelta(days=500)
    partitions.ensure_months(around=old, back=0, ahead=0)
    for user in users:
        services.record("course.enrolled", user=user, subject=second, at=old)
    for _ in range(5):
        services.record("course.enrolled", subject=first)
        services.record("course.enrolled", subject=second)
    recommendations.compute()
    assert not ItemPair.objects.exists()


def test_a_reader_gets_what_follows_from_their_history_with_its_reason():
    first, second = course(title="智能手机入门"), course(title="网上挂号")
    hidden = course(title="草稿课程")
    interview = InterviewFactory(title="纺织厂的往事")
    closed = InterviewFactory(title="未公开的访谈", access_level=AccessLevel.RESTRICTED)
    took_up(3, first, second, interview, closed, hidden)
    hidden.unpublish()
    recommendations.compute()
    reader = UserFactory(audience_group="senior")
    Enrolment.objects.create(user=reader, course=first, completed_at=timezone.now())
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(reader)
    page = client.get(reverse("insight:for-you")).content.decode()
    assert "网上挂号" in page and "因为您学完了《智能手机入门》" in page
    assert "纺织厂的往事" in page
    assert "未公开的访谈" not in page and "草稿课程" not in page
    # What they already took up is not suggested back.
    sections = recommendations.for_reader(reader)
    titles = [item.title for items in sections.values() for item in items]
    assert "智能手机入门" not in titles


def test_events_are_the_next_occurrence_open_to_the_reader_and_not_booked():
    from booking.models import Booking

    lecture = course(title="智能手机入门")
    past = EventFactory(title="旧讲座", starts_at=local(-3, 9), ends_at=local(-3, 10))
    took_up(3, lecture, past)
    for_children = EventFactory(title="少儿编程", audiences=["child"])
    soon = EventFactory(title="老年人防诈骗讲座", audiences=["senior"])
    booked = EventFactory(title="已报名的讲座")
    recommendations.compute()
    reader = UserFactory(audience_group="senior")
    Booking.objects.create(
        user=reader,
        event=booked,
        starts_at=booked.starts_at,
        ends_at=booked.ends_at,
        blocked_until=booked.ends_at,
    )
    events = recommendations.for_reader(reader)[recommendations.EVENT]
    titles = [item.title for item in events]
    assert "旧讲座" not in titles  # over: nothing to book
    assert "少儿编程" not in titles and "已报名的讲座" not in titles
    assert titles == [soon.title]
    assert events[0].url == reverse("booking:event", args=[soon.pk]) and events[0].detail
    del for_children


@override_settings(INSIGHT_RECOMMEND_MIN_READERS=3)
def test_a_pair_shared_with_one_other_reader_reveals_nothing():
    """An attacker who enrols in an obscure course sees no suggestion that tells what the one
    other reader of it did."""
    obscure, secret = course(title="冷门课程"), course(title="另一位读者学的课")
    took_up(1, obscure, secret)
    attacker = UserFactory(audience_group="adult")
    services.record("course.enrolled", user=attacker, subject=obscure)
    Enrolment.objects.create(user=attacker, course=obscure)
    recommendations.compute()
    titles = [i.title for items in recommendations.for_reader(attacker).values() for i in items]
    assert "另一位读者学的课" not in titles
    # Once three readers share it, it is what readers do, and may be said.
    took_up(2, obscure, secret)
    recommendations.compute()
    titles = [i.title for items in recommendations.for_reader(attacker).values() for i in items]
    assert "另一位读者学的课" in titles


def test_a_visitor_chooses_a_group_and_sees_what_it_takes_up():
    for_seniors, for_children = course(title="银龄课程"), course(title="少儿课程")
    took_up(4, for_seniors, audience="senior")
    took_up(3, for_children, audience="child")
    recommendations.compute()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(reverse("insight:for-you"), {"audience": "child"}).content.decode()
    courses = page.split("<h2")[1]
    assert courses.index("少儿课程") < courses.index("银龄课程")
    assert "深受“儿童”人群读者欢迎" in page
    anyone = client.get(reverse("insight:for-you")).content.decode()
    assert "本馆读者常选" in anyone


@pytest.mark.parametrize("audience", ["wizard", "senior ", "SENIOR", "senior\x00", "x" * 500])
def test_an_unknown_group_is_refused_in_the_visitors_language(audience):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(reverse("insight:for-you"), {"audience": audience})
    assert page.status_code == 200
    assert "请选择一个人群" in page.content.decode()
    api = client.get(reverse("v1:recommendations"), {"audience": audience})
    assert api.status_code == 400
    assert "请选择一个人群" in str(api.json())


def test_the_api_gives_the_pages_suggestions_and_reasons():
    first, second = course(title="智能手机入门"), course(title="网上挂号")
    took_up(3, first, second)
    recommendations.compute()
    reader = UserFactory(audience_group="senior")
    Enrolment.objects.create(user=reader, course=first)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(reader)
    found = client.get(reverse("v1:recommendations")).json()
    assert {
        "section": "course",
        "title": "网上挂号",
        "url": second.url,
        "reason": "因为您正在学习《智能手机入门》",
        "detail": "",
    } in found


def test_the_page_costs_the_same_queries_however_long_the_history():
    courses_ = [course(title=f"课程{n}") for n in range(6)]
    took_up(3, *courses_)
    for n in range(4):
        EventFactory(title=f"讲座{n}")
    interviews = [InterviewFactory() for _ in range(5)]
    took_up(3, *interviews)
    recommendations.compute()
    reader = UserFactory(audience_group="senior")
    client = Client()
    client.force_login(reader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("insight:for-you")).status_code == 200
        return len(captured)

    Enrolment.objects.create(user=reader, course=courses_[0])
    queries()  # the first page of a site makes its settings rows
    few = queries()
    for taken in courses_[1:4]:
        Enrolment.objects.create(user=reader, course=taken)
    for interview in interviews[:3]:
        services.record("interview.played", user=reader, subject=interview)
    assert queries() == few
    assert ActivityEvent.objects.filter(person_id=reader.pk).count() == 3


def test_a_series_the_reader_booked_is_not_suggested_again_at_its_next_date():
    from booking.models import Booking

    series = EventSeries.objects.create(
        title="银龄智能手机课", kind="class", location=LocationFactory(), capacity=5,
        weekdays=[1], start_time=dt.time(9), duration_minutes=60,
        first_date=dt.date(2026, 1, 1), last_date=dt.date(2027, 3, 1),
    )  # fmt: skip
    booked = EventFactory(series=series, title=series.title, starts_at=local(2, 9))
    EventFactory(series=series, title=series.title, starts_at=local(9, 9))
    EventFactory(title="剪纸讲座", starts_at=local(4, 9))
    reader = UserFactory(audience_group="senior")
    Booking.objects.create(
        user=reader,
        event=booked,
        starts_at=booked.starts_at,
        ends_at=booked.ends_at,
        blocked_until=booked.ends_at,
        status="confirmed",
    )
    events = recommendations.for_reader(reader)[recommendations.EVENT]
    assert [item.title for item in events] == ["剪纸讲座"]


def test_full_events_and_events_the_reader_waits_for_are_not_suggested():
    from booking.models import Booking, WaitlistEntry

    full = EventFactory(title="已满的讲座", capacity=1, starts_at=local(2, 9))
    Booking.objects.create(
        user=UserFactory(),
        event=full,
        starts_at=full.starts_at,
        ends_at=full.ends_at,
        blocked_until=full.ends_at,
        status="confirmed",
    )
    waiting = EventFactory(title="候补中的讲座", starts_at=local(3, 9))
    EventFactory(title="有空位的讲座", starts_at=local(4, 9))
    reader = UserFactory(audience_group="senior")
    WaitlistEntry.objects.create(
        user=reader, event=waiting, starts_at=waiting.starts_at, ends_at=waiting.ends_at
    )
    # Another reader's wait for a room (no event) must not hide every event.
    from booking.tests.factories import ResourceFactory

    WaitlistEntry.objects.create(
        user=reader, resource=ResourceFactory(), starts_at=local(5, 9), ends_at=local(5, 10)
    )
    from django.utils import translation

    with translation.override("zh-hans"):
        events = recommendations.for_reader(reader)[recommendations.EVENT]
    assert [item.title for item in events] == ["有空位的讲座"]
    assert events[0].reason == "即将到来"
