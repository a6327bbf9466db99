"""Keyboard focus stays where people work: a refused form puts focus on what went wrong, and
a region that refreshes itself (the print farm) keeps the control its user was on."""

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from makerspace.tests.factories import PrinterFactory
from tests.services import sign_in_staff

from .test_booking import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 812}


def focused(page) -> dict:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                  text: (el.innerText || el.value || '').trim().slice(0, 200),
                  name: el.getAttribute('name') || ''};
        }"""
    )


def test_a_refused_sign_up_puts_focus_on_the_problem(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto("/accounts/signup/")
    page.get_by_label("电子邮箱").fill("new.reader@example.org")
    passwords = page.locator("input[type=password]")
    passwords.nth(0).fill("k7#q")
    passwords.nth(1).fill("k7#q")
    passwords.nth(1).press("Enter")
    page.wait_for_load_state()
    page.get_by_text("密码太短，至少需要 8 个字符。").wait_for()
    now = focused(page)
    assert now["tag"] != "body", now
    # The first field marked invalid (the password), or the error list beside it.
    assert now["name"] == "password1" or "密码太短" in now["text"], now


def test_a_refused_form_of_ours_puts_focus_on_its_error_summary(demo_site, page):
    reader = UserFactory()
    page.set_viewport_size(PHONE)
    sign_in(page, reader.email)
    page.goto("/accounts/delete/")
    page.get_by_role("checkbox").check()
    page.get_by_label("您的密码").fill("not-my-password")
    page.get_by_role("button", name="删除我的账户").click()
    page.wait_for_load_state()
    now = focused(page)
    assert "form-errors" in now["cls"], now
    assert "请更正以下错误" in now["text"], now


def test_the_print_farm_refresh_keeps_the_technicians_place(demo_site, page):
    PrinterFactory(equipment__name="三号打印机")
    page.set_viewport_size(PHONE)
    sign_in_staff(
        page, email="tech@example.org", role=roles.TECHNICIAN, next_url="/makerspace/farm/"
    )

    panel = page.locator("#farm-printers")
    panel.get_by_label("状态").first.focus()
    page.keyboard.press("Tab")
    before = focused(page)
    assert before["tag"] == "button" and before["text"] == "更改", before
    # The panel refreshes itself every ten seconds; here at once, the same way.
    page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener('htmx:afterSettle', () => setTimeout(() => resolve(true), 50),
                                    {once: true});
          const old = document.querySelector('#farm-printers ul');
          old.dataset.old = '1';
          htmx.ajax('GET', '/makerspace/farm/', {target: '#farm-printers', swap: 'innerHTML'});
        })"""
    )
    assert page.locator("#farm-printers ul[data-old]").count() == 0  # really replaced
    after = focused(page)
    assert after["tag"] == "button" and after["text"] == "更改", after
    assert page.evaluate(
        "() => document.querySelector('#farm-printers').contains(document.activeElement)"
    )
