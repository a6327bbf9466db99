"""Slicing with the real PrusaSlicer (Debian's prusa-slicer, installed by scripts/setup):
estimates come from its comments, copies are arranged on one bed, and a model that does not
fit or cannot be sliced ends as 'could not be sliced' with PrusaSlicer's reason."""

from __future__ import annotations

import pytest
from django.utils import translation

from makerspace import gcode, services, slicer
from makerspace.models import JobStatus, PrintJob
from media.services import download_to

from .factories import PrinterFactory, box_3mf, box_stl, certified_maker, upload


@pytest.fixture(autouse=True)
def _english():
    if slicer.executable() is None:
        pytest.fail("prusa-slicer is not installed: run scripts/setup test")
    with translation.override("en"):
        yield


@pytest.fixture
def maker(db):
    printer = PrinterFactory()
    return certified_maker(printer.equipment.resource.required_qualification)


def _sliced(maker, data: bytes, name: str, **fields) -> PrintJob:
    request = {"title": "方块", "profile": "virtual", "material": "PLA"} | fields
    job = services.submit_job(
        owner=maker, upload=upload(data, name), request=services.JobRequest(**request)
    )
    assert job.status == JobStatus.SLICING
    services.slice_job(job.pk)
    return PrintJob.objects.select_related("gcode").get(pk=job.pk)


def test_an_stl_is_sliced_and_estimated(maker, tmp_path):
    job = _sliced(maker, box_stl(10, 10, 0.6), "box.stl")
    assert job.status == JobStatus.ESTIMATED, job.reason
    assert job.estimated_seconds > 0 and job.filament_g > 0
    target = tmp_path / "job.gcode"
    download_to(stored_file=job.gcode, target=target)
    analysis = gcode.analyse(target.read_bytes())
    assert analysis.seconds == job.estimated_seconds
    assert b"M109" not in target.read_bytes()  # the virtual profile never waits for heat


def test_a_3mf_is_sliced_and_copies_are_arranged_on_one_bed(maker):
    one = _sliced(maker, box_3mf(), "box.3mf")
    three = _sliced(maker, box_3mf(), "box.3mf", quantity=3)
    assert one.status == three.status == JobStatus.ESTIMATED
    assert three.filament_g > 2 * one.filament_g
    assert three.extent_mm["x"] > one.extent_mm["x"]


def test_a_model_larger_than_the_bed_cannot_be_sliced(maker):
    job = _sliced(maker, box_stl(400, 10, 1), "huge.stl")
    assert job.status == JobStatus.SLICE_FAILED
    assert job.reason and job.gcode is None


def test_slicing_twice_does_nothing_the_second_time(maker):
    job = _sliced(maker, box_stl(), "box.stl")
    assert services.slice_job(job.pk) == "skipped"
    assert PrintJob.objects.get(pk=job.pk).gcode_id == job.gcode_id


def test_slicer_lost_after_upload_fails_the_job_with_the_reason(maker, settings):
    job = services.submit_job(
        owner=maker,
        upload=upload(box_stl(), "box.stl"),
        request=services.JobRequest(title="方块", profile="virtual", material="PLA"),
    )
    settings.MAKERSPACE_SLICER = "no-such-prusa-slicer"
    assert services.slice_job(job.pk) == JobStatus.SLICE_FAILED
    assert "not installed" in PrintJob.objects.get(pk=job.pk).reason


def test_project_profiles_describe_their_printers():
    profiles = slicer.profiles()
    assert {"generic-220", "generic-300", "virtual"} <= set(profiles)
    assert profiles["generic-300"].bed_x == 300 and profiles["generic-300"].height == 300
    assert str(profiles["generic-220"].nozzle_mm) == "0.40"
