"""IIIF viewers on other sites may load public manifests, the recordings they paint and their
WebVTT (``Access-Control-Allow-Origin: *``, and a preflight answer); nothing restricted, embargoed,
unpublished or staff-only ever gets the header, and every access check stays as it was. Every URL
the archive hands out names the public site from ``SITE_URL``, whatever Host header came in.

A recording's URL answers with a redirect to a signed URL on the user-content origin (which
serves every file with its own headers); a viewer follows that redirect in CORS mode, so the
redirect itself carries the header when, and only when, it leads to the public copy."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from oral_history import services
from oral_history.models import AccessLevel, InterviewMedia, Transcript

from .factories import InterviewFactory, archivist, grant, with_content

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("public_site"),
]
SITE = "https://commons.library.example"
ORIGIN = {"HTTP_ORIGIN": "https://viewer.example.org"}
OK = {"manifest": 200, "media": 302, "vtt": 200}
PREFLIGHT = {
    **ORIGIN,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "range",
}


@pytest.fixture
def public_site():
    with override_settings(SITE_URL=SITE):
        yield


def _paths(interview, item) -> dict[str, str]:
    return {
        "manifest": reverse("oral_history:manifest", args=[interview.pk]),
        "media": reverse("oral_history:media", args=[interview.pk, item.pk]),
        "vtt": reverse("oral_history:transcript-vtt", args=[interview.pk]),
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _cors(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-")}


@pytest.fixture
def open_interview(tmp_path):
    interview = InterviewFactory(title="纺织厂的往事")
    item = with_content(interview, tmp_path=tmp_path)
    return interview, item


def test_public_manifest_media_and_transcript_allow_any_origin(open_interview):
    interview, item = open_interview
    visitor = _client()
    for part, path in _paths(interview, item).items():
        response = visitor.get(path, **ORIGIN)
        assert response.status_code == OK[part], part
        assert _cors(response) == {"Access-Control-Allow-Origin": "*"}, part
    # A reader who is signed in gets the same public copy, so the same header.
    reader = _client(UserFactory())
    assert reader.get(_paths(interview, item)["media"])["Access-Control-Allow-Origin"] == "*"
    # The redirect leads to bytes that any origin may read, with ranges for seeking.
    media = visitor.get(_paths(interview, item)["media"], HTTP_RANGE="bytes=0-99", follow=True,
                        **ORIGIN)  # fmt: skip
    media.close()  # ends the request (and the user-content urlconf) like a server would
    assert media.status_code == 206
    assert media["Access-Control-Allow-Origin"] == "*"


def test_the_manifest_names_the_public_site_whatever_the_host_header(open_interview):
    interview, item = open_interview
    path = _paths(interview, item)["manifest"]
    first = _client().get(path, HTTP_HOST="commons.library.example").json()
    second = _client().get(path, HTTP_HOST="evil.example:8443").json()
    assert first == second
    assert first["id"] == f"{SITE}/memories/i/{interview.pk}/manifest.json"
    body = first["items"][0]["items"][0]["items"][0]["body"]
    assert body["id"] == f"{SITE}/memories/i/{interview.pk}/media/{item.pk}/"
    vtt = first["items"][0]["annotations"][0]["items"][0]["body"]
    assert vtt["id"] == f"{SITE}/memories/i/{interview.pk}/transcript.vtt"
    assert first["homepage"][0]["id"] == f"{SITE}/memories/i/{interview.pk}/"
    assert "evil.example" not in json.dumps(second)


def test_api_and_citations_name_the_public_site_whatever_the_host_header(open_interview):
    interview, item = open_interview
    evil = {"HTTP_HOST": "evil.example"}
    api = _client().get(reverse("v1:interview", args=[interview.pk]), **evil).json()
    assert api["url"] == f"{SITE}/memories/i/{interview.pk}/"
    assert api["media"] == [f"{SITE}/memories/i/{interview.pk}/media/{item.pk}/"]
    assert api["transcript"] == f"{SITE}/memories/i/{interview.pk}/transcript.vtt"
    listing = _client().get(reverse("v1:interviews"), **evil).json()
    assert listing["results"][0]["url"] == f"{SITE}/memories/i/{interview.pk}/"
    page = _client().get(reverse("oral_history:interview", args=[interview.pk]), **evil)
    text = page.content.decode()
    assert f"{SITE}/memories/i/{interview.pk}/" in text and "evil.example" not in text


RESTRICTED = {
    "request": {"access_level": AccessLevel.REQUEST},
    "restricted": {"access_level": AccessLevel.RESTRICTED},
    "embargo": {"access_level": AccessLevel.EMBARGO,
                "embargo_until": dt.date.today() + dt.timedelta(days=30)},
    "unpublished": {"published": False},
}  # fmt: skip


@pytest.mark.parametrize("case", list(RESTRICTED))
def test_restricted_recordings_never_get_the_header_and_keep_their_checks(tmp_path, case):
    interview = InterviewFactory(**RESTRICTED[case])
    item = with_content(interview, tmp_path=tmp_path)
    reader = UserFactory()
    grant(interview, reader)
    for part, path in _paths(interview, item).items():
        visitor = _client().get(path, **ORIGIN)
        assert visitor.status_code == 404, part
        assert _cors(visitor) == {}, part
        staff = _client(archivist()).get(path, **ORIGIN)
        assert staff.status_code == OK[part], part
        assert _cors(staff) == {}, part
        if case == "request":
            granted = _client(reader).get(path, **ORIGIN)
            assert granted.status_code == OK[part], part
            assert _cors(granted) == {}, part


def test_a_restricted_recording_in_an_open_interview_gets_no_header(open_interview, tmp_path):
    interview, item = open_interview
    InterviewMedia.objects.filter(pk=item.pk).update(access_level=AccessLevel.RESTRICTED)
    paths = _paths(interview, item)
    assert _client().get(paths["manifest"]).status_code == 404  # nothing left to play
    staff = _client(archivist())
    for part in ("manifest", "media"):
        response = staff.get(paths[part], **ORIGIN)
        assert response.status_code == OK[part] and _cors(response) == {}, part
    # The transcript is still public on its own.
    assert _client().get(paths["vtt"], **ORIGIN)["Access-Control-Allow-Origin"] == "*"


def test_a_restricted_transcript_of_a_public_recording_gets_no_header(open_interview):
    interview, item = open_interview
    Transcript.objects.filter(interview=interview).update(access_level=AccessLevel.RESTRICTED)
    paths = _paths(interview, item)
    assert _client().get(paths["vtt"], **ORIGIN).status_code == 404
    staff = _client(archivist()).get(paths["vtt"], **ORIGIN)
    assert staff.status_code == 200 and _cors(staff) == {}
    # The public manifest (without the transcript) and the recording stay shareable.
    assert _client().get(paths["manifest"], **ORIGIN)["Access-Control-Allow-Origin"] == "*"
    assert _client().get(paths["media"], **ORIGIN)["Access-Control-Allow-Origin"] == "*"


def test_staff_copies_of_public_parts_are_never_shared(open_interview):
    """Staff hear and read the unredacted versions: those answers carry no CORS header."""
    interview, item = open_interview
    services.add_redaction(interview=interview, start=24, end=32, reason="隐私", user=archivist())
    staff = _client(archivist())
    vtt = staff.get(_paths(interview, item)["vtt"], **ORIGIN)
    assert "姐姐的秘密" in vtt.content.decode() and _cors(vtt) == {}
    media = staff.get(_paths(interview, item)["media"], **ORIGIN)
    assert media.status_code == 302 and _cors(media) == {}
    public = _client().get(_paths(interview, item)["vtt"], **ORIGIN)
    assert "姐姐的秘密" not in public.content.decode()
    assert public["Access-Control-Allow-Origin"] == "*"


def test_preflight_is_answered_for_public_parts_only(open_interview, tmp_path):
    interview, item = open_interview
    for part, path in _paths(interview, item).items():
        response = _client().options(path, **PREFLIGHT)
        assert response.status_code == 204, part
        assert response.content == b""
        assert response["Access-Control-Allow-Origin"] == "*"
        assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD",
                                                                             "OPTIONS"}  # fmt: skip
        assert response["Access-Control-Allow-Headers"] == "Range"
        assert int(response["Access-Control-Max-Age"]) > 0
    hidden = InterviewFactory(access_level=AccessLevel.RESTRICTED)
    (tmp_path / "hidden").mkdir()
    hidden_item = with_content(hidden, tmp_path=tmp_path / "hidden")
    for part, path in _paths(hidden, hidden_item).items():
        # A preflight carries no cookies; it is answered as for the public, even for staff.
        for client in (_client(), _client(archivist())):
            response = client.options(path, **PREFLIGHT)
            assert response.status_code == 404, part
            assert _cors(response) == {}, part


def test_other_methods_are_refused(open_interview):
    interview, item = open_interview
    staff = _client(archivist())
    for part, path in _paths(interview, item).items():
        assert staff.delete(path).status_code == 405, part
        assert staff.put(path).status_code == 405, part


def test_an_expired_embargo_opens_the_header_the_same_day(tmp_path):
    interview = InterviewFactory(access_level=AccessLevel.EMBARGO,
                                 embargo_until=timezone.localdate())  # fmt: skip
    item = with_content(interview, tmp_path=tmp_path)
    for part, path in _paths(interview, item).items():
        assert _client().get(path, **ORIGIN)["Access-Control-Allow-Origin"] == "*", part
