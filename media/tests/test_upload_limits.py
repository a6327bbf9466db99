"""The tus endpoint's limits at their edges: the announced length, sizes, quotas, chunk rules.

test_uploads.py follows whole uploads through both backends; these pin each limit of
media/uploads.py exactly (one byte too many, one byte under), mostly through the services with
an in-memory stream, and the main refusal once more through HTTP.
"""

import io

import pytest
from django.core.files.storage import storages
from django.utils import translation

from media import uploads
from media.models import StoredFile, Upload, UploadStatus
from media.tests import test_uploads
from media.tests.test_uploads import TUS, MiB, create, patch, wav_bytes

# Both storage backends, as in test_uploads.py (parametrised "s3" and "disk").
backend = test_uploads.backend


def received(upload: Upload) -> bytes:
    """The bytes kept so far for an unfinished upload (disk) or its finished file."""
    upload.refresh_from_db()
    storage = storages["private"]
    if upload.status == UploadStatus.COMPLETE:
        return b"".join(storage.stream(upload.storage_key))
    part = f"uploads/{upload.pk}.part"
    return storage.open(part).read() if storage.exists(part) else b""


def chunk(upload: Upload, user, offset: int, data: bytes, *, length: int | None = None):
    return uploads.receive_chunk(
        upload_id=upload.pk,
        user=user,
        offset=offset,
        stream=io.BytesIO(data),
        length=len(data) if length is None else length,
    )


def refusal(call, *args, **kwargs) -> uploads.UploadRefused:
    with pytest.raises(uploads.UploadRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_prefixed_stream_reads_the_head_then_the_rest():
    def stream():
        return uploads.PrefixedStream(b"HEAD", io.BytesIO(b"rest of the body"))

    assert stream().read() == b"HEADrest of the body"
    assert stream().read(-1) == b"HEADrest of the body"
    whole = stream()
    assert whole.read(4) == b"HEAD"
    assert whole.read(4) == b"rest"
    split = stream()
    assert split.read(2) == b"HE"
    assert split.read(2) == b"AD"
    assert split.read(3) == b"res"
    longer = stream()
    assert longer.read(6) == b"HEADre"
    assert longer.read() == b"st of the body"
    assert longer.read(5) == b""


def test_each_kind_has_its_size_limit(settings):
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "audio": 3 * MiB, "image": MiB}
    uploads._check_size("audio", 3 * MiB)
    error = refusal(uploads._check_size, "audio", 3 * MiB + 1)
    assert error.status == 413
    with translation.override("en"):
        assert str(refusal(uploads._check_size, "image", MiB + 1)) == (
            "This file is too large: Image files may be at most 1 MB."
        )


@pytest.mark.parametrize(
    ("filename", "kind"),
    [("a.MP4", "video"), ("a.mov", "video"), ("a.m4b", "audio"), ("a.jpeg", "image"),
     ("a.pdf", "document"), ("a.3mf", "model"), ("a.opus", "audio")],
)  # fmt: skip
def test_the_claimed_kind_comes_from_the_extension(filename, kind):
    assert uploads._kind_claimed_by(filename) == kind


@pytest.mark.parametrize("filename", ["a.exe", "a.html", "a.svg", "noextension", "a."])
def test_other_extensions_are_refused_as_unsupported(filename):
    error = refusal(uploads._kind_claimed_by, filename)
    assert error.status == 415
    extension = filename.rpartition(".")[2] if "." in filename else ""
    with translation.override("en"):
        assert str(refusal(uploads._kind_claimed_by, filename)) == (
            f"Files ending in .{extension or '?'} are not accepted."
        )


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_chunk_longer_than_the_announced_length_is_refused_and_nothing_is_written(user, backend):
    data = wav_bytes(1000)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    error = refusal(chunk, upload, user, 0, data + b"x")
    assert error.status == 400
    assert received(upload) == b""
    upload.refresh_from_db()
    assert (upload.offset, upload.status) == (0, UploadStatus.RECEIVING)

    # The second variant: a first chunk fits, the next is one byte too long.
    chunk(upload, user, 0, data[:600])
    error = refusal(chunk, upload, user, 600, data[600:] + b"x")
    assert error.status == 400
    assert received(upload) == data[:600]
    # Exactly the rest completes the file, with nothing beyond it.
    done = chunk(upload, user, 600, data[600:])
    assert done.status == UploadStatus.COMPLETE
    assert received(done) == data


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_body_longer_than_its_declared_length_is_cut_at_the_declared_length(user, backend):
    data = wav_bytes(1000)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    kept = chunk(upload, user, 0, data[:500] + b"EXTRA", length=500)
    assert kept.offset == 500
    assert received(upload) == data[:500]


