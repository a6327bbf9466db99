import socket

import pytest
from django.db import connection


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_reports_every_service_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_503_when_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True


@pytest.mark.django_db
def test_healthz_503_when_storage_is_down(client, settings):
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["storage"]["ok"] is False
    assert checks["broker"]["ok"] is True


@pytest.mark.django_db
def test_healthz_503_when_bucket_is_missing(client, settings):
    settings.S3_PRIVATE_BUCKET = "bucket-that-was-never-created"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "bucket-that-was-never-created" in response.json()["checks"]["storage"]["detail"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_healthz_503_when_database_is_down(client):
    # Point the real connection at a port where nothing listens, then restore it.
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict["PORT"] = str(closed_port())
    connection.settings_dict["HOST"] = "127.0.0.1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False
    assert body["worker_heartbeat_age_s"] is None
    assert body["checks"]["storage"]["ok"] is True
