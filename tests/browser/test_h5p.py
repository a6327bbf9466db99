"""H5P in Chromium: true-false.h5p plays from our own origin under our CSP; answering it
scores the lesson and completes it; an unfinished activity comes back after a reload."""

import io

import pytest

from courses.h5p import services
from courses.models import H5PState, LessonProgress, XAPIStatement
from courses.tests.factories import course, lessons_of
from tests.browser.test_booking import sign_in
from tests.services import axe_violations, shared_fixture, wait_for, wait_for_js

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


PLAYER_READY = "document.querySelector('[data-h5p-player]').dataset.ready === 'true'"


def install(name: str):
    return services.install(source=io.BytesIO(shared_fixture("h5p", name).read_bytes()), user=None)


def h5p_lesson(content):
    the_course = course(lessons=[
        ("判断题练习", "score", [("paragraph", "<p>回答下面的判断题。</p>"),
                                ("h5p", {"activity": content})], {"threshold": 100}),
    ])  # fmt: skip
    return lessons_of(the_course)[0]


def test_answering_true_false_completes_the_lesson_with_the_score(demo_site, page, user):
    content = install("true-false.h5p")
    lesson = h5p_lesson(content)
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)  # fmt: skip
    sign_in(page, user.email)
    page.goto(lesson.url)
    wait_for_js(page, PLAYER_READY, timeout=20)
    frame = page.frame_locator(".h5p-iframe")
    frame.get_by_role("radio", name="False").click()
    frame.get_by_role("button", name="Check").click()
    wait_for(
        lambda: LessonProgress.objects.filter(
            user=user, lesson=lesson, completed_at__isnull=False
        ).exists(),
        timeout=10,
        message="the lesson was not completed",
    )
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.best_score == 100
    answered = XAPIStatement.objects.filter(user=user, verb__endswith="/answered")
    assert answered.exists()
    assert answered.first().statement["actor"]["mbox"] == f"mailto:{user.email}"
    assert csp_errors == []
    assert axe_violations(page) == []


def test_an_unfinished_activity_is_restored_after_a_reload(demo_site, page, user):
    content = install("true-false.h5p")
    lesson = h5p_lesson(content)
    sign_in(page, user.email)
    page.goto(lesson.url)
    wait_for_js(page, PLAYER_READY, timeout=20)
    page.frame_locator(".h5p-iframe").get_by_role("radio", name="True").click()
    # H5P's state is saved every few seconds.
    wait_for(lambda: H5PState.objects.filter(user=user, content=content).exists(), timeout=15,
             message="the state was not saved")  # fmt: skip
    page.reload()
    wait_for_js(page, PLAYER_READY, timeout=20)
    chosen = page.frame_locator(".h5p-iframe").get_by_role("radio", name="True")
    chosen.wait_for()
    assert chosen.get_attribute("aria-checked") == "true"