@pytest.mark.django_db
def test_a_chunk_longer_than_upload_length_is_refused_over_http(client, user, backend):
    client.force_login(user)
    data = wav_bytes(1000)
    location = create(client, "a.wav", len(data))
    assert patch(client, location, 0, data + b"\0").status_code == 400
    head = client.head(location, **TUS)
    assert head["Upload-Offset"] == "0"
    assert patch(client, location, 0, data).status_code == 204
    assert b"".join(storages["private"].stream(StoredFile.objects.get().key)) == data


@pytest.mark.django_db
@pytest.mark.parametrize("length", [0, -1])
def test_an_empty_or_negative_chunk_is_refused(user, length, s3_endpoint):
    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    assert refusal(chunk, upload, user, 0, b"", length=length).status == 400


@pytest.mark.django_db
def test_chunks_are_accepted_only_at_the_current_offset(user, s3_endpoint):
    data = wav_bytes(100)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    assert refusal(chunk, upload, user, 1, data[1:]).status == 409


@pytest.mark.django_db
def test_only_the_owner_may_send_chunks(user, other_user, s3_endpoint):
    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    assert refusal(chunk, upload, other_user, 0, wav_bytes(100)).status == 404
    upload.refresh_from_db()
    assert upload.offset == 0


@pytest.mark.django_db
@pytest.mark.parametrize("status", [UploadStatus.FAILED, UploadStatus.CANCELLED])
def test_a_finished_upload_takes_no_more_data(user, status, s3_endpoint):
    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    Upload.objects.filter(pk=upload.pk).update(status=status)
    assert refusal(chunk, upload, user, 0, wav_bytes(100)).status == 410


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_on_s3_every_chunk_but_the_last_has_at_least_5_mib(user, backend):
    data = wav_bytes(5 * MiB + 10)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    with translation.override("en"):
        short = refusal(chunk, upload, user, 0, data[: 5 * MiB - 1])
    assert short.status == 400
    assert str(short) == "Chunks must be at least 5 MB, except the last one."
    assert chunk(upload, user, 0, data[: 5 * MiB]).offset == 5 * MiB
    assert chunk(upload, user, 5 * MiB, data[5 * MiB :]).status == UploadStatus.COMPLETE


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_on_disk_small_chunks_are_fine(user, backend):
    data = wav_bytes(300)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    assert chunk(upload, user, 0, data[:100]).offset == 100
    assert chunk(upload, user, 100, data[100:]).status == UploadStatus.COMPLETE


@pytest.mark.django_db
def test_the_size_limit_is_exact(settings, user, s3_endpoint):
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "audio": 2 * MiB}
    assert uploads.create_upload(user=user, filename="a.wav", length=2 * MiB).length == 2 * MiB
    error = refusal(uploads.create_upload, user=user, filename="b.wav", length=2 * MiB + 1)
    assert error.status == 413
    assert "2 MB" in str(error)


@pytest.mark.django_db
def test_the_size_limit_is_that_of_the_claimed_kind(settings, user, s3_endpoint):
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "image": 1000, "audio": 5000}
    assert refusal(uploads.create_upload, user=user, filename="a.png", length=1001).status == 413
    assert uploads.create_upload(user=user, filename="a.wav", length=1001).length == 1001


