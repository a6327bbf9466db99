"""Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


def _atomic_filesystem_broker() -> None:
    # make run's filesystem:// broker, with messages written atomically (core/broker.py).
    from core.broker import install

    install()


_atomic_filesystem_broker()
app = Celery("liaotu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _connect_request_ids() -> None:
    # The web request's id follows it into the tasks it enqueues (core/requestid.py).
    from core.requestid import connect_celery

    connect_celery()


_connect_request_ids()
