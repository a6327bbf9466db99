"""Each reader's permissions are kept between requests (accounts.auth.KeptPermissionsBackend):
every way a permission is given or taken away must show on the very next request."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from accounts import roles, services
from accounts.models import User

pytestmark = pytest.mark.django_db

DESK = "booking.manage_bookings"


def fresh(user: User) -> User:
    """The reader as the next request loads them (a new object, no per-request cache)."""
    return User.objects.get(pk=user.pk)


def test_a_role_given_and_taken_shows_at_once(user):
    assert not fresh(user).has_perm(DESK)
    services.assign_role(user=user, role=roles.TECHNICIAN)
    assert fresh(user).has_perm(DESK)
    fresh(user).groups.clear()
    assert not fresh(user).has_perm(DESK)


def test_a_permission_taken_from_a_group_shows_at_once(user):
    services.assign_role(user=user, role=roles.TECHNICIAN)
    assert fresh(user).has_perm(DESK)
    app_label, codename = DESK.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    for group in Group.objects.filter(permissions=permission):
        group.permissions.remove(permission)
    assert not fresh(user).has_perm(DESK)


def test_a_permission_given_to_the_reader_alone_and_superuser_and_deactivation(user):
    app_label, codename = DESK.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    user.user_permissions.add(permission)
    assert fresh(user).has_perm(DESK)
    user.user_permissions.remove(permission)
    assert not fresh(user).has_perm(DESK)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    assert fresh(user).has_perm(DESK)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not fresh(user).has_perm(DESK)


def test_the_menu_shows_a_desk_only_while_the_permission_lasts(demo_site, user):
    # (A permission of the reader's own: a staff role would first ask for two-factor sign-in.)
    app_label, codename = DESK.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    client = Client()
    client.force_login(user)
    desk = reverse("booking:staff-calendar")
    assert desk not in client.get("/").content.decode()
    user.user_permissions.add(permission)
    assert desk in client.get("/").content.decode()
    user.user_permissions.remove(permission)
    assert desk not in client.get("/").content.decode()
    assert client.get(desk).status_code in (302, 403)
