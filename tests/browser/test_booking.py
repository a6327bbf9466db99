"""A reader books a studio slot from the availability grid with the keyboard alone."""

import re

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from booking import services
from booking.models import Booking, BookingStatus
from booking.tests.factories import EventFactory, ResourceFactory, local
from tests.services import axe_violations

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
    taken = page.get_by_role("radio", name=re.compile(r"^09:00"))
    assert "已被预约" in taken.evaluate("el => el.labels[0].textContent")

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
    page.get_by_role("link", name="后一天").click()
    tomorrow = local(1, 0).date().isoformat()
    page.wait_for_url(f"**?date={tomorrow}")
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
