import io

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from makerspace import services
from makerspace.demo import DEMO_GCODE
from makerspace.models import JobStatus, Printer, PrinterState, PrintJob, StudioJob
from tests.services import free_port


@pytest.mark.django_db
def test_demo_maker_space_has_jobs_in_every_state_and_renders_without_octoprint(client):
    only = ("--only", "accounts", "cms", "booking", "makerspace")
    call_command("seed_demo", *only, stdout=io.StringIO())
    assert set(PrintJob.objects.values_list("status", flat=True)) == set(JobStatus.values) - {
        JobStatus.SLICING,
        JobStatus.DISPATCHING,
    }
    assert StudioJob.objects.filter(status="done", work__isnull=False).exists()
    # The demo maker can send a print straight away: certified, and room left in the quota.
    maker = User.objects.get(email="maker@demo.liaotu.cn")
    services.check_can_print(user=maker)
    job = services.submit_job(
        owner=maker,
        upload=SimpleUploadedFile("方块.gcode", DEMO_GCODE.encode()),
        request=services.JobRequest(title="演示打印", profile="generic-220", material="PLA"),
    )
    services.confirm_job(job=job, user=maker)
    assert not PrintJob.objects.filter(
        status=JobStatus.SLICE_FAILED, estimated_seconds__isnull=False
    ).exists()
    client.force_login(maker)
    unsliced = PrintJob.objects.get(owner=maker, status=JobStatus.SLICE_FAILED)
    assert "切片软件的估算" not in client.get(f"/makerspace/jobs/{unsliced.pk}/").content.decode()
    before = PrintJob.objects.count()
    call_command("seed_demo", *only, stdout=io.StringIO())
    assert PrintJob.objects.count() == before
    # Without their OctoPrint servers (which `make run` starts, and which may be running on this
    # machine at the demo's ports), a sync shows the printers offline, and the demo's running
    # print is interrupted rather than left "printing".
    Printer.objects.update(octoprint_url=f"http://127.0.0.1:{free_port()}")
    for printer in Printer.objects.all():
        services.sync_printer(printer)
    assert set(Printer.objects.values_list("state", flat=True)) == {PrinterState.OFFLINE}
    assert not PrintJob.objects.filter(status=JobStatus.PRINTING).exists()
    assert client.get("/makerspace/").status_code == 200
    client.force_login(Printer.objects.first().jobs.first().owner)
    assert client.get("/makerspace/me/").status_code == 200
    technician = User.objects.get(email="technician@demo.liaotu.cn")
    TOTP.activate(technician, pyotp.random_base32())  # staff must have MFA set up
    client.force_login(technician)
    farm = client.get("/makerspace/farm/")
    assert farm.status_code == 200 and "3D打印机 C" in farm.content.decode()
