"""A learner completes a short course in Chromium and receives the badge."""

import pytest

from courses.models import Assertion, Enrolment, LessonProgress
from courses.tests.factories import badge, course, lessons_of, path_with
from tests.browser.test_booking import sign_in
from tests.services import axe_violations, wait_for_js

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_learner_completes_a_course_and_receives_the_badge(demo_site, page, user):
    the_course = course(badge=badge(), points=20)
    path_with(the_course)
    first, _second = lessons_of(the_course)
    sign_in(page, user.email)

    page.goto(the_course.url)
    assert axe_violations(page) == []
    page.get_by_role("button", name="开始学习本课程").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="认识手机").click()
    # The page reports the view by itself; the status changes once the server has counted it.
    wait_for_js(page, "document.querySelector('article').dataset.completed === 'true'")
    assert LessonProgress.objects.get(user=user, lesson=first).completed_at is not None
    assert axe_violations(page) == []

    page.get_by_role("link", name="视频通话 →").click()
    page.get_by_label("聊天窗口的“+”").check()
    page.get_by_label("错", exact=True).check()
    page.get_by_role("button", name="提交答案").click()
    page.get_by_text("答对 2 题，共 2 题").wait_for()
    assert Enrolment.objects.get(user=user, course=the_course).completed_at is not None

    page.goto("/learning/record/")
    assert page.get_by_text("智能手机入门").first.is_visible()
    assert page.get_by_role("link", name="下载徽章（PNG）").is_visible()
    assert Assertion.objects.filter(user=user).count() == 1
    assert axe_violations(page) == []
    page.goto("/learn-centre/")
    assert axe_violations(page) == []


def test_progress_made_while_the_connection_is_down_arrives_later(demo_site, page, user):
    the_course = course()
    first, _second = lessons_of(the_course)
    sign_in(page, user.email)
    # The progress endpoint is unreachable: the view event waits in the browser.
    queue = f"JSON.parse(localStorage.getItem('liaotu.progress.{user.pk}') || '[]').length"
    page.route("**/learning/api/progress/", lambda route: route.abort())
    page.goto(first.url)
    wait_for_js(page, f"{queue} > 0")
    assert not LessonProgress.objects.filter(user=user, lesson=first).exists()
    # Back online: the queued event is sent, counted once, and the queue is emptied.
    page.unroute("**/learning/api/progress/")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_for_js(page, "document.querySelector('article').dataset.completed === 'true'")
    wait_for_js(page, f"{queue} === 0")
    assert LessonProgress.objects.get(user=user, lesson=first).completed_at is not None
