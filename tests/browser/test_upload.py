"""A reader uploads a photo through the page: tus chunks, a progress bar, then the work page."""

import os
import re
from pathlib import Path

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP

from accounts.tests.factories import PASSWORD, UserFactory
from media.models import Upload, UploadStatus
from media.tests import samples
from tests.services import fresh_totp
from ugc.models import Work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_reader_uploads_a_work_and_lands_on_its_page(demo_site, page, tmp_path):
    reader = UserFactory()
    photo = tmp_path / "家乡的河.jpg"
    photo.write_bytes(samples.image_bytes("jpeg", size=(1200, 900), exif_gps=True))

    page.goto("/accounts/login/")
    page.get_by_label("电子邮箱").fill(reader.email)
    page.get_by_label("密码", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/profile/")

    page.goto("/works/new/")
    # Keep every status message the page announces (sessionStorage survives the redirect).
    page.evaluate(
        """() => {
            const status = document.querySelector("[data-upload-status]");
            new MutationObserver(() => {
                const seen = JSON.parse(sessionStorage.getItem("statuses") || "[]");
                seen.push(status.textContent);
                sessionStorage.setItem("statuses", JSON.stringify(seen));
            }).observe(status, {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.get_by_label("文件").set_input_files(str(photo))
    page.get_by_label("标题").fill("家乡的河")
    page.get_by_label("标签").fill("沈阳，浑河")
    page.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r"/works/[0-9a-f-]{36}/$"))

    assert page.locator("h1").inner_text() == "家乡的河"
    work = Work.objects.get(owner=reader)
    assert sorted(work.tags.names()) == ["沈阳", "浑河"]
    upload = Upload.objects.get(owner=reader)
    assert upload.status == UploadStatus.COMPLETE
    assert upload.stored_file == work.asset.original
    statuses = page.evaluate("JSON.parse(sessionStorage.getItem('statuses') || '[]')")
    assert "已上传 100%" in statuses
    assert statuses[-1] == "上传完成，正在保存…"


def test_work_pages_have_no_wcag_aa_violations(demo_site, page, s3_endpoint):
    from accounts import roles
    from accounts import services as accounts
    from tests.services import axe_violations
    from ugc import services
    from ugc.tests.factories import make_work

    reader = UserFactory()
    moderator = accounts.create_account(
        email="mod@example.org", password="a-long-library-password", role=roles.MODERATOR
    )
    work = make_work(reader, title="浑河晨光", tags=["沈阳"])
    services.submit_for_review(work=work, user=reader)
    services.approve(work=work, moderator=moderator)

    for path in ("/works/", f"/works/{work.pk}/"):
        page.goto(path)
        assert axe_violations(page) == [], path

    page.goto("/accounts/login/")
    page.get_by_label("电子邮箱").fill(reader.email)
    page.get_by_label("密码", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/profile/")
    for path in ("/works/new/", "/works/mine/", f"/works/{work.pk}/"):
        page.goto(path)
        assert axe_violations(page) == [], path


SCREENSHOTS = Path(os.environ.get("LIAOTU_SCREENSHOTS", "/tmp/liaotu-screens"))


def sign_in(page, email: str, password: str, *, totp_secret: str = "") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=False).first.fill(password)
    page.get_by_role("button", name="登录").last.click()
    if totp_secret:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("代码").fill(fresh_totp(totp_secret))
        page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/profile/")


def sign_out(page) -> None:
    page.context.clear_cookies()


@pytest.mark.parametrize("size", [(375, 812), (1280, 900)], ids=["phone", "desktop"])
def test_reader_uploads_a_video_that_a_moderator_publishes(
    demo_site, page, tmp_path, s3_endpoint, celery_worker, size
):
    """The whole way of a video: upload, the page follows processing by itself (no reload),
    captions (required before submitting), submission, a moderator's approval, published."""
    from accounts import roles
    from accounts import services as accounts
    from tests.services import axe_violations

    page.set_viewport_size({"width": size[0], "height": size[1]})
    reader = UserFactory()
    secret = pyotp.random_base32()
    moderator = accounts.create_account(
        email="mod@example.org", password="a-long-library-password", role=roles.MODERATOR
    )
    TOTP.activate(moderator, secret)
    video = samples.ffmpeg_sample(tmp_path, "mp4", seconds=2)
    captions = tmp_path / "字幕.vtt"
    captions.write_text("WEBVTT\n\n00:00.000 --> 00:01.500\n浑河边的早晨\n", encoding="utf-8")

    sign_in(page, reader.email, PASSWORD)
    page.goto("/works/new/")
    page.get_by_label("文件").set_input_files(str(video))
    page.get_by_label("标题").fill("浑河边的早晨")
    page.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r"/works/[0-9a-f-]{36}/$"))
    work_url = page.url
    # The worker processes the video meanwhile; the page shows the player when it is ready,
    # through its own polling (nothing reloads the page here).
    page.locator("#work-media video").wait_for(timeout=120_000)
    assert "已就绪" in page.locator("#work-media .work-state").inner_text()
    assert page.locator("#work-media [hx-trigger]").count() == 0  # polling has stopped

    # Captions are required before submitting, as the form says: the refusal stands beside the
    # captions field, which takes the focus.
    page.get_by_role("button", name="提交发布").click()
    assert "请先添加字幕" in page.locator("#id_captions_error").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "id_captions"
    page.get_by_label("字幕（WebVTT 文件）").set_input_files(str(captions))
    page.get_by_role("button", name="添加字幕").click()
    page.get_by_role("button", name="提交发布").click()
    assert "待审核" in page.locator("#work-media .work-state").inner_text()
    assert axe_violations(page) == []

    sign_out(page)
    sign_in(page, "mod@example.org", "a-long-library-password", totp_secret=secret)
    page.goto("/works/moderation/")
    page.get_by_role("link", name="浑河边的早晨").first.click()
    page.wait_for_url(work_url)
    page.get_by_label("决定").select_option(label="通过")
    page.get_by_role("button", name="执行").click()
    page.wait_for_url("**/works/moderation/")
    assert "浑河边的早晨" not in page.locator("main").inner_text()

    sign_out(page)
    sign_in(page, reader.email, PASSWORD)
    page.goto("/works/mine/")
    row = page.locator("tr", has_text="浑河边的早晨")
    assert "已发布" in row.inner_text()
    page.goto(work_url)
    assert page.locator("video track[kind=captions]").count() == 1
    assert Work.objects.get(owner=reader).state == "published"


