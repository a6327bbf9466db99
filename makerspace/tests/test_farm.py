"""The print queue against real OctoPrint servers with the Virtual Printer: jobs are sliced,
approved, dispatched and followed to the end on several printers, and every failure the issue
names (printer error, dropped connection, disconnect, server killed, cancel at the printer)
leaves the job failed or interrupted, the printer needing attention, and no job 'printing' on
a printer that is not printing."""

from __future__ import annotations

import contextlib

import pytest
from django.core import mail
from django.utils import translation

from accounts.tests.factories import UserFactory
from core.models import Notification
from makerspace import octoprint, services
from makerspace.models import JobStatus, Printer, PrinterState, PrintJob
from tests.services import wait_for

from .factories import (
    SHORT_GCODE,
    PrinterFactory,
    box_stl,
    certified_maker,
    long_gcode,
    upload,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in English; the zh-hans catalogue is checked elsewhere."""
    with translation.override("en"):
        yield


def _connected(server) -> Printer:
    """A printer record for ``server`` whose Virtual Printer is connected and idle."""
    _connect(server)
    return PrinterFactory(octoprint_url=server.url, api_key=server.api_key)


def _connect(server) -> None:
    with octoprint.OctoPrint(server.url, server.api_key) as api:
        with contextlib.suppress(octoprint.OctoPrintError):
            api.cancel()
        state = api.connection().state
        if state != "Operational":
            with contextlib.suppress(octoprint.OctoPrintError):
                api.disconnect()
            wait_for(lambda: api.connection().state in ("Closed", "Offline"))
            api.connect(port="VIRTUAL")
            wait_for(lambda: api.connection().state == "Operational", timeout=20)
        wait_for(lambda: not api.printer().printing)


def _invariant() -> None:
    """After a sync no job may be 'printing' on a printer that is not printing."""
    for job in PrintJob.objects.filter(status=JobStatus.PRINTING).select_related("printer"):
        assert job.printer.state in (PrinterState.PRINTING, PrinterState.PAUSED), job


def _queued_job(owner, *, data: bytes = SHORT_GCODE, material: str = "PLA", colour: str = ""):
    job = services.submit_job(
        owner=owner,
        upload=upload(data),
        request=services.JobRequest(
            title="测试件", profile="virtual", material=material, colour=colour
        ),
    )
    services.confirm_job(job=job, user=owner)
    staff = UserFactory()
    staff.user_permissions.add(*_farm_permissions())
    return services.approve_job(job=PrintJob.objects.get(pk=job.pk), by=staff)


def _farm_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename="run_print_farm")


def _sync_until(printer: Printer, predicate, *, timeout: float = 30) -> None:
    def step() -> bool:
        services.sync_printer(Printer.objects.get(pk=printer.pk))
        _invariant()
        return predicate()

    wait_for(step, timeout=timeout, interval=0.3)


def _status(job) -> str:
    return PrintJob.objects.get(pk=job.pk).status


def test_jobs_print_to_the_end_on_three_printers_matched_by_material(octoprint_pool):
    printers = [_connected(octoprint_pool.get(i)) for i in range(3)]
    Printer.objects.filter(pk=printers[2].pk).update(material="PETG", colour="黑色")
    qualification = printers[0].equipment.resource.required_qualification
    maker = certified_maker(qualification)
    pla = [_queued_job(maker) for _ in range(2)]
    petg = _queued_job(maker, material="PETG", colour="黑色")

    assigned = services.schedule()
    for job in assigned:  # the dispatch task's body, run here to follow each step
        services.dispatch(job.pk)
    assert {j.pk for j in assigned} == {pla[0].pk, pla[1].pk, petg.pk}
    assert PrintJob.objects.get(pk=petg.pk).printer_id == printers[2].pk
    assert {PrintJob.objects.get(pk=j.pk).printer_id for j in pla} == {
        printers[0].pk,
        printers[1].pk,
    }
    for job in (*pla, petg):
        printer = PrintJob.objects.get(pk=job.pk).printer
        _sync_until(printer, lambda job=job: _status(job) == JobStatus.DONE)
    done = PrintJob.objects.get(pk=petg.pk)
    assert done.progress == 100 and done.finished_at is not None
    # Each printer now waits to be cleared before taking another job.
    assert not Printer.objects.filter(is_cleared=True).exists()
    # Approved, started and finished: three notices and three e-mails per job.
    for job in (*pla, petg):
        url = f"/makerspace/jobs/{job.pk}/"
        assert Notification.objects.filter(user=maker, url=url).count() == 3
    assert len([m for m in mail.outbox if maker.email in m.to]) == 9


def test_a_printer_takes_the_next_job_only_after_it_is_cleared(octoprint_server):
    printer = _connected(octoprint_server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    first, second = _queued_job(maker), _queued_job(maker)
    services.dispatch(services.schedule()[0].pk)
    _sync_until(printer, lambda: _status(first) == JobStatus.DONE)
    assert services.schedule() == []  # not cleared yet
    staff = UserFactory()
    staff.user_permissions.add(*_farm_permissions())
    services.mark_cleared(printer=printer, by=staff)
    services.sync_printer(Printer.objects.get(pk=printer.pk))
    assigned = services.schedule()
    assert [job.pk for job in assigned] == [second.pk]


@pytest.mark.parametrize(
    ("inject", "status", "reason"),
    [
        ("!!DEBUG:trigger_fatal_error_marlin", JobStatus.FAILED, ""),
        ("!!DEBUG:drop_connection", JobStatus.INTERRUPTED, ""),
        ("!!DEBUG:action_disconnect", JobStatus.INTERRUPTED, ""),
        ("cancel", JobStatus.INTERRUPTED, "cancelled at the printer"),
    ],
)
def test_a_failure_at_the_printer_ends_the_job_and_flags_the_printer(
    octoprint_server, inject, status, reason
):
    printer = _connected(octoprint_server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    job = _queued_job(maker, data=long_gcode())
    services.dispatch(services.schedule()[0].pk)
    _sync_until(printer, lambda: PrintJob.objects.get(pk=job.pk).progress is not None)
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key) as api:
        if inject == "cancel":
            api.cancel()
        else:
            api.send_commands(inject)
    _sync_until(printer, lambda: _status(job) != JobStatus.PRINTING)
    job.refresh_from_db()
    printer.refresh_from_db()
    assert job.status == status, (job.status, job.reason)
    assert job.reason and reason in job.reason
    assert printer.needs_attention and not printer.is_cleared
    assert Notification.objects.filter(user=maker, message__contains=job.reason).exists()
    assert services.schedule() == []  # the printer is out until a technician looks at it


def test_a_killed_octoprint_server_interrupts_the_job_and_requeue_prints_it_again(
    octoprint_pool,
):
    server = octoprint_pool.get(1)
    printer = _connected(server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    job = _queued_job(maker, data=long_gcode())
    services.dispatch(services.schedule()[0].pk)
    _sync_until(printer, lambda: PrintJob.objects.get(pk=job.pk).progress is not None)
    server.kill()
    services.sync_printer(Printer.objects.get(pk=printer.pk))
    _invariant()
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED
    assert Printer.objects.get(pk=printer.pk).state == PrinterState.OFFLINE

    octoprint_pool.get(1)  # restarts the server
    _connect(server)
    staff = UserFactory()
    staff.user_permissions.add(*_farm_permissions())
    services.requeue_job(job=job, by=staff)
    services.mark_cleared(printer=printer, by=staff)
    services.sync_printer(Printer.objects.get(pk=printer.pk))
    services.dispatch(services.schedule()[0].pk)
    _sync_until(printer, lambda: _status(job) == JobStatus.PRINTING)
    assert PrintJob.objects.get(pk=job.pk).attempts == 2


def test_dispatch_to_a_busy_printer_puts_the_job_back_in_the_queue(octoprint_server):
    printer = _connected(octoprint_server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key) as api:
        assert api.upload_and_print(name="walk-in.gcode", data=long_gcode()).effective_print
        wait_for(lambda: api.printer().printing)
    job = _queued_job(maker)
    # Our last sync still thought the printer idle; OctoPrint answers effectivePrint=false.
    assigned = services.schedule()
    assert [j.pk for j in assigned] == [job.pk]
    assert services.dispatch(job.pk) == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.printer is None
    assert "busy" in job.reason or "忙" in job.reason
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key) as api:
        api.cancel()


def test_a_redelivered_dispatch_does_not_upload_twice(octoprint_server):
    """The worker died after uploading: the second delivery sees the file printing."""
    printer = _connected(octoprint_server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    job = _queued_job(maker, data=long_gcode())
    services.schedule()
    assert services.dispatch(job.pk) == JobStatus.PRINTING
    PrintJob.objects.filter(pk=job.pk).update(status=JobStatus.DISPATCHING)  # as if not recorded
    assert services.dispatch(job.pk) == JobStatus.PRINTING
    with octoprint.OctoPrint(octoprint_server.url, octoprint_server.api_key) as api:
        assert api.job().file_name == PrintJob.objects.get(pk=job.pk).remote_name
        api.cancel()


def test_a_wrong_api_key_flags_the_printer(octoprint_server):
    printer = _connected(octoprint_server)
    services.set_api_key(printer=printer, api_key="f" * 32)
    seen = services.sync_printer(Printer.objects.get(pk=printer.pk))
    printer.refresh_from_db()
    assert seen.state == PrinterState.ERROR
    assert printer.needs_attention and "API" in printer.attention_reason


@pytest.mark.worker
def test_an_stl_is_sliced_by_the_worker_and_printed(octoprint_server, celery_worker):
    printer = _connected(octoprint_server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    job = services.submit_job(
        owner=maker,
        upload=upload(box_stl(10, 10, 0.6), "box.stl"),
        request=services.JobRequest(title="小方块", profile="virtual", material="PLA"),
    )
    wait_for(
        lambda: _status(job) == JobStatus.ESTIMATED,
        message=f"not sliced:\n{celery_worker.log()[-3000:]}",
    )
    job.refresh_from_db()
    assert job.estimated_seconds and job.filament_g
    services.confirm_job(job=job, user=maker)
    staff = UserFactory()
    staff.user_permissions.add(*_farm_permissions())
    services.approve_job(job=PrintJob.objects.get(pk=job.pk), by=staff)
    # The approval enqueues scheduling; the worker schedules and dispatches.
    wait_for(
        lambda: _status(job) in (JobStatus.PRINTING, JobStatus.DONE),
        timeout=60,
        message=f"not dispatched:\n{celery_worker.log()[-3000:]}",
    )
    _sync_until(printer, lambda: _status(job) == JobStatus.DONE, timeout=120)


def test_a_print_that_finished_while_we_were_not_looking_is_still_done(octoprint_pool):
    """OctoPrint restarted after the print ended (nothing selected any more): its file
    history still says the print succeeded."""
    server = octoprint_pool.get(2)
    printer = _connected(server)
    maker = certified_maker(printer.equipment.resource.required_qualification)
    job = _queued_job(maker)
    services.dispatch(services.schedule()[0].pk)
    with octoprint.OctoPrint(server.url, server.api_key) as api:
        wait_for(lambda: api.job().state == "Operational" and api.job().completion == 100)
    server.kill()
    octoprint_pool.get(2)
    _connect(server)
    with octoprint.OctoPrint(server.url, server.api_key) as api:
        assert api.job().file_name is None
    services.sync_printer(Printer.objects.get(pk=printer.pk))
    assert _status(job) == JobStatus.DONE
