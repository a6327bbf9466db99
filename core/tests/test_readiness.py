"""/readyz: the load balancer sends traffic to a node only when its migrations are applied."""

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_ready_when_every_migration_is_applied(client, settings):
    answer = client.get(reverse("readyz"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready" and body["pending_migrations"] == []
    assert answer["Cache-Control"].startswith("max-age=0")


def test_not_ready_while_a_migration_is_pending(client):
    recorder = MigrationRecorder.Migration.objects
    latest = recorder.filter(app="booking").order_by("-id").first()
    latest.delete()  # as if the new code's migration had not run yet (rolled back after the test)
    answer = client.get(reverse("readyz"))
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert f"booking.{latest.name}" in body["pending_migrations"]
    # Liveness is another matter: the node is up and its services answer.
    assert client.get(reverse("healthz")).status_code == 200
