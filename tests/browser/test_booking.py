"""A reader books a studio slot from the availability grid with the keyboard alone."""

import re
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from booking import services
from booking.models import Booking, BookingStatus, WaitlistEntry
from booking.tests.factories import CategoryFactory, EventFactory, ResourceFactory, local
from tests.services import axe_violations, wait_for_js

SHOTS = Path("/tmp/booking-shots")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/profile/")


def test_reader_books_a_studio_slot_with_the_keyboard(demo_site, page):
    reader = UserFactory()
    studio = ResourceFactory(kind="studio", name="录音室", slug="recording-studio")
    other = UserFactory()
    services.book_resource(user=other, resource=studio, starts_at=local(1, 9), ends_at=local(1, 10))
    day = local(1, 0).date().isoformat()
    sign_in(page, reader.email)

    page.goto(f"/booking/r/{studio.slug}/?date={day}")
    assert axe_violations(page) == []
    assert page.get_by_role("radio", name=re.compile(r"^09:00")).count() == 0
    assert "已预约" in page.locator(".slot-taken").first.inner_text()
    assert page.get_by_role("button", name="候补 09:00").is_visible()

    page.get_by_role("radio", name=re.compile(r"^10:00")).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # leaves the radio group for the length
    assert page.evaluate("document.activeElement.name") == "duration"
    page.get_by_label("时长").select_option("60")
    page.get_by_role("button", name="预约", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/booking/b/[0-9a-f-]{36}/$"))

    booking = Booking.objects.get(user=reader)
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.starts_at, booking.ends_at) == (local(1, 10), local(1, 11))
    assert booking.check_in_code in page.locator(".check-in-code").inner_text()
    assert page.get_by_role("img", name=re.compile("二维码")).is_visible()
    assert axe_violations(page) == []


def test_the_day_picker_updates_the_grid_in_place(demo_site, page):
    studio = ResourceFactory(kind="studio", name="演播室", slug="video-studio")
    page.goto(f"/booking/r/{studio.slug}/")
    page.get_by_role("link", name="后一天").focus()
    page.keyboard.press("Enter")
    tomorrow = local(1, 0).date().isoformat()
    page.wait_for_url(f"**?date={tomorrow}")
    # After the partial reload focus is on the new day's heading, not lost to <body>.
    wait_for_js(page, "document.activeElement && document.activeElement.id === 'slots-day'")
    assert tomorrow in page.evaluate("document.activeElement.textContent")
    assert "已显示" in page.locator("#slots-status").inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "start"
    assert (
        page.get_by_role("radio", name=re.compile(r"^10:00")).get_attribute("value")
        == f"{tomorrow}T10:00"
    )


def test_booking_pages_have_no_wcag_aa_violations(demo_site, page):
    reader = UserFactory()
    event = EventFactory(title="数字生活讲座", capacity=1)
    services.book_event(user=reader, event=event)
    page.goto("/booking/")
    assert axe_violations(page) == []
    page.goto(f"/booking/events/{event.pk}/")
    assert axe_violations(page) == []
    sign_in(page, reader.email)
    for path in ("/booking/mine/", "/notifications/", f"/booking/events/{event.pk}/"):
        page.goto(path)
        assert axe_violations(page) == [], path


OVERFLOWING = """() => {
  const wide = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  if (wide <= window.innerWidth) return [];
  const inScroller = (el) => el.parentElement && el.parentElement.closest(".grid-scroll");
  return Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !inScroller(el))
    .slice(0, 8)
    .map((el) => el.tagName + "." + el.className + "#" + el.id);
}"""


def _overflowing(page) -> list[str]:
    """Elements that make the page scroll sideways (a grid may scroll inside its own box)."""
    return page.evaluate(OVERFLOWING)


