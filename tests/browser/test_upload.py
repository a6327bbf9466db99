"""A reader uploads a photo through the page: tus chunks, a progress bar, then the work page."""

import re

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from media.models import Upload, UploadStatus
from media.tests import samples
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
