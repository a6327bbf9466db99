"""The redacted public copy is made by the real Celery worker, enqueued on commit; the beat
task picks up copies that were waiting for their access copy."""

import pytest

from oral_history import services, tasks
from oral_history.models import InterviewMedia
from tests.services import wait_for

from .factories import InterviewFactory, archivist, attach_tone

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_worker_makes_the_redacted_copy_after_a_redaction(celery_worker, tmp_path):
    interview = InterviewFactory(duration_seconds=20)
    item = attach_tone(interview, tmp_path, seconds=20)
    services.add_redaction(interview=interview, start=5, end=8, reason="隐私", user=archivist())
    wait_for(
        lambda: InterviewMedia.objects.get(pk=item.pk).redacted_copy_status == "ready",
        message=f"no redacted copy was made:\n{celery_worker.log()[-3000:]}",
    )


def test_the_beat_task_resumes_copies_left_pending(celery_worker, tmp_path):
    interview = InterviewFactory(duration_seconds=20)
    item = attach_tone(interview, tmp_path, seconds=20)
    # As if the worker had died before making the copy: pending, nothing queued.
    InterviewMedia.objects.filter(pk=item.pk).update(
        redacted_for=[[2.0, 4.0]], redacted_copy_status="pending"
    )
    tasks.resume_redacted_copies.delay()
    wait_for(
        lambda: InterviewMedia.objects.get(pk=item.pk).redacted_copy_status == "ready",
        message=f"the pending copy was not resumed:\n{celery_worker.log()[-3000:]}",
    )
