"""Task conventions for the whole project, and the site-wide periodic tasks.

Every task that changes state is idempotent: it checks a status before acting, so a task that is
re-delivered after a worker crash (``acks_late`` + ``reject_on_worker_lost``) or retried does no
harm. Tasks are only enqueued once the transaction that created their work has committed.
"""

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, transaction

from . import services


class IdempotentTask(Task):
    """Base for tasks that are safe to run twice: acknowledged late, retried with back-off."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


def enqueue(task: Task, *args: Any, **kwargs: Any) -> Callable[[], None]:
    """Send ``task`` once the current transaction commits (at once outside a transaction).

    A worker that picked the task up before the commit would not see the rows it is about.
    """

    def send() -> None:
        task.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(send)
    return send


@shared_task(base=IdempotentTask, bind=True, name="core.tasks.record_heartbeat")
def record_heartbeat(self: Task) -> None:
    services.record_heartbeat(name="worker", hostname=self.request.hostname or "")


@shared_task(base=IdempotentTask, name="core.tasks.rebuild_search_index")
def rebuild_search_index() -> dict[str, int]:
    """Nightly: rows changed without signals (``QuerySet.update()``, a reverse many-to-many
    clear, a fix in the database shell) reach the search index within a day at the latest."""
    from . import search

    return search.rebuild()
