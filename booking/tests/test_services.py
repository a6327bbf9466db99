"""Each booking rule, checked by the server, with a message that names it."""

from datetime import UTC, date, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from accounts.models import AudienceGroup
from accounts.tests.factories import UserFactory
from booking import services
from booking.models import (
    AvailabilityWindow,
    Booking,
    BookingStatus,
    BookingSuspension,
    Closure,
    Event,
    EventSeries,
    Qualification,
)
from booking.services import BookingRefused

from .factories import (
    CategoryFactory,
    EventFactory,
    LocationFactory,
    ResourceFactory,
    local,
    staff_member,
)

pytestmark = pytest.mark.django_db


def refused(code: str, **kwargs) -> str:
    with pytest.raises(BookingRefused) as caught:
        services.book_resource(**kwargs)
    assert caught.value.code == code, caught.value.messages
    return caught.value.messages[0]


@pytest.fixture
def room(db):
    return ResourceFactory(name="研讨室A")


def test_a_valid_booking_is_confirmed_with_a_check_in_code(user, room):
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert booking.status == BookingStatus.CONFIRMED
    assert len(booking.check_in_code) == 8
    assert booking.blocked_until == booking.ends_at


def test_duration_limits(user, room):
    message = refused(
        "min_duration", user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 10, 15)
    )
    assert "30" in message
    message = refused(
        "max_duration", user=user, resource=room, starts_at=local(1, 9), ends_at=local(1, 13)
    )
    assert "180" in message


def test_slot_increment(user, room):
    refused(
        "increment", user=user, resource=room, starts_at=local(1, 10, 10), ends_at=local(1, 11, 10)
    )
    refused("increment", user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 10, 45))


def test_minimum_notice_and_the_past(user, room):
    now = timezone.localtime()
    soon = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    refused(
        "min_notice", user=user, resource=room, starts_at=soon, ends_at=soon + timedelta(hours=1)
    )
    refused("past", user=user, resource=room, starts_at=local(-1, 10), ends_at=local(-1, 11))


def test_booking_window(user, room):
    message = refused(
        "window", user=user, resource=room, starts_at=local(15, 10), ends_at=local(15, 11)
    )
    assert "14" in message
    services.book_resource(user=user, resource=room, starts_at=local(14, 10), ends_at=local(14, 11))


