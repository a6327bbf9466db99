"""Every page a role reaches fits a phone and a desktop, in normal and large text.

One browser tab visits the pages of each demo role (anonymous, reader, maker and the four staff
roles) at 320, 375 and 1280 px wide, once with normal and once with large text (the display
preference the server renders, not a class added by the test), and measures in the page:

- no horizontal overflow: ``document.documentElement.scrollWidth`` is at most the viewport;
- every visible link, button, form field and menu summary offers a hit area of at least
  44 × 44 CSS px (WCAG 2.5.5). A checkbox or radio button counts together with its label, as a
  click on either toggles it. Links inside running text are exempt, as WCAG's inline exception
  allows: an inline-level link whose nearest block holds text of its own outside the link (a
  sentence, or a title followed by its date) takes the size of that text's line; a link standing
  alone in its block (a list of links, a button-like link) or laid out as a block or flex item
  is not exempt;
- on phones the header, with the menu closed, takes at most 20% of the first screen (30% with
  large text).

Each page is loaded once per text mode and measured at the three widths by resizing the tab,
so the whole walk stays within a few minutes.
"""

import io
import json
import os
import time
from pathlib import Path

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from booking.models import Booking, Event, Resource
from courses.models import CoursePage, LessonPage
from makerspace.models import Equipment, PrintJob, StudioJob
from oral_history.models import Interview
from tests.services import wait_for_js
from ugc.models import Work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# (width, height): a small phone (iPhone SE, 1st generation), a common phone, a desktop.
VIEWPORTS = [(320, 568), (375, 812), (1280, 800)]
PHONE_MAX_WIDTH = 600
HEADER_SHARE = {False: 0.20, True: 0.30}  # large text → share of the first screen
MIN_TARGET = 44
# Set LAYOUT_SCREENSHOTS to a folder to keep a picture of the home page and a lesson on a phone.
SCREENSHOTS = os.environ.get("LAYOUT_SCREENSHOTS")

# Runs in the page; returns what the test asserts on, with enough detail to find a culprit.
MEASURE_JS = """
(minTarget) => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const describe = (el) => {
    let text = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 30);
    const cls = el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${text}"`;
  };
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith('inline')) node = node.parentElement;
    return node;
  };
  const ownText = (block, link) => {
    let text = '';
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!link.contains(node) && node.parentElement.checkVisibility()) text += node.data;
    }
    return text.trim();
  };
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || !getComputedStyle(el).display.startsWith('inline')) return false;
    const block = blockOf(el);
    return Boolean(block) && ownText(block, el).length > 0;
  };
  const small = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({opacityProperty: false, visibilityProperty: true})) continue;
    if (el.closest('.leaflet-control-attribution')) continue;
    let rect = el.getBoundingClientRect();
    // The skip link waits above the page until it is focused.
    if (rect.bottom <= 0 && el.classList.contains('skip-link')) continue;
    let {left, top, right, bottom} = rect;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      for (const label of el.labels || []) {
        const r = label.getBoundingClientRect();
        if (!r.width) continue;
        left = Math.min(left, r.left); top = Math.min(top, r.top);
        right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
      }
    } else if (rect.width * rect.height <= 1) {
      continue;  // a visually hidden control is reached through its label, measured above
    }
    const width = right - left, height = bottom - top;
    if (width + 0.5 >= minTarget && height + 0.5 >= minTarget) continue;
    if (inRunningText(el)) continue;
    small.push(`${describe(el)} ${Math.round(width)}×${Math.round(height)}`);
  }
  const wide = [];
  if (root.scrollWidth > vw) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      const parentRight = el.parentElement.getBoundingClientRect().right;
      if (r.right > vw + 1 && r.width > 0 && !(parentRight > vw + 1)) {
        wide.push(`${describe(el)} right=${Math.round(r.right)}`);
      }
    }
  }
  const header = document.querySelector('.site-header');
  return {
    viewport: vw,
    scrollWidth: root.scrollWidth,
    header: header ? header.getBoundingClientRect().height : 0,
    small: small.slice(0, 8),
    smallCount: small.length,
    wide: wide.slice(0, 5),
  };
}
"""


