"""The tus upload endpoint, on both storage backends: MinIO's API (moto) and local disk."""

import base64
import io
import struct

import pytest
from django.core.files.storage import storages
from django.core.handlers.wsgi import LimitedStream
from django.test import RequestFactory

from config.settings.base import storages_config
from media import api
from media.models import StoredFile, Upload, UploadStatus
from media.tests import samples

MiB = 1024 * 1024
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


@pytest.fixture(params=["s3", "disk"])
def backend(request, settings, tmp_path, s3_endpoint):
    if request.param == "disk":
        settings.MEDIA_ROOT = tmp_path / "public"
        settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
        stores = storages_config(s3=False)
        stores["default"]["OPTIONS"]["location"] = str(tmp_path / "public")
        stores["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
        stores["staticfiles"] = settings.STORAGES["staticfiles"]
        settings.STORAGES = stores
    return request.param


def wav_bytes(size: int) -> bytes:
    """A real (silent) PCM WAV file of exactly ``size`` bytes."""
    data_size = size - 44
    header = (
        b"RIFF"
        + struct.pack("<I", size - 8)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        + b"data"
        + struct.pack("<I", data_size)
    )
    return header + bytes(data_size)


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client, filename: str, length: int, **extra) -> str:
    response = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=metadata(filename=filename, title="我的作品"),
        **TUS,
        **extra,
    )
    assert response.status_code == 201, response.content.decode()
    return response["Location"]


def patch(client, location: str, offset: int, chunk: bytes, **extra):
    return client.generic(
        "PATCH",
        location,
        data=chunk,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
        **extra,
    )


def dropped_patch(user, location: str, offset: int, partial: bytes, *, claimed: int):
    """A PATCH whose connection ends after ``partial`` although it announced ``claimed`` bytes."""
    request = RequestFactory().generic(
        "PATCH",
        location,
        data=b"",
        CONTENT_TYPE="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
    )
    request.META["CONTENT_LENGTH"] = str(claimed)
    request._stream = LimitedStream(io.BytesIO(partial), claimed)
    request.user = user
    request._dont_enforce_csrf_checks = True  # as Django's test client does
    upload_id = location.rstrip("/").rsplit("/", 1)[-1]
    return api.upload_resource(request, upload_id=upload_id)


def stored_bytes(stored: StoredFile) -> bytes:
    return b"".join(storages["private"].stream(stored.key))


def leftover_keys(upload: Upload) -> list[str]:
    """Bytes of an unfinished or refused upload still held anywhere in storage."""
    upload.refresh_from_db()
    storage = storages["private"]
    left = [k for k in storage.iter_keys("uploads/") if str(upload.pk) in k]
    if upload.status != UploadStatus.COMPLETE and storage.exists(upload.storage_key):
        left.append(upload.storage_key)
    if hasattr(storage, "iter_multipart_uploads"):
        left += [
            f"multipart:{key}" for key, *_ in storage.iter_multipart_uploads(upload.storage_key)
        ]
    return left


@pytest.mark.django_db
def test_chunked_upload_resumes_after_an_interruption(client, user, backend):
    client.force_login(user)
    data = wav_bytes(11 * MiB + 12345)
    location = create(client, "讲座录音.wav", len(data))

    first = patch(client, location, 0, data[: 6 * MiB])
    assert first.status_code == 204
    assert first["Upload-Offset"] == str(6 * MiB)

    # The connection drops half-way through the next chunk: the body is shorter than announced.
    dropped = dropped_patch(user, location, 6 * MiB, data[6 * MiB : 8 * MiB], claimed=5 * MiB)
    head = client.head(location, **TUS)
    resumed_at = int(head["Upload-Offset"])
    assert dropped.status_code == 204
    if backend == "disk":
        assert resumed_at == 8 * MiB  # every byte that arrived was kept
    else:
        assert resumed_at == 6 * MiB  # an S3 part is kept whole or not at all
    assert head["Upload-Length"] == str(len(data))

    last = patch(client, location, resumed_at, data[resumed_at:])
    assert last.status_code == 204
    upload = Upload.objects.get(pk=location.rstrip("/").rsplit("/", 1)[-1])
    assert upload.status == UploadStatus.COMPLETE
    assert last["Upload-Complete"] == str(upload.stored_file_id)
    assert (upload.format, upload.kind) == ("wav", "audio")
    assert upload.stored_file.owner == user
    assert upload.stored_file.content_type == "audio/wav"
    assert stored_bytes(upload.stored_file) == data
    assert leftover_keys(upload) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (samples.WINDOWS_EXE, "movie.mp4"),
        (samples.HTML_PAGE, "photo.jpg"),
        (samples.SVG_WITH_SCRIPT, "logo.png"),
        (samples.image_bytes("png"), "photo.jpg"),
    ],
)
def test_spoofed_files_are_refused_on_the_first_chunk_and_nothing_is_kept(
    client, user, backend, data, filename
):
    client.force_login(user)
    location = create(client, filename, len(data))
    response = patch(client, location, 0, data)
    assert response.status_code == 415
    assert response.content.decode()  # a reason the reader can read
    upload = Upload.objects.get(owner=user)
    assert upload.status == UploadStatus.FAILED
    assert upload.failure_reason == response.content.decode()
    assert not StoredFile.objects.exists()
    assert leftover_keys(upload) == []
    # The failed upload takes no more data.
    assert patch(client, location, 0, data).status_code == 410


