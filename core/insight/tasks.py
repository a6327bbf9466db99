"""Beat tasks of the activity record: thin wrappers over services, safe to run twice."""

from celery import shared_task

from core.tasks import IdempotentTask

from . import services


@shared_task(base=IdempotentTask, name="insight.tasks.roll_up")
def roll_up() -> int:
    return services.roll_up_closed_hours()


@shared_task(base=IdempotentTask, name="insight.tasks.maintain")
def maintain() -> dict:
    return services.maintain()