def _shot(page, name: str, width: int) -> None:
    if width <= 400:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("width", "height", "large_text"), [(375, 812, True), (1280, 900, False)], ids=["phone", "desk"]
)
def test_the_booking_journey(demo_site, page, width, height, large_text):
    """Book, be refused, move on the grid, cancel, wait for a taken time, take the offer."""
    reader, holder = UserFactory(), UserFactory()
    category = CategoryFactory(max_bookings_per_day=1)
    studio = ResourceFactory(kind="studio", name="录音室", slug="rec-studio", category=category)
    ResourceFactory(kind="studio", name="演播室", slug="video-studio-2", category=category)
    held = services.book_resource(
        user=holder, resource=studio, starts_at=local(1, 9), ends_at=local(1, 10)
    )
    tomorrow = local(1, 0).date().isoformat()
    sign_in(page, reader.email)
    page.goto("/booking/")
    if large_text:
        # Switched on at the default width (a phone layout may fold the switch into a menu).
        page.locator('button[name="large_text"]').click()  # the 大字模式 switch
        page.wait_for_load_state()
        assert "large-text" in page.locator("html").get_attribute("class")
    page.set_viewport_size({"width": width, "height": height})

    # Rooms have their own skip link: two key presses from the top of the content to a room.
    skip = page.get_by_role("link", name="跳到空间、工作室和设备")
    skip.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#resources"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#resources') !== null")
    assert axe_violations(page) == []

    # The grid: studios × times; the next day comes in place and takes the focus.
    page.get_by_role("link", name="预约时间表：房间 × 时段").click()
    page.wait_for_url("**/booking/grid/")
    page.get_by_label("类型").select_option("studio")
    page.get_by_role("button", name="显示").click()
    wait_for_js(page, "document.activeElement && document.activeElement.id === 'grid-heading'")
    page.get_by_role("link", name="后一天").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**date={tomorrow}")
    wait_for_js(page, "document.activeElement && document.activeElement.id === 'grid-heading'")
    assert tomorrow in page.evaluate("document.activeElement.textContent")
    assert "已显示" in page.locator("#grid-status").inner_text()
    row = page.get_by_role("row", name=re.compile("录音室"))
    assert "已预约" in row.get_by_role("cell").nth(2).inner_text()  # 09:00, after 08:00
    assert _overflowing(page) == []
    assert axe_violations(page) == []
    _shot(page, "1-grid", width)

    # Book 10:00 from the grid.
    row.get_by_role("link", name=re.compile(r"10:00")).click()
    page.wait_for_url(f"**/booking/r/rec-studio/?date={tomorrow}&start=10:00")
    assert page.get_by_role("radio", name=re.compile(r"^10:00")).is_checked()
    page.get_by_label("时长").select_option("60")
    page.get_by_role("button", name="预约", exact=True).click()
    page.wait_for_url(re.compile(r"/booking/b/[0-9a-f-]{36}/$"))
    booking = Booking.objects.get(user=reader)
    assert (booking.starts_at, booking.status) == (local(1, 10), BookingStatus.CONFIRMED)

    # Refused: one booking a day. The day stays, the rule is named, focus is on the reason.
    page.goto(f"/booking/r/rec-studio/?date={tomorrow}")
    page.get_by_role("radio", name=re.compile(r"^15:00")).check()
    page.get_by_role("button", name="预约", exact=True).click()
    page.wait_for_load_state()
    refusal = page.locator("#refusal")
    assert "规则：预约限额" in refusal.inner_text()
    assert page.evaluate("document.activeElement.id") == "refusal"
    assert page.locator("#day-select").input_value() == tomorrow
    assert page.get_by_role("radio", name=re.compile(r"^15:00")).is_checked()
    assert "您的预约" in page.locator(".slot-mine").first.inner_text()
    assert _overflowing(page) == []
    assert axe_violations(page) == []
    _shot(page, "2-refused", width)

    # Move it on the grid to 14:00.
    page.goto(f"/booking/b/{booking.pk}/")
    page.get_by_role("link", name="在时间表上选择新时间").click()
    page.wait_for_url(f"**/booking/grid/?move={booking.pk}")
    assert "当前时间" in page.locator(".cell-yours").first.inner_text()
    assert _overflowing(page) == []
    assert axe_violations(page) == []
    _shot(page, "3-move-grid", width)
    page.locator(f'button[name="start"][value="{tomorrow}T14:00"]').click()
    page.wait_for_url(f"**/booking/b/{booking.pk}/")
    assert "预约已改期" in page.locator(".messages").inner_text()
    booking.refresh_from_db()
    assert booking.starts_at == local(1, 14)
    assert page.get_by_role("link", name="下载到日历（.ics）").is_visible()

    # Cancel, in two steps (the first press only opens the form): it leaves "coming up", and
    # the cancelled booking no longer offers itself for the calendar.
    page.get_by_text("取消此预约…").click()
    page.get_by_role("button", name="确定取消此预约").click()
    page.wait_for_url(f"**/booking/b/{booking.pk}/")
    assert page.get_by_role("link", name="下载到日历（.ics）").count() == 0
    page.goto("/booking/mine/")
    assert "您没有未来的预约" in page.locator("main").inner_text()

    # Wait for the taken 09:00; number 1 in the queue.
    page.goto(f"/booking/r/rec-studio/?date={tomorrow}")
    page.get_by_label("时长").select_option("60")
    page.get_by_role("button", name="候补 09:00").click()
    page.wait_for_url("**/booking/mine/")
    assert "候补第 1 位" in page.locator("main").inner_text()
    entry = WaitlistEntry.objects.get(user=reader)
    assert entry.starts_at == local(1, 9)

    # The feed address fits a phone, and the copy button copies it.
    page.get_by_role("button", name="生成我的日历地址").click()
    page.wait_for_url("**/booking/mine/")
    box = page.locator("#feed-url").bounding_box()
    assert box["x"] + box["width"] <= width
    assert _overflowing(page) == []
    page.get_by_role("button", name="复制地址").click()
    wait_for_js(page, "document.getElementById('feed-copy-status').textContent.length > 0")
    assert axe_violations(page) == []
    _shot(page, "4-mine", width)

    # The holder lets go: the reader is offered the place and takes it.
    services.cancel_booking(booking=held, by=holder)
    offer = Booking.objects.get(user=reader, status=BookingStatus.OFFERED)
    page.goto("/booking/mine/")
    assert "候补递补中" in page.locator("main").inner_text()
    page.goto(f"/booking/b/{offer.pk}/")
    page.get_by_role("button", name="确认名额").click()
    page.wait_for_url(f"**/booking/b/{offer.pk}/")
    offer.refresh_from_db()
    assert offer.status == BookingStatus.CONFIRMED
    assert axe_violations(page) == []
    _shot(page, "5-confirmed", width)
