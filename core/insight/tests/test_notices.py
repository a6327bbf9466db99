"""Notices readers asked for: follow a kind of event, a learning topic or an archive subject;
be told once, on the site and by e-mail in one's own language, when something new is published
there; and the page where a reader chooses, refusing what is not on offer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from booking import services as booking
from booking.models import EventSeries
from booking.tests.factories import EventFactory, local, staff_member
from core import interests
from core.models import Interest, InterestNotice, InterestTopic, Notification
from oral_history import services as archive
from oral_history.models import AccessLevel, Subject
from oral_history.tests.factories import InterviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tasks_run_here, django_capture_on_commit_callbacks):
    """Run what publishing enqueues (on commit, in this process)."""

    def run(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    return run


def follower(topic: str, key: str, **fields):
    user = UserFactory(**fields)
    interests.follow(user=user, topic=topic, key=key)
    return user


def test_a_new_event_of_a_followed_kind_is_announced_once_in_the_readers_language(published):
    chinese = follower(InterestTopic.EVENT_KIND, "lecture", language="zh-hans")
    english = follower(InterestTopic.EVENT_KIND, "lecture", language="en")
    workshops = follower(InterestTopic.EVENT_KIND, "workshop")
    event = EventFactory(title="辽河文明讲座", kind="lecture")
    staff = staff_member()
    published(booking.sync_event, event=event, by=staff)
    published(booking.sync_event, event=event, by=staff)  # saved again: nobody twice
    assert sorted(m.to[0] for m in mail.outbox) == sorted([chinese.email, english.email])
    by_reader = {m.to[0]: m for m in mail.outbox}
    assert by_reader[chinese.email].subject == "图书馆有新内容：辽河文明讲座"
    assert by_reader[english.email].subject == "New at the library: 辽河文明讲座"
    assert f"/booking/events/{event.pk}/" in by_reader[chinese.email].body
    note = Notification.objects.get(user=chinese)
    assert note.url == reverse("booking:event", args=[event.pk])
    assert not Notification.objects.filter(user=workshops).exists()
    assert InterestNotice.objects.filter(item=f"booking.event:{event.pk}").count() == 2


def test_past_cancelled_and_other_groups_events_are_not_announced(published):
    senior = follower(InterestTopic.EVENT_KIND, "lecture", audience_group="senior")
    staff = staff_member()
    past = EventFactory(kind="lecture", starts_at=local(-2, 9), ends_at=local(-2, 10))
    cancelled = EventFactory(kind="lecture", is_cancelled=True)
    children = EventFactory(kind="lecture", audiences=["child"])
    for event in (past, cancelled, children):
        published(booking.sync_event, event=event, by=staff)
    assert mail.outbox == [] and not Notification.objects.filter(user=senior).exists()


def test_a_weekly_series_is_announced_once_not_once_a_week(published):
    reader = follower(InterestTopic.EVENT_KIND, "class")
    today = dt.date.today()
    series = EventSeries.objects.create(
        title="银龄智能手机课", kind="class", location=EventFactory().location, capacity=8,
        weekdays=[today.weekday()], start_time=dt.time(9, 30), duration_minutes=90,
        first_date=today + dt.timedelta(days=1), last_date=today + dt.timedelta(weeks=4),
    )  # fmt: skip
    made = published(booking.generate_occurrences, series=series, by=staff_member())
    assert len(made) >= 3
    assert [m.subject for m in mail.outbox] == ["图书馆有新内容：银龄智能手机课"]
    assert Notification.objects.filter(user=reader).count() == 1


def test_a_published_interview_is_announced_to_the_followers_of_its_subjects(published):
    textile, railway = (
        Subject.objects.create(name="纺织", slug="fz"),
        Subject.objects.create(name="铁路", slug="tl"),
    )
    both = follower(InterestTopic.ARCHIVE_SUBJECT, str(textile.pk))
    interests.follow(user=both, topic=InterestTopic.ARCHIVE_SUBJECT, key=str(railway.pk))
    other = follower(InterestTopic.ARCHIVE_SUBJECT, "99999")
    draft = InterviewFactory(title="纺织厂的往事", published=False)
    draft.subjects.add(textile, railway)
    published(archive.announce, interview=draft)
    assert mail.outbox == []  # a draft is not news
    draft.published = True
    draft.save()
    published(archive.announce, interview=draft)
    published(archive.announce, interview=draft)
    assert [m.to for m in mail.outbox] == [[both.email]]  # two subjects, one notice
    assert not Notification.objects.filter(user=other).exists()
    hidden = InterviewFactory(access_level=AccessLevel.RESTRICTED)
    hidden.subjects.add(textile)
    published(archive.announce, interview=hidden)
    assert len(mail.outbox) == 1


def _page(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_a_reader_chooses_what_to_follow_on_one_page():
    from courses.models import Subscription, Topic

    reader = UserFactory()
    subject = Subject.objects.create(name="工业遗产", slug="gy")
    topic = Topic.objects.create(name="智能手机", slug="phone")
    client = _page(reader)
    page = client.get(reverse("insight:following")).content.decode()
    assert "讲座" in page and "工业遗产" in page and "智能手机" in page
    answer = client.post(
        reverse("insight:following"),
        {
            "event_kinds": ["lecture", "workshop"],
            "subjects": [str(subject.pk)],
            "topics": [topic.pk],
        },
    )
    assert answer.status_code == 302
    assert interests.following(reader, InterestTopic.EVENT_KIND) == {"lecture", "workshop"}
    assert interests.following(reader, InterestTopic.ARCHIVE_SUBJECT) == {str(subject.pk)}
    assert Subscription.objects.filter(user=reader, topic=topic).exists()
    page = client.get(reverse("insight:following")).content.decode()
    assert 'value="lecture" id="id_event_kinds_0" checked' in page.replace("\n", "")
    # Unticking everything follows nothing.
    client.post(reverse("insight:following"), {})
    assert not Interest.objects.filter(user=reader).exists()
    assert not Subscription.objects.filter(user=reader, topic__isnull=False).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"event_kinds": ["lecture", "party"]},
        {"event_kinds": ["LECTURE"]},
        {"subjects": ["99999"]},
        {"subjects": ["1 OR 1=1"]},
        {"topics": ["abc"]},
        {"event_kinds": ["x" * 100]},
    ],
)
def test_what_is_not_on_offer_is_refused_and_nothing_is_changed(data):
    reader = follower(InterestTopic.EVENT_KIND, "workshop")
    answer = _page(reader).post(reverse("insight:following"), {"event_kinds": ["lecture"], **data})
    assert answer.status_code == 200
    assert "不在可用的选项中" in answer.content.decode() or "选择一个有效的选项" in (
        answer.content.decode()
    )
    assert interests.following(reader, InterestTopic.EVENT_KIND) == {"workshop"}


def test_visitors_are_sent_to_sign_in():
    answer = Client().get(reverse("insight:following"))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_an_unknown_topic_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown topic"):
        interests.follow(user=UserFactory(), topic="everything", key="1")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:evil.example", " //x.y"],
)
def test_following_a_topic_never_sends_the_reader_off_the_site(target):
    from courses.models import Subscription, Topic

    reader = UserFactory()
    topic = Topic.objects.create(name="智能手机", slug="phone")
    answer = _page(reader).post(reverse("courses:subscribe"), {"topic": topic.pk, "next": target})
    assert answer.status_code == 302 and answer["Location"] == reverse("courses:record")
    assert Subscription.objects.filter(user=reader, topic=topic).exists()
    # A page of this site is where it goes back to.
    back = _page(reader).post(reverse("courses:subscribe"), {"topic": topic.pk, "next": "/learn/"})
    assert back["Location"] == "/learn/"
