"""Beat and worker tasks of the insight app: thin wrappers over services, safe to run twice."""

from celery import shared_task

from core.tasks import IdempotentTask

from . import services


@shared_task(base=IdempotentTask, name="insight.tasks.roll_up")
def roll_up() -> int:
    services.resume_exports()
    return services.roll_up_closed_hours()


@shared_task(base=IdempotentTask, name="insight.tasks.maintain")
def maintain() -> dict:
    return services.maintain()


@shared_task(base=IdempotentTask, name="insight.tasks.build_export")
def build_export(export_id: str) -> str:
    return services.build_export(export_id=export_id)


@shared_task(name="insight.tasks.record_event", acks_late=False, ignore_result=True)
def record_event(values: dict) -> None:
    """One activity event sent by a page (see services.record_soon): at most once."""
    services.write_event(values=values)


@shared_task(base=IdempotentTask, name="insight.tasks.year_reviews")
def year_reviews() -> int:
    """Daily: once the chosen year is over, every reader's review, in batches (idempotent)."""
    from . import review

    year = review.due_year()
    return review.generate_all(year=year) if year else 0


@shared_task(base=IdempotentTask, name="insight.tasks.recommendations")
def recommendations() -> dict:
    """Nightly: what readers take up together, and what each audience group takes up."""
    from . import recommendations as recommending

    return recommending.compute()
