"""Booking test data: a location open every day, resources with explicit rules, events."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
import pyotp
from allauth.mfa.totp.internal.auth import TOTP

from accounts import roles
from accounts import services as account_services
from accounts.tests.factories import UserFactory
from booking.models import Category, Event, EventKind, Location, OpeningHours, Resource

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(days: int, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    """``days`` from today (local), at hour:minute local time."""
    today = datetime.now(tz).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=tz)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"馆区{n}")
    slug = factory.Sequence(lambda n: f"location-{n}")

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        """Open 08:00–21:00 every day unless other hours are given as (opens, closes)."""
        opens, closes = extracted or (time(8), time(21))
        for weekday in range(7):
            OpeningHours.objects.create(location=self, weekday=weekday, opens=opens, closes=closes)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类别{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    location = factory.SubFactory(LocationFactory)
    category = factory.SubFactory(CategoryFactory)
    kind = "space"
    name = factory.Sequence(lambda n: f"资源{n}")
    slug = factory.Sequence(lambda n: f"resource-{n}")
    min_duration_minutes = 30
    max_duration_minutes = 180
    slot_minutes = 30
    min_notice_minutes = 60
    booking_window_days = 14


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"讲座{n}")
    kind = EventKind.LECTURE
    location = factory.SubFactory(LocationFactory)
    capacity = 10
    starts_at = factory.LazyFunction(lambda: local(3, 14))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(hours=2))


def staff_member(role: str = roles.TECHNICIAN):
    user = UserFactory()
    account_services.assign_role(user=user, role=role)
    TOTP.activate(user, pyotp.random_base32())
    return user
