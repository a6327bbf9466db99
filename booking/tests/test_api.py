"""Booking's API: what a day's availability may be asked for."""

import pytest

from booking.tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_availability_is_asked_for_within_a_year(client, day):
    resource = ResourceFactory()
    response = client.get(f"/api/v1/resources/{resource.slug}/availability/?date={day}")
    assert response.status_code == 400 and response.json()["code"] == "out_of_range"
