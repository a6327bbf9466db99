"""Active content never runs on the site's origin.

Every file a person or a package supplied is answered by the site with a redirect to a signed,
short-lived URL on the user-content origin, which serves it without the site's cookies, under a
sandboxing CSP, with nosniff, and as an attachment unless it is a processed image, audio or
video or WebVTT. Tokens are checked: edited, truncated, expired, foreign or moved tokens get
nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from media import services, usercontent
from media.models import Derivative, MediaAsset, StoredFile, Visibility
from media.usercontent import ATTACHMENT, INLINE, OCTET_STREAM, Source, disposition_for

from .usercontent import body, fetch, follow, is_usercontent_url

SANDBOX = "sandbox; default-src 'none'"
HOSTILE_HTML = b"<!doctype html><script>fetch('/accounts/profile/')</script>"
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>alert(1)</script></svg>"
)
HOSTILE_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"3 0 obj << /S /JavaScript /JS (app.alert('pwned')) >> endobj\ntrailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


# -- the policy, pinned ------------------------------------------------------------------------

POLICY = [
    # (content type, source) -> (type sent, disposition)
    ("image/jpeg", Source.DERIVATIVE, "image/jpeg", INLINE),
    ("image/webp", Source.DERIVATIVE, "image/webp", INLINE),
    ("image/png", Source.DERIVATIVE, "image/png", INLINE),
    ("video/mp4", Source.DERIVATIVE, "video/mp4", INLINE),
    ("audio/mp4", Source.DERIVATIVE, "audio/mp4", INLINE),
    ("text/vtt", Source.DERIVATIVE, "text/vtt", INLINE),
    ("text/vtt", Source.CAPTIONS, "text/vtt", INLINE),
    ("text/vtt; charset=utf-8", Source.CAPTIONS, "text/vtt", INLINE),
    ("application/json", Source.DERIVATIVE, "application/json", ATTACHMENT),  # waveform peaks
    ("image/svg+xml", Source.DERIVATIVE, OCTET_STREAM, ATTACHMENT),
    ("text/html", Source.DERIVATIVE, OCTET_STREAM, ATTACHMENT),
    ("video/mp4", Source.ORIGINAL, "video/mp4", ATTACHMENT),  # still processing: no inline
    ("image/jpeg", Source.ORIGINAL, "image/jpeg", ATTACHMENT),
    ("application/pdf", Source.ORIGINAL, "application/pdf", ATTACHMENT),
    ("model/stl", Source.ORIGINAL, "model/stl", ATTACHMENT),
    ("text/x-gcode", Source.ORIGINAL, "text/x-gcode", ATTACHMENT),
    ("text/vtt", Source.ORIGINAL, "text/vtt", ATTACHMENT),
    ("text/html", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("TEXT/HTML; charset=utf-8", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("application/xhtml+xml", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("image/svg+xml", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("text/xml", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("text/javascript", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("application/javascript", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("text/css", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("", Source.ORIGINAL, OCTET_STREAM, ATTACHMENT),
    ("text/javascript", Source.PACKAGE, "text/javascript", ATTACHMENT),
    ("text/css", Source.PACKAGE, "text/css", ATTACHMENT),
    ("image/svg+xml", Source.PACKAGE, "image/svg+xml", ATTACHMENT),
    ("text/html", Source.PACKAGE, OCTET_STREAM, ATTACHMENT),
    ("application/xml", Source.PACKAGE, OCTET_STREAM, ATTACHMENT),
    ("video/mp4", Source.PACKAGE, "video/mp4", ATTACHMENT),
    ("application/json", Source.PACKAGE, "application/json", ATTACHMENT),
]


@pytest.mark.parametrize(("given", "source", "sent", "disposition"), POLICY)
def test_the_one_policy_for_types_and_dispositions(given, source, sent, disposition):
    assert disposition_for(given, source) == usercontent.Delivery(sent, disposition)


def test_only_processed_media_and_captions_are_ever_inline():
    inline = {(given, source) for given, source, _sent, how in POLICY if how == INLINE}
    assert {source for _given, source in inline} == {Source.DERIVATIVE, Source.CAPTIONS}
    expected = {
        "image/jpeg", "image/png", "image/webp", "image/gif", "image/avif",
        "audio/mp4", "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm",
        "video/mp4", "video/webm", "video/ogg",
    }  # fmt: skip
    assert expected == usercontent.INLINE_MEDIA_TYPES
    for source in Source:
        assert disposition_for("image/svg+xml", source).disposition == ATTACHMENT


# -- fixtures ------------------------------------------------------------------------------------


def _store(owner, name, data, content_type, visibility=Visibility.PRIVATE):
    return services.store_file(
        content=ContentFile(data),
        original_name=name,
        content_type=content_type,
        visibility=visibility,
        owner=owner,
        prefix="tests/usercontent",
    )


@pytest.fixture
def stored(user, s3_endpoint):
    made: list[StoredFile] = []

    def make(name, data, content_type, visibility=Visibility.PRIVATE, owner=user):
        item = _store(owner, name, data, content_type, visibility)
        made.append(item)
        return item

    yield make
    for item in made:
        services.storage_for(item.visibility).delete(item.key)


def assert_usercontent_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "Set-Cookie" not in response and not response.cookies


# -- hostile content through the site ------------------------------------------------------------

HOSTILE = [
    ("page.html", HOSTILE_HTML, "text/html", OCTET_STREAM),
    ("drawing.svg", HOSTILE_SVG, "image/svg+xml", OCTET_STREAM),
    ("scan.pdf", HOSTILE_PDF, "application/pdf", "application/pdf"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "content_type", "sent"), HOSTILE)
@pytest.mark.parametrize("query", ["", "?download=1", "?download=0"])
def test_hostile_files_never_come_from_the_site(
    client, user, stored, name, data, content_type, sent, query
):
    item = stored(name, data, content_type)
    client.force_login(user)
    redirect, response = follow(client, f"/files/{item.pk}/{query}")
    assert redirect["Location"].startswith("http://usercontent.testserver/f/")
    assert response.status_code == 200
    assert body(response) == data
    assert_usercontent_headers(response)
    assert response["Content-Type"] == sent
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "content_type", "sent"), HOSTILE)
def test_hostile_public_files_and_downloads_are_attachments_too(
    client, stored, name, data, content_type, sent
):
    item = stored(name, data, content_type, visibility=Visibility.PUBLIC, owner=None)
    for path in (f"/files/{item.pk}/", f"/files/{item.pk}/download/"):
        _redirect, response = follow(client, path)
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == sent
        assert_usercontent_headers(response)


@pytest.mark.django_db
def test_derivatives_are_inline_and_the_original_stays_an_attachment_while_processing(
    client, user, stored
):
    original = stored("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    asset = MediaAsset.objects.create(original=original, kind="video", format="mp4")
    client.force_login(user)
    # Still processing: the owner's own original is never shown inline.
    _redirect, response = follow(client, f"/files/{original.pk}/")
    assert response["Content-Disposition"].startswith("attachment;")
    poster = stored("poster.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")
    Derivative.objects.create(asset=asset, role="poster", file=poster)
    _redirect, response = follow(client, f"/files/{poster.pk}/")
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "image/jpeg"
    assert_usercontent_headers(response)
    captions = stored("captions.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n", "text/vtt")
    _redirect, response = follow(client, f"/files/{captions.pk}/")
    assert response["Content-Disposition"].startswith("inline;")


@pytest.mark.django_db
def test_the_redirect_is_private_shorter_than_the_token_and_varies_by_cookie(client, user, stored):
    item = stored("a.bin", b"x" * 10, "application/octet-stream")
    client.force_login(user)
    redirect = client.get(f"/files/{item.pk}/")
    match = re.fullmatch(r"private, max-age=(\d+)", redirect["Cache-Control"])
    assert match and 0 < int(match.group(1)) < usercontent.max_age()
    assert "Cookie" in redirect["Vary"]


@pytest.mark.django_db
def test_range_requests_still_work_on_user_content(client, user, stored):
    data = bytes(range(256)) * 16
    item = stored("a.bin", data, "application/octet-stream")
    client.force_login(user)
    location = client.get(f"/files/{item.pk}/")["Location"]
    response = fetch(client, location, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert body(response) == data[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"


@pytest.mark.django_db
def test_permission_is_still_checked_on_the_site(client, other_user, stored):
    item = stored("a.bin", b"secret", "application/octet-stream")
    assert client.get(f"/files/{item.pk}/").status_code == 404
    client.force_login(other_user)
    assert client.get(f"/files/{item.pk}/").status_code == 404
    assert client.get(f"/files/{item.pk}/download/").status_code == 404


# -- the two origins are apart ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sites_cookies_never_reach_user_content(client, user, stored, monkeypatch):
    from media import delivery

    item = stored("a.bin", b"data", "application/octet-stream")
    client.force_login(user)
    client.get("/accounts/profile/")  # sets the CSRF cookie too
    assert client.cookies.get("sessionid")
    location = client.get(f"/files/{item.pk}/")["Location"]
    seen = {}
    real = delivery.stream_response

    def spy(request, **kwargs):
        seen["cookies"] = dict(request.COOKIES)
        seen["header"] = request.META.get("HTTP_COOKIE")
        seen["session"] = hasattr(request, "session")
        seen["user"] = hasattr(request, "user")
        seen["csrf"] = "CSRF_COOKIE" in request.META
        return real(request, **kwargs)

    monkeypatch.setattr(delivery, "stream_response", spy)
    cookie_header = "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
    assert "sessionid=" in cookie_header
    response = fetch(client, location, HTTP_COOKIE=cookie_header)
    assert response.status_code == 200
    assert seen == {"cookies": {}, "header": None, "session": False, "user": False, "csrf": False}
    assert "Set-Cookie" not in response and "Vary" not in response
    assert "Content-Language" not in response


@pytest.mark.django_db
def test_user_content_paths_are_not_on_the_site_and_site_paths_not_on_user_content(
    client, user, stored
):
    item = stored("a.bin", b"data", "application/octet-stream")
    client.force_login(user)
    location = client.get(f"/files/{item.pk}/")["Location"]
    path = urlsplit(location).path
    assert client.get(path).status_code == 404  # on the site's host
    host = urlsplit(location).netloc
    for site_path in (f"/files/{item.pk}/", "/", "/accounts/profile/", "/admin/", "/healthz"):
        response = client.get(site_path, HTTP_HOST=host)
        assert response.status_code == 404, site_path
        assert_usercontent_headers(response)
    # Another port of the same host name is still user content: cookies ignore ports.
    other_port = client.get(f"/files/{item.pk}/", HTTP_HOST="usercontent.testserver:8443")
    assert other_port.status_code == 404


# -- tokens ----------------------------------------------------------------------------------------


def _split(location: str) -> tuple[str, str]:
    path = urlsplit(location).path
    _empty, _f, token, name = path.split("/", 3)
    return token, name


@pytest.fixture
def two_files(client, user, stored):
    first = stored("first.bin", b"first file", "application/octet-stream")
    second = stored("second.bin", b"second file", "application/octet-stream")
    client.force_login(user)
    return (
        _split(client.get(f"/files/{first.pk}/")["Location"]),
        _split(client.get(f"/files/{second.pk}/")["Location"]),
    )


def _get(client, path):
    return client.get(path, HTTP_HOST="usercontent.testserver")


def _flip(text: str, index: int) -> str:
    char = text[index]
    return text[:index] + ("A" if char != "A" else "B") + text[index + 1 :]


@pytest.mark.django_db
def test_a_valid_token_works(client, two_files):
    (token, name), _second = two_files
    response = _get(client, f"/f/{token}/{name}")
    assert response.status_code == 200 and body(response) == b"first file"


@pytest.mark.django_db
def test_edited_and_truncated_tokens_are_refused(client, two_files):
    (token, name), _second = two_files
    payload, signature = token.rsplit(":", 1)
    variants = [
        f"{payload}:{_flip(signature, 0)}",  # signature edited
        f"{payload}:{_flip(signature, len(signature) - 1)}",  # last byte edited
        f"{_flip(payload, 5)}:{signature}",  # payload edited
        token[:-1],  # one byte short
        token + "A",  # one byte too many
        payload,  # no signature
        f"{payload}:",
        "",
    ]
    for variant in variants:
        response = _get(client, f"/f/{variant}/{name}")
        assert response.status_code == 404, variant
        assert body(response) == b"Not found"


@pytest.mark.django_db
def test_expired_tokens_are_refused(client, two_files, monkeypatch):
    (token, name), _second = two_files
    payload = usercontent.unsign(token, salt=usercontent.FILE_SALT)
    monkeypatch.setattr(usercontent.time, "time", lambda: payload["x"])
    response = _get(client, f"/f/{token}/{name}")
    assert response.status_code == 404 and body(response) == b"Not found"
    with pytest.raises(usercontent.TokenRefused) as refused:
        usercontent.unsign(token, salt=usercontent.FILE_SALT)
    assert refused.value.code == "token_expired"
    monkeypatch.setattr(usercontent.time, "time", lambda: payload["x"] - 1)
    assert _get(client, f"/f/{token}/{name}").status_code == 200


@pytest.mark.django_db
def test_a_tiny_lifetime_expires_quickly(client, user, stored, settings, monkeypatch):
    settings.USERCONTENT_URL_MAX_AGE = 1
    item = stored("a.bin", b"data", "application/octet-stream")
    client.force_login(user)
    now = 1_900_000_000.0
    monkeypatch.setattr(usercontent.time, "time", lambda: now)
    token, name = _split(client.get(f"/files/{item.pk}/")["Location"])
    assert _get(client, f"/f/{token}/{name}").status_code == 200
    monkeypatch.setattr(usercontent.time, "time", lambda: now + 2)
    assert _get(client, f"/f/{token}/{name}").status_code == 404


@pytest.mark.django_db
def test_a_token_only_opens_its_own_file_under_its_own_name(client, two_files):
    (token, name), (other_token, other_name) = two_files
    assert _get(client, f"/f/{token}/{other_name}").status_code == 404
    assert _get(client, f"/f/{other_token}/{name}").status_code == 404
    assert _get(client, f"/f/{token}/{name}x").status_code == 404
    # Another route of the user-content origin does not take a file token either.
    assert _get(client, f"/h5p/player/{token}/").status_code == 404
    assert _get(client, f"/h5p/content/{token}/h5p.json").status_code == 404


@pytest.mark.django_db
def test_tokens_of_another_salt_or_secret_are_refused(client, two_files, settings):
    (token, name), _second = two_files
    payload = usercontent.unsign(token, salt=usercontent.FILE_SALT)
    foreign = usercontent.sign(
        {k: v for k, v in payload.items() if k != "v"}, salt="courses.h5p.player"
    )
    assert _get(client, f"/f/{foreign}/{name}").status_code == 404
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert _get(client, f"/f/{token}/{name}").status_code == 404


@pytest.mark.django_db
def test_a_token_cannot_be_widened_to_another_key_or_inline(client, two_files):
    (token, name), _second = two_files
    payload = usercontent.unsign(token, salt=usercontent.FILE_SALT)
    for change in ({"d": INLINE}, {"k": "tests/usercontent/other"}, {"s": "public"}):
        edited = usercontent.sign(
            {k: v for k, v in {**payload, **change}.items() if k != "v"}, salt="not-the-salt"
        )
        assert _get(client, f"/f/{edited}/{name}").status_code == 404


# -- documents, the site's CSP -------------------------------------------------------------------


@pytest.mark.django_db
def test_wagtail_documents_are_attachments_from_user_content(client, s3_endpoint):
    from wagtail.documents import get_document_model

    document = get_document_model().objects.create(
        title="恶意", file=ContentFile(HOSTILE_HTML, name="evil.html")
    )
    try:
        url = document.url
        assert url.startswith("/documents/")
        _redirect, response = follow(client, url)
        assert body(response) == HOSTILE_HTML
        assert response["Content-Type"] == OCTET_STREAM
        assert response["Content-Disposition"].startswith("attachment;")
        assert_usercontent_headers(response)
        assert client.get(url.replace("evil.html", "other.html")).status_code == 404
    finally:
        storages["default"].delete(document.file.name)


@pytest.mark.django_db
def test_site_pages_may_load_user_content_only_as_media_fetches_and_frames(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    having = {name for name, value in directives.items() if "usercontent.testserver" in value}
    assert having == {"img-src", "media-src", "connect-src", "frame-src"}
    assert "'unsafe-inline'" not in directives["style-src"]
    assert "sha256" not in policy


def test_user_content_urls_point_at_the_user_content_origin():
    url = usercontent.file_url(
        visibility="private",
        key="a/b.pdf",
        content_type="application/pdf",
        filename="报告 1/2.pdf",
        source=Source.ORIGINAL,
    )
    assert is_usercontent_url(url)
    assert url.endswith("/%E6%8A%A5%E5%91%8A%201_2.pdf")
    with pytest.raises(ValueError):
        usercontent.file_url(
            visibility="elsewhere", key="k", content_type="", filename="", source=Source.ORIGINAL
        )


@pytest.mark.django_db
def test_the_sites_own_url_names_are_unchanged(stored):
    item = stored("a.bin", b"x", "application/octet-stream")
    assert reverse("media:stream", args=[item.pk]) == f"/files/{item.pk}/"


@pytest.mark.django_db
def test_a_preflight_allows_reads_only_and_the_site_resolves_again_afterwards(client):
    response = client.options(
        "/f/anything/x.bin",
        HTTP_HOST="usercontent.testserver",
        HTTP_ORIGIN="https://viewer.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="range",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert response["Access-Control-Allow-Headers"] == "range"
    assert "Access-Control-Allow-Credentials" not in response
    client.get("/f/anything/x.bin", HTTP_HOST="usercontent.testserver")
    # The user-content urlconf does not stay on the thread after its answer.
    assert reverse("media:stream", args=["00000000-0000-0000-0000-000000000000"]).startswith(
        "/files/"
    )
