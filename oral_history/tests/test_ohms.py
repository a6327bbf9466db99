"""OHMS XML import of the shared samples, export that validates against ohms.xsd, hostile XML."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from lxml import etree

from oral_history import ohms, services
from oral_history.models import Interview, Transcript
from tests.services import shared_fixture

from .factories import CollectionFactory, InterviewFactory, archivist, with_content

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Error messages are matched in English; readers get them in their own language."""
    with translation.override("en"):
        yield


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_fixture("ohms", "ohms.xsd"))))


def _import(name: str) -> Interview:
    data = shared_fixture("ohms", name).read_bytes()
    return ohms.import_record(data=data, collection=CollectionFactory(), user=None)


def test_import_of_a_record_with_index_points_and_hyperlinks():
    interview = _import("index_hyperlinks_example.xml")
    assert interview.title == "Oral history interview with Roy J. Plunkett"
    assert interview.accession_number == "OH0037"
    points = list(interview.segments.order_by("start"))
    assert [p.start for p in points] == [1, 3473]
    assert points[0].title == "Pre-Interview Remarks"
    assert "Teflon" in points[1].keywords
    assert points[1].hyperlinks[0]["url"] == "https://digital.sciencehistory.org/works/cf95jc49c"
    assert len(points[1].hyperlinks) == 3


def test_import_of_a_webvtt_transcript_keeps_speakers_and_times():
    interview = _import("small-sample-vtt-ohms.xml")
    cues = list(Transcript.objects.get(interview=interview).cues.all())
    assert cues[0].start == 3603.0
    # The sample's last cue ends at 00:00:00.000 (unknown); it is closed, not refused.
    assert cues[-1].end > cues[-1].start
    assert cues[0].speaker == "SCHNEIDER"
    assert cues[1].speaker == "NAME OF INTERVIEWEE"
    assert "<br>" not in cues[3].text and "One day, we got lost" in cues[3].text
    # and it is searchable at once
    assert interview.passages.filter(kind="transcript").exists()


@pytest.mark.parametrize("name", ["empty_ohms.xml", "various_gaps.xml"])
def test_other_samples_import_without_error(name):
    interview = _import(name)
    assert interview.pk


def test_reimport_updates_the_same_interview_instead_of_duplicating():
    first = _import("index_hyperlinks_example.xml")
    second = _import("index_hyperlinks_example.xml")
    assert first.pk == second.pk
    assert second.segments.count() == 2


def test_export_validates_against_the_schema_and_round_trips(tmp_path):
    interview = InterviewFactory(title="纺织厂的往事", keywords=["纺织厂", "劳动模范"])
    with_content(interview, recording=False)
    xml = ohms.export_record(interview, public=False)
    schema = _schema()
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log
    assert document.find(".//{*}version").text == "5.4"
    assert "1:|" in document.find(".//{*}sync").text
    # Import the export into a fresh database row: the same index and transcript come back.
    Interview.objects.filter(pk=interview.pk).update(accession_number="OLD")
    again = ohms.import_record(data=xml, collection=interview.collection, user=None)
    assert again.pk != interview.pk
    assert [s.title for s in again.segments.order_by("start")] == ["进厂", "家事"]
    assert again.segments.get(title="进厂").gps_points[0]["lat"] == 41.8
    texts = list(again.transcript.cues.values_list("text", flat=True))
    assert texts == list(interview.transcript.cues.values_list("text", flat=True))


def test_public_export_leaves_out_redacted_words():
    interview = InterviewFactory(duration_seconds=40)
    with_content(interview, recording=False)
    services.add_redaction(interview=interview, start=24, end=32, reason="隐私", user=archivist())
    public = ohms.export_record(interview, public=True).decode()
    assert "姐姐的秘密" not in public
    assert _schema().validate(etree.fromstring(public.encode()))
    assert "姐姐的秘密" in ohms.export_record(interview, public=False).decode()


HOSTILE = {
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ROOT><record id="1" dt="2020-01-01"><version>5.4</version><title>&x;</title></record></ROOT>""",
    "entity expansion": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<ROOT><record id="1" dt="2020-01-01"><version>5.4</version><title>&c;</title></record></ROOT>""",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_xml_is_refused_and_nothing_is_stored(case):
    with pytest.raises(ohms.OHMSError, match="DTD or entities"):
        ohms.import_record(data=HOSTILE[case], collection=CollectionFactory(), user=None)
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<ROOT><record>", "not well-formed"),
        (b"<html><body>hi</body></html>", "not an OHMS file"),
        (b'<ROOT><record id="1"><version>5.4</version></record></ROOT>', "no title"),
        (b'<ROOT><record id="1"><title>t</title><index><point><time>abc</time></point></index>'
         b"</record></ROOT>", "no valid time"),
        (b'<ROOT><record id="1"><title>t</title><vtt_transcript>WEBVTT\n\n00:01.000 --> '
         b"00:00.500\nx</vtt_transcript></record></ROOT>", "ends before it starts"),
    ],
)  # fmt: skip
def test_malformed_files_get_a_clear_reason_and_nothing_is_stored(data, message):
    with pytest.raises(ValidationError, match=message):
        ohms.import_record(data=data, collection=CollectionFactory(), user=None)
    assert not Interview.objects.exists()


def test_plain_transcript_is_cut_at_the_sync_minute_marks():
    vtt = ohms._sync_to_vtt("A: one two three\nB: four five\nA: six seven eight", "1:|2(1)|3(1)", 0)
    cues = services.parse_transcript(vtt)
    assert [(c.start, c.text) for c in cues] == [
        (0, "A: one two three"),
        (60, "B: four five"),
        (120, "A: six seven eight"),
    ]