@pytest.mark.django_db
@pytest.mark.parametrize("filename", ["setup.exe", "page.html", "noextension", "archive.tar.gz"])
def test_names_outside_the_accepted_types_are_refused(user, filename, s3_endpoint):
    assert refusal(uploads.create_upload, user=user, filename=filename, length=10).status == 415


@pytest.mark.django_db
def test_the_size_is_checked_again_for_the_sniffed_kind(settings, user, s3_endpoint):
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "audio": 100}
    upload = Upload.objects.create(
        owner=user, filename="a.wav", length=200, storage_key="originals/x-a.wav"
    )  # created before the limit was lowered
    assert refusal(chunk, upload, user, 0, wav_bytes(200)).status == 413
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED


@pytest.mark.django_db
def test_bytes_in_use_are_kept_files_and_uploads_still_receiving(user, other_user, s3_endpoint):
    assert uploads.bytes_in_use(user=user) == 0
    StoredFile.objects.create(owner=user, key="k1", content_type="audio/wav", size=1000, sha256="")
    StoredFile.objects.create(
        owner=other_user, key="k2", content_type="audio/wav", size=7, sha256=""
    )
    receiving = uploads.create_upload(user=user, filename="a.wav", length=300)
    uploads.create_upload(user=other_user, filename="c.wav", length=50)  # not this reader's
    failed = uploads.create_upload(user=user, filename="b.wav", length=20)
    Upload.objects.filter(pk=failed.pk).update(status=UploadStatus.FAILED)
    assert uploads.bytes_in_use(user=user) == 1300
    Upload.objects.filter(pk=receiving.pk).update(status=UploadStatus.CANCELLED)
    assert uploads.bytes_in_use(user=user) == 1000
    assert uploads.bytes_in_use(user=other_user) == 57


@pytest.mark.django_db
def test_the_storage_quota_is_exact(settings, user, s3_endpoint):
    settings.MEDIA_QUOTA_TOTAL_BYTES = 1000
    uploads.create_upload(user=user, filename="a.wav", length=600)
    assert refusal(uploads.create_upload, user=user, filename="b.wav", length=401).status == 413
    assert uploads.create_upload(user=user, filename="b.wav", length=400).length == 400


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_disk_sink_writes_at_the_offset_and_drops_what_lay_beyond(user, backend):
    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    sink = uploads.sink_for(upload)
    assert sink.write(offset=0, stream=io.BytesIO(b"a" * 50), length=50) == 50
    assert sink.write(offset=20, stream=io.BytesIO(b"b" * 10), length=10) == 10
    assert sink.path.read_bytes() == b"a" * 20 + b"b" * 10
    # A stream that ends early: what arrived counts, no more is asked for than announced.
    assert sink.write(offset=30, stream=io.BytesIO(b"c" * 5), length=40) == 5
    assert sink.write(offset=35, stream=io.BytesIO(b"d" * 30), length=3) == 3
    assert sink.path.read_bytes() == b"a" * 20 + b"b" * 10 + b"c" * 5 + b"d" * 3


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_disk_sink_never_reads_past_the_length_across_several_reads(user, backend, monkeypatch):
    # Small reads, so that the announced length spans several of them and the last one must
    # ask for only what is left: a body with more bytes than announced is cut exactly.
    monkeypatch.setattr(uploads, "STREAM_CHUNK", 4)
    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    sink = uploads.sink_for(upload)
    assert sink.write(offset=0, stream=io.BytesIO(b"0123456789EXTRA"), length=10) == 10
    assert sink.path.read_bytes() == b"0123456789"


