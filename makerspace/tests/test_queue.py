"""Submitting, checking, reviewing and queueing print jobs, without a printer: what is refused
(and that nothing is stored then), quotas, certifications, the scheduler's matching and order,
and the database rules that hold when several schedulers or makers act at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import UserQualification
from booking.tests.factories import local, staff_member
from makerspace import crypto, services
from makerspace.models import (
    CertificationLog,
    JobStatus,
    Printer,
    PrintJob,
)
from media.models import StoredFile

from .factories import (
    SHORT_GCODE,
    PrinterFactory,
    TrainingFactory,
    box_stl,
    certified_maker,
    session_place,
    upload,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the zh-hans catalogue is checked elsewhere."""
    with translation.override("en"):
        yield


@pytest.fixture
def printer(db):
    return PrinterFactory()


@pytest.fixture
def maker(printer):
    return certified_maker(printer.equipment.resource.required_qualification)


@pytest.fixture
def technician(db):
    staff = UserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="run_print_farm"))
    return staff


def _submit(maker, data: bytes = SHORT_GCODE, name: str = "part.gcode", **fields):
    request = {"title": "支架", "profile": "virtual", "material": "PLA"} | fields
    return services.submit_job(
        owner=maker, upload=upload(data, name), request=services.JobRequest(**request)
    )


def _queued(maker, technician, **fields) -> PrintJob:
    job = _submit(maker, **fields)
    services.confirm_job(job=job, user=maker)
    return services.approve_job(job=job, by=technician)


# --- Submitting and checking ------------------------------------------------------------------


def test_gcode_is_estimated_at_once_and_confirmed_for_review(maker, technician):
    job = _submit(maker)
    assert job.status == JobStatus.ESTIMATED
    assert job.estimated_seconds == 90 and job.filament_g == Decimal("2.50")
    assert job.extent_mm == {"x": 20.0, "y": 20.0, "z": 5.0}
    assert job.cost is None  # printing is free by default
    services.confirm_job(job=job, user=maker)
    job.refresh_from_db()
    assert job.status == JobStatus.SUBMITTED and job.submitted_at