def test_a_moderator_keeps_a_reported_work_and_the_queue_empties(demo_site, page, s3_endpoint):
    from accounts import roles
    from accounts import services as accounts
    from tests.services import axe_violations
    from ugc import services
    from ugc.tests.factories import make_work

    page.set_viewport_size({"width": 375, "height": 812})
    reader, reporter = UserFactory(), UserFactory()
    secret = pyotp.random_base32()
    moderator = accounts.create_account(
        email="mod@example.org", password="a-long-library-password", role=roles.MODERATOR
    )
    TOTP.activate(moderator, secret)
    work = make_work(reader, title="中街夜景")
    services.submit_for_review(work=work, user=reader)
    services.approve(work=work, moderator=moderator)
    make_work(reader, title="没有被举报的作品")
    services.report(work=work, reporter=reporter, reason="我觉得这张照片不是作者拍的")

    sign_in(page, "mod@example.org", "a-long-library-password", totp_secret=secret)
    page.goto("/works/moderation/")
    reported = page.locator("section[aria-labelledby=reported-heading]")
    assert "1 条待处理举报" in reported.inner_text()
    assert "没有被举报的作品" not in reported.inner_text()
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "moderation-375.png"), full_page=True)

    reported.get_by_role("link", name="处理“中街夜景”").click()
    assert "我觉得这张照片不是作者拍的" in page.locator(".moderation").inner_text()
    page.get_by_label("决定").select_option(label="保留公开并关闭举报")
    page.get_by_label("原因（将发送给读者）", exact=False).fill("照片确为作者本人拍摄")
    page.get_by_role("button", name="执行").click()
    page.wait_for_url("**/works/moderation/")
    assert "没有待处理的举报。" in page.locator("main").inner_text()
    work.refresh_from_db()
    assert work.state == "published"
    assert work.moderation_actions.first().reason == "照片确为作者本人拍摄"


def test_home_page_on_a_phone_for_a_visitor_and_a_reader(demo_site, page):
    from tests.services import axe_violations

    page.set_viewport_size({"width": 375, "height": 812})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/")
    assert "今天开放" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "home-visitor-375.png"), full_page=True)

    reader = UserFactory()
    sign_in(page, reader.email, PASSWORD)
    page.goto("/")
    assert "我的下一个预约" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "home-reader-375.png"), full_page=True)
