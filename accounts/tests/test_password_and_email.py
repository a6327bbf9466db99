import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.tests.factories import sign_in


def link_in(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_password_reset_by_mail(client, user):
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    # allauth moves the key into the session and redirects to a key-less form URL.
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url, {"password1": "a-brand-new-password", "password2": "a-brand-new-password"}
    )
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, user.email, "a-brand-new-password")


@pytest.mark.django_db
def test_email_change_is_verified_before_it_replaces_the_old_address(client, user):
    client.force_login(user)
    old_email = user.email
    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "new.address@example.org"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old_email  # unchanged until the new address is confirmed
    link = link_in(mail.outbox[-1], "/accounts/confirm-email/")
    client.post(link)
    user.refresh_from_db()
    assert user.email == "new.address@example.org"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "new.address@example.org"
    ]