def test_the_estimate_carries_a_cost_when_the_library_charges(maker, settings):
    settings.MAKERSPACE_PRICE_PER_GRAM = "0.2"
    assert _submit(maker).cost == Decimal("0.50")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "part.stl", "STL"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "part.gcode", "binary"),
        (b"hello world\n", "part.gcode", "Line 1"),
        (b"G28\nM500\nG1 X5\nM502\n", "part.gcode", "M500 (line 2); M502 (line 4)"),
        (b"G28\nG1 X300 Y10\n", "part.gcode", "does not fit"),
        (b"PK\x03\x04" + b"\0" * 100, "part.3mf", "3MF"),
        (box_stl()[:-10], "part.stl", "not accepted"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_stored(maker, data, name, message):
    with pytest.raises(ValidationError) as refused:
        _submit(maker, data, name)
    assert message in " ".join(refused.value.messages)
    assert not StoredFile.objects.exists() and not PrintJob.objects.exists()


def test_oversize_files_are_refused(maker, settings):
    settings.MAKERSPACE_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        _submit(maker)
    assert not StoredFile.objects.exists()


def test_gcode_cannot_be_multiplied(maker):
    with pytest.raises(ValidationError, match="several copies"):
        _submit(maker, quantity=3)


def test_without_the_slicer_models_are_refused_and_gcode_still_works(maker, settings):
    settings.MAKERSPACE_SLICER = "no-such-prusa-slicer"
    with pytest.raises(ValidationError, match="slicer is not installed"):
        _submit(maker, box_stl(), "box.stl")
    assert not StoredFile.objects.exists()
    assert _submit(maker).status == JobStatus.ESTIMATED


def test_only_certified_makers_may_print(printer):
    stranger = UserFactory()
    with pytest.raises(ValidationError) as refused:
        _submit(stranger)
    assert printer.equipment.resource.required_qualification.name in refused.value.messages[0]
    expired = certified_maker(printer.equipment.resource.required_qualification)
    UserQualification.objects.filter(user=expired).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        _submit(expired)


def test_an_unknown_printer_type_is_refused(maker):
    with pytest.raises(ValidationError, match="no printer of this type"):
        _submit(maker, profile="generic-300")


# --- Quotas ----------------------------------------------------------------------------------


def test_jobs_per_week_quota(maker, settings):
    settings.MAKERSPACE_JOBS_PER_WEEK = 2
    for _ in range(2):
        services.confirm_job(job=_submit(maker), user=maker)
    with pytest.raises(ValidationError, match="limit of 2 print jobs"):
        _submit(maker)
    # Jobs from more than a week ago no longer count.
    PrintJob.objects.update(submitted_at=timezone.now() - timedelta(days=8))
    assert _submit(maker).status == JobStatus.ESTIMATED


def test_print_hours_per_month_quota_is_checked_on_confirming(maker, settings):
    settings.MAKERSPACE_PRINT_HOURS_PER_MONTH = 1
    long_job = _submit(maker)
    PrintJob.objects.filter(pk=long_job.pk).update(estimated_seconds=3000)
    services.confirm_job(job=long_job, user=maker)
    second = _submit(maker)
    PrintJob.objects.filter(pk=second.pk).update(estimated_seconds=900)
    with pytest.raises(ValidationError, match="limit of 1 print hours"):
        services.confirm_job(job=second, user=maker)
    assert PrintJob.objects.get(pk=second.pk).status == JobStatus.ESTIMATED
    # A rejected job gives its hours back.
    PrintJob.objects.filter(pk=long_job.pk).update(status=JobStatus.REJECTED)
    services.confirm_job(job=second, user=maker)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_confirmations_cannot_overrun_the_weekly_quota(settings):
    settings.MAKERSPACE_JOBS_PER_WEEK = 3
    printer = PrinterFactory()
    maker = certified_maker(printer.equipment.resource.required_qualification)
    jobs = [_submit(maker) for _ in range(8)]
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []

    def confirm(job: PrintJob) -> None:
        close_old_connections()
        try:
            barrier.wait()
            services.confirm_job(job=job, user=maker)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=confirm, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 3 and results.count("refused") == 5
    assert PrintJob.objects.filter(status=JobStatus.SUBMITTED).count() == 3


# --- Review ----------------------------------------------------------------------------------


def test_reject_needs_a_reason_and_tells_the_maker(maker, technician):
    job = _submit(maker)
    services.confirm_job(job=job, user=maker)
    with pytest.raises(ValidationError):
        services.reject_job(job=job, by=technician, reason="  ")
    services.reject_job(job=job, by=technician, reason="模型太薄，无法打印")
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED and job.reason == "模型太薄，无法打印"
    assert maker.notifications.filter(message__contains="模型太薄").exists()
    with pytest.raises(ValidationError):
        services.approve_job(job=job, by=technician)


def test_makers_cannot_review(maker):
    job = _submit(maker)
    services.confirm_job(job=job, user=maker)
    with pytest.raises(services.PermissionDenied):
        services.approve_job(job=job, by=maker)


# --- The scheduler ---------------------------------------------------------------------------


def test_jobs_go_to_printers_that_match_material_colour_nozzle_and_size(maker, technician):
    printer = Printer.objects.get()
    petg = _queued(maker, technician, material="PETG")
    red = _queued(maker, technician, colour="红色")
    Printer.objects.filter(pk=printer.pk).update(build_x_mm=15)  # too small for the 20 mm part
    too_big = _queued(maker, technician)
    assert services.schedule() == []
    Printer.objects.filter(pk=printer.pk).update(build_x_mm=220)
    assigned = services.schedule()
    assert [job.pk for job in assigned] == [too_big.pk]
    assert PrintJob.objects.get(pk=petg.pk).status == JobStatus.QUEUED
    assert PrintJob.objects.get(pk=red.pk).status == JobStatus.QUEUED


def test_priority_then_submission_order_and_pins(maker, technician):
    first = _queued(maker, technician)
    second = _queued(maker, technician)
    urgent = _queued(maker, technician)
    services.move_job(job=urgent, by=technician, up=True)
    services.move_job(job=PrintJob.objects.get(pk=urgent.pk), by=technician, up=True)
    order = list(services.selectors.queue().values_list("pk", flat=True))
    assert order == [urgent.pk, first.pk, second.pk]
    other = PrinterFactory()
    services.pin_job(job=first, printer=other, by=technician)
    assigned = {job.printer_id: job.pk for job in services.schedule()}
    assert assigned == {other.pk: first.pk, Printer.objects.first().pk: urgent.pk}


def test_pinning_to_a_printer_that_cannot_print_the_job_is_refused(maker, technician):
    job = _queued(maker, technician)
    petg_printer = PrinterFactory(material="PETG")
    with pytest.raises(ValidationError, match="cannot print"):
        services.pin_job(job=job, printer=petg_printer, by=technician)


def test_paused_queue_maintenance_attention_and_clearing_stop_dispatch(printer, maker, technician):
    _queued(maker, technician)
    services.set_queue_paused(paused=True, by=technician, reason="换料")
    assert services.schedule() == []
    services.set_queue_paused(paused=False, by=technician)
    services.set_printer_status(printer=printer, status="maintenance", by=technician)
    assert services.schedule() == []
    services.set_printer_status(printer=printer, status="available", by=technician)
    Printer.objects.filter(pk=printer.pk).update(is_cleared=False)
    assert services.schedule() == []
    Printer.objects.filter(pk=printer.pk).update(is_cleared=True, needs_attention=True)
    assert services.schedule() == []
    services.mark_cleared(printer=printer, by=technician)
    assert len(services.schedule()) == 1


def test_the_database_allows_one_running_job_per_printer(printer, maker, technician):
    a = _queued(maker, technician)
    b = _queued(maker, technician)
    PrintJob.objects.filter(pk=a.pk).update(status=JobStatus.PRINTING, printer=printer)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrintJob.objects.filter(pk=b.pk).update(status=JobStatus.DISPATCHING, printer=printer)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrintJob.objects.filter(pk=b.pk).update(status=JobStatus.PRINTING, printer=None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_schedulers_assign_each_job_and_printer_once(settings):
    settings.MAKERSPACE_JOBS_PER_WEEK = 20
    printers = [PrinterFactory() for _ in range(4)]
    qualification = printers[0].equipment.resource.required_qualification
    maker = certified_maker(qualification)
    technician = UserFactory()
    technician.user_permissions.add(Permission.objects.get(codename="run_print_farm"))
    for _ in range(10):
        _queued(maker, technician)
    barrier = threading.Barrier(6)
    assigned: list[PrintJob] = []

    def run() -> None:
        close_old_connections()
        try:
            barrier.wait()
            assigned.extend(services.schedule())
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(assigned) == 4
    assert len({job.pk for job in assigned}) == 4
    assert len({job.printer_id for job in assigned}) == 4
    assert PrintJob.objects.filter(status=JobStatus.DISPATCHING).count() == 4


def test_makers_cancel_before_printing_and_staff_requeue_failures(maker, technician, printer):
    job = _queued(maker, technician)
    services.cancel_job(job=job, user=maker)
    assert PrintJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    failed = _queued(maker, technician)
    PrintJob.objects.filter(pk=failed.pk).update(status=JobStatus.PRINTING, printer=printer)
    with pytest.raises(ValidationError):
        services.cancel_job(job=failed, user=maker)  # only staff stop a running print
    PrintJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)
    services.requeue_job(job=failed, by=technician)
    requeued = PrintJob.objects.get(pk=failed.pk)
    assert requeued.status == JobStatus.QUEUED and requeued.printer is None


def test_a_dispatch_that_never_finished_is_queued_again(printer, maker, technician, settings):
    settings.MAKERSPACE_DISPATCH_TIMEOUT = 60
    job = _queued(maker, technician)
    services.schedule()
    PrintJob.objects.filter(pk=job.pk).update(dispatched_at=timezone.now() - timedelta(minutes=5))
    # The printer is idle and knows nothing of the job (OctoPrint is not even reachable here).
    services.reconcile(
        Printer.objects.get(pk=printer.pk),
        services.Observed(state="operational", text="Operational"),
    )
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.printer is None


def test_a_lost_connection_tells_the_maker_without_octoprints_raw_state(printer, maker, technician):
    job = _queued(maker, technician)
    PrintJob.objects.filter(pk=job.pk).update(status=JobStatus.PRINTING, printer=printer)
    # OctoPrint still answers, but its link to the printer is gone ("Closed").
    with translation.override("en"):
        services.reconcile(
            Printer.objects.get(pk=printer.pk), services.Observed(state="offline", text="Closed")
        )
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED
    assert job.reason == "The connection to the printer was lost."  # no "(Closed)"
    assert Printer.objects.get(pk=printer.pk).state_text == "Closed"  # the farm still shows it


# --- Certifications and the booking engine ---------------------------------------------------


def test_training_certifies_and_the_booking_engine_then_allows_the_printer(technician):
    training = TrainingFactory()
    printer = PrinterFactory(equipment__resource__required_qualification=training.qualification)
    resource = printer.equipment.resource
    reader = UserFactory()
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.book_resource(
            user=reader, resource=resource, starts_at=local(2, 10), ends_at=local(2, 11)
        )
    assert training.qualification.name in refused.value.messages[0]
    session_place(reader, training)
    held = services.certify(user=reader, training=training, by=technician)
    assert held.expires_at > timezone.now() + timedelta(days=364)
    booking_services.book_resource(
        user=reader, resource=resource, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    with pytest.raises(ValidationError):
        services.revoke_certification(
            user=reader, qualification=training.qualification, by=technician, reason=""
        )
    services.revoke_certification(
        user=reader, qualification=training.qualification, by=technician, reason="违反安全规定"
    )
    assert not UserQualification.objects.filter(user=reader).exists()
    assert list(CertificationLog.objects.values_list("action", flat=True)) == [
        "revoked",
        "granted",
    ]
    with pytest.raises(booking_services.BookingRefused):
        booking_services.book_resource(
            user=reader, resource=resource, starts_at=local(3, 10), ends_at=local(3, 11)
        )


def test_only_attendees_who_were_checked_in_can_be_certified(technician):
    training = TrainingFactory()
    reader = UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.certify(user=reader, training=training, by=technician)
    assert refused.value.code == "not_attended"
    booking = session_place(reader, training, checked_in=False)  # booked, never came
    with pytest.raises(ValidationError) as refused:
        services.certify(user=reader, training=training, by=technician)
    assert refused.value.code == "not_attended"
    assert not UserQualification.objects.filter(user=reader).exists()
    assert not CertificationLog.objects.exists()
    # Checked in at another training's session: still not this training.
    session_place(reader, TrainingFactory(qualification=training.qualification))
    with pytest.raises(ValidationError):
        services.certify(user=reader, training=training, by=technician)
    booking_services.check_in(booking=booking, by=staff_member())
    services.certify(user=reader, training=training, by=technician)
    assert UserQualification.objects.filter(
        user=reader, qualification=training.qualification
    ).exists()


def test_the_attendance_refusal_is_in_chinese(technician):
    reader = UserFactory(display_name="王小明")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.certify(user=reader, training=TrainingFactory(), by=technician)
    assert refused.value.messages == [
        "王小明 尚未在本培训的任何一场课程签到。只有参加过培训课程的创客才能获得认证。"
    ]


def test_makers_cannot_certify(maker):
    with pytest.raises(services.PermissionDenied):
        services.certify(user=maker, training=TrainingFactory(), by=maker)


# --- API keys --------------------------------------------------------------------------------


def test_api_keys_are_encrypted_at_rest(printer):
    services.set_api_key(printer=printer, api_key="a1b2c3d4" * 4)
    stored = Printer.objects.values_list("api_key_encrypted", flat=True).get(pk=printer.pk)
    assert "a1b2c3d4" not in stored
    assert Printer.objects.get(pk=printer.pk).api_key() == "a1b2c3d4" * 4


def test_a_key_encrypted_under_another_secret_is_reported_not_misread(printer, settings):
    services.set_api_key(printer=printer, api_key="secret-key")
    settings.MAKERSPACE_SECRET_KEY = "a-different-secret"
    with pytest.raises(crypto.UnreadableSecret):
        Printer.objects.get(pk=printer.pk).api_key()
