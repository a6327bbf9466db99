"""Celery tasks for the maker space. Each is a thin call into services, safe to run twice."""

from celery import shared_task

from core.tasks import IdempotentTask

from . import services, studio


@shared_task(base=IdempotentTask, name="makerspace.tasks.slice_job")
def slice_job(job_id: str) -> str:
    return services.slice_job(job_id)


@shared_task(base=IdempotentTask, name="makerspace.tasks.dispatch_job")
def dispatch_job(job_id: str) -> str:
    return services.dispatch(job_id)


@shared_task(base=IdempotentTask, name="makerspace.tasks.schedule_queue")
def schedule_queue() -> int:
    return len(services.schedule())


# Not retried: the next beat, seconds later, does the same work with fresher state.
@shared_task(name="makerspace.tasks.sync_farm", ignore_result=True)
def sync_farm() -> int:
    services.resume_stalled_slicing()
    services.discard_abandoned_uploads()
    return services.sync_farm()


@shared_task(base=IdempotentTask, name="makerspace.tasks.process_studio_job")
def process_studio_job(job_id: str) -> str:
    return studio.process(job_id)


@shared_task(name="makerspace.tasks.resume_studio_jobs", ignore_result=True)
def resume_studio_jobs() -> int:
    return studio.resume_stalled()