def test_opening_hours_closures_and_availability_windows(user, room):
    refused("hours", user=user, resource=room, starts_at=local(1, 20, 30), ends_at=local(1, 21, 30))
    day = local(2, 10).date()
    Closure.objects.create(location=room.location, first_day=day, last_day=day, reason="春节")
    message = refused(
        "closed", user=user, resource=room, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    assert "春节" in message
    # A human-library book who is only available on one afternoon a week.
    book = ResourceFactory(kind="human_book", location=room.location)
    weekday = local(3, 0).weekday()
    AvailabilityWindow.objects.create(
        resource=book, weekday=weekday, starts=time(14), ends=time(16)
    )
    refused("hours", user=user, resource=book, starts_at=local(3, 10), ends_at=local(3, 11))
    services.book_resource(user=user, resource=book, starts_at=local(3, 14), ends_at=local(3, 15))


def test_quotas_per_day_and_week_in_count_and_hours(user):
    category = CategoryFactory(max_bookings_per_day=2, max_hours_per_week=Decimal("3"))
    first, second, third = (ResourceFactory(category=category) for _ in range(3))
    services.book_resource(user=user, resource=first, starts_at=local(1, 9), ends_at=local(1, 10))
    services.book_resource(user=user, resource=second, starts_at=local(1, 11), ends_at=local(1, 12))
    message = refused(
        "quota_count", user=user, resource=third, starts_at=local(1, 14), ends_at=local(1, 15)
    )
    assert "2" in message and category.name in message
    # The hours per week: 2 used, 1.5 more would make 3.5 > 3 (if the same week).
    day = local(1, 0).date()
    same_week = 2 if day.weekday() <= 4 else -1
    if same_week > 0:
        refused(
            "quota_hours",
            user=user,
            resource=third,
            starts_at=local(same_week, 9),
            ends_at=local(same_week, 10, 30),
        )
    # Another reader is not affected by this reader's quota.
    services.book_resource(
        user=UserFactory(), resource=third, starts_at=local(1, 14), ends_at=local(1, 15)
    )


def test_maximum_upcoming_bookings(user):
    category = CategoryFactory(max_upcoming=1)
    printer = ResourceFactory(category=category, kind="equipment")
    services.book_resource(user=user, resource=printer, starts_at=local(2, 9), ends_at=local(2, 10))
    refused(
        "max_upcoming", user=user, resource=printer, starts_at=local(5, 9), ends_at=local(5, 10)
    )


def test_training_certification_is_required_and_expires(user):
    training = Qualification.objects.create(
        name="激光切割机安全培训", training_url="/trainings/laser/"
    )
    cutter = ResourceFactory(kind="equipment", required_qualification=training)
    message = refused(
        "qualification", user=user, resource=cutter, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert "激光切割机安全培训" in message
    services.grant_qualification(user=user, qualification=training, expires_at=local(1, 10, 30))
    # Expires during the booking: still refused, saying it expired.
    message = refused(
        "qualification", user=user, resource=cutter, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert "过期" in message
    services.grant_qualification(user=user, qualification=training, expires_at=local(30, 0))
    services.book_resource(user=user, resource=cutter, starts_at=local(1, 10), ends_at=local(1, 11))


def test_role_audience_and_staff_only_restrictions(user):
    makers = Group.objects.get(name=roles.MAKER)
    studio = ResourceFactory(kind="studio", required_group=makers)
    refused("role", user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11))
    user.groups.add(makers)
    services.book_resource(user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11))

    seniors_room = ResourceFactory(audiences=[AudienceGroup.SENIOR])
    refused(
        "audience", user=user, resource=seniors_room, starts_at=local(1, 10), ends_at=local(1, 11)
    )

    store = ResourceFactory(staff_only=True)
    refused("staff_only", user=user, resource=store, starts_at=local(1, 10), ends_at=local(1, 11))
    staff = staff_member()
    services.book_resource(
        user=staff, resource=store, starts_at=local(1, 10), ends_at=local(1, 11), booked_by=staff
    )


def test_approval_required_then_approved_or_declined(user, room):
    room.requires_approval = True
    room.save()
    staff = staff_member()
    first = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert first.status == BookingStatus.PENDING
    services.approve_booking(booking=first, by=staff)
    second = services.book_resource(
        user=user, resource=room, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    with pytest.raises(ValidationError) as caught:
        services.decline_booking(booking=second, by=staff, reason="  ")
    assert caught.value.messages == ["请填写理由。"]
    services.decline_booking(booking=second, by=staff, reason="当天有内部活动")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (BookingStatus.CONFIRMED, BookingStatus.DECLINED)
    assert second.decline_reason == "当天有内部活动"
    with pytest.raises(PermissionDenied):
        services.approve_booking(booking=second, by=user)


def test_buffer_between_bookings(user, other_user):
    studio = ResourceFactory(kind="studio", buffer_minutes=30)
    services.book_resource(user=user, resource=studio, starts_at=local(1, 10), ends_at=local(1, 11))
    refused(
        "conflict", user=other_user, resource=studio, starts_at=local(1, 11), ends_at=local(1, 12)
    )
    refused(
        "conflict",
        user=other_user,
        resource=studio,
        starts_at=local(1, 9, 30),
        ends_at=local(1, 10),
    )
    services.book_resource(
        user=other_user, resource=studio, starts_at=local(1, 11, 30), ends_at=local(1, 12)
    )


def test_parent_and_child_block_each_other_but_siblings_do_not(user, other_user):
    hall = ResourceFactory(name="多功能厅")
    left = ResourceFactory(name="多功能厅东区", parent=hall, location=hall.location)
    right = ResourceFactory(name="多功能厅西区", parent=hall, location=hall.location)
    camera = ResourceFactory(name="摄像机", parent=left, location=hall.location, kind="equipment")
    services.book_resource(user=user, resource=camera, starts_at=local(1, 10), ends_at=local(1, 11))
    refused(
        "conflict", user=other_user, resource=hall, starts_at=local(1, 10), ends_at=local(1, 12)
    )
    refused(
        "conflict", user=other_user, resource=left, starts_at=local(1, 10, 30), ends_at=local(1, 11)
    )
    services.book_resource(
        user=other_user, resource=right, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    services.book_resource(
        user=other_user, resource=hall, starts_at=local(2, 10), ends_at=local(2, 12)
    )
    refused("conflict", user=user, resource=camera, starts_at=local(2, 11), ends_at=local(2, 12))


def test_exclusion_constraint_refuses_overlap_even_without_the_service(user, other_user, room):
    services.book_resource(user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            user=other_user,
            resource=room,
            starts_at=local(1, 10, 30),
            ends_at=local(1, 11, 30),
            blocked_until=local(1, 11, 30),
            status=BookingStatus.CONFIRMED,
            check_in_code="ZZZZZZ",
        )
    # Cancelled bookings do not count.
    Booking.objects.filter(resource=room).update(status=BookingStatus.CANCELLED)
    Booking.objects.create(
        user=other_user,
        resource=room,
        starts_at=local(1, 10, 30),
        ends_at=local(1, 11, 30),
        blocked_until=local(1, 11, 30),
        status=BookingStatus.CONFIRMED,
        check_in_code="ZZZZZZ",
    )


def test_suspended_readers_cannot_book(user, room):
    BookingSuspension.objects.create(
        user=user, until=timezone.now() + timedelta(days=3), reason="多次未到"
    )
    message = refused(
        "suspended", user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    assert "多次未到" in message


def test_cancel_and_move_deadlines_apply_to_readers_not_staff(user, room):
    room.min_notice_minutes = 0
    room.cancel_deadline_hours = 48
    room.move_deadline_hours = 48
    room.save()
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    with pytest.raises(BookingRefused) as caught:
        services.move_booking(
            booking=booking, by=user, starts_at=local(1, 14), ends_at=local(1, 15)
        )
    assert caught.value.code == "move_deadline"
    with pytest.raises(BookingRefused) as caught:
        services.cancel_booking(booking=booking, by=user)
    assert caught.value.code == "cancel_deadline"
    staff = staff_member()
    services.move_booking(booking=booking, by=staff, starts_at=local(1, 14), ends_at=local(1, 15))
    services.cancel_booking(booking=booking, by=staff, reason="设备维修")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.starts_at == local(1, 14)
    assert booking.sequence == 2


def test_readers_move_within_the_rules(user, other_user, room):
    booking = services.book_resource(
        user=user, resource=room, starts_at=local(3, 10), ends_at=local(3, 11)
    )
    services.book_resource(
        user=other_user, resource=room, starts_at=local(3, 14), ends_at=local(3, 15)
    )
    with pytest.raises(BookingRefused) as caught:
        services.move_booking(
            booking=booking, by=user, starts_at=local(3, 14, 30), ends_at=local(3, 15, 30)
        )
    assert caught.value.code == "conflict"
    # Moving onto its own time (overlapping itself) is fine.
    services.move_booking(
        booking=booking, by=user, starts_at=local(3, 10, 30), ends_at=local(3, 11, 30)
    )
    with pytest.raises(PermissionDenied):
        services.move_booking(
            booking=booking, by=other_user, starts_at=local(3, 12), ends_at=local(3, 13)
        )
    with pytest.raises(PermissionDenied):
        services.cancel_booking(booking=booking, by=other_user)


def test_staff_book_for_a_reader_and_override_with_a_recorded_reason(user, room):
    staff = staff_member()
    refused(
        "window",
        user=user,
        resource=room,
        starts_at=local(30, 10),
        ends_at=local(30, 11),
        booked_by=staff,
    )
    booking = services.book_resource(
        user=user,
        resource=room,
        starts_at=local(30, 10),
        ends_at=local(30, 11),
        booked_by=staff,
        override_reason="馆长批准的长期项目",
    )
    assert booking.booked_by == staff
    assert booking.override_reason == "馆长批准的长期项目"
    # Overriding never allows a double booking.
    refused(
        "conflict",
        user=UserFactory(),
        resource=room,
        starts_at=local(30, 10),
        ends_at=local(30, 11),
        booked_by=staff,
        override_reason="再试一次",
    )
    # Readers cannot override.
    with pytest.raises(PermissionDenied):
        services.book_resource(
            user=user,
            resource=room,
            starts_at=local(31, 10),
            ends_at=local(31, 11),
            booked_by=user,
            override_reason="我想要",
        )


def test_recurring_bookings_are_all_or_nothing(user, other_user, room):
    staff = staff_member()
    services.book_resource(
        user=other_user,
        resource=room,
        starts_at=local(15, 10),
        ends_at=local(15, 11),
        booked_by=staff,
        override_reason="先订",
    )
    with pytest.raises(BookingRefused) as caught:
        services.book_recurring(
            user=user,
            resource=room,
            starts_at=local(1, 10),
            ends_at=local(1, 11),
            weeks=4,
            booked_by=staff,
            override_reason="每周编程课",
        )
    assert caught.value.code == "conflict"
    assert local(15, 10).strftime("%Y-%m-%d") in caught.value.messages[0]
    assert not Booking.objects.filter(user=user).exists()
    made = services.book_recurring(
        user=user,
        resource=room,
        starts_at=local(1, 14),
        ends_at=local(1, 15),
        weeks=3,
        booked_by=staff,
        override_reason="每周编程课",
    )
    assert [b.starts_at for b in made] == [local(1, 14) + timedelta(weeks=n) for n in range(3)]
    assert len({b.recurrence for b in made}) == 1
    with pytest.raises(PermissionDenied):
        services.book_recurring(
            user=user,
            resource=room,
            starts_at=local(1, 16),
            ends_at=local(1, 17),
            weeks=2,
            booked_by=user,
        )


def test_recurring_event_series_keeps_local_time_in_a_daylight_saving_zone():
    berlin = LocationFactory(timezone="Europe/Berlin")
    staff = staff_member()
    series = EventSeries.objects.create(
        title="德语角",
        kind="class",
        location=berlin,
        capacity=12,
        weekdays=[0],
        start_time=time(19),
        duration_minutes=60,
        first_date=date(2026, 3, 16),
        last_date=date(2026, 4, 6),
    )
    events = services.generate_occurrences(series=series, by=staff)
    assert [e.starts_at.astimezone(berlin.tz).hour for e in events] == [19, 19, 19, 19]
    assert [e.starts_at.astimezone(UTC).hour for e in events] == [18, 18, 17, 17]
    # Running it again creates nothing new.
    assert services.generate_occurrences(series=series, by=staff) == []


def test_an_event_holds_its_room_and_the_room_refuses_clashing_bookings(user):
    staff = staff_member()
    room = ResourceFactory(name="报告厅")
    event = EventFactory(
        resource=room, location=room.location, starts_at=local(2, 14), ends_at=local(2, 16)
    )
    services.sync_event(event=event, by=staff)
    refused("conflict", user=user, resource=room, starts_at=local(2, 15), ends_at=local(2, 16))
    place = services.book_event(user=user, event=event)

    # Staff move the event: the room hold and the readers' places follow.
    Event.objects.filter(pk=event.pk).update(starts_at=local(2, 18), ends_at=local(2, 20))
    services.sync_event(event=event, by=staff)
    place.refresh_from_db()
    assert (place.starts_at, place.sequence) == (local(2, 18), 1)
    services.book_resource(user=user, resource=room, starts_at=local(2, 15), ends_at=local(2, 16))
    refused("conflict", user=user, resource=room, starts_at=local(2, 19), ends_at=local(2, 20))

    assert services.cancel_event(event=event, by=staff, reason="讲者生病") == 1
    place.refresh_from_db()
    assert (place.status, place.cancel_reason) == (BookingStatus.CANCELLED, "讲者生病")
    services.book_resource(user=user, resource=room, starts_at=local(2, 19), ends_at=local(2, 20))


def test_event_places_and_one_place_per_reader(user):
    event = EventFactory(capacity=1)
    services.book_event(user=user, event=event)
    with pytest.raises(BookingRefused) as caught:
        services.book_event(user=user, event=event)
    assert caught.value.code == "already_booked"
    with pytest.raises(BookingRefused) as caught:
        services.book_event(user=UserFactory(), event=event)
    assert caught.value.code == "full"


def test_a_check_in_code_collision_is_retried_not_refused(user, other_user, room, monkeypatch):
    first = services.book_resource(
        user=user, resource=room, starts_at=local(1, 10), ends_at=local(1, 11)
    )
    codes = iter([first.check_in_code, "NEWCODE2"])
    monkeypatch.setattr(services, "new_check_in_code", lambda: next(codes))
    second = services.book_resource(
        user=other_user, resource=room, starts_at=local(1, 14), ends_at=local(1, 15)
    )
    assert second.check_in_code == "NEWCODE2"
