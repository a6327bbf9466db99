"""Real concurrent connections to PostgreSQL: the database decides, exactly once.

Each thread has its own Django connection, so these are separate PostgreSQL sessions racing
for the same rows. The test server allows 100 connections, so 200 requests run through a pool
of 40 threads that all start together.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import User
from booking import services
from booking.models import ACTIVE_STATUSES, Booking
from booking.services import BookingRefused

from .factories import CategoryFactory, EventFactory, ResourceFactory, local

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def many_readers(n: int) -> list[User]:
    return User.objects.bulk_create(
        [User(email=f"racer{i}@example.org", display_name=f"读者{i}") for i in range(n)]
    )


def race(calls: list, workers: int = 40) -> Counter:
    """Run the calls at once; count successes and refusal codes."""
    go = threading.Event()

    def attempt(call):
        go.wait()
        try:
            call()
            return "ok"
        except BookingRefused as refusal:
            return refusal.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(attempt, call) for call in calls]
        go.set()
        return Counter(future.result() for future in futures)


def test_two_hundred_readers_race_for_the_last_place():
    event = EventFactory(capacity=5)
    readers = many_readers(204)
    for reader in readers[:4]:
        services.book_event(user=reader, event=event)
    outcome = race([lambda r=r: services.book_event(user=r, event=event) for r in readers[4:]])
    assert outcome == Counter({"ok": 1, "full": 199})
    assert event.bookings.filter(status__in=ACTIVE_STATUSES).count() == 5


def test_one_slot_of_one_resource_goes_to_exactly_one_reader():
    studio = ResourceFactory(kind="studio", buffer_minutes=15)
    readers = many_readers(60)
    outcome = race(
        [
            lambda r=r: services.book_resource(
                user=r, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
            )
            for r in readers
        ]
    )
    assert outcome == Counter({"ok": 1, "conflict": 59})


def test_a_room_and_its_part_cannot_both_be_booked_by_racing_readers():
    hall = ResourceFactory(name="多功能厅")
    part = ResourceFactory(name="多功能厅东区", parent=hall, location=hall.location)
    printer = ResourceFactory(name="3D打印机", parent=part, location=hall.location)
    readers = many_readers(60)
    targets = [hall, part, printer]
    outcome = race(
        [
            lambda r=r, target=targets[i % 3]: services.book_resource(
                user=r, resource=target, starts_at=local(2, 14), ends_at=local(2, 15)
            )
            for i, r in enumerate(readers)
        ]
    )
    assert outcome == Counter({"ok": 1, "conflict": 59})
    assert Booking.objects.filter(status__in=ACTIVE_STATUSES).count() == 1


def test_one_readers_parallel_requests_cannot_exceed_a_quota():
    category = CategoryFactory(max_bookings_per_day=2, max_hours_per_day=Decimal("10"))
    machines = [ResourceFactory(category=category, kind="equipment") for _ in range(20)]
    (reader,) = many_readers(1)
    outcome = race(
        [
            lambda m=m: services.book_resource(
                user=reader, resource=m, starts_at=local(3, 9), ends_at=local(3, 10)
            )
            for m in machines
        ]
    )
    assert outcome == Counter({"ok": 2, "quota_count": 18})


def test_cancelling_and_booking_at_once_never_deadlocks():
    event = EventFactory(capacity=10)
    readers = many_readers(40)
    held = [services.book_event(user=r, event=event) for r in readers[:10]]
    calls = [
        lambda b=b, r=r: services.cancel_booking(booking=b, by=r)
        for b, r in zip(held, readers[:10], strict=True)
    ]
    calls += [lambda r=r: services.book_event(user=r, event=event) for r in readers[10:]]
    outcome = race(calls)
    assert outcome["ok"] >= 10
    assert set(outcome) <= {"ok", "full"}
    assert event.bookings.filter(status__in=ACTIVE_STATUSES).count() <= 10
