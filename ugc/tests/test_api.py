"""Readers' works in the public API: a work made from a tus upload by an app (token, no cookie),
edited, submitted and withdrawn; nobody reaches another reader's work by its id."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory, app_token
from media.tests import samples
from ugc.models import Work, WorkState

from .factories import make_work

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def _tus_upload(client: Client, data: bytes, name: str = "photo.png", **auth) -> str:
    """Create and send a tus upload in one chunk; the upload's id."""
    meta = f"filename {base64.b64encode(name.encode()).decode()}"
    created = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA=meta,
        **TUS,
        **auth,
    )
    assert created.status_code == 201, created.content.decode()
    location = created["Location"]
    sent = client.generic(
        "PATCH",
        location,
        data=data,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
        **TUS,
        **auth,
    )
    assert sent.status_code == 204, sent.content.decode()
    return location.rstrip("/").rsplit("/", 1)[-1]


def _new_work(client, upload: str, **auth):
    body = {
        "upload": upload,
        "title": "<b>沈阳</b>老街",
        "description": '<p>街景<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        "licence": "cc-by",
        "tags": ["街景", "<i>老照片</i>"],
    }
    return client.post("/api/v1/me/works/", body, content_type="application/json", **auth)


def test_an_app_uploads_by_tus_and_makes_a_work_with_its_token_alone(user, s3_endpoint):
    token = app_token(Client(), user.email)
    app = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: only the app token
    auth = {"HTTP_X_SESSION_TOKEN": token}
    upload = _tus_upload(app, samples.image_bytes("png", size=(64, 48)), **auth)
    created = _new_work(app, upload, **auth)
    assert created.status_code == 201, created.content
    work = created.json()
    assert work["state"] == "private" and work["title"] == "沈阳老街"
    assert "<script" not in work["description"] and "onerror" not in work["description"]
    assert sorted(work["tags"]) == ["老照片", "街景"]
    # Private: not in the gallery, not at its public address.
    assert app.get("/api/v1/works/").json()["results"] == []
    assert app.get(f"/api/v1/works/{work['id']}/").status_code == 404
    # The same upload cannot become a second work.
    again = _new_work(app, upload, **auth)
    assert again.status_code == 422 and again.json()["code"] == "upload_used"


def test_tus_refuses_an_edited_token_and_a_session_without_csrf(user, s3_endpoint):
    token = app_token(Client(), user.email)
    edited = Client().post(
        "/files/uploads/", HTTP_UPLOAD_LENGTH="10", **TUS, HTTP_X_SESSION_TOKEN=token[:-1] + "x"
    )
    assert edited.status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post("/files/uploads/", HTTP_UPLOAD_LENGTH="10", **TUS).status_code == 403


def test_another_readers_upload_cannot_become_my_work(user, s3_endpoint):
    owner = UserFactory()
    upload = _tus_upload(
        Client(), samples.image_bytes("png"), HTTP_X_SESSION_TOKEN=app_token(Client(), owner.email)
    )
    client = Client()
    client.force_login(user)
    refused = _new_work(client, upload)
    assert refused.status_code == 422 and refused.json()["code"] == "upload_missing"
    assert not Work.objects.exists()


def test_submit_withdraw_edit_and_delete_my_work(client, user, s3_endpoint):
    work = make_work(user)
    client.force_login(user)
    submitted = client.post(f"/api/v1/me/works/{work.pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["state"] == "pending"
    twice = client.post(f"/api/v1/me/works/{work.pk}/submit/")
    assert twice.status_code == 409 and twice.json()["code"] == "state"
    withdrawn = client.post(f"/api/v1/me/works/{work.pk}/withdraw/")
    assert withdrawn.json()["state"] == "private"
    edited = client.patch(
        f"/api/v1/me/works/{work.pk}/", {"title": "新标题"}, content_type="application/json"
    )
    assert edited.status_code == 200 and edited.json()["title"] == "新标题"
    bad = client.patch(
        f"/api/v1/me/works/{work.pk}/", {"licence": "gpl"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"]["licence"]
    assert client.delete(f"/api/v1/me/works/{work.pk}/").status_code == 204
    assert not Work.objects.filter(pk=work.pk).exists()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "submit/"), ("post", "withdraw/")],
)
def test_nobody_reaches_another_readers_work_by_its_id(client, user, s3_endpoint, method, suffix):
    work = make_work(UserFactory())
    client.force_login(user)
    call = getattr(client, method)
    response = call(f"/api/v1/me/works/{work.pk}/{suffix}", {}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    work.refresh_from_db()
    assert work.state == WorkState.PRIVATE and work.title == "沈阳老街"


def test_the_gallery_lists_published_works_in_constant_queries(client, s3_endpoint):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/works/").status_code == 200
        return len(captured)

    owner = UserFactory()
    make_work(owner, tags=["a"])
    Work.objects.update(state=WorkState.PUBLISHED)
    few = queries()
    for n in range(3):
        make_work(owner, title=f"作品{n}", tags=["b", "c"])
    Work.objects.update(state=WorkState.PUBLISHED)
    assert queries() == few
    assert len(client.get("/api/v1/works/").json()["results"]) == 4
