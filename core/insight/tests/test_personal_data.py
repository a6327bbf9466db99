"""A reader's copy of their data (PIPL), the privacy page, and the site's own events."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.insight import export, services
from core.insight.models import ActivityEvent, DataExport

pytestmark = pytest.mark.django_db


def _reader_with_data(marker: str):
    """A reader with a booking, an enrolment, a work with its file and activity."""
    from booking import services as booking
    from booking.tests.factories import EventFactory
    from courses import services as courses
    from courses.tests.factories import course
    from ugc import services as ugc
    from ugc.tests.factories import processed_asset

    reader = UserFactory(email=f"{marker}@example.org", display_name=marker)
    booking.book_event(user=reader, event=EventFactory(title=f"讲座-{marker}"))
    courses.enrol(user=reader, course=course(title=f"课程-{marker}"))
    asset = processed_asset(reader, name=f"{marker}.png")
    ugc.add_work(owner=reader, asset=asset, title=f"作品-{marker}")
    services.record("site.searched", user=reader, term=f"搜索-{marker}")
    return reader


def _zip_of(export_row: DataExport) -> zipfile.ZipFile:
    from media.services import storage_for

    export_row.refresh_from_db()
    stored = export_row.file
    data = b"".join(storage_for(stored.visibility).stream(stored.key))
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_copy_holds_the_readers_data_and_files_and_nothing_of_another_reader(s3_endpoint):
    alice, bob = _reader_with_data("alice"), _reader_with_data("bob")
    row = services.request_export(user=alice)
    assert services.build_export(export_id=row.pk) == "ready"
    archive = _zip_of(row)
    names = archive.namelist()
    sections = {
        n.removeprefix("data/").removesuffix(".json") for n in names if n.startswith("data/")
    }
    assert {
        "accounts.profile",
        "booking.booking",
        "courses.enrolment",
        "ugc.work",
        "media.storedfile",
        "insight.activityevent",
    } <= sections
    profile = json.loads(archive.read("data/accounts.profile.json"))
    assert profile[0]["email"] == "alice@example.org"
    events = json.loads(archive.read("data/insight.activityevent.json"))
    assert {"site.searched", "booking.created", "course.enrolled", "work.uploaded"} <= {
        e["kind"] for e in events
    }
    assert any(e["term"] == "搜索-alice" for e in events)
    # The original file is in the ZIP, byte for byte.
    (png,) = [n for n in names if n.startswith("files/") and n.endswith("alice.png")]
    assert archive.read(png).startswith(b"\x89PNG")
    everything = b"".join(archive.read(n) for n in names).decode("utf-8", "replace")
    for trace in ("bob@example.org", "作品-bob", "搜索-bob", "bob.png", services.pseudonym(bob.pk)):
        assert trace not in everything
    # Pseudonyms are not handed out: the reader's events carry no actor column at all.
    assert services.pseudonym(alice.pk) not in everything


def test_the_rows_that_make_a_copy_are_pinned():
    """Which models count as the reader's, and through which field: a new model with an owner
    joins the copy by itself, and this list says so in review."""
    found = sorted(
        f"{model._meta.label_lower}.{field}"
        for model in export._project_models()
        for field in export._owner_fields(model)
    )
    assert export.OWNER_FIELDS == ("user", "owner", "reader", "reporter", "author")
    assert found == sorted(
        [
            "booking.booking.user",
            "booking.bookingsuspension.user",
            "booking.calendarfeed.user",
            "booking.userqualification.user",
            "booking.waitlistentry.user",
            "core.interest.user",
            "core.interestnotice.user",
            "core.notification.user",
            "courses.assertion.user",
            "courses.certificate.user",
            "courses.enrolment.user",
            "courses.lessonprogress.user",
            "courses.pointsentry.user",
            "courses.progressevent.user",
            "courses.quizattempt.user",
            "courses.subscription.user",
            "courses.subscriptionnotice.user",
            "courses.h5pstate.user",
            "courses.xapistatement.user",
            "insight.dataexport.user",
            "insight.yearreview.user",
            "makerspace.certificationlog.user",
            "makerspace.printjob.owner",
            "makerspace.studiojob.booking__user",
            "media.storedfile.owner",
            "media.upload.owner",
            "oral_history.accessrequest.reader",
            "ugc.collection.owner",
            "ugc.comment.author",
            "ugc.favourite.user",
            "ugc.report.reporter",
            "ugc.work.owner",
        ]
    )


def test_asking_twice_while_preparing_gives_the_same_copy_and_a_second_build_does_nothing(
    s3_endpoint,
):
    reader = UserFactory()
    first = services.request_export(user=reader)
    assert services.request_export(user=reader).pk == first.pk
    assert services.build_export(export_id=first.pk) == "ready"
    assert services.build_export(export_id=first.pk) == "skipped"
    assert DataExport.objects.filter(user=reader).count() == 1
    from media.models import StoredFile

    assert StoredFile.objects.filter(owner=reader, key__startswith="exports/").count() == 1
    # The next copy does not contain the previous one.
    second = services.request_export(user=reader)
    services.build_export(export_id=second.pk)
    assert not [n for n in _zip_of(second).namelist() if n.startswith("files/")]


def test_only_the_reader_downloads_their_copy_and_only_for_a_week(s3_endpoint):
    reader, other = UserFactory(), UserFactory()
    row = services.request_export(user=reader)
    url = reverse("insight:download-export", args=[row.pk])
    owner = Client()
    owner.force_login(reader)
    assert owner.get(url).status_code == 404  # still being prepared
    services.build_export(export_id=row.pk)
    response = owner.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("http://usercontent.testserver/")
    assert response["Location"].endswith(".zip")
    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in
    assert services.expire_exports(now=timezone.now() + timedelta(days=8)) == 1
    assert owner.get(url).status_code == 404
    row.refresh_from_db()
    assert row.file is None


def test_the_my_data_page_asks_for_a_copy_in_chinese(s3_endpoint):
    reader = UserFactory(language="zh-hans")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(reader)
    page = client.get(reverse("insight:my-data")).content.decode()
    assert "准备一份我的数据" in page
    response = client.post(reverse("insight:my-data"), follow=True)
    assert "正在准备" in response.content.decode()
    assert DataExport.objects.filter(user=reader, status="pending").count() == 1


@override_settings(
    INSIGHT_RAW_MONTHS=18,
    INSIGHT_PERSON_MONTHS=13,
    INSIGHT_RECOMMEND_MONTHS=7,
    INSIGHT_RECOMMEND_MIN_READERS=5,
)
def test_the_privacy_page_is_made_from_the_catalogue_and_the_settings():
    from django.utils import translation

    from core.insight.kinds import KINDS

    html = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("insight:privacy")).content.decode()
    assert "18 个月" in html and "13 个月" in html
    assert "最近 7 个月" in html and "至少 5 位读者" in html
    for kind in KINDS.values():
        with translation.override("en"):
            english = str(kind.label)
        with translation.override("zh-hans"):
            label = str(kind.label)
        assert label != english, f"{kind.code} is not translated"
        assert label in html
    assert reverse("insight:my-data") in html and reverse("accounts:delete") in html


def test_site_searches_and_page_views_are_recorded(demo_site, tasks_run_here):
    client = Client()
    client.get("/")
    client.get(reverse("search"), {"q": "完全不存在的内容"})
    client.get(reverse("search"), {"q": "完全不存在的内容", "page": "2"})
    assert (
        ActivityEvent.objects.filter(kind="page.viewed", subject_type="cms.homepage").count() == 1
    )
    searched = ActivityEvent.objects.filter(kind="site.searched")
    assert [(e.term, e.outcome) for e in searched] == [("完全不存在的内容", "none")]


def test_a_page_answers_when_the_broker_is_down(demo_site, settings):
    """Counting a view goes through the broker; a broker that is down costs the count, never
    the page."""
    from config.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    app.pool.force_close_all()
    try:
        assert Client().get("/").status_code == 200
    finally:
        app.conf.broker_url = previous
        app.pool.force_close_all()
    assert not ActivityEvent.objects.filter(kind="page.viewed").exists()


def test_the_worker_writes_what_a_page_sent_and_refuses_an_unknown_kind():
    when = timezone.now()
    services.write_event(
        values={
            "kind": "page.viewed",
            "actor": "",
            "person_id": None,
            "audience": "",
            "district": "",
            "location": "",
            "subject_type": "cms.homepage",
            "subject_id": "3",
            "outcome": "",
            "value": None,
            "quantity": None,
            "term": "",
            "occurred_at": when.isoformat(),
        }
    )
    assert ActivityEvent.objects.get().occurred_at == when
    with pytest.raises(ValueError, match="unknown activity kind"):
        services.write_event(values={"kind": "page.seen", "occurred_at": when.isoformat()})
