import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_sign_up_verify_log_in_and_edit_profile(client, demo_site):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Zhang.Wei@Example.org",
            "password1": "a-long-library-password",
            "password2": "a-long-library-password",
            "display_name": "张伟",
            "audience_group": "job_seeker",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email__iexact="zhang.wei@example.org")
    assert user.display_name == "张伟"
    assert user.audience_group == "job_seeker"
    assert user.language == "zh-hans"
    assert list(user.groups.values_list("name", flat=True)) == ["reader"]

    # Mandatory verification: signing in before confirming only re-sends the mail.
    assert len(mail.outbox) == 1
    assert "[辽图共享空间]" in mail.outbox[0].subject
    # Greeted by the library's name, in Chinese, not by the host name.
    assert mail.outbox[0].body.startswith("您好，这里是辽图共享空间。")
    assert (
        "Hello" not in mail.outbox[0].body
        and "testserver" not in mail.outbox[0].body.split("\n")[0]
    )
    client.logout()
    response = client.post(
        "/accounts/login/",
        {"login": "zhang.wei@example.org", "password": "a-long-library-password"},
    )
    assert response["Location"] == "/accounts/confirm-email/"
    assert not EmailAddress.objects.get(user=user).verified

    link = confirmation_link(mail.outbox[-1])
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION signs the reader in straight away.
    profile = client.get("/accounts/profile/")
    assert profile.status_code == 200
    assert "张伟" in profile.content.decode()

    response = client.post(
        "/accounts/profile/",
        {
            "display_name": "张伟（沈阳）",
            "library_card_number": "2100-1234-5678",
            "audience_group": "adult",
            "language": "en",
            "large_text": "on",
            "high_contrast": "",
            "reduce_motion": "on",
            "captions_by_default": "on",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "张伟（沈阳）"
    assert user.library_card_number == "2100-1234-5678"
    assert user.large_text and user.reduce_motion and user.captions_by_default
    assert user.language == "en"
    assert response.cookies["django_language"].value == "en"


@pytest.mark.django_db
def test_profile_rejects_a_malformed_card_number_and_keeps_the_old_value(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "x", "library_card_number": "<script>", "language": "zh-hans"},
    )
    assert response.status_code == 200
    assert "4 到 32 位" in response.content.decode()
    user.refresh_from_db()
    assert user.library_card_number == ""


@pytest.mark.django_db
def test_library_card_numbers_and_emails_are_unique_in_the_database(user, other_user):
    from django.db import IntegrityError, transaction

    user.library_card_number = "2100-0001"
    user.save()
    other_user.library_card_number = "2100-0001"
    with pytest.raises(IntegrityError), transaction.atomic():
        other_user.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=user.email.upper())


@pytest.mark.django_db
def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_short_password_is_refused_in_chinese(client, demo_site):
    """Django 5.2 changed the wording of the length rule and its Chinese catalogue did not
    follow; ours carries the translation."""
    response = client.post(
        "/accounts/signup/",
        {"email": "short@example.org", "password1": "k7#q", "password2": "k7#q"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "密码太短，至少需要 8 个字符。" in html
    assert "too short" not in html
    assert not User.objects.filter(email="short@example.org").exists()


@pytest.mark.django_db
def test_the_sign_up_page_uses_chinese_punctuation_and_wording(client, demo_site):
    html = client.get("/accounts/signup/").content.decode()
    assert "哪一类最符合您的情况？</label>" in html  # no colon after the question mark
    assert "电子邮箱：</label>" in html and ":</label>" not in html
    assert "登录</a>。" in html and "登录</a>." not in html
    assert "Email" not in html.split("<body", 1)[1]
