import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.contrib.auth.models import Group

from accounts import roles, services
from accounts.models import User
from accounts.tests.factories import PASSWORD, sign_in


@pytest.mark.django_db
def test_every_role_exists_with_its_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.ALL_ROLES) <= names
    librarian = Group.objects.get(name=roles.LIBRARIAN_ADMIN)
    codenames = set(librarian.permissions.values_list("codename", flat=True))
    assert {"access_admin", "change_navigationsettings", "add_image"} <= codenames
    assert librarian.page_permissions.filter(permission__codename="publish_page").exists()
    reader = Group.objects.get(name=roles.READER)
    assert not reader.permissions.exists()


@pytest.mark.django_db
def test_staff_roles_make_staff_accounts(user):
    services.assign_role(user=user, role=roles.MODERATOR)
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("wagtailadmin.access_admin")


@pytest.mark.django_db
def test_deleting_an_account_removes_personal_data_but_keeps_the_row(client, user):
    user.library_card_number = "2100-9999"
    user.audience_group = "senior"
    user.save()
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    assert AccessAttempt.objects.filter(username=user.email).exists()
    old_email = user.email

    client.force_login(user)
    refused = client.post("/accounts/delete/", {"confirm": "on", "password": "not-it"})
    assert refused.status_code == 200
    assert User.objects.get(pk=user.pk).deleted_at is None

    response = client.post("/accounts/delete/", {"confirm": "on", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.deleted_at is not None
    assert user.email.endswith("@deleted.invalid")
    assert user.display_name == user.library_card_number == ""
    assert user.audience_group == "senior"  # kept for anonymous statistics
    assert not user.is_active and not user.has_usable_password()
    assert not user.groups.exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not AccessAttempt.objects.filter(username=old_email).exists()
    # The old session is gone and the old credentials no longer work.
    assert client.get("/accounts/profile/").status_code == 302
    assert not sign_in(client, old_email)


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(client, user, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "登录尝试失败次数过多" in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302
