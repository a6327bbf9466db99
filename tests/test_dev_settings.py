"""``make run`` (config.settings.dev) shows the site's own error pages: DEBUG is off unless
DJANGO_DEBUG asks for it, so nobody trying the site ever sees a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def dev_debug(**extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env.update(extra)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for():
    assert dev_debug() == "False"
    assert dev_debug(DJANGO_DEBUG="true") == "True"


@pytest.mark.django_db
def test_a_missing_page_is_the_sites_own_404(client):
    response = client.get("/no-such-page-at-all/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Traceback" not in html and "technical" not in html.lower()
    assert "<html" in html and "zh" in html[:400]


@pytest.mark.django_db
def test_a_refused_security_check_is_the_sites_own_page_in_chinese(user):
    """A sign-in form left open until its CSRF cookie was gone: the site's layout, readable on
    a phone, in the reader's language, and no advice to switch DEBUG on."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": user.email, "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert 'name="viewport"' in html and 'lang="zh-hans"' in html.lower()
    assert "页面打开时间过长" in html
    assert "DEBUG" not in html and "CSRF" not in html


@pytest.mark.django_db
def test_a_refused_security_check_answers_json_callers_in_json(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/learning/h5p/statements/", "{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "页面打开时间过长" in response.json()["error"]


@pytest.mark.django_db
def test_a_body_too_large_to_read_is_the_sites_own_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", {"login": "x" * 2000, "password": "y"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="viewport"' in html and "无法处理该请求" in html
    assert "Bad Request" not in html
