"""Media processing tasks. Thin: the work and its guards live in media.pipeline."""

from celery import Task, shared_task

from core.tasks import IdempotentTask

from . import cleanup, pipeline


@shared_task(base=IdempotentTask, bind=True, name="media.tasks.process_asset")
def process_asset(self: Task, asset_id: str) -> str:
    return pipeline.run(asset_id)


@shared_task(base=IdempotentTask, name="media.tasks.requeue_stalled")
def requeue_stalled() -> int:
    return pipeline.requeue_stalled()


@shared_task(base=IdempotentTask, name="media.tasks.clean_up_storage")
def clean_up_storage() -> int:
    return cleanup.remove_abandoned_uploads() + len(cleanup.remove_orphan_objects())
