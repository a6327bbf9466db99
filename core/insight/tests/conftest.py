import pytest


@pytest.fixture
def tasks_run_here():
    """Celery runs tasks in this process, at once (its own ``task_always_eager``): for events
    that pages send through the worker (``record_soon``), checked without a worker process."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
