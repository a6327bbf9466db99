from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from media import cleanup, services
from media.models import Upload, UploadStatus
from media.tests.test_uploads import create, leftover_keys, patch, wav_bytes

MiB = 1024 * 1024


@pytest.mark.django_db
def test_orphans_go_and_described_or_recent_objects_stay(user, s3_endpoint):
    storage = storages["private"]
    orphan = storage.save("files/2020/01/orphan.bin", ContentFile(b"left by a crash"))
    kept = services.store_file(
        content=ContentFile(b"mine"), original_name="a.txt", content_type="text/plain", owner=user
    )
    assert cleanup.remove_orphan_objects(grace_hours=6) == []  # too recent to judge
    removed = cleanup.remove_orphan_objects(grace_hours=0)
    assert f"private:{orphan}" in removed
    assert f"private:{kept.key}" not in removed
    assert not storage.exists(orphan)
    assert storage.exists(kept.key)


@pytest.mark.django_db
def test_abandoned_uploads_are_cancelled_and_their_bytes_removed(client, user, s3_endpoint):
    client.force_login(user)
    data = wav_bytes(7 * MiB)
    location = create(client, "a.wav", len(data))
    patch(client, location, 0, data[: 5 * MiB])
    upload = Upload.objects.get()
    assert leftover_keys(upload)
    assert cleanup.remove_abandoned_uploads() == 0  # still fresh
    Upload.objects.filter(pk=upload.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert cleanup.remove_abandoned_uploads() == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.CANCELLED
    assert leftover_keys(upload) == []


@pytest.mark.django_db
def test_multipart_uploads_without_a_live_upload_are_aborted(s3_endpoint):
    storage = storages["private"]
    key = "originals/2020/01/never-finished.wav"
    storage.start_multipart(key, content_type="audio/wav")
    assert [k for k, *_ in storage.iter_multipart_uploads(key)] == [key]
    removed = cleanup.remove_orphan_objects(grace_hours=0)
    assert f"private:multipart:{key}" in removed
    assert list(storage.iter_multipart_uploads(key)) == []
