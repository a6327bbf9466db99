"""H5P in Chromium: true-false.h5p plays from our own origin under our CSP; answering it
scores the lesson and completes it; an unfinished activity comes back after a reload."""

import io
import json

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


# --- Our own content type, on a phone ----------------------------------------------------------


def activity_frame(page):
    """The frame (at whatever depth the player nests it) that holds H5P.LiaotuChoice."""

    from playwright.sync_api import Error as PlaywrightError

    def holds_it(frame) -> bool:
        try:
            return frame.locator(".h5p-liaotu-choice-form").count() > 0
        except PlaywrightError:  # a frame navigating away or detached
            return False

    def find():
        return next((frame for frame in page.frames if holds_it(frame)), None)

    return wait_for(find, timeout=20, message="the LiaotuChoice activity did not appear")


def test_our_own_choice_activity_plays_on_a_phone_and_comes_back_after_a_reload(
    demo_site, page, user
):
    from playwright.sync_api import expect

    from courses.tests import h5p_packages

    content = services.install(source=h5p_packages.valid(language="zh-hans"), user=None)
    lesson = h5p_lesson(content)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, user.email)
    page.goto(lesson.url)
    frame = activity_frame(page)
    # A wrong answer first: the feedback says so, in the live region, and offers a retry.
    frame.get_by_role("radio", name="一本").check()
    frame.get_by_role("button", name="检查").click()
    feedback = frame.get_by_role("status")
    expect(feedback).to_contain_text("还不完全对")
    assert feedback.get_attribute("aria-live") == "polite"
    expect(frame.locator(".h5p-liaotu-choice-wrong")).to_contain_text("可以借更多")
    frame.get_by_role("button", name="再试一次").click()
    frame.get_by_role("radio", name="五本").check()
    frame.get_by_role("button", name="检查").click()
    expect(feedback).to_contain_text("回答正确")
    expect(feedback).to_contain_text("你得了 1 分，满分 1 分")
    wait_for(
        lambda: LessonProgress.objects.filter(
            user=user, lesson=lesson, completed_at__isnull=False
        ).exists(),
        timeout=10,
        message="the lesson was not completed",
    )
    assert LessonProgress.objects.get(user=user, lesson=lesson).best_score == 100
    scores = sorted(
        row.statement["result"]["score"]["raw"]
        for row in XAPIStatement.objects.filter(user=user, verb__endswith="/answered")
    )
    assert scores == [0, 1]
    # The page fits the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(frame) == []
    # The checked answer is saved, and after a reload the page has it for the player.
    wait_for(
        lambda: H5PState.objects.filter(user=user, content=content, data__contains='"checked":true')
        .exists(),
        timeout=15,
        message="the state was not saved",
    )  # fmt: skip
    saved = H5PState.objects.get(user=user, content=content)
    assert json.loads(saved.data) == {"selected": [0], "checked": True}
    page.reload()
    frame = activity_frame(page)
    config_script = page.locator(".h5p-activity script[type='application/json']")
    config = json.loads(config_script.text_content())
    assert config["state"] == saved.data
    # The content type restores itself from that state in the real H5P core. (The player frame
    # does not pass the state on to H5P yet: without saveFreq H5P drops previousState. That is
    # the player transport's job and is reported, not asserted here.)
    params = json.loads(h5p_packages.entries(language="zh-hans")["content/content.json"])
    frame.evaluate(
        """([params, state]) => {
            const mount = document.createElement("div");
            mount.id = "restored";
            document.body.append(mount);
            new H5P.LiaotuChoice(params, "restored", {previousState: state})
                .attach(H5P.jQuery(mount));
        }""",
        [params, json.loads(saved.data)],
    )
    restored = frame.locator("#restored")
    chosen = restored.get_by_role("radio", name="五本")
    expect(chosen).to_be_checked()
    expect(chosen).to_be_disabled()
    expect(restored.get_by_role("status")).to_contain_text("回答正确")
    expect(restored.get_by_role("button", name="再试一次")).to_be_visible()
