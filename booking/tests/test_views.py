"""Pages, JSON endpoints and feeds: who may see and do what, and clear refusals."""

import re

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import sign_in
from booking import services
from booking.models import Booking, BookingStatus

from .factories import EventFactory, ResourceFactory, local, staff_member

pytestmark = pytest.mark.django_db


def test_resource_page_shows_the_days_slots_and_htmx_swaps_only_the_grid(client, studio):
    day = local(1, 0).date().isoformat()
    page = client.get(f"/booking/r/{studio.slug}/?date={day}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "录音室" in html and f'value="{day}T10:00"' in html
    assert "登录" in html  # anonymous readers are asked to sign in
    partial = client.get(f"/booking/r/{studio.slug}/?date={day}", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert f'value="{day}T10:00"' in partial.content.decode()


def test_booking_through_the_page_and_a_clear_refusal(reader_client, user, other_user, studio):
    day = local(1, 0).date().isoformat()
    done = reader_client.post(
        f"/booking/r/{studio.slug}/book/", {"start": f"{day}T10:00", "duration": "60"}
    )
    booking = Booking.objects.get(user=user)
    assert done.status_code == 302 and done["Location"] == f"/booking/b/{booking.pk}/"
    assert booking.starts_at == local(1, 10)
    detail = reader_client.get(done["Location"]).content.decode()
    assert booking.check_in_code in detail and "<svg" in detail

    services.book_resource(
        user=other_user, resource=studio, starts_at=local(1, 14), ends_at=local(1, 15)
    )
    clash = reader_client.post(
        f"/booking/r/{studio.slug}/book/", {"start": f"{day}T14:00", "duration": "60"}
    )
    assert clash.status_code == 409
    assert "已被预约" in clash.content.decode()


def test_others_cannot_reach_a_booking_by_guessing_its_url(client, user, other_user, studio):
    booking = services.book_resource(
        user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert sign_in(client, other_user.email)
    for url in (
        f"/booking/b/{booking.pk}/",
        f"/booking/b/{booking.pk}/booking.ics",
        f"/api/v1/me/bookings/{booking.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/booking/b/{booking.pk}/cancel/",
        f"/booking/b/{booking.pk}/move/",
        f"/booking/b/{booking.pk}/confirm/",
    ):
        assert (
            client.post(url, {"start": "2030-01-01T10:00", "duration": "60"}).status_code == 404
        ), url
    assert (
        client.post(
            f"/api/v1/me/bookings/{booking.pk}/cancel/", "{}", content_type="application/json"
        ).status_code
        == 404
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.starts_at == local(1, 10)
    client.logout()
    assert client.get(f"/booking/b/{booking.pk}/").status_code == 302  # to the sign-in page
    assert client.get(f"/api/v1/me/bookings/{booking.pk}/").status_code == 401


def test_staff_pages_are_for_staff_only(client, user):
    assert sign_in(client, user.email)
    for url in (
        "/booking/staff/",
        "/booking/staff/check-in/",
        "/booking/staff/approvals/",
        "/booking/staff/book/",
    ):
        assert client.get(url).status_code == 403, url


def test_staff_check_a_reader_in_from_the_code(client, user, studio):
    booking = services.book_resource(
        user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() + timedelta(minutes=10)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
    )
    staff = staff_member()
    client.force_login(staff)
    found = client.get(f"/booking/staff/check-in/?code={booking.check_in_code.lower()}")
    assert user.email in found.content.decode()
    client.post("/booking/staff/check-in/", {"code": booking.check_in_code})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN
    unknown = client.get("/booking/staff/check-in/?code=NOPE4242")
    assert "没有使用此签到码的预约" in unknown.content.decode()


def test_staff_calendar_and_approvals_keep_a_fixed_number_of_queries(client, user):
    staff = staff_member()
    client.force_login(staff)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    rooms = [
        ResourceFactory(requires_approval=True, location=ResourceFactory().location)
        for _ in range(2)
    ]
    services.book_resource(
        user=user, resource=rooms[0], starts_at=local(1, 10), ends_at=local(1, 11)
    )
    day = local(1, 0).date().isoformat()
    client.get("/booking/staff/")  # the first request creates the site's settings rows
    few = (
        queries(f"/booking/staff/?day={day}&span=week"),
        queries("/booking/staff/approvals/"),
        queries("/booking/mine/"),
    )
    for n in range(2, 12):
        room = ResourceFactory(requires_approval=True)
        services.book_resource(
            user=user, resource=room, starts_at=local(1 + n % 5, 10), ends_at=local(1 + n % 5, 11)
        )
    many = (
        queries(f"/booking/staff/?day={day}&span=week"),
        queries("/booking/staff/approvals/"),
        queries("/booking/mine/"),
    )
    assert few == many


def test_private_feed_lists_only_the_readers_bookings_and_can_be_revoked(
    client, user, other_user, studio
):
    mine = services.book_resource(
        user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    services.book_resource(
        user=other_user, resource=studio, starts_at=local(1, 14), ends_at=local(1, 15)
    )
    assert sign_in(client, user.email)
    client.post("/booking/feed/reset/")
    token = user.calendar_feed.token
    client.logout()
    feed = client.get(f"/booking/feed/{token}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{mine.pk}@liaotu-commons"]

    assert sign_in(client, user.email)
    client.post("/booking/feed/reset/")
    user.refresh_from_db()
    assert client.get(f"/booking/feed/{token}.ics").status_code == 404
    new_token = user.calendar_feed.token
    assert client.get(f"/booking/feed/{new_token}.ics").status_code == 200
    client.post("/booking/feed/revoke/")
    assert client.get(f"/booking/feed/{new_token}.ics").status_code == 404


def test_json_availability_and_booking(client, user, other_user, studio):
    day = local(1, 0).date().isoformat()
    slots = client.get(f"/api/v1/resources/{studio.slug}/availability/?date={day}").json()["slots"]
    ten = next(s for s in slots if s["starts_at"].startswith(f"{day}T10:00"))
    assert ten["state"] == "free"
    assert (
        client.get(f"/api/v1/resources/{studio.slug}/availability/?date=tomorrow").status_code
        == 400
    )

    body = {
        "resource": studio.slug,
        "starts_at": f"{day}T10:00:00+08:00",
        "ends_at": f"{day}T11:00:00+08:00",
    }
    assert (
        client.post("/api/v1/me/bookings/", body, content_type="application/json").status_code
        == 401
    )
    assert sign_in(client, user.email)
    made = client.post("/api/v1/me/bookings/", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["status"] == "confirmed"
    slots = client.get(f"/api/v1/resources/{studio.slug}/availability/?date={day}").json()["slots"]
    assert next(s for s in slots if s["starts_at"].startswith(f"{day}T10:00"))["state"] == "mine"
    client.logout()
    slots = client.get(f"/api/v1/resources/{studio.slug}/availability/?date={day}").json()["slots"]
    assert next(s for s in slots if s["starts_at"].startswith(f"{day}T10:00"))["state"] == "taken"

    assert sign_in(client, other_user.email)
    clash = client.post("/api/v1/me/bookings/", body, content_type="application/json")
    assert clash.status_code == 409 and clash.json()["code"] == "conflict"
    naive = {**body, "starts_at": f"{day}T12:00:00", "ends_at": f"{day}T13:00:00"}
    assert (
        client.post("/api/v1/me/bookings/", naive, content_type="application/json").json()["code"]
        == "naive"
    )
    broken = client.post("/api/v1/me/bookings/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "json_invalid"
    too_long = {**body, "starts_at": f"{day}T12:00:00+08:00", "ends_at": f"{day}T17:00:00+08:00"}
    refused = client.post("/api/v1/me/bookings/", too_long, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "max_duration"
    assert "180" in refused.json()["detail"]
    assert refused["Content-Type"] == "application/problem+json"


def test_json_event_booking_reports_full(client, user, other_user):
    event = EventFactory(capacity=1)
    assert sign_in(client, user.email)
    assert client.post(f"/api/v1/events/{event.pk}/book/").status_code == 201
    listed = client.get("/api/v1/events/").json()["results"]
    assert [(e["id"], e["places_left"]) for e in listed] == [(event.pk, 0)]
    client.logout()
    assert sign_in(client, other_user.email)
    full = client.post(f"/api/v1/events/{event.pk}/book/")
    assert full.status_code == 409 and full.json()["code"] == "full"
    mine = client.get("/api/v1/me/bookings/").json()["results"]
    assert mine == []


def test_event_page_offers_the_waiting_list_when_full(client, user, other_user):
    event = EventFactory(capacity=1, title="老沈阳的故事")
    services.book_event(user=user, event=event)
    assert sign_in(client, other_user.email)
    page = client.get(f"/booking/events/{event.pk}/").content.decode()
    assert 'value="waitlist"' in page and 'value="book"' not in page
    client.post(f"/booking/events/{event.pk}/book/", {"action": "waitlist"})
    assert event.waitlist.filter(user=other_user).exists()
    assert "老沈阳的故事" in client.get("/booking/mine/").content.decode()
    # The event's page shows the place in the queue and lets the reader leave it right there.
    entry = event.waitlist.get(user=other_user)
    page = client.get(f"/booking/events/{event.pk}/").content.decode()
    assert f'action="/booking/waitlist/{entry.pk}/leave/"' in page
    left = client.post(
        f"/booking/waitlist/{entry.pk}/leave/", {"next": f"/booking/events/{event.pk}/"}
    )
    assert left.status_code == 302 and left["Location"] == f"/booking/events/{event.pk}/"
    assert not event.waitlist.filter(user=other_user, status="waiting").exists()


def test_leaving_a_waiting_list_never_redirects_off_the_site(client, user, other_user):
    event = EventFactory(capacity=1)
    services.book_event(user=user, event=event)
    assert sign_in(client, other_user.email)
    client.post(f"/booking/events/{event.pk}/book/", {"action": "waitlist"})
    entry = event.waitlist.get(user=other_user)
    for hostile in ("//evil.example/", "https://evil.example/", "javascript:alert(1)", "evil"):
        left = client.post(f"/booking/waitlist/{entry.pk}/leave/", {"next": hostile})
        assert left["Location"] == "/booking/mine/", hostile


def test_the_index_lists_upcoming_events_soonest_first(client, user):
    # Created out of order, and one with a booking: the count must not undo the order.
    later = EventFactory(title="第三场", starts_at=local(9, 10))
    EventFactory(title="第一场", starts_at=local(2, 10))
    EventFactory(title="第二场", starts_at=local(5, 10))
    services.book_event(user=user, event=later)
    page = client.get("/booking/").content.decode()
    assert page.index("第一场") < page.index("第二场") < page.index("第三场")


def test_my_bookings_keeps_the_status_on_one_line(reader_client, user):
    services.book_event(user=user, event=EventFactory())
    page = reader_client.get("/booking/mine/").content.decode()
    assert re.search(r'<th scope="col" class="nowrap"[^>]*>状态</th>', page)
    assert re.search(r'<td role="cell" class="nowrap" data-label="状态">已确认</td>', page)
