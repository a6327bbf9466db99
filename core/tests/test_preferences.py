import pytest

from accounts.tests.factories import sign_in
from core.preferences import DISPLAY_COOKIE


@pytest.mark.django_db
def test_site_is_chinese_by_default_even_for_english_browsers(client, demo_site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans"' in html
    assert "跳到主要内容" in html  # the skip link, translated


@pytest.mark.django_db
def test_visitor_switches_language_and_it_sticks(client, demo_site):
    response = client.post("/preferences/language/", {"language": "en", "next": "/learn/"})
    assert response.status_code == 302
    assert response["Location"] == "/learn/"
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html
    assert "Skip to main content" in html


@pytest.mark.django_db
def test_language_switch_refuses_unknown_language_and_foreign_redirects(client, demo_site):
    assert client.post("/preferences/language/", {"language": "fr"}).status_code == 400
    response = client.post(
        "/preferences/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_signed_in_language_choice_is_saved_on_the_account(client, user, demo_site):
    client.force_login(user)
    client.post("/preferences/language/", {"language": "en"})
    user.refresh_from_db()
    assert user.language == "en"
    # A new browser (no cookies) gets English as soon as the reader signs in.
    fresh = client.__class__()
    fresh.force_login(user)
    assert '<html lang="en"' in fresh.get("/").content.decode()


@pytest.mark.django_db
def test_large_text_persists_for_visitors_in_the_browser(client, demo_site):
    response = client.post("/preferences/display/", {"large_text": "on", "next": "/"})
    assert response.cookies[DISPLAY_COOKIE].value == "large_text"
    html = client.get("/").content.decode()
    assert 'class="large-text"' in html
    client.post("/preferences/display/", {"large_text": "", "high_contrast": "on"})
    html = client.get("/").content.decode()
    assert 'class="high-contrast"' in html


@pytest.mark.django_db
def test_large_text_persists_per_user_across_browsers(client, user, demo_site):
    assert sign_in(client, user.email)
    client.post("/preferences/display/", {"large_text": "on"})
    user.refresh_from_db()
    assert user.large_text is True
    other_browser = client.__class__()
    assert 'class="large-text"' not in other_browser.get("/").content.decode()
    other_browser.force_login(user)
    assert 'class="large-text"' in other_browser.get("/").content.decode()
