"""辽海往事 in a browser: the transcript follows playback and seeks on click; keyboard and axe."""

import pytest

from oral_history.tests.factories import InterviewFactory, with_content
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
    assert page.locator(".leaflet-marker-icon").count() == 2