MENU_SETTLED_JS = (
    "!document.querySelector('[data-site-menu]') || "
    "document.querySelector('[data-site-menu]').open === matchMedia('(min-width: 60em)').matches"
)


def _sign_in(context, live_server, user: User | None) -> None:
    """Start a session for ``user`` (or none) in the browser without going through the form."""
    context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user, backend="accounts.auth.KeptPermissionsBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _set_large_text(context, live_server, user: User | None, *, on: bool) -> None:
    """The display preference the server renders: on the account, or in the visitor's cookie."""
    if user is not None:
        User.objects.filter(pk=user.pk).update(large_text=on)
        return
    from core.preferences import DISPLAY_COOKIE

    context.add_cookies(
        [{"name": DISPLAY_COOKIE, "value": "large_text" if on else "", "url": live_server.url}]
    )


def _pages_by_role() -> dict[str, list[str]]:
    """One page of each kind for every role: the public pages for visitors, each role's own."""
    course = CoursePage.objects.live().first()
    lesson = next(
        lesson
        for lesson in LessonPage.objects.live().specific()
        if any(block.block_type == "media" for block in lesson.body)
    )
    event = Event.objects.order_by("starts_at").first()
    resource = Resource.objects.filter(slug="3d-printer-a").first() or Resource.objects.first()
    equipment = Equipment.objects.first()
    interview = Interview.objects.filter(published=True).first() or Interview.objects.first()
    maker = User.objects.get(email="maker@demo.liaotu.cn")
    reader = User.objects.get(email="reader@demo.liaotu.cn")
    job = PrintJob.objects.filter(owner=maker).first()
    work = Work.objects.filter(owner=maker).first()
    studio = StudioJob.objects.first()
    booking = Booking.objects.filter(user=reader).first()
    public = [
        "/",
        "/search/?q=打印",
        "/accounts/login/",
        "/accounts/signup/",
        "/learning/search/?q=手机",
        course.url,
        lesson.url,
        "/booking/",
        f"/booking/events/{event.pk}/",
        f"/booking/r/{resource.slug}/",
        "/makerspace/",
        f"/makerspace/equipment/{equipment.slug}/",
        "/memories/",
        f"/memories/i/{interview.pk}/",
        "/memories/places/",
        "/memories/timeline/",
        "/memories/narrators/",
        "/works/",
        "/no-such-page/",
    ]
    signed_in = ["/", "/accounts/profile/", "/notifications/"]
    return {
        "anonymous": public,
        "reader": [
            *signed_in,
            "/booking/mine/",
            f"/booking/b/{booking.pk}/",
            "/learning/record/",
            lesson.url,  # the seventh: the test keeps its screenshot when asked
            course.url,
            "/works/mine/",
            "/works/new/",
        ],
        "maker": [
            *signed_in,
            "/makerspace/me/",
            "/makerspace/print/",
            f"/makerspace/jobs/{job.pk}/",
            f"/works/{work.pk}/",
            f"/booking/r/{resource.slug}/",
        ],
        "technician": [
            *signed_in,
            "/makerspace/farm/",
            "/makerspace/farm/studio/",
            f"/makerspace/studio/{studio.pk}/",
        ],
        "moderator": [*signed_in, "/works/moderation/"],
        "archivist": [*signed_in, "/memories/desk/", f"/memories/desk/i/{interview.pk}/"],
        "librarian-admin": [
            *signed_in,
            "/booking/staff/",
            "/booking/staff/check-in/",
            "/booking/staff/approvals/",
            "/booking/staff/book/",
        ],
    }


@pytest.fixture
def full_demo(demo_site, s3_endpoint):
    """Every app's demo content except the sixty readers' works (the studio job adds a work)."""
    only = ("accounts", "cms", "booking", "courses", "makerspace", "oral_history")
    call_command("seed_demo", "--only", *only, stdout=io.StringIO())
    for user in User.objects.filter(is_staff=True):
        TOTP.activate(user, pyotp.random_base32())  # staff must have MFA set up to browse


