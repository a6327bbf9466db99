"""A learner completes a short course in Chromium and receives the badge."""

import re
from pathlib import Path

import pypdfium2
import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from courses.models import Assertion, Certificate, CoursePage, Enrolment, LessonProgress
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
    page.route("**/api/v1/me/progress/", lambda route: route.abort())
    page.goto(first.url)
    wait_for_js(page, f"{queue} > 0")
    assert not LessonProgress.objects.filter(user=user, lesson=first).exists()
    # Back online: the queued event is sent, counted once, and the queue is emptied.
    page.unroute("**/api/v1/me/progress/")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_for_js(page, "document.querySelector('article').dataset.completed === 'true'")
    wait_for_js(page, f"{queue} === 0")
    assert LessonProgress.objects.get(user=user, lesson=first).completed_at is not None


# --- The two journeys on the demo course, on a phone and a desk ------------------------------

SHOTS = Path("/tmp/learning_shots")


@pytest.fixture(autouse=True)
def patient_expect():
    """A loaded machine answers slowly: wait up to 15 s for what a page must show."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


VIEWPORTS = pytest.mark.parametrize(
    ("width", "height", "large_text"), [(375, 812, True), (1280, 900, False)], ids=["phone", "desk"]
)


def _demo_courses():
    from courses import demo

    demo.seed()
    return CoursePage.objects.get(slug="smartphone-basics")


def _shot(page, name: str, width: int) -> None:
    if width <= 375:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page, width: int) -> None:
    """Nothing scrolls sideways, and no page content is wider than the viewport."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@VIEWPORTS
