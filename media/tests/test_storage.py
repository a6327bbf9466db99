"""The storage layer against a real S3 endpoint (moto's server, reached over HTTP)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from media.storage import (
    LocalFileStorage,
    MinioStorage,
    PrivateFileSystemStorage,
    PrivateObjectError,
)


def test_default_and_private_storages_are_minio_buckets(s3_endpoint, settings):
    public, private = storages["default"], storages["private"]
    assert isinstance(public, MinioStorage)
    assert isinstance(private, MinioStorage)
    assert private.bucket == settings.S3_PRIVATE_BUCKET
    assert public.bucket == settings.S3_PUBLIC_BUCKET


def test_round_trip_save_read_list_delete(s3_endpoint):
    storage = storages["private"]
    payload = "辽海往事 · 口述历史".encode() * 1000
    name = storage.save("tests/roundtrip/record.txt", ContentFile(payload))
    assert storage.exists(name)
    assert storage.size(name) == len(payload)
    with storage.open(name) as handle:
        assert handle.read() == payload
    assert b"".join(storage.stream(name, offset=3, length=9)) == payload[3:12]
    _directories, files = storage.listdir("tests/roundtrip")
    assert name.rsplit("/", 1)[-1] in files
    # Saving again under the same name never overwrites: Django picks a new name.
    second = storage.save("tests/roundtrip/record.txt", ContentFile(b"other"))
    assert second != name
    storage.delete(name)
    storage.delete(second)
    assert not storage.exists(name)
    assert list(storage.iter_keys("tests/roundtrip/")) == []


def test_public_objects_have_plain_urls(s3_endpoint):
    name = default_storage.save("tests/public/hello.txt", ContentFile(b"hello"))
    url = default_storage.url(name)
    assert url.startswith(s3_endpoint)
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"hello"
    default_storage.delete(name)


def test_private_objects_have_no_url(s3_endpoint):
    storage = storages["private"]
    name = storage.save("tests/private/secret.txt", ContentFile(b"secret"))
    with pytest.raises(PrivateObjectError):
        storage.url(name)
    storage.delete(name)


def test_presigned_url_is_short_lived_get_with_download_name(s3_endpoint, settings):
    storage = storages["private"]
    name = storage.save("tests/private/interview.txt", ContentFile(b"transcript"))
    url = storage.presigned_url(name, download_name="访谈.txt", content_type="text/plain")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(settings.S3_PRESIGNED_EXPIRY_SECONDS)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query
    assert "attachment" in query["response-content-disposition"][0]
    # The URL fetches the object with GET (moto does not check signatures, so no refusal test).
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"transcript"
    shorter = storage.presigned_url(name, expires=timedelta(seconds=60))
    assert parse_qs(urlsplit(shorter).query)["X-Amz-Expires"] == ["60"]
    storage.delete(name)


def test_missing_object_raises_file_not_found(s3_endpoint):
    storage = storages["private"]
    assert not storage.exists("tests/nothing-here")
    with pytest.raises(FileNotFoundError):
        storage.stat("tests/nothing-here")


def test_local_disk_storages_stream_and_refuse_private_urls(tmp_path):
    public = LocalFileStorage(location=tmp_path / "public", base_url="/media/")
    private = PrivateFileSystemStorage(location=tmp_path / "private")
    name = private.save("a/b.bin", ContentFile(bytes(range(256)) * 10))
    assert b"".join(private.stream(name, offset=250, length=10)) == bytes(range(250, 256)) + bytes(
        range(4)
    )
    assert private.stat(name).size == 2560
    assert list(private.iter_keys("a/")) == [name]
    with pytest.raises(PrivateObjectError):
        private.url(name)
    public_name = public.save("p.txt", ContentFile(b"x"))
    assert public.url(public_name) == "/media/p.txt"
    private.health_check()