def _nav_destinations(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.site-header a[href]')]
            .map(a => new URL(a.href)).filter(u => u.origin === location.origin)
            .map(u => u.pathname + u.search)"""
    )


def test_every_page_fits_phones_and_desktops_in_both_text_sizes(full_demo, page, live_server):
    started = time.monotonic()
    pages = _pages_by_role()
    emails = {role: f"{role.split('-')[0]}@demo.liaotu.cn" for role in pages}
    problems: list[str] = []
    visits = 0
    for role, paths in pages.items():
        user = None if role == "anonymous" else User.objects.get(email=emails[role])
        _sign_in(page.context, live_server, user)
        for large in (False, True):
            _set_large_text(page.context, live_server, user, on=large)
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto("/")
            # Every destination of this role's navigation, besides its own pages.
            skip = ("/admin/", "/accounts/logout/")
            todo = list(dict.fromkeys([*paths, *_nav_destinations(page)]))
            for path in [p for p in todo if not p.startswith(skip)]:
                page.set_viewport_size({"width": 320, "height": 568})
                response = page.goto(path)
                visits += 1
                label = f"{role} {'large' if large else 'normal'} {path}"
                if response.status >= 500 or response.status == 403:
                    problems.append(f"{label}: HTTP {response.status}")
                    continue
                for width, height in VIEWPORTS:
                    page.set_viewport_size({"width": width, "height": height})
                    # main.js opens or closes the menu when the width crosses the breakpoint.
                    wait_for_js(page, MENU_SETTLED_JS)
                    found = page.evaluate(MEASURE_JS, MIN_TARGET)
                    if SCREENSHOTS and width == 375 and path in [*pages["reader"][6:7], "/"]:
                        name = f"{role}-{'large' if large else 'normal'}-{visits}.png"
                        page.screenshot(path=Path(SCREENSHOTS) / name, full_page=True)
                    where = f"{label} @{width}px"
                    if found["scrollWidth"] > found["viewport"]:
                        problems.append(
                            f"{where}: scrolls sideways ({found['scrollWidth']} > "
                            f"{found['viewport']}): {found['wide']}"
                        )
                    if found["small"]:
                        problems.append(
                            f"{where}: {found['smallCount']} targets under {MIN_TARGET}px: "
                            f"{found['small']}"
                        )
                    limit = HEADER_SHARE[large] * height
                    if width <= PHONE_MAX_WIDTH and found["header"] > limit:
                        problems.append(f"{where}: header {found['header']:.0f}px > {limit:.0f}px")
    elapsed = time.monotonic() - started
    print(f"layout: {visits} page loads in {elapsed:.0f} s")
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)


def test_phone_menu_opens_without_javascript_and_keeps_its_state_announced(
    demo_site, page, live_server
):
    # Without JavaScript the <details> menu still opens and shows every link and setting.
    browser = page.context.browser
    no_js = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    tab = no_js.new_page()
    tab.goto("/")
    assert not tab.locator(".main-nav a").first.is_visible()
    tab.locator(".menu-button").click()
    assert (
        tab.get_by_role("navigation", name="主导航").get_by_role("link", name="学习").is_visible()
    )
    assert tab.get_by_role("button", name="大字模式").is_visible()
    assert tab.get_by_role("searchbox").is_visible()
    no_js.close()

    # With JavaScript the button says whether the menu is open, and Escape closes it.
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")
    button = page.locator(".menu-button")
    assert button.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "跳到主要内容"
    button.click()
    wait_for_js(page, "document.querySelector('.menu-button').ariaExpanded === 'true'")
    nav_link = page.locator(".main-nav a", has_text="创客空间")
    nav_link.focus()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-button')")
    assert not nav_link.is_visible()

    # On a desktop the navigation is inline, with no menu button.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not button.is_visible()
    assert nav_link.is_visible()
    assert page.get_by_role("button", name="大字模式").is_visible()