@pytest.mark.django_db
def test_a_zip_renamed_3mf_is_refused_when_complete(client, user, backend):
    client.force_login(user)
    data = samples.plain_zip()
    location = create(client, "model.3mf", len(data))
    response = patch(client, location, 0, data)
    assert response.status_code == 415
    assert "3MF" in response.content.decode()
    assert not StoredFile.objects.exists()
    upload = Upload.objects.get()
    assert leftover_keys(upload) == []
    # The reason is kept on the upload, for the reader who comes back to it.
    assert upload.status == UploadStatus.FAILED and "3MF" in upload.failure_reason


@pytest.mark.django_db
def test_a_real_3mf_is_kept(client, user, backend):
    client.force_login(user)
    data = samples.three_mf()
    location = create(client, "cube.3mf", len(data))
    assert patch(client, location, 0, data).status_code == 204
    assert stored_bytes(StoredFile.objects.get()) == data


@pytest.mark.django_db
def test_wrong_offset_and_missing_version_are_refused(client, user, s3_endpoint):
    client.force_login(user)
    data = samples.image_bytes("png")
    location = create(client, "a.png", len(data))
    assert patch(client, location, 10, data[10:]).status_code == 409
    no_version = client.generic(
        "PATCH",
        location,
        data=data,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
    )
    assert no_version.status_code == 412
    wrong_type = client.generic(
        "PATCH",
        location,
        data=data,
        content_type="application/json",
        HTTP_UPLOAD_OFFSET="0",
        **TUS,
    )
    assert wrong_type.status_code == 415


@pytest.mark.django_db
def test_others_cannot_touch_an_upload(client, user, other_user, s3_endpoint):
    client.force_login(user)
    data = samples.image_bytes("png")
    location = create(client, "a.png", len(data))
    client.force_login(other_user)
    assert client.head(location, **TUS).status_code == 404
    assert patch(client, location, 0, data).status_code == 404
    assert client.delete(location, **TUS).status_code == 404
    client.logout()
    assert client.head(location, **TUS).status_code == 302  # to the login page
    assert Upload.objects.get().offset == 0


@pytest.mark.django_db
def test_cancelling_removes_the_received_bytes(client, user, backend):
    client.force_login(user)
    data = wav_bytes(7 * MiB)
    location = create(client, "a.wav", len(data))
    patch(client, location, 0, data[: 5 * MiB])
    upload = Upload.objects.get()
    assert leftover_keys(upload)
    assert client.delete(location, **TUS).status_code == 204
    upload.refresh_from_db()
    assert upload.status == UploadStatus.CANCELLED
    assert leftover_keys(upload) == []


@pytest.mark.django_db
def test_quotas_and_size_limits(client, user, settings, s3_endpoint):
    client.force_login(user)
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "image": 1000}
    response = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH="5000",
        HTTP_UPLOAD_METADATA=metadata(filename="big.png"),
        **TUS,
    )
    assert response.status_code == 413
    settings.MEDIA_QUOTA_TOTAL_BYTES = 10_000
    create(client, "a.wav", 6_000)
    response = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH="6000",
        HTTP_UPLOAD_METADATA=metadata(filename="b.wav"),
        **TUS,
    )
    assert response.status_code == 413
    settings.MEDIA_QUOTA_UPLOADS_PER_DAY = 1
    response = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA=metadata(filename="c.wav"),
        **TUS,
    )
    assert response.status_code == 429
    assert Upload.objects.count() == 1


@pytest.mark.django_db
def test_creation_refuses_bad_names_and_metadata(client, user, s3_endpoint):
    client.force_login(user)
    for meta in (metadata(filename="setup.exe"), metadata(filename="page.html")):
        response = client.post(
            "/files/uploads/", HTTP_UPLOAD_LENGTH="10", HTTP_UPLOAD_METADATA=meta, **TUS
        )
        assert response.status_code == 415
    garbled = client.post(
        "/files/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA="filename !!!notbase64",
        **TUS,
    )
    assert garbled.status_code == 400
    assert not Upload.objects.exists()
