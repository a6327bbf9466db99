"""H5P files and the player come from the user-content origin only.

Before: a library's scripts were served by the site as text/javascript (so they passed the
site's ``script-src 'self'``), its SVG as image/svg+xml, and the player ran in site pages under
a loosened CSP. Now the site only redirects; the player is a sandboxed frame whose document
posts results to the page, and the page posts them to the site with its CSRF token.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from courses.h5p import services, views
from courses.models import XAPIStatement
from media import usercontent
from media.services import storage_for
from media.tests.usercontent import body, fetch, follow

from . import h5p_packages
from .factories import course, lessons_of

pytestmark = pytest.mark.django_db

SANDBOX = "sandbox; default-src 'none'"
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
HOSTILE_HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.fixture
def content():
    return services.install(source=h5p_packages.valid(), user=None)


@pytest.fixture
def library(content):
    return content.libraries.get(machine_name="H5P.LiaotuChoice")


@pytest.fixture
def hostile_files(content, library):
    """A library SVG and a content file holding markup, as a package could bring them."""
    storage = storage_for(services.VISIBILITY)
    svg_key = services.library_key(library.folder, "images/icon.svg")
    storage.save(svg_key, ContentFile(HOSTILE_SVG))
    library.files = [*library.files, "images/icon.svg"]
    library.save(update_fields=["files"])
    text_key = services.content_key(content.pk, "content/files/notes.txt")
    storage.save(text_key, ContentFile(HOSTILE_HTML))
    content.content_files = [*content.content_files, "files/notes.txt"]
    content.save(update_fields=["content_files"])
    yield
    storage.delete(svg_key)
    storage.delete(text_key)


def _headers_of_user_content(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response


def test_a_librarys_script_is_never_served_by_the_site(library):
    client = Client()
    path = f"/learning/h5p/libraries/{library.folder}/{library.preloaded_js[0]}"
    redirect, response = follow(client, path)
    assert urlsplit(redirect["Location"]).netloc == "usercontent.testserver"
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == SANDBOX
    _headers_of_user_content(response)
    assert body(response)
    # The user-content path on the site's host is nothing.
    assert client.get(urlsplit(redirect["Location"]).path).status_code == 404


def test_svg_and_markup_from_a_package_are_attachments_under_the_sandbox(
    content, library, hostile_files
):
    client = Client()
    _redirect, svg = follow(client, f"/learning/h5p/libraries/{library.folder}/images/icon.svg")
    assert body(svg) == HOSTILE_SVG
    # The player's CSS may use it as an image; opened as a page it downloads, and even
    # rendered it could run nothing.
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"].startswith("attachment;")
    assert svg["Content-Security-Policy"] == SANDBOX
    _headers_of_user_content(svg)
    _redirect, text = follow(client, f"/learning/h5p/content/{content.pk}/content/files/notes.txt")
    assert body(text) == HOSTILE_HTML
    assert text["Content-Type"] == "text/plain"
    assert text["Content-Disposition"].startswith("attachment;")
    assert text["Content-Security-Policy"] == SANDBOX


def test_content_files_need_a_valid_token(content):
    client = Client()
    location = client.get(f"/learning/h5p/content/{content.pk}/h5p.json")["Location"]
    assert fetch(client, location).json()["mainLibrary"] == "H5P.LiaotuChoice"
    token = urlsplit(location).path.split("/")[3]
    payload, signature = token.rsplit(":", 1)
    for bad in (token[:-1], f"{payload}:{signature[::-1]}", token + "x"):
        response = client.get(f"/h5p/content/{bad}/h5p.json", HTTP_HOST="usercontent.testserver")
        assert response.status_code == 404, bad
    file_token = urlsplit(
        usercontent.file_url(
            visibility="private",
            key="x",
            content_type="text/plain",
            filename="x.txt",
            source=usercontent.Source.ORIGINAL,
        )
    ).path.split("/")[2]
    response = client.get(f"/h5p/content/{file_token}/h5p.json", HTTP_HOST="usercontent.testserver")
    assert response.status_code == 404
    for path in (
        f"/h5p/content/{token}/secret.txt",
        f"/h5p/content/{token}/content/../../h5p.json",
        f"/h5p/libraries/{uuid.uuid4()}/x.js",
    ):
        assert client.get(path, HTTP_HOST="usercontent.testserver").status_code == 404, path


def test_the_player_document_has_its_own_policy_and_only_the_site_may_frame_it(content, settings):
    client = Client()
    page = client.get(reverse("courses:h5p-player", args=[content.pk]))
    config = json.loads(
        re.search(
            r'<script id="h5p-config" type="application/json">(.*?)</script>',
            page.content.decode(),
            re.S,
        ).group(1)
    )
    assert config["frameOrigin"] == "http://usercontent.testserver"
    assert config["frameUrl"].startswith("http://usercontent.testserver/h5p/player/")
    frame = fetch(client, config["frameUrl"], HTTP_COOKIE="sessionid=abc; csrftoken=def")
    assert frame.status_code == 200
    policy = frame["Content-Security-Policy"]
    directives = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in policy.split(";")
        if part.strip()
    }
    assert directives == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "media-src": "'self' blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "frame-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "http://127.0.0.1:8000",
    }
    assert "sandbox" not in directives
    assert "X-Frame-Options" not in frame
    _headers_of_user_content(frame)
    html = frame.content.decode()
    assert '<script src="/static/build/h5p/main.bundle.js"' in html
    assert '"parentOrigin": "http://127.0.0.1:8000"' in html
    # The player's own code comes from user content too, and nothing else of static.
    script = client.get("/static/build/h5p-frame.js", HTTP_HOST="usercontent.testserver")
    assert script.status_code == 200 and script["Content-Type"] == "text/javascript"
    for other in ("/static/build/main.js", "/static/css/site.css", "/static/build/../h5p.txt"):
        response = client.get(other, HTTP_HOST="usercontent.testserver")
        assert response.status_code == 404, other


def test_site_pages_with_a_player_are_not_loosened(content, user):
    client = Client()
    the_course = course(lessons=[("判断题", "score", [("h5p", {"activity": content})],
                                  {"threshold": 80})])  # fmt: skip
    lesson = lessons_of(the_course)[0]
    for url in (reverse("courses:h5p-player", args=[content.pk]), lesson.url):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert views.FRAME_SCRIPT not in policy
        assert "'unsafe-inline'" not in policy
        assert "script-src 'self';" in policy + ";"
        assert "frame-src 'self' http://usercontent.testserver" in policy
        page = response.content.decode()
        assert "build/h5p/main.bundle.js" not in page
        # A visitor's page is one copy for every visitor (core.pagecache): no token in it (the
        # player sends nothing for a visitor). A signed-in reader's page carries theirs.
        assert 'data-csrf="' not in page
    reader = Client()
    reader.force_login(user)
    assert 'data-csrf="' in reader.get(lesson.url).content.decode()


def test_a_statement_body_too_deep_or_not_an_object_is_a_400(content, user):
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    url = reverse("courses:h5p-statements")
    for raw in ("[" * 5000 + "]" * 5000, "[1, 2]", "{not json", '{"content": "' + "x" * 300_000):
        response = client.post(url, raw, content_type="application/json")
        assert response.status_code == 400, raw[:20]
        assert set(response.json()) == {"error"}
    assert not XAPIStatement.objects.exists()
