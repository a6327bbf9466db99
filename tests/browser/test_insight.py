"""Staff read their statistics in the admin, filter them and download what they see; a reader
finds the privacy page and asks for a copy of their data. Phone and desktop, Chinese, axe."""

import pytest

from accounts import roles
from tests.services import axe_violations, sign_in_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = [(375, 812), (1280, 900)]


def _activity():
    from accounts.tests.factories import UserFactory
    from core.insight import services
    from core.insight.tests.factories import event_activity, roll_up_recent

    event = event_activity(title="剪纸讲座", audiences=("senior", "senior", "child"), capacity=2)
    services.record("booking.no_show", user=UserFactory(), subject=event)
    roll_up_recent()
    return event


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_a_technician_filters_the_bookings_dashboard_and_downloads_it(page, size):
    _activity()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in_staff(
        page,
        email=f"tech{size[0]}@example.org",
        role=roles.TECHNICIAN,
        next_url="/admin/statistics/",
    )
    page.get_by_role("link", name="预约与活动").click()
    page.get_by_role("heading", name="结果").wait_for()
    main = page.locator("main")
    assert "剪纸讲座" in main.inner_text()
    assert "活动已满" in main.inner_text()
    # Keyboard only: choose the audience group, Tab past the district to the button, Enter.
    page.get_by_label("人群").focus()
    page.get_by_label("人群").select_option("child")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "显示"
    page.keyboard.press("Enter")
    page.wait_for_url("**audience=child**")
    assert page.get_by_label("人群").input_value() == "child"
    rows = page.locator("table").first.inner_text()
    assert "1" in rows
    assert axe_violations(page) == []
    page.screenshot(path=f"var/screenshots/insight-bookings-{size[0]}.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 CSV").click()
    assert download.value.suggested_filename.startswith("liaotu-bookings-")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert "剪纸讲座" in text
    # A dashboard of another role is not theirs.
    page.goto("/admin/statistics/works/")
    assert "/admin/statistics/works/" not in page.url


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_a_reader_reads_the_privacy_page_and_asks_for_a_copy_of_their_data(
    demo_site, page, live_server, size
):
    from accounts.tests.factories import UserFactory

    reader = UserFactory(email=f"reader{size[0]}@example.org", language="zh-hans", large_text=True)
    reader.set_password("a-long-reader-password")
    reader.save()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto("/accounts/login/?next=/")
    page.get_by_label("电子邮箱").fill(reader.email)
    page.get_by_label("密码", exact=False).first.fill("a-long-reader-password")
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="隐私说明").click()
    page.get_by_role("heading", name="隐私说明：我们记录什么、为什么记录").wait_for()
    text = page.locator("main").inner_text()
    assert "24 个月" in text and "15 个月" in text and "打开了一节课" in text
    assert axe_violations(page) == []
    page.screenshot(path=f"var/screenshots/insight-privacy-{size[0]}.png", full_page=True)
    page.get_by_role("link", name="下载您的数据副本").click()
    page.get_by_role("button", name="准备一份我的数据").click()
    page.get_by_text("正在准备").first.wait_for()
    assert axe_violations(page) == []
    page.screenshot(path=f"var/screenshots/insight-my-data-{size[0]}.png", full_page=True)
