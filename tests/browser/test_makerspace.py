"""A maker sends a 3D print with the keyboard and confirms the estimate; a technician approves
it on the farm dashboard. Every page is checked with axe (WCAG 2.1 AA)."""

import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP

from accounts import roles, services
from makerspace.models import JobStatus, PrintJob
from makerspace.tests.factories import SHORT_GCODE, PrinterFactory, TrainingFactory, certified_maker
from tests.services import axe_violations

from .test_booking import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_maker_sends_a_print_and_a_technician_approves_it(demo_site, page, tmp_path):
    printer = PrinterFactory()
    qualification = printer.equipment.resource.required_qualification
    TrainingFactory(qualification=qualification, name="3D打印培训")
    maker = certified_maker(qualification)
    for path in ("/makerspace/", f"/makerspace/equipment/{printer.equipment.slug}/"):
        page.goto(path)
        assert axe_violations(page) == [], path

    sign_in(page, maker.email)
    page.goto("/makerspace/print/")
    assert axe_violations(page) == []
    model = tmp_path / "支架.gcode"
    model.write_bytes(SHORT_GCODE)
    page.get_by_label("标题").fill("手机支架")
    page.get_by_label("模型或 G-code").set_input_files(str(model))
    page.get_by_label("材料").select_option("PLA")
    page.get_by_role("button", name="上传并估算").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/makerspace/jobs/[0-9a-f-]{36}/$"))
    assert "2.50" in page.content()
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认并提交审核").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-job-status='submitted']")
    page.goto("/makerspace/me/")
    assert "手机支架" in page.content()
    assert axe_violations(page) == []

    secret = pyotp.random_base32()
    technician = services.create_account(
        email="tech@example.org", password="a-long-library-password", role=roles.TECHNICIAN
    )
    TOTP.activate(technician, secret)
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("电子邮箱").fill("tech@example.org")
    page.get_by_label("密码", exact=False).first.fill("a-long-library-password")
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("代码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/accounts/profile/")
    page.goto("/makerspace/farm/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="通过", exact=True).first.click()
    page.wait_for_url("**/makerspace/farm/")
    assert PrintJob.objects.get(owner=maker).status == JobStatus.QUEUED
    assert axe_violations(page) == []
