import pyotp
import pytest

from accounts import roles, services
from accounts.tests.factories import PASSWORD, sign_in


def enrol_totp(client) -> str:
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        # allauth asks for the password again before a security change.
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


@pytest.mark.django_db
def test_reader_enrols_totp_and_then_signs_in_with_a_code(client, user):
    assert sign_in(client, user.email)
    secret = enrol_totp(client)
    client.logout()

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # Without the code, the reader is not signed in.
    assert client.get("/accounts/profile/").status_code == 302

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_staff_without_totp_are_sent_to_enrol_before_anything_else(client, user, demo_site):
    services.assign_role(user=user, role=roles.LIBRARIAN_ADMIN)
    assert sign_in(client, user.email)
    for path in ("/admin/", "/", "/learn/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    enrol_totp(client)
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_readers_are_not_forced_to_enrol(client, user, demo_site):
    client.force_login(user)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/admin/login/?next=/admin/pages/"])
def test_the_admins_own_sign_in_cannot_skip_the_second_factor(client, user, demo_site, path):
    """Wagtail's login form checks the password alone: a staff member with TOTP was signed in
    there without a code. It now hands over to allauth and signs nobody in."""
    services.assign_role(user=user, role=roles.LIBRARIAN_ADMIN)
    assert sign_in(client, user.email)
    enrol_totp(client)
    client.logout()

    response = client.post(path, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=%2Fadmin%2F")
    assert client.get("/admin/").status_code == 302  # still signed out
    assert "_auth_user_id" not in client.session
    # Signed out, the admin sends staff to allauth's sign-in, which asks for the code.
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")
    answer = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert answer["Location"] == "/accounts/2fa/authenticate/"


@pytest.mark.django_db
def test_the_admin_sign_in_refuses_to_send_staff_elsewhere(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_staff_just_signed_in_set_up_totp_without_typing_the_password_again(
    client, user, demo_site, monkeypatch
):
    import time

    services.assign_role(user=user, role=roles.LIBRARIAN_ADMIN)
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": user.email, "password": PASSWORD}, follow=True
    )
    assert [url for url, _status in response.redirect_chain] == [
        "/admin/",
        "/accounts/2fa/totp/activate/",
    ]
    assert response.status_code == 200 and "form" in response.context
    # Later than the reauthentication window, the password is asked again.
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/")
