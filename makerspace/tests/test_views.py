"""Maker and technician pages: what each may reach (guessed ids answer 404, staff pages 403),
the forms' clear refusals, the write-only API key in the admin, and query counts that stay
the same as lists grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory, sign_in
from booking.tests.factories import staff_member
from makerspace import services
from makerspace.models import JobStatus, Printer, PrintJob
from media.tests.usercontent import follow

from .factories import (
    SHORT_GCODE,
    EquipmentFactory,
    PrinterFactory,
    TrainingFactory,
    certified_maker,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(db):
    return PrinterFactory()


@pytest.fixture
def maker(printer):
    return certified_maker(printer.equipment.resource.required_qualification)


def _job(maker, **fields) -> PrintJob:
    request = {"title": "齿轮", "profile": "virtual", "material": "PLA"} | fields
    return services.submit_job(
        owner=maker, upload=upload(SHORT_GCODE), request=services.JobRequest(**request)
    )


def test_catalogue_and_equipment_pages_are_public(client, printer):
    TrainingFactory(qualification=printer.equipment.resource.required_qualification)
    EquipmentFactory(kind="recording", name="录音室A", slug="studio-a", resource=None)
    index = client.get("/makerspace/").content.decode()
    assert printer.equipment.name in index and "录音室A" in index
    detail = client.get(f"/makerspace/equipment/{printer.equipment.slug}/").content.decode()
    assert "220 × 220 × 250 mm" in detail
    assert printer.equipment.resource.required_qualification.name in detail


def test_a_maker_submits_sees_the_estimate_and_confirms(client, maker):
    assert sign_in(client, maker.email)
    form = client.get("/makerspace/print/").content.decode()
    assert 'name="profile"' in form and "virtual" in form
    done = client.post(
        "/makerspace/print/",
        {
            "title": "齿轮",
            "file": upload(SHORT_GCODE),
            "profile": "virtual",
            "material": "PLA",
            "quantity": "1",
        },
    )
    job = PrintJob.objects.get(owner=maker)
    assert done.status_code == 302 and done["Location"] == f"/makerspace/jobs/{job.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "2.50" in page and 'action="/makerspace/jobs/' in page
    client.post(f"/makerspace/jobs/{job.pk}/confirm/")
    assert PrintJob.objects.get(pk=job.pk).status == JobStatus.SUBMITTED


def test_the_job_page_polls_its_state_and_reloads_when_it_changes(client, maker):
    job = _job(maker)
    client.force_login(maker)
    url = f"/makerspace/jobs/{job.pk}/"
    same = client.get(url, {"seen": "estimated"}, headers={"HX-Request": "true"})
    assert same.status_code == 200 and "<html" not in same.content.decode()
    services.confirm_job(job=job, user=maker)
    changed = client.get(url, {"seen": "estimated"}, headers={"HX-Request": "true"})
    assert changed.status_code == 204 and changed["HX-Refresh"] == "true"


def test_a_refused_upload_shows_why_and_stores_nothing(client, maker):
    assert sign_in(client, maker.email)
    answer = client.post(
        "/makerspace/print/",
        {
            "title": "坏文件",
            "file": upload(b"G28\nM502\n"),
            "profile": "virtual",
            "material": "PLA",
            "quantity": "1",
        },
    )
    assert answer.status_code == 200
    assert "M502" in answer.content.decode()
    assert not PrintJob.objects.exists()


def test_makers_cannot_reach_each_others_jobs_or_files(client, maker, printer):
    job = _job(maker)
    other = certified_maker(printer.equipment.resource.required_qualification)
    assert sign_in(client, other.email)
    for url in (
        f"/makerspace/jobs/{job.pk}/",
        f"/files/{job.source_id}/",
        f"/files/{job.source_id}/download/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/makerspace/jobs/{job.pk}/confirm/").status_code == 404
    assert client.post(f"/makerspace/jobs/{job.pk}/cancel/").status_code == 404
    assert PrintJob.objects.get(pk=job.pk).status == JobStatus.ESTIMATED
    assert client.get("/makerspace/api/jobs/").json() == {"jobs": []}
    mine = client.get("/makerspace/me/").content.decode()
    assert "齿轮" not in mine


def test_farm_pages_are_for_technicians_only(client, maker):
    job = _job(maker)
    assert sign_in(client, maker.email)
    for url in ("/makerspace/farm/", "/makerspace/farm/studio/", "/makerspace/api/farm/"):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/makerspace/farm/jobs/{job.pk}/review/",
        f"/makerspace/farm/jobs/{job.pk}/requeue/",
        "/makerspace/farm/printers/1/cleared/",
        "/makerspace/farm/queue/",
    ):
        assert client.post(url, {"decision": "approve"}).status_code == 403, url
    client.logout()
    assert client.get("/makerspace/me/").status_code == 302  # to the sign-in page


def test_technicians_review_and_open_makers_files(client, maker):
    job = _job(maker)
    services.confirm_job(job=job, user=maker)
    staff = staff_member()
    client.force_login(staff)
    _redirect, answer = follow(client, f"/files/{job.source_id}/")
    assert answer.status_code == 200
    answer = client.post(
        f"/makerspace/farm/jobs/{job.pk}/review/", {"decision": "reject", "reason": ""}
    )
    assert answer.status_code == 302
    assert PrintJob.objects.get(pk=job.pk).status == JobStatus.SUBMITTED
    client.post(f"/makerspace/farm/jobs/{job.pk}/review/", {"decision": "approve", "priority": 5})
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.priority == 5
    state = client.get("/makerspace/api/farm/").json()
    assert state["queued"] == 1 and state["printers"][0]["next"] == [str(job.pk)]


def test_farm_and_maker_pages_keep_a_fixed_number_of_queries(client, maker, printer, settings):
    settings.MAKERSPACE_JOBS_PER_WEEK = 100
    staff = staff_member()

    def queries(user, url: str) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for _ in range(n):
            job = _job(maker)
            services.confirm_job(job=job, user=maker)
            services.approve_job(job=job, by=staff)
        PrinterFactory()

    add(2)
    queries(staff, "/makerspace/farm/")  # warm the per-process caches (site, settings)
    farm, mine = queries(staff, "/makerspace/farm/"), queries(maker, "/makerspace/me/")
    add(6)
    assert queries(staff, "/makerspace/farm/") == farm
    assert queries(maker, "/makerspace/me/") == mine


def test_the_admin_keeps_the_api_key_write_only(client, printer):
    admin = staff_member()
    client.force_login(admin)
    url = f"/admin/snippets/makerspace/printer/edit/{printer.pk}/"
    page = client.get(url).content.decode()
    assert "0" * 32 not in page
    assert 'type="password" name="api_key"' in page
    data = {
        "equipment": printer.equipment_id,
        "profile": "generic-220",
        "material": "PETG",
        "colour": "黑色",
        "nozzle_mm": "0.40",
        "build_x_mm": 220,
        "build_y_mm": 220,
        "build_z_mm": 250,
        "octoprint_url": "http://octopi.local",
        "api_key": "",
    }
    assert client.post(url, data).status_code == 302
    kept = Printer.objects.get(pk=printer.pk)
    assert kept.api_key() == "0" * 32 and kept.material == "PETG"
    client.post(url, data | {"api_key": "NEWKEY1234"})
    assert Printer.objects.get(pk=printer.pk).api_key() == "NEWKEY1234"
    assert "NEWKEY1234" not in client.get(url).content.decode()


def test_training_roster_certifies_attendees(client, printer):
    training = TrainingFactory(qualification=printer.equipment.resource.required_qualification)
    reader = UserFactory()
    client.force_login(staff_member())
    client.post(f"/makerspace/farm/trainings/{training.slug}/", {"user": reader.pk})
    assert reader.qualifications.filter(qualification=training.qualification).exists()
    page = client.get(f"/makerspace/farm/trainings/{training.slug}/").content.decode()
    assert reader.display_name in page
