"""The public API's shared behaviour: problem documents, body limits, pagination, conditional
GET, throttling, and the schema with its documentation served from our own origin."""

import json

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

from accounts.tests.factories import sign_in
from booking.tests.factories import EventFactory, ResourceFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:liaotu:problem:{code}"
    assert body["title"]
    return body


def test_refusals_are_problem_documents_in_the_callers_language(client):
    body = problem(client.get("/api/v1/me/bookings/"), 401, "unauthenticated")
    assert client.get("/api/v1/me/bookings/")["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert body["title"] == "请先登录。" and body["instance"] == "/api/v1/me/bookings/"
    english = client.get("/api/v1/me/bookings/", HTTP_ACCEPT_LANGUAGE="en")
    assert problem(english, 401, "unauthenticated")["title"] == "Please sign in first."
    problem(client.get("/api/v1/events/999999/"), 404, "not_found")
    problem(client.get("/api/v1/resources/no-such-room/"), 404, "not_found")
    problem(client.delete("/api/v1/events/"), 405, "method_not_allowed")
    # A version that does not exist is not served.
    assert client.get("/api/v2/events/").status_code == 404


def test_hostile_bodies_are_refused_before_anything_is_stored(client, user):
    from booking.models import Booking

    assert sign_in(client, user.email)
    url = "/api/v1/me/bookings/"
    deep = "[" * 5000 + "]" * 5000
    problem(client.post(url, deep, content_type="application/json"), 400, "json_too_deep")
    problem(client.post(url, "{not json", content_type="application/json"), 400, "json_invalid")
    problem(client.post(url, "[1, 2]", content_type="application/json"), 400, "json_not_object")
    huge = json.dumps({"note": "x" * (256 * 1024)})
    problem(client.post(url, huge, content_type="application/json"), 400, "json_too_large")
    # Only JSON is read: a form body is refused, not guessed at.
    problem(client.post(url, {"resource": "x"}), 415, "unsupported_media_type")
    # Fields: each refusal names its field, in Chinese.
    body = problem(client.post(url, {}, content_type="application/json"), 400, "required")
    assert set(body["errors"]) == {"resource", "starts_at", "ends_at"}
    assert len(body["errors"]["resource"]) == 1 and "必" in body["errors"]["resource"][0]
    assert not Booking.objects.exists()


def test_lists_are_cursor_paginated_and_pages_do_not_repeat(client):
    location = ResourceFactory().location
    for n in range(25):
        ResourceFactory(name=f"琴房{n:02}", location=location)
    first = client.get("/api/v1/resources/").json()
    assert len(first["results"]) == 20 and first["previous"] is None
    assert "cursor=" in first["next"] and "page=" not in first["next"]
    second = client.get(first["next"]).json()
    names = [r["name"] for r in first["results"] + second["results"]]
    assert len(names) == len(set(names)) == 26
    assert second["next"] is None
    small = client.get("/api/v1/resources/", {"page_size": 5}).json()
    assert len(small["results"]) == 5
    assert len(client.get("/api/v1/resources/", {"page_size": 10_000}).json()["results"]) == 26
    # A broken cursor is refused, not a server error.
    problem(client.get("/api/v1/resources/", {"cursor": "bz14"}), 404, "not_found")


def test_reads_carry_an_etag_and_answer_304(client):
    EventFactory(title="剪纸课")
    first = client.get("/api/v1/events/")
    tag = first["ETag"]
    assert tag.startswith('"') and "Accept-Language" in first["Vary"]
    again = client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    # Weak and listed forms match too; another tag does not.
    assert client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=f'"x", W/{tag}').status_code == 304
    assert client.get("/api/v1/events/", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    EventFactory(title="书法课")
    assert client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_too_many_requests_get_429_with_retry_after(client, settings, monkeypatch):
    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "3/min"}
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", rates)
    for _n in range(3):
        assert client.get("/api/v1/events/").status_code == 200
    refused = client.get("/api/v1/events/")
    problem(refused, 429, "throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address has its own count.
    assert client.get("/api/v1/events/", REMOTE_ADDR="10.9.8.7").status_code == 200
    cache.clear()


@pytest.mark.parametrize(
    ("proxies", "spelling"),
    [
        (0, "10.0.0.{n}"),  # no proxy: the header is only the client's own words
        (0, "10.0.0.{n},10.1.1.{n}"),
        (1, "10.0.0.{n}, {real}"),  # behind nginx, which appends the address it saw
        (1, "10.0.0.{n}, 10.1.1.{n},{real}"),
    ],
)
def test_a_forged_forwarded_for_gets_no_fresh_allowance(
    client, settings, monkeypatch, proxies, spelling
):
    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "3/min"}
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", rates)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}

    def get(n: int, real: str = "203.0.113.9"):
        header = spelling.format(n=n, real=real)
        return client.get("/api/v1/events/", HTTP_X_FORWARDED_FOR=header)

    for n in range(3):
        assert get(n).status_code == 200
    problem(get(3), 429, "throttled")  # a fourth forged first address changes nothing
    if proxies:
        # The address the proxy saw is what counts: another reader behind it has their own.
        assert get(4, real="203.0.113.10").status_code == 200
    cache.clear()


def test_the_schema_and_its_documentation_come_from_our_origin(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me/bookings/" in document["paths"]
    assert not [path for path in document["paths"] if not path.startswith("/api/v1/")]
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(url).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_search_finds_chinese_pinyin_and_initials_with_marked_hits(client):
    ResourceFactory(name="智能手机体验区")
    for query in ("智能手机", "zhinengshouji", "znsj"):
        body = client.get("/api/v1/search/", {"q": query}).json()
        titles = [hit["title"] for hit in body["results"]]
        assert "智能手机体验区" in titles, query
        assert body["counts"]["booking"] >= 1
        hit = next(h for h in body["results"] if h["title"] == "智能手机体验区")
        assert "<mark>" in hit["title_html"] and hit["url"].startswith("/booking/")
    one_kind = client.get("/api/v1/search/", {"q": "智能手机", "kind": "booking"}).json()
    assert one_kind["kind"] == "booking" and one_kind["page"] == 1
    hostile = client.get("/api/v1/search/", {"q": "<script>智能手机", "page": "99999"}).json()
    assert all("<script>" not in h["title_html"] for h in hostile["results"])


def test_a_refused_oversized_body_closes_the_connection_under_gunicorn(client, user):
    """gunicorn drops a connection whose request body was left unread: the answer says so."""
    client.force_login(user)
    big = b'{"note": "' + b"x" * 300_000 + b'"}'
    for server, closes in (("gunicorn/27.0.0", True), ("WSGIServer/0.2", False)):
        response = client.post(
            "/api/v1/me/bookings/", big, content_type="application/json", SERVER_SOFTWARE=server
        )
        assert response.json()["code"] == "json_too_large"
        assert (response.get("Connection") == "close") is closes


def test_the_readers_own_language_answers_an_app_token(client, user):
    from accounts.tests.factories import app_token

    user.language = "en"
    user.save(update_fields=["language"])
    token = app_token(client, user.email)
    from django.test import Client

    answer = Client().get("/api/v1/events/999999/", HTTP_X_SESSION_TOKEN=token)
    assert answer.json()["title"] == "Not found." and answer["Content-Language"] == "en"
