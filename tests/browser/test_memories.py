"""辽海往事 in a browser: the transcript follows playback and seeks on click; a visitor explores
by search, map, timeline and transcript on a phone and a desktop; keyboard and axe."""

import pytest
from django.conf import settings
from django.test import Client

from oral_history import services
from oral_history.models import Place
from oral_history.tests.factories import InterviewFactory, archivist, with_content
from tests.services import axe_violations, wait_for_js

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_interactive_transcript_highlights_the_current_cue_and_seeks(demo_site, page, tmp_path):
    interview = InterviewFactory(title="纺织厂的往事")
    with_content(interview, tmp_path=tmp_path)

    page.goto(f"/memories/i/{interview.pk}/")
    player = page.locator("audio[data-oh-media]")
    wait_for_js(page, "document.querySelector('audio').readyState >= 1")
    assert axe_violations(page) == []

    # Clicking a cue's time (keyboard: focus + Enter) seeks there and the cue lights up.
    cue = page.locator("li[data-start='16.0']")
    cue.get_by_role("button").focus()
    page.keyboard.press("Enter")
    wait_for_js(page, "document.querySelector('li[data-start=\"16.0\"]')"
                           ".classList.contains('oh-current')")  # fmt: skip
    assert 16 <= player.evaluate("el => el.currentTime") < 24
    assert cue.get_attribute("aria-current") == "true"
    assert page.locator("li.oh-current").count() == 1

    # "Play this segment" in the index seeks to the segment's start.
    page.locator("summary", has_text="家事").click()
    page.get_by_role("button", name="播放这一段").last.click()
    wait_for_js(page, "document.querySelector('li[data-start=\"24.0\"]')"
                           ".classList.contains('oh-current')")  # fmt: skip

    # Search inside the transcript lists matches that jump to their time.
    page.get_by_label("在文字稿中搜索").fill("火车")
    page.keyboard.press("Enter")
    result = page.locator("[data-oh-transcript-results] button")
    assert result.count() == 1
    result.click()
    wait_for_js(page, "document.querySelector('li[data-start=\"8.0\"]')"
                           ".classList.contains('oh-current')")  # fmt: skip
    assert "找到 1 行" in page.locator("[data-oh-transcript-status]").inner_text()

    # Listening is reported when playback pauses: the player fetches its token at the first
    # play (the page carries none) and the seconds really played are counted once.
    from core.insight.models import ActivityEvent

    player.evaluate("el => { el.muted = true; el.currentTime = 0; return el.play(); }")
    wait_for_js(page, "document.querySelector('audio').currentTime >= 2.5")
    player.evaluate("el => el.pause()")
    wait_for_js(
        page,
        "performance.getEntriesByType('resource').some(e => e.name.endsWith('/played'))",
    )
    played = page.evaluate(
        "() => new Promise(r => setTimeout(() => r(performance.getEntriesByType('resource')"
        ".filter(e => e.name.endsWith('/played')).length), 300))"
    )
    assert played == 1
    events = list(ActivityEvent.objects.filter(kind="interview.played"))
    assert len(events) == 1 and 2 <= events[0].value <= 10


def test_deep_link_starts_playback_position_and_pages_pass_axe(demo_site, page, tmp_path):
    interview = InterviewFactory(title="纺织厂的往事")
    with_content(interview, tmp_path=tmp_path)
    page.goto(f"/memories/i/{interview.pk}/?t=30#player")
    wait_for_js(page, "document.querySelector('audio').readyState >= 1")
    wait_for_js(page, "document.querySelector('audio').currentTime >= 30")
    for path in ["/memories/", "/memories/search/?q=纺织厂", "/memories/places/",
                 "/memories/timeline/", "/memories/narrators/"]:  # fmt: skip
        page.goto(path)
        assert axe_violations(page) == [], path
    page.goto("/memories/places/")
    page.wait_for_selector("#oh-map[data-ready='2']")
    assert page.locator(".oh-marker").count() == 2


# --- A visitor explores the archive: search, map, timeline and transcript ----------------------


