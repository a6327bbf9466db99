"""The whole path through real processes: upload → commit → Redis → worker → derivatives."""

import pytest

from media.models import MediaAsset, ProcessingStatus
from media.tests import samples
from media.tests.test_uploads import create, patch
from tests.services import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_finished_upload_is_processed_by_the_real_worker(client, user, celery_worker):
    client.force_login(user)
    data = samples.image_bytes("jpeg", size=(900, 600), exif_gps=True)
    location = create(client, "合影.jpg", len(data))
    assert patch(client, location, 0, data).status_code == 204
    asset = MediaAsset.objects.get(original__owner=user)
    ready = wait_for(
        lambda: MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.READY).first(),
        timeout=60,
        message=f"the worker did not process the upload:\n{celery_worker.log()[-3000:]}",
    )
    assert set(ready.derivatives.values_list("role", flat=True)) == {"large", "medium", "thumbnail"}
    assert "media.tasks.process_asset" in celery_worker.log()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_job_leaves_nothing_stuck(user, celery_worker, tmp_path, s3_endpoint):
    from django.core.files.base import ContentFile

    from media import pipeline, services
    from media.tasks import process_asset
    from tests.services import start_worker, stop_worker

    video = samples.ffmpeg_sample(tmp_path, "mkv", seconds=30)
    stored = services.store_file(
        content=ContentFile(video.read_bytes()), original_name="long.mkv",
        content_type="video/x-matroska", owner=user, prefix="tests/kill",
    )  # fmt: skip
    asset = MediaAsset.objects.create(original=stored, kind="video", format="mkv")

    # A worker of its own, on a queue of its own, so that we know which process to kill.
    doomed = start_worker(tmp_path, concurrency=1, queue=f"{celery_worker.queue}-doomed")
    process_asset.apply_async(args=[str(asset.pk)], queue=doomed.queue)
    wait_for(
        lambda: MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.PROCESSING).exists(),
        timeout=60,
        message="the job never started",
    )
    doomed.process.kill()  # SIGKILL to the main process; its pool children die with it
    doomed.process.wait()
    stop_worker(doomed)
    assert MediaAsset.objects.get(pk=asset.pk).status == ProcessingStatus.PROCESSING

    # The beat task finds the expired lease and hands the job to a live worker.
    assert pipeline.requeue_stalled(lease_seconds=0) == 1
    ready = wait_for(
        lambda: MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.READY).first(),
        timeout=120,
        message=f"the job was not finished after the crash:\n{celery_worker.log()[-3000:]}",
    )
    assert ready.attempts == 2
    assert set(ready.derivatives.values_list("role", flat=True)) == {"video", "poster"}
