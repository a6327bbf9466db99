"""Error reports through Sentry's SDK when SENTRY_DSN is set (core/errorreports.py).

Sentry itself cannot run here, so a small HTTP server on this machine stands in for its ingest
endpoint and records the envelopes the real SDK sends. The site runs in a process of its own
(the SDK patches Django globally), configured only by the environment, as in production.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
from django.conf import settings

from tests.services import BASE_DIR, _database_url

SCRIPT = r"""
import sys, types
import django
django.setup()
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

def boom(request):
    raise ZeroDivisionError("the report must reach Sentry")

def fine(request):
    return HttpResponse("ok")

urls = types.ModuleType("boom_urls")
urls.urlpatterns = [path("boom/", boom), path("fine/", fine)]
sys.modules["boom_urls"] = urls
with override_settings(ROOT_URLCONF="boom_urls", ALLOWED_HOSTS=["*"]):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-readers-session-cookie"
    answer = client.get("/boom/?token=secret-feed-token", HTTP_X_REQUEST_ID="req-0123456789",
                        HTTP_USER_AGENT="Mozilla/5.0", REMOTE_ADDR="203.0.113.7")
    assert answer.status_code == 500, answer.status_code
    assert client.get("/fine/").status_code == 200
import sentry_sdk
sentry_sdk.flush(timeout=10)
print("sent")
"""


class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def ingest():
    _Ingest.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _events(received: list[bytes]) -> list[dict]:
    events = []
    for envelope in received:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def _run_site(env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
        **env_extra,
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.django_db
def test_an_error_is_reported_with_its_request_id_and_no_readers_data(ingest, s3_endpoint):
    dsn = f"http://publickey@127.0.0.1:{ingest.server_port}/7"
    done = _run_site({"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "drill", "SENTRY_RELEASE": "r42"})
    assert done.returncode == 0, done.stderr[-3000:]
    events = _events(_Ingest.received)
    assert len(events) == 1, events  # the failing request only; the good one sends nothing
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert event["tags"]["request_id"] == "req-0123456789"
    assert event["environment"] == "drill" and event["release"] == "r42"
    assert event.get("transaction") == "/boom/", event.get("transaction")
    sent = json.dumps(event)
    for private in ("secret-feed-token", "a-readers-session-cookie", "203.0.113.7", "Mozilla"):
        assert private not in sent, (private, sent[max(0, sent.find(private) - 300) :][:600])
    assert "user" not in event
