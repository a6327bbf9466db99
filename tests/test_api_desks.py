"""The staff desks through the API: check-in, booking approvals, moderation and archive access,
each with the desk's refusals and codes; and a reader's waiting list, offer and calendar feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from booking import services as booking_services
from booking.models import Booking, BookingStatus
from booking.tests.factories import EventFactory, ResourceFactory, local, staff_member
from oral_history.models import AccessLevel, AccessRequest
from oral_history.tests.factories import InterviewFactory
from ugc.models import WorkState
from ugc.tests.factories import make_work

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_the_check_in_desk_finds_a_booking_by_its_code(client, user):
    booking = booking_services.book_resource(
        user=user,
        resource=ResourceFactory(),
        starts_at=local(2, 10),
        ends_at=local(2, 11),
        booked_by=user,
    )
    # The reader arrives: the booking starts in five minutes (check-in is open).
    soon = timezone.now() + timedelta(minutes=5)
    Booking.objects.filter(pk=booking.pk).update(starts_at=soon, ends_at=soon + timedelta(hours=1))
    client.force_login(staff_member())
    unknown = client.post("/api/v1/staff/check-in/", {"code": "ZZZZZZZZ"}, content_type=JSON)
    assert unknown.status_code == 404
    done = client.post(
        "/api/v1/staff/check-in/", {"code": booking.check_in_code.lower()}, content_type=JSON
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == BookingStatus.CHECKED_IN


def test_approvals_list_and_decisions(client, user):
    resource = ResourceFactory(requires_approval=True)
    booking = booking_services.book_resource(
        user=user, resource=resource, starts_at=local(2, 10), ends_at=local(2, 11), booked_by=user
    )
    client.force_login(staff_member(roles.LIBRARIAN_ADMIN))
    pending = client.get("/api/v1/staff/approvals/").json()["results"]
    assert [row["id"] for row in pending] == [str(booking.pk)]
    url = f"/api/v1/staff/bookings/{booking.pk}/decision/"
    no_reason = client.post(url, {"decision": "decline"}, content_type=JSON)
    assert no_reason.status_code == 422
    approved = client.post(url, {"decision": "approve"}, content_type=JSON)
    assert approved.json()["status"] == BookingStatus.CONFIRMED
    twice = client.post(url, {"decision": "approve"}, content_type=JSON)
    assert twice.status_code == 409 and twice.json()["code"] == "state"


def test_a_reader_waits_for_a_full_event(client, user, other_user):
    event = EventFactory(capacity=1)
    booking_services.book_event(user=other_user, event=event)
    client.force_login(user)
    joined = client.post(f"/api/v1/events/{event.pk}/waitlist/")
    assert joined.status_code == 201, joined.content
    again = client.post(f"/api/v1/events/{event.pk}/waitlist/")
    assert again.status_code == 409 and again.json()["code"] == "already_waiting"
    mine = client.get("/api/v1/me/waitlist/").json()["results"]
    assert [entry["event"] for entry in mine] == [event.pk]
    assert client.delete(f"/api/v1/me/waitlist/{mine[0]['id']}/").status_code == 204
    assert client.get("/api/v1/me/waitlist/").json()["results"] == []


def test_the_calendar_feed_address_is_made_replaced_and_removed(client, user):
    client.force_login(user)
    assert client.get("/api/v1/me/calendar-feed/").json() == {"url": None}
    first = client.post("/api/v1/me/calendar-feed/").json()["url"]
    second = client.post("/api/v1/me/calendar-feed/").json()["url"]
    assert first != second and second.endswith(".ics")
    assert client.get(first.split("//", 1)[1].split("/", 1)[1].join(["/", ""])).status_code == 404
    assert client.delete("/api/v1/me/calendar-feed/").status_code == 204
    assert client.get("/api/v1/me/calendar-feed/").json() == {"url": None}


def test_moderators_decide_through_the_api(client, user, s3_endpoint):
    work = make_work(user)
    client.force_login(user)
    client.post(f"/api/v1/me/works/{work.pk}/submit/")
    client.force_login(staff_member(roles.MODERATOR))
    queue = client.get("/api/v1/staff/moderation/").json()["results"]
    assert [row["id"] for row in queue] == [str(work.pk)]
    url = f"/api/v1/staff/works/{work.pk}/moderation/"
    refused = client.post(url, {"action": "reject"}, content_type=JSON)
    assert refused.status_code == 422 and refused.json()["code"] == "reason_required"
    approved = client.post(url, {"action": "approve"}, content_type=JSON)
    assert approved.json()["state"] == WorkState.PUBLISHED
    assert client.get(f"/api/v1/works/{work.pk}/").status_code == 200


def test_archive_access_is_asked_for_and_decided(client, user):
    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    client.force_login(user)
    empty = client.post(
        "/api/v1/me/access-requests/",
        {"interview": interview.pk, "purpose": "  "},
        content_type=JSON,
    )
    assert empty.status_code == 400  # blank after trimming: the field is required
    made = client.post(
        "/api/v1/me/access-requests/",
        {"interview": interview.pk, "purpose": "家族史研究"},
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    twice = client.post(
        "/api/v1/me/access-requests/",
        {"interview": interview.pk, "purpose": "再问一次"},
        content_type=JSON,
    )
    assert twice.status_code == 422 and twice.json()["code"] == "already_requested"
    hidden = InterviewFactory(published=False)
    unseen = client.post(
        "/api/v1/me/access-requests/",
        {"interview": hidden.pk, "purpose": "研究"},
        content_type=JSON,
    )
    assert unseen.status_code == 404
    client.force_login(staff_member(roles.ARCHIVIST))
    pending = client.get("/api/v1/staff/access-requests/").json()["results"]
    assert [row["id"] for row in pending] == [made.json()["id"]]
    url = f"/api/v1/staff/access-requests/{made.json()['id']}/decision/"
    long = client.post(url, {"decision": "grant", "days": 367}, content_type=JSON)
    assert long.status_code == 400
    granted = client.post(url, {"decision": "grant", "days": 30}, content_type=JSON)
    assert granted.json()["status"] == AccessRequest.Status.GRANTED
    missing = client.post(
        "/api/v1/staff/access-requests/999999/decision/",
        {"decision": "grant"},
        content_type=JSON,
    )
    assert missing.status_code == 404
