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
