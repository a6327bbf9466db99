"""Debian's Chromium, driven by Playwright, against the live test server."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.services import axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_home_page_renders_in_chinese_with_entry_points(demo_site, page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "欢迎来到辽图共享空间"
    tiles = page.locator(".tile-title").all_inner_texts()
    assert tiles == ["学习", "创客空间", "辽海往事", "用户作品"]
    assert page.get_by_role("link", name="跳到主要内容").count() == 1


def test_keyboard_user_reaches_the_skip_link_first(demo_site, page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "跳到主要内容"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_large_text_mode_is_remembered_by_the_browser(demo_site, page):
    page.goto("/")
    base_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    page.wait_for_load_state()
    page.goto("/memories/")
    assert "large-text" in page.locator("html").get_attribute("class")
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large_size > base_size * 1.3


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_have_no_wcag_aa_violations(demo_site, page, path):
    page.goto(path)
    assert axe_violations(page) == []


def test_pages_have_no_wcag_aa_violations_in_large_text_and_high_contrast(demo_site, page):
    page.goto("/")
    page.get_by_role("button", name="大字模式").click()
    page.get_by_role("button", name="高对比度").click()
    page.goto("/accounts/signup/")
    assert "high-contrast" in page.locator("html").get_attribute("class")
    assert axe_violations(page) == []


def test_sign_up_flow_in_the_browser(demo_site, page):
    page.goto("/")
    page.get_by_role("link", name="注册").first.click()
    page.get_by_label("电子邮箱").fill("liu.fang@example.org")
    page.get_by_label(re.compile(r"^密码[:：]?$")).fill("a-long-library-password")
    page.get_by_label("密码（重复）").fill("a-long-library-password")
    page.get_by_label("显示名称").fill("刘芳")
    page.get_by_label("哪一类最符合您的情况").select_option("senior")
    page.get_by_role("button", name="注册").last.click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert User.objects.filter(email="liu.fang@example.org").exists()

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url("**/accounts/profile/")
    assert page.locator("h1").inner_text() == "我的资料"
    assert page.get_by_label("显示名称").input_value() == "刘芳"


def test_a_sign_in_form_left_open_too_long_gets_the_sites_own_page(demo_site, page):
    """The CSRF cookie is gone (a long pause, cleared cookies): the refusal is the site's page,
    readable on a phone, in Chinese, and its link brings the form back."""
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/accounts/login/")
    page.context.clear_cookies()
    page.get_by_label("电子邮箱").fill("reader@demo.liaotu.cn")
    page.get_by_label("密码", exact=False).first.fill("Liaotu-demo-2026")
    page.get_by_role("button", name="登录").last.click()
    assert page.locator("h1").inner_text() == "请重试"
    assert "页面打开时间过长" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
    page.screenshot(path="var/screens/csrf-refused-375.png")
    page.get_by_role("link", name="刷新此页面").click()
    assert page.get_by_label("电子邮箱").count() == 1
