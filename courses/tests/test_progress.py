"""Completion rules, prerequisites, idempotent events, trustworthy time and media progress,
server-side quiz scoring, and rewards given once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from courses import selectors, services
from courses.models import (
    Assertion,
    Certificate,
    Enrolment,
    LessonPage,
    LessonProgress,
    PointsEntry,
    ProgressEvent,
    QuizAttempt,
)

from .factories import QUIZ, badge, course, lessons_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _event(user, lesson, kind, data=None, event_id=None):
    return services.record_event(
        user=user, lesson=lesson, event_id=event_id or str(uuid.uuid4()), kind=kind, data=data or {}
    )


def _quiz_id(lesson: LessonPage) -> str:
    return next(block.id for block in lesson.body if block.block_type == "quiz")


def test_a_viewed_lesson_completes_on_the_view_event(user):
    first, _second = lessons_of(course())
    state = _event(user, first, "view")
    assert state.lesson_completed and not state.course_completed


def test_quizzes_are_scored_on_the_server_and_answers_never_reach_the_page(user):
    _first, second = lessons_of(course())
    client = Client()
    client.force_login(user)
    html = client.get(second.url).content.decode()
    assert "聊天窗口的“+”" in html  # the choices are shown …
    assert "correct" not in html.lower().replace("check my answers", "")  # … never which is right
    block_id = _quiz_id(second)
    wrong = services.submit_quiz(
        user=user, lesson=second, block_id=block_id, answers={"0": [1], "1": [1]}
    )
    assert (wrong.correct, wrong.total, wrong.lesson_completed) == (1, 2, False)
    right = services.submit_quiz(
        user=user, lesson=second, block_id=block_id, answers={"0": [0], "1": [1]}
    )
    assert (right.correct, right.lesson_completed) == (2, True)
    progress = LessonProgress.objects.get(user=user, lesson=second)
    assert progress.best_score == 100
    with pytest.raises(ValidationError):
        services.submit_quiz(user=user, lesson=second, block_id=block_id, answers={"0": "all"})
    with pytest.raises(ValidationError):
        services.submit_quiz(user=user, lesson=second, block_id="nope", answers={})


@pytest.mark.parametrize("answers", [{}, {"0": [], "1": []}, {"7": [0]}])
def test_a_quiz_sent_with_nothing_chosen_is_refused_and_not_counted(user, answers):
    _first, second = lessons_of(course())
    with pytest.raises(ValidationError) as refused:
        services.submit_quiz(user=user, lesson=second, block_id=_quiz_id(second), answers=answers)
    assert refused.value.code == "quiz_empty"
    assert not QuizAttempt.objects.filter(user=user).exists()


def test_the_quiz_view_marks_answers_and_completes_the_course(user):
    the_course = course(badge=badge(), points=15)
    first, second = lessons_of(the_course)
    client = Client()
    client.force_login(user)
    _event(user, first, "view")
    response = client.post(
        reverse("courses:quiz", args=[second.pk, _quiz_id(second)]),
        {"q0": "0", "q1": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "2" in response.content.decode()
    enrolment = Enrolment.objects.get(user=user, course=the_course)
    assert enrolment.completed_at is not None
    assert PointsEntry.objects.get(user=user).points == 15
    assert Assertion.objects.filter(user=user, badge=the_course.badge).count() == 1
    assert Certificate.objects.filter(user=user, course=the_course).count() == 1


def _back(user, seconds: float) -> None:
    """Move the learner's last activity ``seconds`` into the past (time passing)."""
    LessonProgress.objects.filter(user=user).update(
        last_heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_the_same_event_twice_counts_once(user):
    first, _ = lessons_of(course())
    _event(user, first, "view")
    _back(user, 20)
    event_id = str(uuid.uuid4())
    _event(user, first, "heartbeat", event_id=event_id)
    _event(user, first, "heartbeat", event_id=event_id)
    assert LessonProgress.objects.get(user=user, lesson=first).time_spent_seconds == 20
    assert ProgressEvent.objects.filter(user=user).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_and_completions_reward_once():
    user = UserFactory()
    the_course = course(
        badge=badge("concurrent"),
        points=10,
        lessons=[("认识手机", "viewed", [("paragraph", "<p>x</p>")], {})],
    )
    (lesson,) = lessons_of(the_course)
    event_id = str(uuid.uuid4())
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def send() -> None:
        from django.db import connection

        try:
            barrier.wait()
            _event(user, lesson, "view", event_id=event_id)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ProgressEvent.objects.filter(id=event_id).count() == 1
    assert Enrolment.objects.filter(user=user).count() == 1
    assert PointsEntry.objects.filter(user=user).count() == 1
    assert Assertion.objects.filter(user=user).count() == 1
    assert Certificate.objects.filter(user=user).count() == 1


def test_time_is_the_servers_clock_between_events_at_most_30_seconds_each(user):
    first, _ = lessons_of(course())
    _event(user, first, "view")  # opening counts nothing by itself
    assert LessonProgress.objects.get(user=user, lesson=first).time_spent_seconds == 0
    _back(user, 12)
    # Five heartbeats in the same instant (a page left open in 5 tabs), one claiming an hour:
    # the server counts the 12 seconds that passed, once, and never a duration it is told.
    for _n in range(5):
        _event(user, first, "heartbeat", {"seconds": 3600, "duration": 3600})
    progress = LessonProgress.objects.get(user=user, lesson=first)
    assert progress.time_spent_seconds == 12
    _back(user, 3 * 3600)
    _event(user, first, "heartbeat")  # after three hours away: 30 seconds, not 3 hours
    assert LessonProgress.objects.get(pk=progress.pk).time_spent_seconds == 42
    _back(user, 3 * 3600)
    _event(user, first, "view")  # coming back to the page starts a new stretch
    assert LessonProgress.objects.get(pk=progress.pk).time_spent_seconds == 42


def test_a_short_visit_counts_when_the_page_is_left_and_a_heartbeat_alone_counts_nothing(user):
    first, second = lessons_of(course())
    _event(user, second, "heartbeat")  # no page opened: no stretch to count
    assert LessonProgress.objects.get(user=user, lesson=second).time_spent_seconds == 0
    _event(user, first, "view")
    _back(user, 8)
    _event(user, first, "heartbeat")  # sent as the page is left, 8 seconds after opening
    assert LessonProgress.objects.get(user=user, lesson=first).time_spent_seconds == 8


def test_two_lessons_open_at_once_count_the_wall_clock_once(user):
    first, second = lessons_of(course())
    _event(user, first, "view")
    _event(user, second, "view")
    for lesson in (first, second, first, second):  # two tabs, alternating every 10 seconds
        _back(user, 10)
        _event(user, lesson, "heartbeat")
    record = selectors.record_of(user)
    assert record.time_spent_seconds == 40


def test_answering_a_quiz_counts_as_time_on_the_lesson(user):
    _first, second = lessons_of(course())
    _event(user, second, "view")
    _back(user, 25)
    services.submit_quiz(
        user=user, lesson=second, block_id=_quiz_id(second), answers={"0": [0], "1": [1]}
    )
    assert LessonProgress.objects.get(user=user, lesson=second).time_spent_seconds == 25


def _watch_course(duration: float):
    from courses.models import LearningMedia
    from media.models import MediaAsset, StoredFile

    stored = StoredFile.objects.create(
        key=f"k/{uuid.uuid4()}", content_type="video/mp4", size=1, sha256="0" * 64
    )
    asset = MediaAsset.objects.create(
        original=stored, kind="video", format="mp4", status="ready", probe={"duration": duration}
    )
    media = LearningMedia.objects.create(title="视频", asset=asset)
    return course(lessons=[("看视频", "watched", [("media", {"media": media, "caption": ""})], {})])


def test_watched_needs_ninety_percent_really_played(user):
    (lesson,) = lessons_of(_watch_course(100))
    _event(user, lesson, "view")
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    # A report claiming the whole video a moment after opening the page is not believed.
    _event(user, lesson, "media", {"ranges": [[0, 100]]})
    progress.refresh_from_db()
    assert progress.watched == [] and progress.completed_at is None
    # Played for real: the clock allows it (viewed 60 s ago, up to double speed).
    LessonProgress.objects.filter(pk=progress.pk).update(
        viewed_at=timezone.now() - dt.timedelta(seconds=60)
    )
    _event(user, lesson, "media", {"ranges": [[0, 50], [45, 85]]})
    progress.refresh_from_db()
    assert progress.watched == [[0.0, 85.0]] and progress.completed_at is None
    LessonProgress.objects.filter(pk=progress.pk).update(
        last_media_at=timezone.now() - dt.timedelta(seconds=10)
    )
    state = _event(user, lesson, "media", {"ranges": [[84, 95], [-5, 3], [99, 400]]})
    progress.refresh_from_db()
    assert progress.watched == [[0.0, 95.0], [99.0, 100.0]]
    assert state.lesson_completed and state.watched_percent == pytest.approx(96.0)
    with pytest.raises(ValidationError):
        _event(user, lesson, "media", {"ranges": "everything"})


def test_percentage_rule_and_optional_lessons():
    user = UserFactory()
    lessons = [
        (f"第{n}课", "viewed", [("paragraph", "<p>x</p>")], {"required": n != 2}) for n in range(4)
    ]
    the_course = course(lessons=lessons, completion_rule="percentage", completion_percentage=75)
    items = lessons_of(the_course)
    for lesson in items[:2]:
        assert not _event(user, lesson, "view").course_completed
    assert _event(user, items[3], "view").course_completed  # 3 of 4 = 75%

    other = UserFactory()
    all_required = course(lessons=lessons)
    items = lessons_of(all_required)
    for lesson in (items[0], items[1]):
        _event(other, lesson, "view")
    assert not selectors.course_rule_met(user=other, course=all_required)
    assert _event(other, items[3], "view").course_completed  # the optional one is not needed


def test_manual_completion_only_where_the_lesson_allows_it(user):
    the_course = course(
        lessons=[
            ("自己确认", "manual", [("paragraph", "<p>x</p>")], {}),
            ("要看完", "viewed", [("paragraph", "<p>x</p>")], {}),
        ]
    )
    manual, viewed = lessons_of(the_course)
    assert _event(user, manual, "manual").lesson_completed
    assert not LessonProgress.objects.filter(user=user, lesson=viewed).exists()
    _event(user, viewed, "manual")
    assert LessonProgress.objects.get(user=user, lesson=viewed).completed_at is None


def test_prerequisites_are_named_and_enforced(user):
    basics = course(title="认识智能手机")
    advanced = course(title="网上挂号")
    advanced.prerequisites.add(basics)
    advanced.save_revision().publish()
    advanced.refresh_from_db()
    with pytest.raises(ValidationError, match="认识智能手机"):
        services.enrol(user=user, course=advanced)
    (first, *_rest) = lessons_of(advanced)
    with pytest.raises(ValidationError):
        _event(user, first, "view")
    for lesson in lessons_of(basics):
        _event(user, lesson, "view")
        if lesson.criterion == "score":
            services.submit_quiz(
                user=user, lesson=lesson, block_id=_quiz_id(lesson), answers={"0": [0], "1": [1]}
            )
    assert services.enrol(user=user, course=advanced)


def test_progress_endpoint_needs_a_user_and_valid_json_and_accepts_retries(user):
    first, _ = lessons_of(course())
    url = reverse("v1:progress")
    body = {"events": [{"id": str(uuid.uuid4()), "lesson": first.pk, "kind": "view"}]}
    assert Client().post(url, body, content_type="application/json").status_code == 401
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(url, body, content_type="application/json").status_code == 403  # no CSRF
    client = Client()
    client.force_login(user)
    assert client.post(url, "{oops", content_type="application/json").status_code == 400
    for _attempt in range(2):  # the browser retries after a dropped connection
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 200
        assert response.json()["lessons"][str(first.pk)]["lesson_completed"] is True
    assert ProgressEvent.objects.filter(user=user).count() == 1
    bad = {"events": [{"id": "not-a-uuid", "lesson": first.pk, "kind": "view"}]}
    refused = client.post(url, json.dumps(bad), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "progress_invalid"
    # A kind we do not know, or too many events at once, is refused before anything is stored.
    odd = {"events": [{"id": str(uuid.uuid4()), "lesson": first.pk, "kind": "teleport"}]}
    assert client.post(url, odd, content_type="application/json").status_code == 400
    many = {"events": [{"id": str(uuid.uuid4()), "lesson": first.pk, "kind": "view"}] * 51}
    assert client.post(url, many, content_type="application/json").json()["code"] == "max_length"
    assert ProgressEvent.objects.filter(user=user).count() == 1


def test_resume_continue_learning_and_recommendations(user):
    the_course = course()
    first, second = lessons_of(the_course)
    _event(user, first, "view")
    _event(user, second, "view")
    (enrolment,) = selectors.continue_learning(user)
    assert enrolment.last_lesson.pk == second.pk
    # The lesson's address is made from what the one query read.
    assert (enrolment.course_title, enrolment.last_lesson.url) == (the_course.title, second.url)
    client = Client()
    client.force_login(user)
    page = client.get(the_course.url).content.decode()
    assert f'href="{second.url}"' in page  # "continue where you stopped" points at lesson 2
    assert QUIZ["title"] in client.get(second.url).content.decode()


def test_continue_learning_goes_on_past_a_lesson_already_done(user):
    """Found in a walk: the home page's link reopened the finished lesson the reader had
    opened last, while the course page's button went on to the next."""
    the_course = course()
    first, second = lessons_of(the_course)
    _event(user, first, "view")
    assert LessonProgress.objects.get(user=user, lesson=first).completed_at
    (resume,) = selectors.continue_learning(user)
    assert (resume.last_lesson.pk, resume.last_lesson.url) == (second.pk, second.url)


def test_an_answer_in_an_h5p_activity_counts_as_time_on_the_lesson(user):
    first, _second = lessons_of(course())
    _event(user, first, "view")
    _back(user, 15)
    services.record_score(user=user, lesson=first, scaled=0.5)
    assert LessonProgress.objects.get(user=user, lesson=first).time_spent_seconds == 15
