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