def test_a_visitor_looks_through_a_course_video_quiz_and_h5p(demo_site, page, width, height,
                                                             large_text):  # fmt: skip
    from tests.browser.test_h5p import activity_frame

    _demo_courses()
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/learn/")
    page.get_by_role("link", name="老年人智能手机入门").first.click()
    page.get_by_role("link", name="智能手机入门").first.click()
    expect(page.locator("h1")).to_have_text("智能手机入门")
    assert axe_violations(page) == []
    page.get_by_role("link", name="认识智能手机").click()
    # Someone who did nothing sees no completion status, and is told how to keep progress.
    assert page.locator("[data-lesson-status]").count() == 0
    assert page.get_by_text("已查看").count() == 0
    expect(page.get_by_text("以保存学习进度")).to_be_visible()

    page.get_by_role("link", name="和家人视频通话 →").click()
    video = page.locator("video")
    video.wait_for()
    box = video.bounding_box()
    assert box["width"] <= width and box["x"] >= 0
    _fits(page, width)
    # The Chinese captions are on by default for a reader of the Chinese site.
    wait_for_js(page, "document.querySelector('video').textTracks.length === 1")
    assert page.evaluate("document.querySelector('video').textTracks[0].mode") == "showing"
    assert axe_violations(page) == []
    _shot(page, "visitor-video", width)

    page.get_by_role("link", name="防范电信诈骗 →").click()
    quiz = page.locator("section.quiz")
    expect(quiz).to_contain_text("陌生人打电话说您的银行卡有风险")
    expect(quiz).to_contain_text("挂断电话，拨打 110 或银行官方电话核实")
    expect(quiz).to_contain_text("及格线：答对 2 题中的 2 题（100%）")
    expect(quiz.get_by_role("link", name="登录")).to_be_visible()
    assert quiz.locator("input").count() == 0
    _fits(page, width)
    assert axe_violations(page) == []
    _shot(page, "visitor-quiz", width)

    page.get_by_role("link", name="识别诈骗短信 →").click()
    frame = activity_frame(page)
    expect(frame.get_by_role("radio").first).to_be_visible()
    _fits(page, width)
    assert axe_violations(page) == []
    _shot(page, "visitor-h5p", width)

    # By keyboard: the activity frame above may still be settling its height on a phone,
    # and a pointer click aimed a moment earlier can land beside the link.
    page.get_by_role("link", name=re.compile("课程结束")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/end/")
    expect(page.locator("h1")).to_have_text("“智能手机入门”课程结束")
    expect(page.get_by_role("link", name="文字处理入门")).to_be_visible()
    _fits(page, width)
    assert axe_violations(page) == []
    _shot(page, "visitor-end", width)


def _sign_up(page, email: str, name: str) -> None:
    page.get_by_role("link", name="注册").first.click()
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label(re.compile(r"^密码[:：]?$")).fill("a-long-library-password")
    page.get_by_label("密码（重复）").fill("a-long-library-password")
    page.get_by_label("显示名称").fill(name)
    page.get_by_label("哪一类最符合您的情况").select_option("senior")
    page.get_by_role("button", name="注册").last.click()
    page.wait_for_url("**/accounts/confirm-email/")
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url("**/accounts/profile/")


def _lesson_done(page) -> None:
    wait_for_js(page, "document.querySelector('article').dataset.completed === 'true'",
                timeout=20)  # fmt: skip


@VIEWPORTS
def test_a_new_reader_signs_up_learns_and_earns_the_badge_and_certificate(
    demo_site, page, width, height, large_text
):
    from courses.tests.test_journeys import _fonts

    phone = _demo_courses()
    page.goto("/")
    email = f"reader-{width}@example.org"
    _sign_up(page, email, "刘芳")  # at the default width: a phone folds 注册 into its menu
    if large_text:
        # The new reader's own preference, switched on at the default width too.
        page.locator('button[name="large_text"]').click()  # the 大字模式 switch
        page.wait_for_load_state()
        assert "large-text" in page.locator("html").get_attribute("class")
    page.set_viewport_size({"width": width, "height": height})
    reader = User.objects.get(email=email)

    page.goto(phone.url)
    if large_text:
        assert "large-text" in page.locator("html").get_attribute("class")
    page.get_by_role("button", name="开始学习本课程").click()
    page.get_by_role("link", name="从上次停下的地方继续").click()
    expect(page.locator("h1")).to_have_text("认识智能手机")
    _lesson_done(page)
    page.wait_for_timeout(1500)  # a short read before moving on: counted as the page is left

    page.get_by_role("link", name="和家人视频通话 →").click()
    expect(page.get_by_text("观看视频或音频的 90% 以上即可完成本课。")).to_be_visible()
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    _lesson_done(page)
    _fits(page, width)
    _shot(page, "reader-video", width)

    page.get_by_role("link", name="防范电信诈骗 →").click()
    quiz = page.locator("section.quiz")
    quiz.get_by_label("马上转账").check()
    quiz.get_by_label("不可以").check()
    button = quiz.get_by_role("button", name="提交答案")
    button.focus()
    page.keyboard.press("Enter")
    # Focus moves to the result, which is announced (a status) and says what happened.
    result = page.locator(".quiz-result")
    expect(result).to_contain_text("答对 1 题，共 2 题")
    wait_for_js(page, "document.activeElement === document.querySelector('.quiz-result')")
    assert result.get_attribute("role") == "status"
    expect(result).to_contain_text("及格线是 100%，还没有达到。")
    assert axe_violations(page) == []
    _shot(page, "reader-quiz-result", width)
    # After a reload the last attempt, and that it did not pass, are still there.
    page.reload()
    expect(quiz.locator("[data-quiz-last]")).to_contain_text("答对 2 题中的 1 题")
    expect(quiz.locator("[data-quiz-last]")).to_contain_text("还没有通过")
    quiz.get_by_label("挂断电话，拨打 110 或银行官方电话核实").check()
    quiz.get_by_label("不可以").check()
    quiz.get_by_role("button", name="提交答案").click()
    expect(page.locator(".quiz-result")).to_contain_text("您已完成本课")
    assert Enrolment.objects.get(user=reader, course=phone).completed_at is not None

    page.get_by_role("link", name="识别诈骗短信 →").click()
    # By keyboard: the activity frame above may still be settling its height on a phone,
    # and a pointer click aimed a moment earlier can land beside the link.
    page.get_by_role("link", name=re.compile("课程结束")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/end/")
    expect(page.get_by_text("恭喜！您已完成本课程。")).to_be_visible()
    time_shown = page.locator("[data-learning-time]").inner_text()
    assert time_shown != "0 秒" and re.fullmatch(r"\d+ (秒|分钟)", time_shown), time_shown
    assert LessonProgress.objects.filter(user=reader, time_spent_seconds__gt=0).exists()
    expect(page.get_by_role("link", name="下载徽章（PNG）")).to_be_visible()
    expect(page.get_by_role("link", name="文字处理入门")).to_be_visible()
    _fits(page, width)
    assert axe_violations(page) == []
    _shot(page, "reader-end", width)
    assert Assertion.objects.filter(user=reader, course=phone).count() == 1

    certificate = Certificate.objects.get(user=reader, course=phone)
    pdf_link = page.get_by_role("link", name="下载（PDF）")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(response.body())
    assert all(embedded for _name, embedded in _fonts(pdf))
    text = pdf[0].get_textpage().get_text_range()
    assert "刘芳" in text and "智能手机入门" in text and certificate.code in text

    page.get_by_role("link", name="我的学习档案").click()
    assert page.locator("[data-learning-time]").inner_text() == time_shown
    assert axe_violations(page) == []


def test_a_refused_progress_report_is_shown_with_the_course_to_finish_first(demo_site, page, user):
    basics = course(title="认识智能手机")
    advanced = course(title="网上挂号")
    first, _second = lessons_of(advanced)
    sign_in(page, user.email)
    # The page is opened before the prerequisite is added; its view event is still queued.
    page.route("**/api/v1/me/progress/", lambda route: route.abort())
    page.goto(first.url)
    wait_for_js(page, f"JSON.parse(localStorage.getItem('liaotu.progress.{user.pk}') || '[]')"
                      ".length > 0")  # fmt: skip
    advanced.prerequisites.add(basics)
    advanced.save_revision().publish()
    page.unroute("**/api/v1/me/progress/")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("请先完成这些课程：认识智能手机")
    assert not LessonProgress.objects.filter(user=user, lesson=first).exists()
    # Reloaded, the page says so before anything is sent, with a link to that course.
    page.reload()
    expect(
        page.locator(".learning-blocked").get_by_role("link", name="认识智能手机")
    ).to_be_visible()
    assert axe_violations(page) == []
