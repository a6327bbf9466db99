"""Staff sign in with a TOTP code and work in the Wagtail admin under the site's CSP."""

import re

import pytest

from accounts import roles
from cms.models import HomePage
from tests.services import sign_in_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_librarian_signs_in_with_totp_and_edits_a_page(demo_site, page):
    blocked = []
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "Content Security" in msg.text else None
    )
    sign_in_staff(page, email="editor@example.org", role=roles.LIBRARIAN_ADMIN)

    home = HomePage.objects.get()
    page.goto(f"/admin/pages/{home.pk}/edit/")
    title = page.locator("#id_hero_title")
    title.wait_for()
    assert title.input_value() == "欢迎来到辽图共享空间"
    assert blocked == []


@pytest.mark.parametrize("size", [(375, 812), (1280, 900)], ids=["phone", "desktop"])
def test_librarian_edits_and_publishes_the_home_page(demo_site, page, size):
    """The seeded home page can be edited and published as it is, in Chinese, on any screen;
    the visitors' page shows the change at once."""
    from tests.services import axe_violations

    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in_staff(page, email="editor@example.org", role=roles.LIBRARIAN_ADMIN, next_url="/admin/")
    # The dashboard speaks Chinese (Wagtail's missing strings are in locale/vendor).
    dashboard = page.locator("main").inner_text()
    for english in ("Pages created in", "Your most recent edits", "Awaiting your review"):
        assert english not in dashboard
    # Wagtail hard-codes the search button's word; admin-i18n.js puts it into Chinese.
    assert page.locator("form[role=search] input[type=submit]").first.input_value() == "搜索"

    page.goto("/")
    assert axe_violations(page) == []
    home = HomePage.objects.get()
    page.goto(f"/admin/pages/{home.pk}/edit/")
    title = page.locator("#id_hero_title")
    title.wait_for()
    title.fill("欢迎来到辽图共享空间：冬季开放")
    publish = page.locator("button[name='action-publish']")
    if not publish.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").last.click()
    publish.click()
    # Back to the home page's own listing, not to the tree's root above it.
    page.wait_for_url(re.compile(rf"/admin/pages/{home.pk}/$"))
    assert "Moderators approval" not in page.content()
    main = page.locator("main").inner_text()
    assert "已经发布" in main
    for english in ("Root", "Exploring", "published"):
        assert english not in main
    home.refresh_from_db()
    assert home.hero_title == "欢迎来到辽图共享空间：冬季开放" and home.live
    assert not home.has_unpublished_changes

    page.goto("/")
    assert page.locator("h1").inner_text() == "欢迎来到辽图共享空间：冬季开放"
