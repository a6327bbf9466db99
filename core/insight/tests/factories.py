"""Activity for the dashboards' tests (here and in the browser tests)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking.tests.factories import EventFactory
from core.insight import partitions, services


def roll_up_recent() -> None:
    now = timezone.now()
    services.roll_up_range(now - dt.timedelta(days=2), now + dt.timedelta(hours=1))


def event_activity(*, title: str, audiences: tuple[str, ...] = ("senior",), capacity: int = 1):
    """An event with a place taken for each of ``audiences`` and one refusal for being full."""
    partitions.ensure_months(around=timezone.now(), ahead=0)
    event = EventFactory(title=title, capacity=capacity)
    for audience in audiences:
        services.record(
            "booking.created",
            user=UserFactory(audience_group=audience),
            subject=event,
            value=2.0,
            location=str(event.location_id),
        )
    services.record(
        "booking.refused",
        user=UserFactory(),
        subject=event,
        outcome="full",
        location=str(event.location_id),
    )
    return event


def bookings_activity(events: int = 2) -> list:
    """Places at ``events`` events, one reader each, refusals, and one no-show; rolled up."""
    made = [event_activity(title=f"讲座{n}") for n in range(events)]
    services.record("booking.no_show", user=UserFactory(), subject=made[0])
    roll_up_recent()
    return made
