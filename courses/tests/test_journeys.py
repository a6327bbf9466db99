"""What a reader sees along a course: a visitor's view of a lesson and its quiz, the last
quiz result after a reload, a course whose prerequisite is not done, the course's end page with
the time spent and what to learn next, captions, and the certificate's embedded font."""

from __future__ import annotations

import ctypes
import uuid
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from courses import certificates, services
from courses.models import Certificate, LessonProgress
from courses.templatetags.courses_tags import learning_time

from .factories import badge, course, lessons_of, path_with

pytestmark = pytest.mark.django_db


def _quiz_id(lesson) -> str:
    return next(block.id for block in lesson.body if block.block_type == "quiz")


def _complete(user, the_course):
    for lesson in lessons_of(the_course):
        services.record_event(user=user, lesson=lesson, event_id=str(uuid.uuid4()), kind="view")
        if lesson.criterion == "score":
            services.submit_quiz(
                user=user, lesson=lesson, block_id=_quiz_id(lesson), answers={"0": [0], "1": [1]}
            )


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_visitor_sees_the_quiz_questions_and_pass_mark_but_no_completion_status():
    _first, second = lessons_of(course())
    html = Client().get(second.url).content.decode()
    assert "微信视频通话在哪里打开？" in html and "聊天窗口的“+”" in html
    assert "及格线：答对 2 题中的 2 题（100%）" in html
    assert "登录</a>后参加测验" in html
    assert "<form" not in html.split('class="quiz')[1].split("</section>")[0]  # nothing to send
    assert "data-lesson-status" not in html and "已查看" not in html
    assert "“correct”" not in html and '"correct"' not in html


def test_a_reader_who_has_done_nothing_is_told_how_to_complete_not_that_it_is_done(user):
    first, second = lessons_of(course())
    html = _signed_in(user).get(second.url).content.decode()
    assert "在练习中得分达到 100% 即可完成本课。" in html
    assert "已查看" not in _signed_in(user).get(first.url).content.decode()


def test_the_last_quiz_attempt_and_whether_it_passed_show_after_a_reload(user):
    _first, second = lessons_of(course())
    client = _signed_in(user)
    url = reverse("courses:quiz", args=[second.pk, _quiz_id(second)])
    client.post(url, {"q0": "1", "q1": "1"})  # one of two right: below the 100% pass mark
    html = client.get(second.url).content.decode()
    assert "答对 2 题中的 1 题" in html and "还没有通过" in html
    client.post(url, {"q0": "0", "q1": "1"})
    html = client.get(second.url).content.decode()
    assert "答对 2 题中的 2 题" in html and "✓ 已通过" in html and "还没有通过" not in html


