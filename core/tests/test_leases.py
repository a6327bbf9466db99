"""Leases renewed by the running job (core.leases): a live job keeps its row, a dead one loses it
within one lease, and a job that stalled past its lease does not overwrite the new owner's work."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from core.leases import Heartbeat
from media import pipeline, processing, services
from media.models import Derivative, MediaAsset, ProcessingStatus, StoredFile
from media.tests import samples
from tests.services import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _asset(user) -> MediaAsset:
    from django.core.files.base import ContentFile

    stored = services.store_file(
        content=ContentFile(samples.pdf_bytes()), original_name="guide.pdf",
        content_type="application/pdf", owner=user, prefix="tests/leases",
    )  # fmt: skip
    return MediaAsset.objects.create(original=stored, kind="document", format="pdf")


def _stamp(asset) -> datetime:
    return MediaAsset.objects.values_list("processing_started_at", flat=True).get(pk=asset.pk)


def test_a_running_job_renews_its_lease_and_stops_when_it_ends(user, s3_endpoint):
    asset = _asset(user)
    claimed = timezone.now() - timedelta(seconds=30)
    MediaAsset.objects.filter(pk=asset.pk).update(
        status=ProcessingStatus.PROCESSING, processing_started_at=claimed
    )
    with Heartbeat(
        model=MediaAsset, pk=asset.pk, field="processing_started_at", held_since=claimed,
        interval=0.05,
    ) as heartbeat:  # fmt: skip
        wait_for(lambda: heartbeat.beats >= 3, timeout=5, message="the lease was not renewed")
        assert _stamp(asset) > claimed
        # While it is renewed, the reconciliation task leaves the job alone.
        assert pipeline.requeue_stalled(lease_seconds=2) == 0
    assert not heartbeat.lost
    ended = _stamp(asset)
    assert ended == heartbeat.stamp
    time.sleep(0.3)
    assert _stamp(asset) == ended  # nobody renews it once the job has ended


def test_a_lease_taken_over_is_lost_and_never_renewed_again(user, s3_endpoint):
    asset = _asset(user)
    claimed = timezone.now()
    MediaAsset.objects.filter(pk=asset.pk).update(
        status=ProcessingStatus.PROCESSING, processing_started_at=claimed
    )
    heartbeat = Heartbeat(
        model=MediaAsset, pk=asset.pk, field="processing_started_at", held_since=claimed
    )
    assert heartbeat.beat()
    theirs = timezone.now() + timedelta(seconds=1)
    MediaAsset.objects.filter(pk=asset.pk).update(processing_started_at=theirs)  # another worker
    assert not heartbeat.beat()
    assert heartbeat.lost
    assert _stamp(asset) == theirs


def test_a_job_that_stalled_past_its_lease_throws_its_result_away(user, s3_endpoint, monkeypatch):
    asset = _asset(user)
    real_process = processing.process

    def stall_then_finish(*args, **kwargs):
        result = real_process(*args, **kwargs)
        # Meanwhile the lease ran out and another worker claimed the asset.
        MediaAsset.objects.filter(pk=asset.pk).update(
            processing_started_at=timezone.now() + timedelta(seconds=5), attempts=2
        )
        return result

    monkeypatch.setattr(processing, "process", stall_then_finish)
    before = set(storages["private"].iter_keys("derivatives/"))
    assert pipeline.run(asset.pk) == "skipped"
    asset.refresh_from_db()
    assert asset.status == ProcessingStatus.PROCESSING  # still the other worker's
    assert not Derivative.objects.filter(asset=asset).exists()
    # The thumbnail it made is gone from the bucket and was never recorded.
    assert set(storages["private"].iter_keys("derivatives/")) == before
    assert StoredFile.objects.filter(owner=user).count() == 1


def test_a_failing_job_hands_back_only_a_lease_it_still_holds(user, s3_endpoint, monkeypatch):
    asset = _asset(user)

    def crash_after_takeover(*args, **kwargs):
        MediaAsset.objects.filter(pk=asset.pk).update(
            processing_started_at=timezone.now() + timedelta(seconds=5)
        )
        raise OSError("disk full")

    monkeypatch.setattr(processing, "process", crash_after_takeover)
    with pytest.raises(OSError):
        pipeline.run(asset.pk)
    asset.refresh_from_db()
    # The other worker's claim stands: the crashed job did not put the asset back to pending.
    assert asset.status == ProcessingStatus.PROCESSING
    assert asset.processing_started_at is not None


def test_a_waiting_asset_is_handed_out_again_once_per_grace_period(user, s3_endpoint, monkeypatch):
    """Its message was lost with a worker (or the queue is long): the beat task sends it again,
    but not at every run (every minute), which would multiply a long queue."""
    from media import tasks

    sent = []
    monkeypatch.setattr(tasks.process_asset, "apply_async", lambda args: sent.append(args))
    asset = _asset(user)
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert pipeline.requeue_stalled(pending_grace_seconds=600) == 1
    assert pipeline.requeue_stalled(pending_grace_seconds=600) == 0  # the next minute's run
    assert sent == [[str(asset.pk)]]
    # Still waiting when the grace period has passed again: sent once more.
    MediaAsset.objects.filter(pk=asset.pk).update(
        processing_started_at=timezone.now() - timedelta(seconds=601)
    )
    assert pipeline.requeue_stalled(pending_grace_seconds=600) == 1
    assert len(sent) == 2
    assert MediaAsset.objects.get(pk=asset.pk).status == ProcessingStatus.PENDING


def test_a_waiting_asset_is_sent_again_after_two_leases(user, s3_endpoint, monkeypatch, settings):
    """A worker that died took the asset's message before starting it: after two leases (not
    the broker's hours-long visibility timeout) another worker is asked."""
    from media import tasks

    sent = []
    monkeypatch.setattr(tasks.process_asset, "apply_async", lambda args: sent.append(args))
    settings.MEDIA_PROCESSING_LEASE_SECONDS = 120
    asset = _asset(user)
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert pipeline.requeue_stalled() == 0  # still within two leases: its message is queued
    MediaAsset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert pipeline.requeue_stalled() == 1
    assert sent == [[str(asset.pk)]]
