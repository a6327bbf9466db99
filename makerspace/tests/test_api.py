"""Print jobs from an app: submit a G-code file (multipart), confirm, cancel; technicians review,
reorder, pin and pause through the API with the farm's permission."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from booking.tests.factories import staff_member
from makerspace.models import JobStatus, PrintJob, QueueControl
from media.models import StoredFile

from .factories import SHORT_GCODE, PrinterFactory, certified_maker

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(db):
    return PrinterFactory()


@pytest.fixture
def maker(printer):
    return certified_maker(printer.equipment.resource.required_qualification)


def _submit(client, data: bytes = SHORT_GCODE, name: str = "part.gcode", **fields):
    form = {"title": "支架", "profile": "virtual", "material": "PLA"} | fields
    form["file"] = SimpleUploadedFile(name, data)
    return client.post("/api/v1/me/print-jobs/new/", form)


def test_a_maker_submits_confirms_and_a_technician_approves(client, maker, s3_endpoint):
    client.force_login(maker)
    made = _submit(client)
    assert made.status_code == 201, made.content
    job = made.json()
    assert job["status"] == "estimated" and job["estimated_seconds"] > 0
    confirmed = client.post(f"/api/v1/me/print-jobs/{job['id']}/confirm/")
    assert confirmed.json()["status"] == "submitted"
    again = client.post(f"/api/v1/me/print-jobs/{job['id']}/confirm/")
    assert again.status_code == 409 and again.json()["code"] == "state"
    technician = staff_member()
    client.force_login(technician)
    reject = client.post(
        f"/api/v1/staff/print-jobs/{job['id']}/review/",
        {"decision": "reject"},
        content_type="application/json",
    )
    assert reject.status_code == 422 and reject.json()["code"] == "reason_required"
    approved = client.post(
        f"/api/v1/staff/print-jobs/{job['id']}/review/",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert approved.json()["status"] == "queued"
    paused = client.post(
        "/api/v1/staff/print-farm/pause/",
        {"paused": True, "reason": "换料"},
        content_type="application/json",
    )
    assert paused.json()["paused"] is True and QueueControl.objects.get().paused


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"G28\nM500\n", "part.gcode", "gcode_denied"),  # a denied command
        (b"G28\nM0500\n", "part.gcode", "gcode_denied"),  # another spelling of it
        (b"\x00\x01binary", "part.gcode", "gcode_binary"),
        (b"<html><script>alert(1)</script></html>", "part.stl", "file_type"),
    ],
)
def test_hostile_files_are_refused_and_nothing_is_kept(
    client, maker, s3_endpoint, data, name, code
):
    client.force_login(maker)
    refused = _submit(client, data, name)
    assert refused.status_code in (400, 422), refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == code
    assert not PrintJob.objects.exists()
    assert not StoredFile.objects.exists()


def test_a_reader_who_is_not_certified_is_refused_with_its_code(client, user, printer, s3_endpoint):
    client.force_login(user)
    refused = _submit(client)
    assert refused.status_code == 422 and refused.json()["code"] == "not_certified"


def test_options_are_checked(client, maker, s3_endpoint):
    client.force_login(maker)
    assert _submit(client, quantity="21").json()["errors"]["quantity"]
    assert _submit(client, material="wood").json()["errors"]["material"]
    refused = _submit(client, profile="no-such-printer")
    assert refused.status_code == 422 and refused.json()["code"] == "no_printer"
    assert not PrintJob.objects.exists()


def test_a_maker_cancels_their_own_job(client, maker, s3_endpoint):
    client.force_login(maker)
    job = _submit(client).json()
    cancelled = client.post(f"/api/v1/me/print-jobs/{job['id']}/cancel/")
    assert cancelled.json()["status"] == JobStatus.CANCELLED
