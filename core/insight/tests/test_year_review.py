"""我的年度报告: the figures are the reader's own activity of that year, ready on the day the
library sets, private unless the reader shares the card, and the card is a real PNG."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.insight import partitions, review, services
from core.insight.models import YearReview

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts):
    return dt.datetime(*parts, tzinfo=SHANGHAI)


def _year_of(reader, other):
    partitions.ensure_months(around=at(2025, 6, 1), back=6, ahead=7)
    services.record(
        "lesson.completed",
        user=reader,
        subject=("courses.lessonpage", 1),
        value=5400,
        at=at(2025, 3, 1, 10),
    )
    services.record(
        "course.completed", user=reader, subject=("courses.coursepage", 1), at=at(2025, 3, 1, 10)
    )
    services.record(
        "booking.checked_in", user=reader, subject=("booking.event", 4), at=at(2025, 5, 1, 10)
    )
    services.record("work.uploaded", user=reader, subject=("ugc.work", "w1"), at=at(2025, 6, 1))
    services.record(
        "work.moderated",
        user=reader,
        subject=("ugc.work", "w1"),
        outcome="approve",
        at=at(2025, 6, 2),
    )
    for _ in range(3):
        services.record("work.viewed", user=other, subject=("ugc.work", "w1"), at=at(2025, 7, 1))
    services.record(
        "interview.played",
        user=reader,
        subject=("oral_history.interview", 9),
        value=1800,
        quantity=1,
        at=at(2025, 8, 1),
    )
    # The last second of 2024 and the first of 2026 are other years.
    services.record("course.completed", user=reader, at=at(2024, 12, 31, 23, 59, 59))
    services.record("course.completed", user=reader, at=at(2026, 1, 1, 0, 0))
    # Another reader's activity is not this reader's.
    services.record("course.completed", user=other, at=at(2025, 3, 1))


def test_the_figures_are_the_readers_own_year():
    reader, other = UserFactory(), UserFactory()
    _year_of(reader, other)
    figures = review.figures_for(user_id=reader.pk, year=2025)
    assert figures["learning_hours"] == 1.5
    assert figures["courses_completed"] == 1
    assert figures["events_attended"] == 1 and figures["visits"] == 0
    assert figures["works_published"] == 1 and figures["work_views"] == 3
    assert figures["interviews"] == 1 and figures["listening_hours"] == 0.5
    assert review.figures_for(user_id=other.pk, year=2025)["courses_completed"] == 1


def test_batches_cover_every_active_reader_once_and_can_run_again():
    readers = [UserFactory() for _ in range(5)]
    partitions.ensure_months(around=at(2025, 6, 1), ahead=0)
    for reader in readers:
        services.record("course.enrolled", user=reader, at=at(2025, 6, 1))
    UserFactory()  # no activity: no review
    assert review.generate_all(year=2025, batch=2) == 5
    assert review.generate_all(year=2025, batch=2) == 5
    assert YearReview.objects.filter(year=2025).count() == 5


def test_the_review_is_shown_from_the_day_the_library_sets_and_shared_only_when_chosen(
    s3_endpoint,
):
    reader, other = UserFactory(language="zh-hans"), UserFactory()
    _year_of(reader, other)
    review.generate_all(year=2025)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(reader)
    page = reverse("insight:my-year")
    assert "还没有准备好" in client.get(page).content.decode()
    assert client.get(reverse("insight:my-year-card")).status_code == 404
    chosen = review._chosen()
    chosen.year, chosen.opens_on = 2025, timezone.localdate() + dt.timedelta(days=1)
    chosen.save()
    assert "还没有准备好" in client.get(page).content.decode()
    chosen.opens_on = timezone.localdate()
    chosen.save()
    html = client.get(page).content.decode()
    assert "我在图书馆的 2025 年" in html and "1.5" in html
    card = client.get(reverse("insight:my-year-card"))
    assert card["Content-Type"] == "image/png" and card.content.startswith(b"\x89PNG")
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(card.content)).size == (1080, 1350)
    assert card["Cache-Control"] == "private, no-store"
    # Nobody else sees it until the reader shares it; unsharing kills the old link.
    row = YearReview.objects.get(user=reader)
    assert row.share_token == ""
    client.post(page, {"share": "on"})
    row.refresh_from_db()
    shared = reverse("insight:shared-card", args=[row.share_token])
    assert len(row.share_token) >= 40
    assert Client().get(shared).content.startswith(b"\x89PNG")
    client.post(page, {"share": "off"})
    assert Client().get(shared).status_code == 404
    assert Client().get(reverse("insight:shared-card", args=["x" * 43])).status_code == 404
    stranger = Client()
    stranger.force_login(other)
    # The other reader sees their own year: one course, none of the first reader's learning.
    theirs = stranger.get(page).content.decode()
    assert "我在图书馆的 2025 年" in theirs and "小时学习" not in theirs


def test_the_task_waits_until_the_chosen_year_is_over():
    chosen = review._chosen()
    chosen.year = 2025
    chosen.save()
    assert review.due_year(dt.date(2025, 12, 31)) is None
    assert review.due_year(dt.date(2026, 1, 1)) == 2025


def test_a_batch_counts_the_views_of_each_readers_works_as_one_reader_alone_does():
    reader, other = UserFactory(), UserFactory()
    _year_of(reader, other)
    review.generate_all(year=2025, batch=1)
    batched = {row.user_id: row.figures for row in YearReview.objects.filter(year=2025)}
    assert batched[reader.pk] == review.figures_for(user_id=reader.pk, year=2025)
    assert batched[reader.pk]["work_views"] == 3 and batched[other.pk]["work_views"] == 0


def test_a_reader_removed_without_the_account_service_gets_no_review():
    """A bulk delete (the admin's, the shell's) leaves the events' person_id behind; the year's
    batch must skip that reader, not write a review for an account that no longer exists (which
    failed the whole batch at commit)."""
    reader, other = UserFactory(), UserFactory()
    _year_of(reader, other)
    gone = other.pk
    type(other).objects.filter(pk=gone).delete()
    assert review.generate_all(year=2025) == 1
    assert list(YearReview.objects.values_list("user_id", flat=True)) == [reader.pk]
