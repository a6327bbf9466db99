"""Private files reach only those allowed, through a permission check, with Range support.

The site checks and redirects; the user-content origin streams (see test_usercontent.py).
"""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from media import services
from media.delivery import RangeNotSatisfiable, parse_range
from media.models import StoredFile, Visibility

from .usercontent import body, fetch, follow

PAYLOAD = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
def private_file(user, s3_endpoint):
    stored = services.store_file(
        content=ContentFile(PAYLOAD),
        original_name="采访录音.bin",
        content_type="application/octet-stream",
        owner=user,
        prefix="tests/delivery",
    )
    yield stored
    storages["private"].delete(stored.key)


@pytest.mark.django_db
def test_owner_streams_the_whole_file(client, user, private_file):
    client.force_login(user)
    _redirect, response = follow(client, f"/files/{private_file.pk}/")
    assert response.status_code == 200
    assert body(response) == PAYLOAD
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    assert private_file.sha256 and private_file.size == len(PAYLOAD)


@pytest.mark.django_db
def test_range_requests_return_206_with_the_right_bytes(client, user, private_file):
    client.force_login(user)
    location = client.get(f"/files/{private_file.pk}/")["Location"]
    response = fetch(client, location, HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-1999/{len(PAYLOAD)}"
    assert response["Content-Length"] == "1000"
    assert b"".join(response.streaming_content) == PAYLOAD[1000:2000]
    tail = fetch(client, location, HTTP_RANGE="bytes=-16")
    assert b"".join(tail.streaming_content) == PAYLOAD[-16:]
    bad = fetch(client, location, HTTP_RANGE=f"bytes={len(PAYLOAD)}-")
    assert bad.status_code == 416
    assert bad["Content-Range"] == f"bytes */{len(PAYLOAD)}"


@pytest.mark.django_db
def test_others_and_visitors_get_404_for_private_files(client, other_user, private_file):
    for path in (f"/files/{private_file.pk}/", f"/files/{private_file.pk}/download/"):
        assert client.get(path).status_code == 404
    client.force_login(other_user)
    for path in (f"/files/{private_file.pk}/", f"/files/{private_file.pk}/download/"):
        assert client.get(path).status_code == 404
    # A guessed id answers exactly like a real one that is not yours.
    assert client.get(f"/files/{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_staff_with_permission_may_read_private_files(client, other_user, private_file):
    other_user.user_permissions.add(Permission.objects.get(codename="read_private_storedfile"))
    client.force_login(other_user)
    _redirect, response = follow(client, f"/files/{private_file.pk}/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_download_redirects_to_an_attachment_on_user_content(client, user, private_file):
    client.force_login(user)
    _redirect, response = follow(client, f"/files/{private_file.pk}/download/")
    assert body(response) == PAYLOAD
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E9%87%87%E8%AE%BF%E5%BD%95%E9%9F%B3.bin"
        in response["Content-Disposition"]
    )


@pytest.mark.django_db
def test_public_files_are_readable_by_anyone(client, s3_endpoint):
    stored = services.store_file(
        content=ContentFile(b"public poster"),
        original_name="poster.txt",
        content_type="text/plain",
        visibility=Visibility.PUBLIC,
        prefix="tests/delivery",
    )
    _redirect, response = follow(client, f"/files/{stored.pk}/")
    assert response.status_code == 200
    assert body(response) == b"public poster"
    storages["default"].delete(stored.key)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deleting_a_stored_file_removes_its_object_after_commit(user, s3_endpoint):
    stored = services.store_file(
        content=ContentFile(b"to be removed"),
        original_name="x.txt",
        content_type="text/plain",
        owner=user,
        prefix="tests/delete",
    )
    storage = storages["private"]
    assert storage.exists(stored.key)
    services.delete_stored_file(stored_file=stored)
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not storage.exists(stored.key)


@pytest.mark.django_db
def test_failed_insert_leaves_no_object_behind(user, s3_endpoint):
    storage = storages["private"]
    before = set(storage.iter_keys("tests/failed/"))
    with pytest.raises(Exception):  # noqa: B017 - any database error must clean up
        services.store_file(
            content=ContentFile(b"x"),
            original_name="x.txt",
            content_type="t" * 500,  # longer than the column allows
            owner=user,
            prefix="tests/failed",
        )
    assert set(storage.iter_keys("tests/failed/")) == before


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=50-10", "bytes=-0"])
def test_parse_range_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


@pytest.mark.django_db
def test_files_are_sandboxed_and_pages_are_never_framed(client, user, private_file):
    client.force_login(user)
    _redirect, response = follow(client, f"/files/{private_file.pk}/")
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    page = client.get("/accounts/profile/")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "frame-src 'self' http://usercontent.testserver" in page["Content-Security-Policy"]
