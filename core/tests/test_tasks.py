import pytest
from django.db import transaction

from core.models import ServiceHeartbeat
from core.tasks import enqueue, record_heartbeat
from tests.services import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_heartbeat_task_runs_on_the_real_worker_through_redis(celery_worker):
    with transaction.atomic():
        enqueue(record_heartbeat)
        # Nothing is sent before the transaction commits.
        assert not ServiceHeartbeat.objects.exists()
    beat = wait_for(
        lambda: ServiceHeartbeat.objects.filter(name="worker").first(),
        message="the worker did not record a heartbeat",
    )
    assert beat.hostname == celery_worker.name
    assert "core.tasks.record_heartbeat" in celery_worker.log()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enqueue_sends_nothing_when_the_transaction_rolls_back(monkeypatch):
    sent = []
    monkeypatch.setattr(record_heartbeat, "apply_async", lambda **kwargs: sent.append(kwargs))
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(record_heartbeat)
        raise RuntimeError("rolled back")
    assert sent == []
    with transaction.atomic():
        enqueue(record_heartbeat)
    assert sent == [{"args": (), "kwargs": {}}]


def test_tasks_are_acknowledged_late_and_retried():
    assert record_heartbeat.acks_late is True
    assert record_heartbeat.reject_on_worker_lost is True
    assert record_heartbeat.max_retries == 5
