"""Maker and technician pages: what each may reach (guessed ids answer 404, staff pages 403),
the forms' clear refusals, the write-only API key in the admin, and query counts that stay
the same as lists grow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory, sign_in
from booking.tests.factories import staff_member
from makerspace import services
from makerspace.models import JobStatus, Printer, PrintJob
from media.models import StoredFile
from media.tests.usercontent import follow

from .factories import (
    SHORT_GCODE,
    EquipmentFactory,
    PrinterFactory,
    TrainingFactory,
    certified_maker,
    session_place,
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
    assert not StoredFile.objects.exists()  # G-code the farm never prints is not kept


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
    assert client.get("/api/v1/me/print-jobs/").json()["results"] == []
    mine = client.get("/makerspace/me/").content.decode()
    assert "齿轮" not in mine


def test_farm_pages_are_for_technicians_only(client, maker):
    job = _job(maker)
    assert sign_in(client, maker.email)
    for url in ("/makerspace/farm/", "/makerspace/farm/studio/", "/api/v1/staff/print-farm/"):
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
    state = client.get("/api/v1/staff/print-farm/").json()
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
    # Warm what every page keeps (site, menus, each one's permissions: core.kept).
    queries(staff, "/makerspace/farm/")
    queries(maker, "/makerspace/me/")
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


def test_training_roster_checks_in_then_certifies_only_attendees(client, printer):
    training = TrainingFactory(qualification=printer.equipment.resource.required_qualification)
    reader = UserFactory(display_name="李创客")
    booking = session_place(reader, training, checked_in=False)
    url = f"/makerspace/farm/trainings/{training.slug}/"
    client.force_login(staff_member())
    page = client.get(url).content.decode()
    assert "为 李创客 签到" in page and "未签到" in page
    assert "认证 李创客" not in page  # not offered before attendance
    refused = client.post(url, {"user": reader.pk, "action": "certify"}, follow=True)
    assert "李创客 尚未在本培训的任何一场课程签到" in refused.content.decode()
    assert not reader.qualifications.exists()

    client.post(url, {"booking": booking.pk, "action": "check_in"})
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    page = client.get(url).content.decode()
    assert "认证 李创客" in page and "已签到" in page
    done = client.post(url, {"user": reader.pk, "action": "certify"}, follow=True)
    assert "李创客 已获得认证。" in done.content.decode()
    assert reader.qualifications.filter(qualification=training.qualification).exists()
    # A booking of another training's session cannot be checked in from this desk.
    other = session_place(UserFactory(), TrainingFactory(), checked_in=False)
    assert client.post(url, {"booking": other.pk, "action": "check_in"}).status_code == 404


# --- The print form: standing first, and the chosen file kept across refusals ----------------


def _form(**fields) -> dict:
    return {"title": "齿轮", "profile": "virtual", "material": "PLA", "quantity": "1"} | fields


def test_the_print_form_shows_certifications_and_quota_before_a_file(client, maker, settings):
    settings.MAKERSPACE_JOBS_PER_WEEK = 2
    client.force_login(maker)
    page = client.get("/makerspace/print/").content.decode()
    assert "选择文件之前" in page and "3D打印安全培训" in page
    assert "已用 0 次，共 2 次" in page and "已用 0.0 小时，共 20 小时" in page
    assert "disabled" not in page
    for _ in range(2):
        services.confirm_job(job=_job(maker), user=maker)
    page = client.get("/makerspace/print/").content.decode()
    assert "已用 2 次，共 2 次" in page
    assert "您在 7 天内的打印任务已达到 2 个的上限。" in page
    assert 'disabled aria-describedby="print-refusal"' in page
    assert 'id="print-refusal"' in page


def test_an_uncertified_maker_sees_why_before_choosing_a_file(client, printer):
    reader = UserFactory()
    client.force_login(reader)
    page = client.get("/makerspace/print/").content.decode()
    assert 'disabled aria-describedby="print-refusal"' in page
    assert "只有通过认证的创客才能在这里打印" in page
    answer = client.post("/makerspace/print/", _form(file=upload(SHORT_GCODE)))
    assert answer.status_code == 200 and not PrintJob.objects.exists()
    assert not StoredFile.objects.exists()  # nothing kept for someone who cannot print


def test_a_refusal_after_the_upload_keeps_the_chosen_file(client, maker):
    client.force_login(maker)
    # Ready G-code is printed once: two copies are refused after the file arrived.
    refused = client.post("/makerspace/print/", _form(quantity="2", file=upload(SHORT_GCODE)))
    page = refused.content.decode()
    assert refused.status_code == 200 and not PrintJob.objects.exists()
    kept = StoredFile.objects.get(owner=maker)
    assert f'name="kept" value="{kept.pk}"' in page
    assert "您的文件“part.gcode”" in page and "已保留" in page
    # A missing title is refused by the form itself; the file is still kept.
    again = client.post("/makerspace/print/", _form(title="", kept=str(kept.pk)))
    assert f'name="kept" value="{kept.pk}"' in again.content.decode()
    # Fixed options, no file sent again: the kept file becomes the job's.
    done = client.post("/makerspace/print/", _form(kept=str(kept.pk)))
    job = PrintJob.objects.get(owner=maker)
    assert done.status_code == 302 and job.source_id == kept.pk
    assert job.status == JobStatus.ESTIMATED and job.filament_g is not None


def test_the_quota_reached_meanwhile_keeps_the_file_too(client, maker, settings):
    client.force_login(maker)
    page = client.get("/makerspace/print/").content.decode()
    assert "disabled" not in page  # the form was open while there was room
    settings.MAKERSPACE_JOBS_PER_WEEK = 0  # ... and the quota went meanwhile
    refused = client.post("/makerspace/print/", _form(file=upload(SHORT_GCODE)))
    assert "您在 7 天内的打印任务已达到 0 个的上限。" in refused.content.decode()
    kept = StoredFile.objects.get(owner=maker)
    settings.MAKERSPACE_JOBS_PER_WEEK = 5
    client.post("/makerspace/print/", _form(kept=str(kept.pk)))
    assert PrintJob.objects.get(owner=maker).source_id == kept.pk


def test_a_kept_file_is_only_its_makers_and_one_at_a_time(client, maker, printer):
    client.force_login(maker)
    client.post("/makerspace/print/", _form(quantity="2", file=upload(SHORT_GCODE)))
    first = StoredFile.objects.get(owner=maker)
    client.post("/makerspace/print/", _form(quantity="2", file=upload(SHORT_GCODE, "b.gcode")))
    kept = StoredFile.objects.get(owner=maker)  # the new one replaced the first
    assert kept.pk != first.pk and kept.original_name == "b.gcode"
    other = certified_maker(printer.equipment.resource.required_qualification)
    client.force_login(other)
    answer = client.post("/makerspace/print/", _form(kept=str(kept.pk)))
    assert "请选择要打印的文件。" in answer.content.decode()
    assert client.post("/makerspace/print/", _form(kept="not-a-uuid")).status_code == 200
    assert not PrintJob.objects.exists()
    with pytest.raises(PermissionDenied):
        services.submit_job(
            owner=other,
            source=kept,
            request=services.JobRequest(title="x", profile="virtual", material="PLA"),
        )
    StoredFile.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert services.discard_abandoned_uploads() == 1
    assert not StoredFile.objects.exists()


# --- Names and wording -----------------------------------------------------------------------


def test_pages_name_printer_types_materials_and_makers_in_chinese(client, maker, printer):
    job = _job(maker)
    services.confirm_job(job=job, user=maker)
    client.force_login(maker)
    form = client.get("/makerspace/print/").content.decode()
    assert '<option value="virtual">通用 220 mm 打印机（0.4 mm 喷嘴）</option>' in form
    assert "PLA（聚乳酸）" in form and "bed-slinger" not in form
    page = client.get(f"/makerspace/jobs/{job.pk}/").content.decode()
    assert "通用 220 mm 打印机（0.4 mm 喷嘴）" in page and "PLA（聚乳酸）" in page
    assert "virtual" not in page and "0.40 mm" not in page
    detail = client.get(f"/makerspace/equipment/{printer.equipment.slug}/").content.decode()
    assert "通用 220 mm 打印机（0.4 mm 喷嘴）" in detail
    staff = staff_member()
    services.approve_job(job=job, by=staff)
    client.force_login(staff)
    farm = client.get("/makerspace/farm/").content.decode()
    assert "通用 220 mm 打印机（0.4 mm 喷嘴）" in farm and "PLA（聚乳酸）" in farm
    assert "下一个任务" in farm and "下一页" not in farm
    assert "设备状态：" in farm  # the equipment's own status is labelled, not "离线 · 可用"
    assert "virtual" not in farm and "0.40 mm" not in farm


def test_an_unsliceable_job_shows_no_estimate(client, maker):
    job = _job(maker)
    client.force_login(maker)
    assert "切片软件的估算" in client.get(f"/makerspace/jobs/{job.pk}/").content.decode()
    PrintJob.objects.filter(pk=job.pk).update(status=JobStatus.SLICE_FAILED, reason="模型不封闭")
    page = client.get(f"/makerspace/jobs/{job.pk}/").content.decode()
    assert "模型不封闭" in page and "切片软件的估算" not in page and "2.50" not in page


def test_confirm_and_cancel_are_styled_apart(client, maker):
    job = _job(maker)
    client.force_login(maker)
    page = client.get(f"/makerspace/jobs/{job.pk}/").content.decode()
    confirm = page[page.index("/confirm/") :].split("</button>")[0]
    cancel = page[page.index("/cancel/") :].split("</button>")[0]
    assert 'class="button-primary maker-confirm"' in confirm
    assert 'class="maker-cancel"' in cancel and "button-primary" not in cancel
    assert "button-danger" not in cancel  # the error red is too close to the brand red
    # Cancelling takes two presses: the first only opens the confirmation.
    opener = page[page.index('<details class="confirm-step">') :].split("</summary>")[0]
    assert "取消这个打印任务…" in opener and "/cancel/" not in opener
    assert "确定取消这个打印任务" in cancel