def _journey_content(tmp_path):
    factory = InterviewFactory(title="纺织厂的往事", year_from=1958, year_to=1971)
    with_content(factory, tmp_path=tmp_path)
    harbour = InterviewFactory(title="大连港的码头", year_from=1984)
    harbour.places.add(
        Place.objects.get(name="沈阳"),
        Place.objects.create(name="大连", latitude="38.9140", longitude="121.6147"),
    )
    return factory


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [(375, 812), (1280, 900)], ids=["phone", "desktop"])
def test_visitor_explores_by_search_map_timeline_and_transcript(
    demo_site, page, tmp_path, viewport
):
    width, height = viewport
    _journey_content(tmp_path)
    page.set_viewport_size({"width": width, "height": height})

    # Search from the archive's front page.
    page.goto("/memories/")
    page.get_by_label("搜索访谈、索引和文字稿").fill("纺织厂")
    page.keyboard.press("Enter")
    page.wait_for_url("**/memories/search/**")
    assert page.get_by_role("link", name="纺织厂的往事").count() == 1
    assert axe_violations(page) == []

    # The map: an outline of Liaoning drawn without any tile server, one marker per place.
    page.goto("/memories/places/")
    page.wait_for_selector("#oh-map[data-ready='3'][data-basemap='14']")
    assert page.locator("#oh-map .leaflet-tile").count() == 0
    assert page.locator("#oh-map path.leaflet-interactive").count() == 0  # outline is not a target
    # Liaoning's 14 cities, twice: a wide stroke beneath draws the province's outline.
    assert page.locator("#oh-map .leaflet-overlay-pane path").count() == 28
    markers = page.locator(".oh-marker")
    assert markers.count() == 3
    assert page.locator("img.leaflet-marker-icon").count() == 0  # no image that could 404
    assert [m.get_attribute("role") for m in markers.all()] == ["button"] * 3
    assert axe_violations(page) == []
    assert _no_sideways_scroll(page)
    if width == 375:
        page.screenshot(path=str(tmp_path / "map-375.png"), full_page=True)

    # Keyboard: from the map, Tab reaches the markers, each named after its place and count.
    page.locator("#oh-map").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = "document.activeElement.getAttribute('aria-label')"
    assert page.evaluate(focused) == "沈阳：2 个访谈"
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator(".oh-popup-title").inner_text() == "沈阳：2 个访谈"
    assert popup.get_by_role("link").all_inner_texts() == ["纺织厂的往事", "大连港的码头"]
    assert page.evaluate("document.activeElement.textContent") == "纺织厂的往事"
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "关闭"
    wait_for_js(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    wait_for_js(page, "!document.querySelector('.leaflet-popup')")
    assert page.evaluate(focused) == "沈阳：2 个访谈"  # back where the reader was
    page.keyboard.press(" ")  # a button also answers to Space
    popup.wait_for()
    page.keyboard.press("Escape")
    # The same places as a list, for readers who do not use the map.
    place_list = page.locator(".oh-place-list")
    assert place_list.get_by_text("纺织厂：1 个访谈").count() == 1
    assert place_list.get_by_role("link", name="纺织厂的往事，从 0:00 起").count() == 1

    # The timeline leads to the interview.
    page.goto("/memories/timeline/")
    assert page.get_by_role("heading", name="1950 年代").count() == 1
    assert axe_violations(page) == []
    page.get_by_role("link", name="纺织厂的往事").first.click()
    page.wait_for_url("**/memories/i/*/")
    wait_for_js(page, "document.querySelector('audio').readyState >= 1")
    assert page.evaluate("document.querySelector('audio').textTracks[0].mode") == "showing"

    # Transcript search marks every hit in the transcript and steps through them.
    page.get_by_label("在文字稿中搜索").fill("我")
    page.keyboard.press("Enter")
    hits = page.locator(".oh-cues mark.oh-hit")
    assert hits.count() == 4
    assert set(hits.all_inner_texts()) == {"我"}
    status = page.locator("[data-oh-transcript-status]")
    assert status.inner_text() == "找到 3 行 · 第 1 处，共 4 处"
    assert status.get_attribute("aria-live") == "polite"
    page.get_by_role("button", name="下一处").click()
    assert status.inner_text().endswith("第 2 处，共 4 处")
    assert page.locator("mark.oh-hit-current").count() == 1
    assert hits.nth(1).get_attribute("class") == "oh-hit oh-hit-current"
    page.get_by_role("button", name="上一处").click()
    page.get_by_role("button", name="上一处").click()
    assert status.inner_text().endswith("第 4 处，共 4 处")  # wraps round
    assert axe_violations(page) == []
    if width == 375:
        page.screenshot(path=str(tmp_path / "interview-375.png"))
    # A new search clears the old marks; markup typed in the box is only ever text.
    page.get_by_label("在文字稿中搜索").fill("<b>秘密")
    page.keyboard.press("Enter")
    assert hits.count() == 0
    assert page.locator(".oh-cues b").count() == 0
    assert status.inner_text() == "没有找到。"
    page.get_by_label("在文字稿中搜索").fill("秘密")
    page.keyboard.press("Enter")
    assert hits.count() == 1

    # The player stays in view while the reader scrolls down the transcript and index.
    page.locator("#transcript-heading").scroll_into_view_if_needed()
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(200)
    box = page.locator("#player").bounding_box()
    assert 0 <= box["y"] <= 20
    if width == 375:
        assert box["height"] <= height * 0.3  # a strip at the top, not half the phone
    else:
        text = page.locator(".oh-study-text").bounding_box()
        assert box["x"] + box["width"] <= text["x"]  # beside the transcript
    assert _no_sideways_scroll(page)


def test_large_text_phone_map_and_interview_pass_axe_and_fit(demo_site, page, tmp_path):
    interview = _journey_content(tmp_path)
    page.goto("/memories/places/")
    page.get_by_role("button", name="大字模式").click()  # in the header menu on a phone
    page.wait_for_load_state()
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    assert "large-text" in page.locator("html").get_attribute("class")
    page.wait_for_selector("#oh-map[data-ready='3'][data-basemap='14']")
    assert axe_violations(page) == []
    assert _no_sideways_scroll(page)
    page.goto(f"/memories/i/{interview.pk}/")
    wait_for_js(page, "document.querySelector('audio').readyState >= 1")
    page.get_by_label("在文字稿中搜索").fill("纺织厂")
    page.keyboard.press("Enter")
    assert page.locator(".oh-cues mark.oh-hit").count() == 1
    assert axe_violations(page) == []
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "interview-375-large.png"))


def test_desk_interview_page_fits_a_phone_and_speaks_in_words(
    demo_site, page, tmp_path, live_server
):
    staff = archivist()  # with TOTP set up, as staff must have to browse
    interview = InterviewFactory()
    item = with_content(interview, tmp_path=tmp_path)
    services.set_part_access(part=item, level="restricted", embargo_until=None, user=staff,
                             reason="录音中有第三方")  # fmt: skip
    client = Client()
    client.force_login(staff, backend="accounts.auth.KeptPermissionsBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"/memories/desk/i/{interview.pk}/")
    assert page.get_by_role("heading", name="操作记录").count() == 1
    assert _no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    body = page.locator("main").inner_text()
    assert "[ready]" not in body and "part_access_changed" not in body
    assert "已更改单个部分的开放级别" in body
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "desk-375.png"), full_page=True)
