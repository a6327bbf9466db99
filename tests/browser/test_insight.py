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


def _suggestions():
    """Three readers who completed the phone course went on to online appointments, a weekly
    class and an interview; the demo reader completed the phone course."""
    from django.utils import timezone

    from accounts.tests.factories import UserFactory
    from booking.tests.factories import EventFactory
    from core.insight import partitions, recommendations, services
    from courses.models import Enrolment
    from courses.tests.factories import course
    from oral_history.tests.factories import InterviewFactory

    partitions.ensure_months(around=timezone.now(), back=1, ahead=1)
    phone, appointments = course(title="智能手机入门"), course(title="网上预约挂号")
    interview = InterviewFactory(title="纺织厂的往事")
    event = EventFactory(title="银龄防诈骗讲座", audiences=["senior"])
    for _ in range(3):
        user = UserFactory(audience_group="senior")
        services.record("course.completed", user=user, subject=phone)
        services.record("course.enrolled", user=user, subject=appointments)
        services.record("interview.played", user=user, subject=interview)
        services.record("booking.created", user=user, subject=event)
    recommendations.compute()
    reader = UserFactory(
        email="senior@example.org", language="zh-hans", large_text=True, audience_group="senior"
    )
    reader.set_password("a-long-reader-password")
    reader.save()
    Enrolment.objects.create(user=reader, course=phone, completed_at=timezone.now())
    return reader


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_a_senior_reader_finds_what_to_do_next_and_chooses_what_to_hear_about(
    demo_site, page, live_server, size
):
    reader = _suggestions()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto("/accounts/login/?next=/for-you/")
    page.get_by_label("电子邮箱").fill(reader.email)
    page.get_by_label("密码", exact=False).first.fill("a-long-reader-password")
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url(f"{live_server.url}/for-you/")
    page.get_by_role("heading", name="为你推荐", level=1).wait_for()
    main = page.locator("main")
    text = main.inner_text()
    assert "因为您学完了《智能手机入门》" in text
    assert "网上预约挂号" in text and "纺织厂的往事" in text and "银龄防诈骗讲座" in text
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    page.screenshot(path=f"var/screenshots/insight-for-you-{size[0]}.png", full_page=True)
    main.get_by_role("link", name="网上预约挂号").click()
    page.get_by_role("heading", name="网上预约挂号").first.wait_for()

    # 我的关注, keyboard only: tick lectures, then Tab to "保存" and press Enter.
    page.goto("/accounts/following/")
    page.get_by_role("heading", name="我的关注", level=1).wait_for()
    lecture = page.get_by_role("checkbox", name="讲座")
    lecture.focus()
    page.keyboard.press("Space")
    assert lecture.is_checked()
    page.get_by_role("button", name="保存").focus()
    page.keyboard.press("Enter")
    page.get_by_text("已保存").wait_for()
    assert page.get_by_role("checkbox", name="讲座").is_checked()
    assert axe_violations(page) == []
    page.screenshot(path=f"var/screenshots/insight-following-{size[0]}.png", full_page=True)


def test_a_visitor_chooses_a_group_with_the_keyboard(demo_site, page):
    _suggestions()
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/for-you/")
    text = page.locator("main").inner_text()
    assert "本馆读者常选" in text and "网上预约挂号" in text
    page.get_by_label("我是").focus()
    page.get_by_label("我是").select_option("senior")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**audience=senior**")
    assert "深受“老年人”人群读者欢迎" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.screenshot(path="var/screenshots/insight-for-you-visitor-375.png", full_page=True)
