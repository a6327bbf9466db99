import io
from collections import Counter

import pytest
from django.core.management import call_command

from booking.models import Booking, Event, Resource, WaitlistEntry


@pytest.mark.django_db
def test_demo_bookings_cover_every_kind_and_state(client):
    call_command("seed_demo", "--only", "accounts", "cms", "booking", stdout=io.StringIO())
    kinds = set(Resource.objects.values_list("kind", flat=True))
    assert kinds == {"space", "equipment", "studio", "human_book"}
    assert Resource.objects.filter(parent__parent__isnull=False).exists()  # three levels deep
    states = Counter(Booking.objects.filter(is_hold=False).values_list("status", flat=True))
    assert {"confirmed", "pending", "cancelled", "checked_in", "no_show"} <= set(states)
    assert Event.objects.filter(series__isnull=False).count() == 6
    assert WaitlistEntry.objects.filter(status="waiting").count() == 1
    assert Event.objects.filter(resource__isnull=False, room_booking__isnull=True).count() == 0
    before = Booking.objects.count()
    call_command("seed_demo", "--only", "accounts", "cms", "booking", stdout=io.StringIO())
    assert Booking.objects.count() == before
    home = client.get("/").content.decode()
    assert 'href="/booking/"' in home
    assert client.get("/booking/").status_code == 200
