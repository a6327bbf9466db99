"""In Chromium on a phone-sized screen: uploaded media play from the user-content origin (another
host name than the site, so no site cookie goes there), and an H5P activity in a lesson runs in
its sandboxed frame from that origin, reports its xAPI statement and keeps its state across a
reload through the page.

Before: the video, its captions and the activity's scripts all came from the site's own origin.
"""

from urllib.parse import urlsplit

import pytest

from courses.models import H5PState, XAPIStatement
from courses.tests import h5p_packages
from media.tests import samples
from tests.browser.test_booking import sign_in
from tests.browser.test_h5p import PLAYER_READY, h5p_lesson
from tests.services import wait_for, wait_for_js
from ugc import services as ugc_services
from ugc.tests.factories import make_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 812}
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:01.500\n家乡的声音\n"


def _hosts(responses, settings):
    site = urlsplit(settings.SITE_URL).hostname
    content = urlsplit(settings.USERCONTENT_URL).hostname
    assert site != content
    return site, content


def test_a_works_video_and_captions_come_from_user_content(page, user, tmp_path, settings):
    video = samples.ffmpeg_sample(tmp_path, "mp4", seconds=2).read_bytes()
    work = make_work(user, data=video, name="家乡.mp4", kind="video", fmt="mp4")
    assert work.asset.status == "ready"
    ugc_services.set_captions(work=work, user=user, data=CAPTIONS.encode())
    responses: list[tuple[str, int, dict]] = []
    page.on("response", lambda r: responses.append((r.url, r.status, r.headers)))
    page.set_viewport_size(PHONE)
    sign_in(page, user.email)
    page.goto(f"/works/{work.pk}/")
    site, content = _hosts(responses, settings)
    page.evaluate(
        """() => {
            const video = document.querySelector("video");
            video.muted = true;
            video.textTracks[0].mode = "hidden";
            video.play();
        }"""
    )
    wait_for_js(page, "document.querySelector('video').currentTime > 0.2", timeout=20)
    wait_for_js(
        page,
        "document.querySelector('video').textTracks[0].cues "
        "&& document.querySelector('video').textTracks[0].cues.length === 1",
        timeout=10,
    )
    assert page.evaluate("document.querySelector('video').textTracks[0].cues[0].text") == (
        "家乡的声音"
    )
    from_content = [
        (url, status, headers)
        for url, status, headers in responses
        if urlsplit(url).hostname == content
    ]
    media = [r for r in from_content if r[2].get("content-type") == "video/mp4"]
    vtt = [r for r in from_content if r[2].get("content-type") == "text/vtt"]
    assert media and vtt
    for _url, status, headers in media + vtt:
        assert status in (200, 206)
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert headers["access-control-allow-origin"] == "*"
    # The site itself only redirected.
    site_media = [
        status
        for url, status, _headers in responses
        if urlsplit(url).hostname == site and urlsplit(url).path.startswith("/files/")
    ]
    assert site_media and set(site_media) == {302}
    # The browser keeps the site's cookies for the site: none is visible to user content.
    cookies = {c["name"]: c["domain"] for c in page.context.cookies()}
    assert "sessionid" in cookies and cookies["sessionid"] == site


def test_an_h5p_activity_runs_from_user_content_and_reports_through_the_page(
    demo_site, page, user, settings
):
    from courses.h5p import services as h5p_services

    content = h5p_services.install(source=h5p_packages.valid(), user=None)
    lesson = h5p_lesson(content)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size(PHONE)
    sign_in(page, user.email)
    page.goto(lesson.url)
    wait_for_js(page, PLAYER_READY, timeout=20)
    _site, origin = _hosts([], settings)
    frame_element = page.locator("iframe.h5p-iframe")
    assert frame_element.get_attribute("sandbox") == "allow-scripts allow-same-origin allow-popups"
    assert urlsplit(frame_element.get_attribute("src")).hostname == origin
    frame = page.frame_locator("iframe.h5p-iframe")
    frame.get_by_role("radio", name=h5p_packages.ANSWERS[0].text).check()
    wait_for(lambda: H5PState.objects.filter(user=user, content=content).exists(), timeout=15,
             message="the first state save did not reach the site")  # fmt: skip
    assert not [p for p in problems if "CSRF" in p or "Content Security Policy" in p]
    page.reload()
    wait_for_js(page, PLAYER_READY, timeout=20)
    chosen = page.frame_locator("iframe.h5p-iframe").get_by_role(
        "radio", name=h5p_packages.ANSWERS[0].text
    )
    chosen.wait_for()
    wait_for(chosen.is_checked, timeout=5, message="the state was not restored")
    page.frame_locator("iframe.h5p-iframe").get_by_role("button", name="检查").click()
    wait_for(lambda: XAPIStatement.objects.filter(user=user, content=content).exists(),
             timeout=10, message="no xAPI statement reached the site")  # fmt: skip
    statement = XAPIStatement.objects.filter(user=user, content=content).first().statement
    assert statement["actor"]["mbox"] == f"mailto:{user.email}"
    # The object names the site page, never the frame's signed URL.
    assert "/h5p/player/" not in statement["object"]["id"]
