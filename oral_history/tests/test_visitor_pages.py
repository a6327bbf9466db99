"""What visitors and archivists read: the map's places and offline basemap, citations in the
page's language, and the desk in words rather than stored codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from oral_history import citations, services
from oral_history.models import Consent, Place

from .factories import InterviewFactory, NarratorFactory, archivist, with_content

pytestmark = pytest.mark.django_db


def _json_script(html: str, element_id: str):
    return json.loads(
        html.split(f'id="{element_id}" type="application/json">')[1].split("</script>")[0]
    )


# --- The map ----------------------------------------------------------------------------------


def test_places_are_grouped_into_one_named_marker_each_with_links():
    first = InterviewFactory(title="纺织厂的往事")
    second = InterviewFactory(title="铁西的工人村")
    with_content(first, recording=False)
    with_content(second, recording=False)
    dalian = Place.objects.create(name="大连", latitude="38.9140", longitude="121.6147")
    second.places.add(dalian)

    html = Client().get(reverse("oral_history:places")).content.decode()
    places = {place["name"]: place for place in _json_script(html, "oh-map-places")}

    # Two interviews recorded in 沈阳 make one marker, named with its count, not two markers.
    assert places["沈阳"]["label"] == "沈阳：2 个访谈"
    assert {e["text"] for e in places["沈阳"]["entries"]} == {"纺织厂的往事", "铁西的工人村"}
    assert places["大连"]["label"] == "大连：1 个访谈"
    # An index segment's GPS point links to its moment in the recording.
    factory = places["纺织厂"]
    assert factory["entries"][0]["url"].endswith("?t=0#player")
    assert factory["entries"][0]["text"] == "纺织厂的往事，从 0:00 起"
    # The list beside the map names the same places, for readers who do not use the map.
    assert "<strong>沈阳：2 个访谈</strong>" in html
    assert 'data-basemap-url="/static/build/liaoning.geojson"' in html
    assert 'data-tile-url=""' in html  # no tile server unless an operator sets one


def test_place_names_are_escaped_in_the_page_and_its_data():
    interview = InterviewFactory(title="<script>alert(1)</script>")
    interview.places.add(Place.objects.create(name="<b>x</b>", latitude="41", longitude="123"))
    html = Client().get(reverse("oral_history:places")).content.decode()
    assert "<script>alert(1)" not in html
    assert "<b>x</b>" not in html
    assert _json_script(html, "oh-map-places")[0]["name"] == "<b>x</b>"


def test_the_offline_basemap_is_liaonings_cities_and_small():
    path = settings.FRONTEND_BUILD_DIR / "liaoning.geojson"
    assert path.stat().st_size < 80_000  # the page loads this, not the package's 14 MB
    data = json.loads(path.read_text())
    assert {f["properties"]["kind"] for f in data["features"]} == {"city"}
    cities = {f["properties"]["name"] for f in data["features"]}
    assert len(cities) == len(data["features"]) == 14  # the province's outline is their edge
    assert {"沈阳市", "大连市", "丹东市", "葫芦岛市"} <= cities
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
        assert all(118 < lng < 126 and 38 < lat < 44 for lng, lat in ring)
    # Served as a static file, like the map script that fetches it.
    response = Client().get("/static/build/liaoning.geojson")
    assert response.status_code == 200
    assert json.loads(b"".join(response.streaming_content))["type"] == "FeatureCollection"


# --- Citations ----------------------------------------------------------------------------------


def _cited_interview():
    narrator = NarratorFactory(name="张桂兰")
    return InterviewFactory(title="纺织厂的三十年", interviewers=["王丽", "李强"],
                            interview_date=dt.date(2024, 5, 12), narrators=[narrator],
                            accession_number="LHWS-2024-001")  # fmt: skip


def test_gbt7714_uses_the_standards_separators_for_names_and_roles():
    gbt = citations.gbt7714(_cited_interview(), "https://example.org/i/1/",
                            accessed=dt.date(2026, 11, 26))  # fmt: skip
    assert gbt == ("张桂兰. 纺织厂的三十年[Z/OL]. 王丽, 李强, 采访. 沈阳: 辽宁省图书馆, "
                   "2024-05-12[2026-11-26]. https://example.org/i/1/.")  # fmt: skip


def test_a_chinese_page_cites_in_gbt7714_first_and_marks_chicago_as_english():
    interview = _cited_interview()
    html = Client().get(reverse("oral_history:interview", args=[interview.pk])).content.decode()
    cite = html.split('id="cite-heading"')[1]
    assert cite.index("GB/T 7714") < cite.index("芝加哥格式（英文）")
    assert '<p class="citation" lang="zh-Hans" translate="no">张桂兰. 纺织厂的三十年[Z/OL]' in cite
    english = '<p class="citation" lang="en" translate="no">张桂兰. “纺织厂的三十年.” Interview by'
    assert f"{english} 王丽" in cite

    with translation.override("en"):
        entries = citations.for_page(interview, "https://example.org/i/1/", language="en")
    assert [(e["label"], e["lang"]) for e in entries] == [
        ("Chicago (in English)", "en"), ("GB/T 7714", "zh-Hans"),
    ]  # fmt: skip


# --- The desk in words ------------------------------------------------------------------------


def test_the_desk_interview_page_shows_words_not_codes(tmp_path):
    staff_user = archivist()
    interview = InterviewFactory()
    item = with_content(interview, tmp_path=tmp_path)
    services.add_redaction(interview=interview, start=24, end=32, reason="第三方隐私",
                           user=staff_user)  # fmt: skip
    services.set_part_access(part=item, level="restricted", embargo_until=None,
                             user=staff_user, reason="录音中有第三方")  # fmt: skip
    services.record_consent(interview=interview, user=staff_user, narrator=None,
                            signed_on=dt.date(2024, 5, 12),
                            scope=[Consent.Scope.ARCHIVE, Consent.Scope.ONLINE])  # fmt: skip
    staff = Client()
    staff.force_login(staff_user)
    html = staff.get(reverse("oral_history:desk-interview", args=[interview.pk])).content.decode()

    for code in ("[ready]", "[pending]", "redaction_added", "part_access_changed",
                 "consent_recorded", "transcript_saved", "archive, online", "reason=",
                 "interviewmedia:"):  # fmt: skip
        assert code not in html, code
    assert "master.m4a · 已就绪" in html  # the recording by name, its state in words
    assert "使用范围：档案保存、网上公开" in html
    assert "已屏蔽片段" in html and "时间段：0:24–0:32" in html and "原因：第三方隐私" in html
    assert "已更改单个部分的开放级别" in html and "部分：录音" in html
    assert "更改后：限制访问（仅限馆员）" in html
    assert "已保存文字稿" in html and "文字稿行数：5" in html
