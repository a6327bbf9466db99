"""The reader's profile and notifications in the public API."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from core.models import Notification
from core.services import notify

pytestmark = pytest.mark.django_db


def test_profile_and_display_preferences(client, user):
    client.force_login(user)
    profile = client.get("/api/v1/me/profile/").json()
    assert profile["email"] == user.email and profile["large_text"] is False
    changed = client.patch(
        "/api/v1/me/profile/",
        {"large_text": True, "language": "en", "email": "stolen@example.org"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["large_text"] is True
    user.refresh_from_db()
    assert user.large_text and user.language == "en"
    assert user.email != "stolen@example.org"  # the address changes through allauth only


@pytest.mark.parametrize(
    "change",
    [
        {"language": "fr"},
        {"audience_group": "robot"},
        {"display_name": "x" * 61},
        {"large_text": "maybe"},
    ],
)
def test_bad_profile_changes_are_refused_and_nothing_changes(client, user, change):
    client.force_login(user)
    response = client.patch("/api/v1/me/profile/", change, content_type="application/json")
    assert response.status_code == 400 and list(response.json()["errors"]) == list(change)
    user.refresh_from_db()
    assert (user.language, user.audience_group, user.large_text) == ("zh-hans", "", False)


def test_a_library_card_someone_else_has_is_a_field_error(client, user):
    UserFactory(library_card_number="2100123456")
    client.force_login(user)
    response = client.patch(
        "/api/v1/me/profile/",
        {"library_card_number": "2100123456"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "library_card_number" in response.json()["errors"]


def test_notifications_are_mine_alone(client, user, other_user):
    mine = notify(user=user, message="您的预约已确认。", url="/booking/mine/")
    theirs = notify(user=other_user, message="别人的通知")
    client.force_login(user)
    listed = client.get("/api/v1/me/notifications/").json()["results"]
    assert [n["id"] for n in listed] == [mine.pk]
    marked = client.post(
        "/api/v1/me/notifications/read/",
        {"ids": [mine.pk, theirs.pk]},
        content_type="application/json",
    )
    assert marked.json() == {"marked": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get("/api/v1/me/notifications/").json()["results"][0]["read"] is True
    assert Client().get("/api/v1/me/notifications/").status_code == 401