def test_the_quiz_result_fragment_can_take_focus_and_says_whether_it_passed(user):
    _first, second = lessons_of(course())
    response = _signed_in(user).post(
        reverse("courses:quiz", args=[second.pk, _quiz_id(second)]),
        {"q0": "0", "q1": "0"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'tabindex="-1"' in html and "data-focus-result" in html
    assert "及格线是 100%，还没有达到。" in html and "再试一次" in html
    block = _quiz_id(second)
    # The earlier attempt shown above the quiz goes (out of band); a pass offers no new try.
    assert f'<p id="quiz-last-{block}" hx-swap-oob="delete"></p>' in html
    passed = (
        _signed_in(user)
        .post(
            reverse("courses:quiz", args=[second.pk, block]),
            {"q0": "0", "q1": "1"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert "已达到及格线" in passed and "再试一次" not in passed
    assert f'<p id="quiz-last-{block}" hx-swap-oob="delete"></p>' in passed
    page = _signed_in(user).get(second.url).content.decode()
    assert f'id="quiz-last-{block}"' in page


def _with_prerequisite():
    basics = course(title="认识智能手机")
    advanced = course(title="网上挂号")
    advanced.prerequisites.add(basics)
    advanced.save_revision().publish()
    advanced.refresh_from_db()
    return basics, advanced


def test_a_lesson_whose_prerequisite_is_not_done_names_it_and_sends_no_progress(user):
    basics, advanced = _with_prerequisite()
    _first, second = lessons_of(advanced)
    client = _signed_in(user)
    html = client.get(second.url).content.decode()
    assert "还不会记录您在本课的学习进度：请先学完" in html
    assert f'href="{basics.url}">认识智能手机</a>' in html
    assert "data-lesson=" not in html  # the page reports nothing that would be refused
    assert 'name="q0"' not in html and "微信视频通话在哪里打开？" in html  # read-only questions
    # A quiz sent anyway (an old page) gets the refusal in place of the form, in Chinese.
    response = client.post(
        reverse("courses:quiz", args=[second.pk, _quiz_id(second)]),
        {"q0": "0", "q1": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "请先完成这些课程：认识智能手机" in response.content.decode()
    assert "<html" not in response.content.decode()
    # The progress endpoint refuses with the message the page shows.
    refused = client.post(
        reverse("v1:progress"),
        {"events": [{"id": str(uuid.uuid4()), "lesson": second.pk, "kind": "view"}]},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "认识智能手机" in refused.json()["detail"]
    assert refused.json()["code"] == "prerequisites_missing" and refused.json()["accepted"] == []
    # Once the prerequisite is done, the lesson tracks progress again.
    _complete(user, basics)
    assert "data-lesson=" in client.get(second.url).content.decode()


def test_the_last_lesson_leads_to_the_course_end_with_rewards_time_and_what_next(user):
    the_course = course(badge=badge(), points=20)
    following = course(title="网上挂号")
    following.prerequisites.add(the_course)
    following.save_revision().publish()
    path_second = course(title="移动支付")
    path_with(the_course, path_second)
    first, last = lessons_of(the_course)
    end_url = reverse("courses:course-end", args=[the_course.pk])
    client = _signed_in(user)
    assert f'href="{end_url}" rel="next"' in client.get(last.url).content.decode()
    assert f'href="{end_url}"' not in client.get(first.url).content.decode()

    _complete(user, the_course)
    LessonProgress.objects.filter(user=user, lesson=first).update(time_spent_seconds=95)
    html = client.get(end_url).content.decode()
    assert "恭喜！您已完成本课程。" in html
    assert "2 分钟" in html  # 95 seconds, rounded
    certificate = Certificate.objects.get(user=user, course=the_course)
    assert reverse("courses:certificate-pdf", args=[certificate.code]) in html
    assert "下载徽章（PNG）" in html
    assert "网上挂号" in html and "移动支付" in html
    assert f'href="{end_url}"' in client.get(the_course.url).content.decode()

    # Someone else, and a visitor: no rewards of anyone, but what to learn next.
    other = _signed_in(UserFactory()).get(end_url).content.decode()
    assert "您还没有完成本课程" in other and certificate.code not in other
    visitor = Client().get(end_url).content.decode()
    assert "登录" in visitor and "网上挂号" in visitor and certificate.code not in visitor


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 秒"), (20, "20 秒"), (95, "2 分钟"), (3600, "1 小时"), (11400, "3 小时 10 分钟")],
)
def test_learning_time_reads_naturally(seconds, shown):
    with translation.override("zh-hans"):
        assert learning_time(seconds) == shown


def test_captions_are_on_by_default_only_for_readers_of_their_language():
    from courses.models import LearningMedia
    from media.models import MediaAsset, StoredFile

    def stored(name):
        return StoredFile.objects.create(
            key=f"k/{uuid.uuid4()}/{name}", content_type="video/mp4", size=1, sha256="0" * 64
        )

    asset = MediaAsset.objects.create(original=stored("v.mp4"), kind="video", format="mp4")
    media = LearningMedia.objects.create(title="视频", asset=asset, captions=stored("c.vtt"))
    (lesson,) = lessons_of(
        course(lessons=[("看视频", "viewed", [("media", {"media": media, "caption": ""})], {})])
    )
    chinese = Client().get(lesson.url).content.decode()
    assert 'srclang="zh-Hans"' in chinese and "default>" in chinese.split("<track")[1]
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = english.get(lesson.url).content.decode()
    assert "<track" in html and "default>" not in html.split("<track")[1]


def _fonts(pdf: pypdfium2.PdfDocument) -> list[tuple[str, bool]]:
    """(base name, embedded) of every font used by text on the first page."""
    page = pdf[0]
    found = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buffer = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
        found.append((buffer.value.decode(), bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    return found


def test_the_certificate_embeds_its_chinese_font_and_its_text_is_extractable(user):
    user.display_name = "王秀兰"
    user.save()
    the_course = course()
    _complete(user, the_course)
    certificate = Certificate.objects.get(user=user)
    response = _signed_in(user).get(reverse("courses:certificate-pdf", args=[certificate.code]))
    pdf = pypdfium2.PdfDocument(response.content)
    fonts = _fonts(pdf)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert any("WenQuanYiZenHei" in name for name, _embedded in fonts)
    assert b"/FontFile2" in response.content  # TrueType outlines in the file itself
    text = pdf[0].get_textpage().get_text_range()
    assert "结业证书" in text and "王秀兰" in text and "《智能手机入门》" in text


def test_a_missing_certificate_font_is_a_clear_error(monkeypatch, tmp_path):
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(ImproperlyConfigured, match="fonts-wqy-zenhei"):
        certificates.register_font([Path(tmp_path / "absent.ttc")])
