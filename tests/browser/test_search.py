"""Site search on a phone: the header's search box, grouped results, the kind filter without
JavaScript, live results that keep the reader's focus, large text, and axe."""

import io

import pytest
from django.core.management import call_command

from tests.services import axe_violations, wait_for_js

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def learning_site(db):
    """The pages, events and courses of the demo (seed_demo ends by filling the index)."""
    apps = ["accounts", "cms", "booking", "courses"]
    call_command("seed_demo", "--only", *apps, stdout=io.StringIO())


def test_header_search_box_finds_a_course_by_pinyin_initials_on_a_phone(learning_site, page):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")
    box = page.locator("#nav-search-q")
    if not box.is_visible():  # on a phone the header's navigation folds into the menu
        page.locator("summary.menu-button").click()
    box.fill("znsj")
    box.press("Enter")
    page.wait_for_url("**/search/?q=znsj")

    assert page.locator("h1").inner_text() == "搜索"
    learning = page.get_by_role("heading", name="学习", exact=False).first
    assert learning.is_visible()
    hit = page.locator(".search-hit a", has_text="智能手机入门").first
    assert hit.get_attribute("href") == "/learn/smartphone-basics/"
    assert hit.locator("mark").inner_text() == "智能手机"
    status = page.locator("#search-status")
    assert status.get_attribute("role") == "status"
    assert "znsj" in status.inner_text()
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

    # The kind filter is a plain link: it works without any script.
    page.locator(".search-filter").get_by_role("link", name="学习").click()
    page.wait_for_url("**kind=learning")
    current = page.locator(".search-filter [aria-current=page]")
    assert "学习" in current.inner_text()
    assert page.locator(".search-group").count() == 1
    assert axe_violations(page) == []

    # Typing in the page's own box refreshes the results in place; focus stays in the box.
    page.goto("/search/")
    field = page.get_by_label("搜索本站").last
    field.click()
    field.press_sequentially("视频通话", delay=30)
    wait_for_js(page, "document.querySelector('#search-status').textContent.includes('视频通话')")
    wait_for_js(page, "document.querySelector('#search-results mark') !== null")
    assert page.evaluate("document.activeElement.id") == "search-q"
    assert page.locator(".search-hit a", has_text="和家人视频通话").count() == 1
    assert "q=%E8%A7%86%E9%A2%91%E9%80%9A%E8%AF%9D" in page.url  # 视频通话, pushed to history

    # Large text: still no sideways scrolling, still clean.
    large = page.get_by_role("button", name="大字模式")
    if not large.is_visible():
        page.locator("summary.menu-button").click()
    large.click()
    page.wait_for_load_state()
    page.goto("/search/?q=%E6%99%BA%E8%83%BD%E6%89%8B%E6%9C%BA")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []


def test_hostile_query_is_shown_as_text(learning_site, page):
    page.goto("/search/?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert page.locator("#search-results img").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator(".search-empty").inner_text()
