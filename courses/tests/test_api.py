"""Learning in the public API: the catalogue for everyone, enrolment, progress and quiz answers
marked on the server for the learner, and only the learner's own badges and certificates."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from courses import services
from courses.models import QuizAttempt

from .factories import badge, course, lessons_of, path_with

pytestmark = pytest.mark.django_db


def _quiz_id(lesson) -> str:
    return next(block.id for block in lesson.body if block.block_type == "quiz")


def test_anyone_reads_paths_courses_and_lessons_without_the_answers(client):
    basics = course()
    path_with(basics)
    paths = client.get("/api/v1/learning-paths/").json()["results"]
    assert [c["id"] for c in paths[0]["courses"]] == [basics.pk]
    detail = client.get(f"/api/v1/courses/{basics.pk}/").json()
    first, second = lessons_of(basics)
    assert [lesson["id"] for lesson in detail["lessons"]] == [first.pk, second.pk]
    lesson = client.get(f"/api/v1/lessons/{second.pk}/")
    assert lesson.status_code == 200 and lesson["ETag"]
    quiz = lesson.json()["quizzes"][0]
    assert quiz["id"] == _quiz_id(second)
    assert quiz["questions"][0]["choices"]  # the choices are there …
    assert "correct" not in lesson.content.decode()  # … never which one is right
    assert (
        client.get(f"/api/v1/lessons/{second.pk}/", HTTP_IF_NONE_MATCH=lesson["ETag"]).status_code
        == 304
    )


def test_an_unpublished_lesson_is_not_found(client):
    first, _second = lessons_of(course())
    first.unpublish()
    assert client.get(f"/api/v1/lessons/{first.pk}/").json()["code"] == "not_found"


def test_enrolment_is_refused_with_its_code_until_the_prerequisite_is_done(client, user):
    basics = course()
    advanced = course(title="进阶")
    advanced.prerequisites.add(basics)
    advanced.save_revision().publish()
    client.force_login(user)
    refused = client.post(f"/api/v1/courses/{advanced.pk}/enrol/")
    assert refused.status_code == 422 and refused.json()["code"] == "prerequisites_missing"
    assert basics.title in refused.json()["detail"]
    enrolled = client.post(f"/api/v1/courses/{basics.pk}/enrol/")
    assert enrolled.status_code == 201 and enrolled.json()["course"]["id"] == basics.pk
    mine = client.get("/api/v1/me/courses/").json()["results"]
    assert [(row["course"]["id"], row["lessons_total"], row["percent"]) for row in mine] == [
        (basics.pk, 2, 0)
    ]


def test_quiz_answers_are_marked_on_the_server(client, user):
    _first, second = lessons_of(course())
    client.force_login(user)
    url = f"/api/v1/lessons/{second.pk}/quizzes/{_quiz_id(second)}/answers/"
    wrong = client.post(url, {"answers": {"0": [1], "1": [1]}}, content_type="application/json")
    assert wrong.status_code == 200, wrong.content
    assert (wrong.json()["correct"], wrong.json()["lesson_completed"]) == (1, False)
    right = client.post(url, {"answers": {"0": [0], "1": [1]}}, content_type="application/json")
    assert right.json()["passed"] and right.json()["lesson_completed"]
    assert QuizAttempt.objects.filter(user=user).count() == 2


@pytest.mark.parametrize(
    "answers",
    [
        {"0": "all"},  # not a list
        {"0": [8]},  # a choice beyond the largest quiz
        {"0": [-1]},
        {"zero": [0]},  # not a position
        {"0": [0.5]},
        {str(n): [0] for n in range(101)},  # one question too many
        {"0": [0] * 9},  # one choice too many
    ],
)
def test_hostile_answers_are_refused_and_nothing_is_stored(client, user, answers):
    _first, second = lessons_of(course())
    client.force_login(user)
    url = f"/api/v1/lessons/{second.pk}/quizzes/{_quiz_id(second)}/answers/"
    response = client.post(url, {"answers": answers}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not QuizAttempt.objects.exists()


def test_an_empty_answer_and_an_unknown_quiz(client, user):
    _first, second = lessons_of(course())
    client.force_login(user)
    empty = client.post(
        f"/api/v1/lessons/{second.pk}/quizzes/{_quiz_id(second)}/answers/",
        {"answers": {}},
        content_type="application/json",
    )
    assert empty.status_code == 422 and empty.json()["code"] == "quiz_empty"
    unknown = client.post(
        f"/api/v1/lessons/{second.pk}/quizzes/no-such-quiz/answers/",
        {"answers": {"0": [0]}},
        content_type="application/json",
    )
    assert unknown.status_code == 404


def test_progress_from_an_app_completes_the_lesson_once(client, user):
    first, _second = lessons_of(course())
    client.force_login(user)
    event = {"id": str(uuid.uuid4()), "lesson": first.pk, "kind": "view"}
    for _ in range(2):
        response = client.post(
            "/api/v1/me/progress/", {"events": [event]}, content_type="application/json"
        )
        assert response.json() == {
            "accepted": [event["id"]],
            "lessons": {
                str(first.pk): {
                    "lesson_completed": True,
                    "course_completed": False,
                    "watched_percent": 0.0,
                }
            },
        }


def test_readers_see_only_their_own_badges_and_certificates(client, user):
    done = course(badge=badge())
    other = UserFactory()
    for someone in (user, other):
        for lesson in lessons_of(done):
            services.record_event(
                user=someone, lesson=lesson, event_id=str(uuid.uuid4()), kind="view"
            )
            if lesson.criterion == "score":
                services.submit_quiz(
                    user=someone,
                    lesson=lesson,
                    block_id=_quiz_id(lesson),
                    answers={"0": [0], "1": [1]},
                )
    client.force_login(user)
    badges = client.get("/api/v1/me/badges/").json()["results"]
    certificates = client.get("/api/v1/me/certificates/").json()["results"]
    assert len(badges) == 1 and len(certificates) == 1
    assert badges[0]["assertion_url"].endswith(
        f"/learning/badges/assertions/{badges[0]['id']}.json"
    )
    assert certificates[0]["verify_url"].endswith(
        f"/learning/certificates/{certificates[0]['code']}/"
    )
    client.force_login(other)
    assert client.get("/api/v1/me/badges/").json()["results"][0]["id"] != badges[0]["id"]


@pytest.mark.parametrize(
    "url", ["/api/v1/courses/", "/api/v1/learning-paths/", "/api/v1/me/courses/"]
)
def test_list_queries_do_not_grow_with_the_list(client, user, url):
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    made = [course(title=f"课程{n}") for n in range(2)]
    path_with(*made)
    for item in made:
        services.enrol(user=user, course=item)
    few = queries()
    more = [course(title=f"更多{n}") for n in range(4)]
    path_with(*more)
    path_with(*more[:2])
    for item in more:
        services.enrol(user=user, course=item)
    assert queries() == few


@pytest.mark.parametrize(
    "data",
    ['{"a": NaN}', '{"ranges": [[NaN, Infinity]]}', '{"a": "\\u0000"}', '{"a": "\\udc00"}'],
)
def test_progress_the_database_cannot_store_is_a_400_not_a_500(client, user, data):
    """NaN, Infinity, NUL and lone surrogates reached PostgreSQL and failed there (a 500)."""
    from courses.models import ProgressEvent

    first, _second = lessons_of(course())
    client.force_login(user)
    event = f'{{"id": "{uuid.uuid4()}", "lesson": {first.pk}, "kind": "view", "data": {data}}}'
    body = f'{{"events": [{event}]}}'
    response = client.post("/api/v1/me/progress/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert not ProgressEvent.objects.exists()
