"""Scores are what the server can trust.

A statement may only score a lesson that embeds its H5P activity (before: a reader posted
``passed`` with ``scaled: 1.0`` naming any lesson, even a quiz lesson with no H5P, and it was
completed with its badge and certificate). A course can count only server-marked quizzes.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from booking.tests.factories import staff_member
from courses import services
from courses.models import (
    Certificate,
    CoursePage,
    Enrolment,
    H5PContent,
    LessonProgress,
    XAPIStatement,
)

from .factories import QUIZ, course, lessons_of

pytestmark = pytest.mark.django_db

PASSED = "http://adlnet.gov/expapi/verbs/passed"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def activity(title="判断题") -> H5PContent:
    return H5PContent.objects.create(
        title=title, main_library="H5P.TrueFalse", h5p_json={"title": title}, content_files=[]
    )


def passed(scaled=1.0) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "verb": {"id": PASSED},
        "object": {"id": "http://example.org/h5p", "objectType": "Activity"},
        "result": {"score": {"scaled": scaled, "raw": 1, "max": 1}, "success": True},
    }


def post(client, content, lesson_pk):
    body = {"content": str(content.pk), "lesson": lesson_pk, "statement": passed()}
    return client.post(
        reverse("courses:h5p-statements"), json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def reader():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    return user, client


def test_a_forged_pass_cannot_complete_a_quiz_lesson_without_h5p(reader):
    user, client = reader
    quiz_course = course(
        lessons=[("小测验", "score", [("quiz", QUIZ)], {"threshold": 50})], certificate=True
    )
    quiz_lesson = lessons_of(quiz_course)[0]
    response = post(client, activity(), quiz_lesson.pk)
    assert response.status_code == 400
    assert not XAPIStatement.objects.exists()  # nothing half-stored
    assert not LessonProgress.objects.filter(user=user, completed_at__isnull=False).exists()
    assert not Certificate.objects.filter(user=user).exists()


def test_a_statement_for_another_activity_cannot_score_an_h5p_lesson(reader):
    user, client = reader
    embedded, other = activity("嵌入的"), activity("另一个")
    the_course = course(
        lessons=[("判断题", "score", [("h5p", {"activity": embedded})], {"threshold": 80})]
    )
    lesson = lessons_of(the_course)[0]
    assert post(client, other, lesson.pk).status_code == 400
    assert not LessonProgress.objects.filter(user=user, completed_at__isnull=False).exists()
    # The activity the lesson embeds does score it.
    assert post(client, embedded, lesson.pk).status_code == 201
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.best_score == 100 and progress.completed_at is not None
    assert progress.best_server_score is None  # reported by the browser, not marked by us


def test_the_service_refuses_with_a_stable_code(reader):
    from django.core.exceptions import ValidationError

    from courses.h5p import services as h5p

    user, _client = reader
    quiz_lesson = lessons_of(course(lessons=[("测验", "score", [("quiz", QUIZ)], {})]))[0]
    with pytest.raises(ValidationError) as caught:
        h5p.record_statement(user=user, content=activity(), statement=passed(), lesson=quiz_lesson)
    assert caught.value.code == "h5p_not_in_lesson"


def test_a_server_scored_course_counts_only_quizzes(reader):
    user, client = reader
    content = activity()
    the_course = course(
        lessons=[
            ("互动练习", "score", [("h5p", {"activity": content})], {"threshold": 60}),
            ("小测验", "score", [("quiz", QUIZ)], {"threshold": 100}),
        ],
        score_source=CoursePage.ScoreSource.SERVER,
        certificate=True,
    )
    h5p_lesson, quiz_lesson = lessons_of(the_course)
    assert post(client, content, h5p_lesson.pk).status_code == 201
    progress = LessonProgress.objects.get(user=user, lesson=h5p_lesson)
    assert progress.best_score == 100  # the learner still sees how they did
    assert progress.completed_at is None  # but a browser-reported score completes nothing
    result = services.submit_quiz(
        user=user, lesson=quiz_lesson, block_id=_quiz_id(quiz_lesson), answers={"0": [0], "1": [1]}
    )
    assert result.lesson_completed
    quiz_progress = LessonProgress.objects.get(user=user, lesson=quiz_lesson)
    assert quiz_progress.best_server_score == 100
    assert Enrolment.objects.get(user=user, course=the_course).completed_at is None
    assert not Certificate.objects.filter(user=user).exists()


def test_the_course_editor_lists_lessons_that_count_browser_scores(client):
    client.force_login(staff_member(roles.LIBRARIAN_ADMIN))
    content = activity()
    the_course = course(
        lessons=[
            ("互动练习", "score", [("h5p", {"activity": content})], {}),
            ("看一看", "viewed", [("h5p", {"activity": content})], {}),
            ("小测验", "score", [("quiz", QUIZ)], {}),
        ]
    )
    page = client.get(reverse("wagtailadmin_pages:edit", args=[the_course.pk]))
    html = page.content.decode()
    block = html[html.index("data-browser-scored-lessons") :]
    block = block[: block.index("</div>")]
    assert "互动练习" in block
    assert "看一看" not in block and "小测验" not in block


def _quiz_id(lesson) -> str:
    return next(block.id for block in lesson.body if block.block_type == "quiz")
