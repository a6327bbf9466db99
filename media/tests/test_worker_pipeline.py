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
def test_a_worker_killed_mid_job_leaves_nothing_stuck(
    user, celery_worker, tmp_path, s3_endpoint, settings
):
    """The dead worker's lease runs out within seconds of the kill (it is renewed only while
    the job runs), and the job finishes on the live worker."""
    import time

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
    lease = 3
    doomed = start_worker(
        tmp_path, concurrency=1, queue=f"{celery_worker.queue}-doomed",
        env={"MEDIA_PROCESSING_LEASE_SECONDS": str(lease)},
    )  # fmt: skip
    process_asset.apply_async(args=[str(asset.pk)], queue=doomed.queue)
    wait_for(
        lambda: MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.PROCESSING).exists(),
        timeout=60,
        message="the job never started",
    )
    doomed.process.kill()  # SIGKILL to the main process; its pool children die with it
    killed = time.monotonic()
    doomed.process.wait()
    stop_worker(doomed)
    assert MediaAsset.objects.get(pk=asset.pk).status == ProcessingStatus.PROCESSING

    # The beat task finds the lease that nobody renews any more and hands the job on.
    settings.MEDIA_PROCESSING_LEASE_SECONDS = lease
    wait_for(lambda: pipeline.requeue_stalled() == 1, timeout=lease + 10, interval=0.5,
             message="the dead worker's lease did not run out")  # fmt: skip
    assert time.monotonic() - killed < lease + 3
    ready = wait_for(
        lambda: MediaAsset.objects.filter(pk=asset.pk, status=ProcessingStatus.READY).first(),
        timeout=120,
        message=f"the job was not finished after the crash:\n{celery_worker.log()[-3000:]}",
    )
    assert ready.attempts == 2
    assert set(ready.derivatives.values_list("role", flat=True)) == {"video", "poster"}
