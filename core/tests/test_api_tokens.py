"""Apps sign in through allauth's headless API and call ours with the session token it gives:
the same password, verification, TOTP and lockout rules as the site's forms."""

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail

from accounts import roles
from accounts.services import assign_role
from accounts.tests.factories import PASSWORD, UserFactory, sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/_allauth/app/v1/auth/login"
SESSION = "/_allauth/app/v1/auth/session"


def app_login(client, email: str, password: str = PASSWORD):
    return client.post(
        LOGIN, {"email": email, "password": password}, content_type="application/json"
    )


def token_of(response) -> str:
    return response.json()["meta"]["session_token"]


def call(client, path: str, token: str, **kwargs):
    return client.get(path, HTTP_X_SESSION_TOKEN=token, **kwargs)


def test_an_app_signs_in_and_uses_the_token_not_a_cookie(client):
    reader = UserFactory()
    response = app_login(client, reader.email)
    assert response.status_code == 200, response.content
    token = token_of(response)
    assert response.json()["data"]["user"]["email"] == reader.email
    other = type(client)()  # no cookies: only the token identifies the reader
    assert call(other, "/api/v1/me/bookings/", token).status_code == 200
    anonymous = other.get("/api/v1/me/bookings/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert anonymous.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "edit",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
        lambda token: token + "x",  # one character too many
        lambda token: token.upper(),  # another spelling
        lambda token: " ",
    ],
)
def test_an_edited_token_is_a_401_not_a_visitor(client, edit):
    token = token_of(app_login(client, UserFactory().email))
    response = call(type(client)(), "/api/v1/events/", edit(token))
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_invalid"
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'


def test_a_signed_out_token_no_longer_works(client):
    token = token_of(app_login(client, UserFactory().email))
    app = type(client)()
    assert call(app, "/api/v1/me/bookings/", token).status_code == 200
    assert app.delete(SESSION, HTTP_X_SESSION_TOKEN=token).status_code == 401  # signed out
    assert call(app, "/api/v1/me/bookings/", token).json()["code"] == "token_invalid"


def test_a_deactivated_readers_token_stops_working(client):
    reader = UserFactory()
    token = token_of(app_login(client, reader.email))
    reader.is_active = False
    reader.save(update_fields=["is_active"])
    assert call(type(client)(), "/api/v1/me/bookings/", token).status_code == 401


def test_the_wrong_password_gives_no_token(client):
    response = app_login(client, UserFactory().email, "not-the-password")
    assert response.status_code == 400
    assert "session_token" not in response.json().get("meta", {})


def test_an_unverified_address_stops_the_sign_in_and_its_token_is_not_a_sign_in(client):
    reader = UserFactory()
    reader.emailaddress_set.update(verified=False)
    response = app_login(client, reader.email)
    assert response.status_code == 401
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"].get("is_pending")
    pending = token_of(response)
    assert call(type(client)(), "/api/v1/me/bookings/", pending).json()["code"] == "token_invalid"


def test_signing_up_from_an_app_verifies_the_address_like_the_site(client):
    response = client.post(
        "/_allauth/app/v1/auth/signup",
        {"email": "new-reader@example.org", "password": "a-long-enough-pass-phrase"},
        content_type="application/json",
    )
    assert response.status_code == 401, response.content
    assert any(flow.get("is_pending") for flow in response.json()["data"]["flows"])
    assert len(mail.outbox) == 1 and "new-reader@example.org" in mail.outbox[0].to
    # The mail links to the site's own confirmation page.
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def _staff(*, with_totp: bool) -> tuple:
    member = UserFactory()
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    assign_role(user=member, role=roles.TECHNICIAN)
    secret = pyotp.random_base32()
    if with_totp:
        TOTP.activate(member, secret)
    return member, secret


def test_staff_pass_the_second_factor_before_the_token_works(client):
    member, secret = _staff(with_totp=True)
    response = app_login(client, member.email)
    assert response.status_code == 401
    pending = token_of(response)
    assert {flow["id"] for flow in response.json()["data"]["flows"] if flow.get("is_pending")} == {
        "mfa_authenticate"
    }
    assert call(type(client)(), "/api/v1/staff/print-farm/", pending).status_code == 401
    done = client.post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        {"code": pyotp.TOTP(secret).now()},
        content_type="application/json",
        HTTP_X_SESSION_TOKEN=pending,
    )
    assert done.status_code == 200, done.content
    assert call(type(client)(), "/api/v1/staff/print-farm/", token_of(done)).status_code == 200


def test_staff_without_totp_are_refused_by_token_and_by_session(client):
    member, _secret = _staff(with_totp=False)
    token = token_of(app_login(client, member.email))
    for path in ("/api/v1/staff/print-farm/", "/api/v1/me/bookings/"):
        response = call(type(client)(), path, token)
        assert response.status_code == 403 and response.json()["code"] == "mfa_required"
    browser = type(client)()
    assert sign_in(browser, member.email)
    response = browser.get("/api/v1/staff/print-farm/")
    assert response.status_code == 403, response  # a problem document, not a redirect
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "mfa_required"


def test_a_readers_token_does_not_reach_staff_endpoints(client):
    token = token_of(app_login(client, UserFactory().email))
    response = call(type(client)(), "/api/v1/staff/print-farm/", token)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_schema_documents_the_app_token(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["appSessionToken"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
        "description": scheme["description"],
    }
    assert "/_allauth/app/v1/auth/login" in scheme["description"]
    sign_in = client.get("/_allauth/openapi.json").json()
    assert "/_allauth/app/v1/auth/login" in sign_in["paths"]
    assert "/_allauth/browser/v1/auth/login" not in sign_in["paths"]  # apps only
    assert client.get("/_allauth/openapi.yaml").status_code == 200
    assert client.get("/_allauth/openapi.html").status_code == 404  # would load a CDN