def test_reading_nothing_from_a_prefixed_stream_takes_nothing():
    stream = uploads.PrefixedStream(b"HEAD", io.BytesIO(b"rest"))
    assert stream.read(0) == b""
    assert stream.read() == b"HEADrest"


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_last_chunk_of_one_byte_is_taken_and_an_empty_one_refused(user, backend):
    data = wav_bytes(100)
    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    chunk(upload, user, 0, data[:99])
    assert refusal(chunk, upload, user, 99, b"").status == 400
    assert chunk(upload, user, 99, data[99:]).status == UploadStatus.COMPLETE
    assert received(upload) == data


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_binary_stl_is_known_by_its_announced_length(user, backend):
    """A binary STL has no magic number: its size (84 + 50 per triangle) is the proof, so the
    first chunk is judged with the length the upload announced."""
    from media.tests import samples

    data = samples.stl_binary()
    upload = uploads.create_upload(user=user, filename="cube.stl", length=len(data))
    assert chunk(upload, user, 0, data[:200]).format == "stl"


@pytest.mark.django_db
def test_each_refusal_of_a_chunk_says_why(user, other_user, s3_endpoint):
    from media import sniff

    with translation.override("en"):
        upload = uploads.create_upload(user=user, filename="a.wav", length=100)
        assert str(refusal(chunk, upload, other_user, 0, wav_bytes(100))) == "No such upload."
        assert str(refusal(chunk, upload, user, 5, b"x")) == "The upload continues at byte 0."
        assert str(refusal(chunk, upload, user, 0, b"", length=0)) == (
            "The chunk does not fit the announced file size."
        )
        page = b"<!doctype html><script>alert(1)</script>" + b" " * 60
        with pytest.raises(sniff.UnsupportedFile) as expected:
            sniff.sniff_head(page, total_size=len(page))
        spoofed = uploads.create_upload(user=user, filename="b.wav", length=len(page))
        refused = refusal(chunk, spoofed, user, 0, page)
        assert (refused.status, str(refused)) == (415, str(expected.value))
        spoofed.refresh_from_db()
        assert spoofed.failure_reason == str(expected.value)
        # A finished upload says why it finished, or that it takes no more data.
        assert str(refusal(chunk, spoofed, user, 0, page)) == str(expected.value)
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.CANCELLED)
        assert str(refusal(chunk, upload, user, 0, wav_bytes(100))) == (
            "This upload is no longer accepting data."
        )


@pytest.mark.django_db
def test_a_chunk_for_an_upload_another_request_is_writing_is_refused_at_once(
    user, s3_endpoint, monkeypatch
):
    """Two PATCHes of one upload at once: the second does not queue behind the first's row
    lock (``nowait``), it is told the upload is busy (423). The database's refusal to lock is
    simulated here; test_uploads.py has no second connection in a rolled-back test."""
    from django.db import OperationalError

    upload = uploads.create_upload(user=user, filename="a.wav", length=100)
    asked: dict = {}

    class Locked:
        def filter(self, **_filters):
            return self

        def get(self, **_lookup):
            raise OperationalError("could not obtain lock on row in relation media_upload")

    def select_for_update(**options):
        asked.update(options)
        return Locked()

    monkeypatch.setattr(Upload.objects, "select_for_update", select_for_update)
    with translation.override("en"):
        busy = refusal(chunk, upload, user, 0, wav_bytes(100))
    assert asked == {"nowait": True}
    assert (busy.status, str(busy)) == (
        423,
        "This upload is busy with another request; try again shortly.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["disk"], indirect=True)
def test_a_chunk_is_never_read_into_memory_whole(user, backend):
    """The first chunk is sniffed from its head, then streamed: a PATCH may carry a whole
    video, which must never be one read."""
    from media import sniff

    data = wav_bytes(200_000)
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size=-1):
            sizes.append(size)
            return super().read(size)

    upload = uploads.create_upload(user=user, filename="a.wav", length=len(data))
    uploads.receive_chunk(
        upload_id=upload.pk, user=user, offset=0, stream=Recording(data), length=len(data)
    )
    assert sizes[0] == sniff.HEAD_BYTES
    assert all(size is not None and 0 <= size <= uploads.STREAM_CHUNK for size in sizes)
    assert received(upload) == data
