"""Every answer and log line names its request; the id follows the request into its tasks."""

import io
import json
import logging
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from core import requestid

pytestmark = pytest.mark.django_db

FRESH = re.compile(r"[0-9a-f]{32}")


def test_each_answer_names_its_request_and_keeps_the_proxys_id():
    client = Client()
    made = client.get("/healthz")["X-Request-ID"]
    assert FRESH.fullmatch(made)
    assert client.get("/healthz")["X-Request-ID"] != made
    given = "nginx-3f2a9c1d7e"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.parametrize(
    "hostile",
    [
        "abc123\n2026-12-01 ERROR forged line",  # a forged log line
        "a" * 65,  # one byte too many
        "short",  # too short to be an id
        "请求编号一二三四五六",  # not a plain token
        "abc 123 def 456",
    ],
)
def test_an_id_that_is_not_a_plain_token_is_replaced(hostile):
    answer = Client().get("/healthz", HTTP_X_REQUEST_ID=hostile)
    assert FRESH.fullmatch(answer["X-Request-ID"])


def test_log_lines_are_json_with_the_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(requestid.RequestIdFilter())
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s")
    )
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        Client().get("/no-such-page-here/", HTTP_X_REQUEST_ID="trace-0001-abcd")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all(line["request_id"] == "trace-0001-abcd" for line in lines)
    assert "Not Found" in lines[0]["message"]


def test_the_id_travels_with_the_tasks_a_request_enqueues():
    token = requestid.current.set("trace-0002-abcd")
    headers: dict = {}
    try:
        requestid._on_publish(headers=headers)
    finally:
        requestid.current.reset(token)
    assert headers["request_id"] == "trace-0002-abcd"
    # On the worker: the task's log lines carry it while it runs, and not after.
    task = SimpleNamespace(request=SimpleNamespace(request_id=headers["request_id"]))
    requestid._on_start(task=task)
    assert requestid.current.get() == "trace-0002-abcd"
    requestid._on_end(task=task)
    assert requestid.current.get() == ""
    # A message with a forged id (another producer) runs with none.
    forged = SimpleNamespace(request=SimpleNamespace(request_id="x\ny forged"))
    requestid._on_start(task=forged)
    assert requestid.current.get() == ""
    requestid._on_end(task=forged)


def test_the_id_is_handed_to_celery_for_every_task_message():
    from celery.signals import before_task_publish, task_postrun, task_prerun

    def connected(signal, receiver) -> bool:
        return any(found is receiver for _key, found in signal.receivers)

    assert connected(before_task_publish, requestid._on_publish)
    assert connected(task_prerun, requestid._on_start)
    assert connected(task_postrun, requestid._on_end)
