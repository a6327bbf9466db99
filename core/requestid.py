"""One id per request, in its log lines and in those of the Celery tasks it enqueues.

An operator reading "print job 42 failed" in a worker's log can find the request that asked for
it on whichever web node served it. The id comes from the proxy's ``X-Request-ID`` when it is a
plain token (nginx's ``$request_id``), is made here otherwise, and is sent back in the answer.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
# What is accepted from outside: a token, never text that could forge a log line.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")

current: ContextVar[str] = ContextVar("request_id", default="")


def _incoming(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    return given if ACCEPTED.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Kept until the response is finished (``request_finished``), not just until this
        # returns: Django logs an error answer ("Not Found: ...") after the middleware.
        current.set(_incoming(request))
        response = self.get_response(request)
        response[HEADER] = current.get()
        return response


def _finished(**kwargs) -> None:
    current.set("")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get() or "-"
        return True


# --- Celery: the id travels in the task message's headers ----------------------------------------


def _on_publish(headers: dict | None = None, **kwargs) -> None:
    if headers is not None and (value := current.get()):
        headers.setdefault("request_id", value)


def _on_start(task=None, **kwargs) -> None:
    value = getattr(getattr(task, "request", None), "request_id", None) or ""
    task.request._request_id_token = current.set(value if ACCEPTED.fullmatch(value) else "")


def _on_end(task=None, **kwargs) -> None:
    token = getattr(getattr(task, "request", None), "_request_id_token", None)
    if token is not None:
        current.reset(token)


def connect() -> None:
    from django.core.signals import request_finished

    request_finished.connect(_finished, weak=False, dispatch_uid="core.requestid.finished")


def connect_celery() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_on_publish, weak=False, dispatch_uid="core.requestid.publish")
    task_prerun.connect(_on_start, weak=False, dispatch_uid="core.requestid.start")
    task_postrun.connect(_on_end, weak=False, dispatch_uid="core.requestid.end")
