"""Staff set up events in the Wagtail admin; an event holds its room or is refused whole."""

from datetime import timedelta

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from booking import services
from booking.models import Event, EventSeries

from .factories import ResourceFactory, local, staff_member

pytestmark = pytest.mark.django_db


def event_form(room, start, end, title="少儿编程体验课") -> dict:
    return {
        "title": title,
        "kind": "workshop",
        "description": "",
        "location": room.location.pk,
        "resource": room.pk,
        "category": "",
        "capacity": "20",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": end.strftime("%Y-%m-%d %H:%M"),
        "audiences": "",
    }


def test_saving_an_event_holds_its_room_and_a_clash_saves_nothing(client):
    staff = staff_member(roles.LIBRARIAN_ADMIN)
    client.force_login(staff)
    room = ResourceFactory(name="创客教室")
    made = client.post(
        "/admin/snippets/booking/event/add/", event_form(room, local(2, 14), local(2, 16))
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    event = Event.objects.get()
    assert event.room_booking.resource == room and event.room_booking.is_hold

    services.book_resource(
        user=UserFactory(), resource=room, starts_at=local(3, 10), ends_at=local(3, 11)
    )
    clash = client.post(
        "/admin/snippets/booking/event/add/",
        event_form(room, local(3, 10), local(3, 12), title="冲突的活动"),
    )
    assert clash.status_code == 200
    assert "这个时间已被预约" in clash.content.decode()
    assert not Event.objects.filter(title="冲突的活动").exists()


def test_saving_a_series_creates_its_occurrences(client):
    staff = staff_member(roles.LIBRARIAN_ADMIN)
    client.force_login(staff)
    room = ResourceFactory(name="多功能厅")
    first = local(1, 0).date()
    response = client.post(
        "/admin/snippets/booking/eventseries/add/",
        {
            "title": "银龄智能手机课",
            "description": "",
            "kind": "class",
            "location": room.location.pk,
            "resource": room.pk,
            "category": "",
            "capacity": "15",
            "weekdays": str(first.weekday()),
            "start_time": "09:30",
            "duration_minutes": "90",
            "first_date": first.isoformat(),
            "last_date": (first + timedelta(weeks=3)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    series = EventSeries.objects.get()
    assert series.events.count() == 4
    assert all(e.room_booking and e.room_booking.resource == room for e in series.events.all())


@pytest.mark.django_db
def test_an_event_that_ends_before_it_starts_is_refused_in_words_not_a_constraint_name():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from booking.tests.factories import EventFactory, LocationFactory, local

    event = EventFactory.build(
        location=LocationFactory(), starts_at=local(3, 14), ends_at=local(3, 13)
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert "活动的结束时间必须晚于开始时间。" in str(refused.value)
    assert "booking_event_order" not in str(refused.value)
