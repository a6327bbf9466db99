"""The maker-space journeys in a real browser, checked with axe (WCAG 2.1 AA).

A technician checks a maker in at a training session and certifies them; the maker sees their
certification and quota before choosing a file, sends a print (a refusal keeps the chosen file),
confirms the estimate and follows the job on its page while a technician approves it and a real
OctoPrint Virtual Printer prints it."""

import re
from pathlib import Path

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from makerspace import services as maker_services
from makerspace.models import JobStatus, Printer, PrintJob
from makerspace.tests.factories import (
    SHORT_GCODE,
    PrinterFactory,
    TrainingFactory,
    certified_maker,
    session_place,
)
from makerspace.tests.test_farm import _connect
from tests.services import axe_violations, sign_in_staff, wait_for

from .test_booking import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path("/tmp/maker-shots")
PRINTER_TYPE = "通用 220 mm 打印机（0.4 mm 喷嘴）"


def _sign_in_technician(tab, email: str) -> None:
    sign_in_staff(tab, email=email, role=roles.TECHNICIAN)


def _no_page_overflow(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _check(tab, name: str, width: int) -> None:
    """axe clean, nothing wider than the screen; a screenshot of each step on a phone."""
    assert axe_violations(tab) == [], name
    assert _no_page_overflow(tab), name
    if width <= 400:
        SHOTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("width", "height", "large_text"), [(375, 812, True), (1280, 900, False)], ids=["phone", "desk"]
)
def test_maker_is_trained_certified_prints_and_follows_the_job(
    demo_site, page, live_server, octoprint_server, tmp_path, width, height, large_text
):
    _connect(octoprint_server)
    printer = PrinterFactory(octoprint_url=octoprint_server.url, api_key=octoprint_server.api_key)
    training = TrainingFactory(
        qualification=printer.equipment.resource.required_qualification, name="3D打印培训"
    )
    maker = UserFactory(display_name="李创客")
    booking = session_place(maker, training, checked_in=False)
    page.set_viewport_size({"width": width, "height": height})

    # The technician, in a browser of their own, checks the maker in and certifies them.
    desk_context = page.context.browser.new_context(base_url=live_server.url)
    desk = desk_context.new_page()
    desk.set_viewport_size({"width": width, "height": height})
    _sign_in_technician(desk, "tech@example.org")
    desk.goto(f"/makerspace/farm/trainings/{training.slug}/")
    assert desk.get_by_role("button", name="认证 李创客").count() == 0  # not before attending
    _check(desk, "1-roster-before", width)
    desk.get_by_role("button", name="为 李创客 签到").click()
    desk.get_by_text("李创客 已签到。").wait_for()
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    desk.get_by_role("button", name="认证 李创客").click()
    desk.get_by_text("李创客 已获得认证。").wait_for()
    _check(desk, "2-roster-certified", width)

    # The maker sees their certification and quota before choosing a file.
    sign_in(page, maker.email)
    page.goto("/makerspace/print/")
    if large_text:
        menu = page.locator("[data-site-menu] > summary")
        if menu.count() and menu.is_visible():  # on a phone the preferences are in the menu
            menu.click()
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_load_state()
        assert "large-text" in page.locator("html").get_attribute("class")
    standing = page.locator(".maker-standing")
    assert "3D打印安全培训" in standing.inner_text()
    assert "已用 0 次，共 5 次" in standing.inner_text()
    assert page.get_by_role("button", name="上传并估算").is_enabled()
    _check(page, "3-print-form", width)

    # Two copies of ready G-code are refused after the upload: the file stays chosen.
    model = tmp_path / "支架.gcode"
    model.write_bytes(SHORT_GCODE)
    page.get_by_label("标题").fill("手机支架")
    page.get_by_label("模型或 G-code").set_input_files(str(model))
    assert page.get_by_label("打印机类型").inner_text().strip() == PRINTER_TYPE
    page.get_by_label("材料").select_option(label="PLA（聚乳酸）")
    page.get_by_label("份数").fill("2")
    page.get_by_role("button", name="上传并估算").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-kept-file]")
    assert "支架.gcode" in page.locator("[data-kept-file]").inner_text()
    assert not PrintJob.objects.exists()
    _check(page, "4-refused-file-kept", width)
    page.get_by_label("份数").fill("1")
    page.get_by_role("button", name="上传并估算").click()
    page.wait_for_url(re.compile(r"/makerspace/jobs/[0-9a-f-]{36}/$"))
    job = PrintJob.objects.get(owner=maker)
    content = page.content()
    assert "2.50" in content and PRINTER_TYPE in content and "PLA（聚乳酸）" in content
    assert "virtual" not in content
    _check(page, "5-estimate", width)
    page.get_by_role("button", name="确认并提交审核").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-job-status='submitted']")
    _check(page, "6-submitted", width)

    # The technician approves; the maker's page follows (it polls and reloads on a change).
    desk.goto("/makerspace/farm/")
    assert PRINTER_TYPE in desk.content() and "virtual" not in desk.content()
    _check(desk, "7-farm", width)
    desk.get_by_role("button", name="通过", exact=True).first.click()
    desk.wait_for_url("**/makerspace/farm/")
    page.wait_for_selector("[data-job-status='queued']", timeout=20_000)

    # The farm sends it to the Virtual Printer; the page shows printing, then ready.
    maker_services.sync_printer(Printer.objects.get(pk=printer.pk))
    assert [j.pk for j in maker_services.schedule()] == [job.pk]
    assert maker_services.dispatch(job.pk) == JobStatus.PRINTING

    def finished() -> bool:
        maker_services.sync_printer(Printer.objects.get(pk=printer.pk))
        return PrintJob.objects.get(pk=job.pk).status == JobStatus.DONE

    wait_for(finished, timeout=60, interval=1)
    page.wait_for_selector("[data-job-status='done']", timeout=20_000)
    assert "可以领取" in page.locator("#job-status").inner_text()
    _check(page, "8-ready", width)
    desk_context.close()


def test_certification_and_quota_refusals_are_shown_before_a_file(demo_site, page, settings):
    """An uncertified reader and a maker at their weekly limit see why, and cannot send."""
    printer = PrinterFactory()
    TrainingFactory(qualification=printer.equipment.resource.required_qualification)
    reader = UserFactory()
    sign_in(page, reader.email)
    page.goto("/makerspace/print/")
    button = page.get_by_role("button", name="上传并估算")
    assert button.is_disabled()
    assert "只有通过认证的创客才能在这里打印" in page.locator("#print-refusal").inner_text()
    assert axe_violations(page) == []

    settings.MAKERSPACE_JOBS_PER_WEEK = 0
    maker = certified_maker(printer.equipment.resource.required_qualification)
    page.context.clear_cookies()
    sign_in(page, maker.email)
    page.goto("/makerspace/print/")
    assert page.get_by_role("button", name="上传并估算").is_disabled()
    assert "7 天内" in page.locator("#print-refusal").inner_text()
    assert axe_violations(page) == []
