"""OHMS XML import and export. Every feature is exercised on samples written in this file (real
exports' shapes: index points with hyperlinks and GPS, a WebVTT transcript with NOTE blocks and
an open last cue, a legacy transcript with ``<sync>``); the shared samples beside the project
are an extra conformance set. Faults with one meaning are mended and reported, the rest refused."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from lxml import etree

from oral_history import ohms, services
from oral_history.models import AuditEntry, Interview, Transcript
from tests.services import shared_fixture

from .factories import CollectionFactory, InterviewFactory, archivist, with_content

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Error messages are matched in English; readers get them in their own language."""
    with translation.override("en"):
        yield


def ohms_xml(
    *,
    title: str = "Oral history interview with Roy J. Plunkett",
    accession: str = "OH0037",
    vtt: str | None = None,
    transcript: str = "",
    sync: str = "",
    points: str = "",
    extra: str = "",
    declaration: bool = True,
) -> bytes:
    """An OHMS 5.4 record the way OHMS writes it (empty elements included)."""
    cdata = f"<vtt_transcript><![CDATA[{vtt}]]></vtt_transcript>" if vtt is not None else ""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    return (
        f'{head}<ROOT xmlns="{ohms.NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<record id="00089262" dt="2020-05-28"><version>5.4</version>'
        '<date value="1986-06-14" format="yyyy-mm-dd"/>'
        f"<title>{escape(title)}</title><accession>{escape(accession)}</accession>"
        "<duration>01:02:03</duration><collection_id>1</collection_id><collection_name/>"
        "<repository>Science History Institute</repository>"
        "<interviewee>Plunkett, Roy J.</interviewee><interviewer>Bohning, James J.</interviewer>"
        "<subject>Polymers</subject><keyword>Teflon</keyword><keyword>DuPont</keyword>"
        f"<sync>{escape(sync)}</sync><mediafile><host>Other</host><clip_format>audio"
        "</clip_format></mediafile><language>English</language>"
        f"<index>{points}</index><type/><description>Chemist at DuPont.</description>"
        f"<transcript>{escape(transcript)}</transcript>{cdata}<rights>CC BY</rights>"
        f"<fmt>audio</fmt><userestrict>0</userestrict>{extra}</record></ROOT>"
    ).encode()


def point(time: str, title: str, *, keywords: str = "", links=(), gps: str = "") -> str:
    groups = "".join(
        f"<hyperlinks><hyperlink>{escape(url)}</hyperlink><hyperlink_text>{escape(text)}"
        "</hyperlink_text><hyperlink_text_alt/></hyperlinks>"
        for url, text in links
    )
    return (
        f"<point><time>{time}</time><title>{escape(title)}</title><title_alt/>"
        "<partial_transcript>BOHNING: Check that everything is working.</partial_transcript>"
        f"<synopsis>About the work.</synopsis><keywords>{escape(keywords)}</keywords>"
        f"<subjects>Chemistry</subjects><gpspoints><gps>{gps}</gps><gps_zoom>9</gps_zoom>"
        f"<gps_text>Wilmington</gps_text></gpspoints>{groups}</point>"
    )


OHMS_VTT = """WEBVTT

NOTE
TRANSCRIPTION BEGIN

01:00:03.000 --> 01:00:18.000
<v SCHNEIDER>  Today is December 16, 2024. I am conducting an oral history interview.

01:00:18.000 --> 01:00:31.000
<v NAME OF INTERVIEWEE>  It was a lot of fun growing up there.

01:00:31.000 --> 01:00:38.000
<v SCHNEIDER>  Did you have a favorite museum to visit?

01:00:38.000 --> 01:01:14.000
<v NAME OF INTERVIEWEE>  I liked the Museum of Natural History.<br><br>One day, we got lost.

01:01:22.000 --> 00:00:00.000
<v NAME OF INTERVIEWEE>  Yes, I lived there my whole childhood.

NOTE
TRANSCRIPTION END

"""


def _import(data: bytes) -> ohms.ImportResult:
    return ohms.import_record(data=data, collection=CollectionFactory(), user=None)


def _cues(interview: Interview) -> list[tuple[float, float, str]]:
    return [
        (c.start, c.end, c.text) for c in Transcript.objects.get(interview=interview).cues.all()
    ]


def _codes(result: ohms.ImportResult) -> list[str]:
    return [warning.code for warning in result.warnings]


# --- Import of well-formed records -------------------------------------------------------------


def test_import_of_a_record_with_index_points_hyperlinks_and_gps():
    links = [("https://digital.sciencehistory.org/works/cf95jc49c", "Alyea"),
             ("https://digital.sciencehistory.org/works/g445cf063", "Hanford"),
             ("https://digital.sciencehistory.org/works/1n79h560c", "")]  # fmt: skip
    points = point("1", "Pre-Interview Remarks") + point(
        "3473", "DuPont and Tetraethyl Lead", keywords="Teflon;Antiknock compounds；Patents",
        links=links, gps="39.7391, -75.5398",
    )  # fmt: skip
    result = _import(ohms_xml(points=points))
    interview = result.interview
    assert result.created and result.warnings == ()
    assert interview.title == "Oral history interview with Roy J. Plunkett"
    assert interview.accession_number == "OH0037"
    assert interview.interview_date.isoformat() == "1986-06-14"
    assert interview.duration_seconds == 3723
    assert interview.language == "English"
    assert interview.interviewers == ["Bohning, James J."]
    assert [n.name for n in interview.narrators.all()] == ["Plunkett, Roy J."]
    assert [s.name for s in interview.subjects.all()] == ["Polymers"]
    assert interview.keywords == ["Teflon", "DuPont"]
    first, second = interview.segments.order_by("start")
    assert (first.start, first.title, second.start) == (1, "Pre-Interview Remarks", 3473)
    assert second.keywords == ["Teflon", "Antiknock compounds", "Patents"]
    assert [link["url"] for link in second.hyperlinks] == [url for url, _t in links]
    assert second.hyperlinks[2]["text"] == links[2][0]  # no text: the address stands in
    assert second.gps_points == [{"lat": 39.7391, "lng": -75.5398, "zoom": 9,
                                  "text": "Wilmington"}]  # fmt: skip
    assert first.gps_points == [] and first.hyperlinks == []


def test_import_of_a_webvtt_transcript_keeps_speakers_and_times_and_closes_the_open_cue():
    result = _import(ohms_xml(vtt=OHMS_VTT))
    cues = list(Transcript.objects.get(interview=result.interview).cues.all())
    assert [c.start for c in cues] == [3603, 3618, 3631, 3638, 3682]
    # OHMS writes --> 00:00:00.000 for an end it does not know: closed, and said so.
    assert _codes(result) == ["open_end"]
    assert (cues[-1].start, cues[-1].end) == (3682, 3692)
    assert "Line 18" in result.warnings[0].message
    assert cues[0].speaker == "SCHNEIDER" and cues[1].speaker == "NAME OF INTERVIEWEE"
    assert "<br>" not in cues[3].text and "One day, we got lost" in cues[3].text
    assert result.interview.passages.filter(kind="transcript").exists()  # searchable at once
    # What is stored is the mended file, which the desk's strict editor accepts as it is.
    stored = result.interview.transcript.vtt
    assert "01:01:22.000 --> 01:01:32.000" in stored and "TRANSCRIPTION END" in stored
    assert len(services.parse_transcript(stored)) == 5


def test_a_record_without_transcript_or_index_imports():
    data = ohms_xml(transcript="No transcript.", extra="<sync_alt/>")
    result = _import(data)
    assert result.warnings == ()
    assert not Transcript.objects.filter(interview=result.interview).exists()
    assert result.interview.segments.count() == 0


def test_a_legacy_transcript_is_cut_at_the_sync_minute_marks_on_import():
    lines = ["KERMIT: Yes, my father was a petrologist.", "PIGGY: He graduated from Columbia.",
             "KERMIT: That was in 1888.", "PIGGY: That was not very scientific."]  # fmt: skip
    result = _import(ohms_xml(transcript="\n".join(lines), sync="1:|2(1)|4(3)"))
    cues = _cues(result.interview)
    assert [c[0] for c in cues] == [0, 60, 120]
    assert [c[2] for c in cues] == [
        "KERMIT: Yes, my father was a petrologist.",
        "PIGGY: He graduated from Columbia. KERMIT: That was in 1888. PIGGY: That",
        "was not very scientific.",
    ]
    assert result.warnings == ()


def test_reimport_updates_the_same_interview_instead_of_duplicating():
    points = point("1", "One") + point("60", "Two")
    first = _import(ohms_xml(points=points))
    second = _import(ohms_xml(points=points, title="Renamed"))
    assert first.interview.pk == second.interview.pk and not second.created
    assert second.interview.segments.count() == 2
    assert Interview.objects.get().title == "Renamed"


def test_export_round_trips_through_import():
    interview = InterviewFactory(title="纺织厂的往事", keywords=["纺织厂", "劳动模范"])
    with_content(interview, recording=False)
    xml = ohms.export_record(interview, public=False)
    document = etree.fromstring(xml)
    assert document.find(".//{*}version").text == "5.4"
    assert "1:|" in document.find(".//{*}sync").text
    Interview.objects.filter(pk=interview.pk).update(accession_number="OLD")
    again = ohms.import_record(data=xml, collection=interview.collection, user=None)
    assert again.warnings == ()
    assert again.interview.pk != interview.pk
    assert [s.title for s in again.interview.segments.order_by("start")] == ["进厂", "家事"]
    assert again.interview.segments.get(title="进厂").gps_points[0]["lat"] == 41.8
    texts = list(again.interview.transcript.cues.values_list("text", flat=True))
    assert texts == list(interview.transcript.cues.values_list("text", flat=True))


def test_public_export_leaves_out_redacted_words():
    interview = InterviewFactory(duration_seconds=40)
    with_content(interview, recording=False)
    services.add_redaction(interview=interview, start=24, end=32, reason="隐私", user=archivist())
    public = ohms.export_record(interview, public=True).decode()
    assert "姐姐的秘密" not in public
    assert "姐姐的秘密" in ohms.export_record(interview, public=False).decode()


# --- Faults with one meaning are mended, each one reported ---------------------------------------

ZERO_LENGTH = """WEBVTT

00:00:20.000 --> 00:00:29.000
<v A>Before.

00:00:29.000 --> 00:00:29.000
<v B>The cue a real export wrote with no length.

00:00:31.000 --> 00:00:40.000
<v A>After.
"""


def test_a_real_export_with_one_zero_length_cue_imports_with_a_warning():
    result = _import(ohms_xml(vtt=ZERO_LENGTH))
    assert _codes(result) == ["zero_length"]
    assert "Line 6" in result.warnings[0].message
    assert [(s, e) for s, e, _t in _cues(result.interview)] == [(20, 29), (29, 31), (31, 40)]
    # The desk's own editor still refuses the file as it came.
    with pytest.raises(services.TranscriptError):
        services.parse_transcript(ZERO_LENGTH)


@pytest.mark.parametrize(
    ("vtt", "codes", "timings"),
    [
        pytest.param("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\na\n\n00:00:04.000 --> "
                     "00:00:08.000\nb\n", ["overlap"], [(1, 4), (4, 8)], id="overlap"),
        pytest.param("WEBVTT\n\n00:00:29.000 -->\na\n\n00:00:35.000 --> 00:00:36.000\nb\n",
                     ["missing_end"], [(29, 35), (35, 36)], id="arrow-without-end"),
        pytest.param("WEBVTT\n\n00:00:29.000\na\n", ["missing_end"], [(29, 39)],
                     id="start-time-only"),
        pytest.param("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:04.000 --> "
                     "00:00:05.000\nb\n", ["out_of_order"], [(4, 5), (5, 6)],
                     id="slightly-out-of-order"),
        pytest.param("\ufeffWEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n", ["bom"], [(1, 2)],
                     id="bom"),
        pytest.param("\n\n  WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n", ["before_header"],
                     [(1, 2)], id="blank-lines-before-webvtt"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n   \na\n", ["blank_spaces",
                     "joined_text"], [(1, 2)], id="space-line-inside-cue"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n00:00:02.000 --> "
                     "00:00:03.000\nb\n", ["missing_blank_line"], [(1, 2), (2, 3)],
                     id="no-blank-line-between-cues"),
    ],
)  # fmt: skip
def test_faults_with_one_meaning_are_mended_and_listed(vtt, codes, timings):
    result = _import(ohms_xml(vtt=vtt))
    assert _codes(result) == codes
    assert all(w.message.startswith("WebVTT transcript: ") for w in result.warnings)
    assert [(s, e) for s, e, _t in _cues(result.interview)] == timings


def test_crlf_written_as_character_references_is_mended():
    data = ohms_xml(vtt="WEBVTT&#13;\n&#13;\n00:00:01.000 --> 00:00:02.000&#13;\na&#13;\n")
    data = data.replace(b"<![CDATA[", b"").replace(b"]]>", b"")  # references need plain text
    result = _import(data)
    assert _codes(result) == ["line_endings"]
    assert _cues(result.interview) == [(1, 2, "a")]


def test_blank_space_before_the_xml_declaration_is_mended():
    result = _import(b"\xef\xbb\xbf\r\n  " + ohms_xml(vtt=OHMS_VTT))
    assert _codes(result) == ["xml_leading_whitespace", "open_end"]


def test_the_warnings_are_kept_in_the_audit_trail():
    result = _import(ohms_xml(vtt=ZERO_LENGTH))
    entry = AuditEntry.objects.get(interview=result.interview, action="ohms_imported")
    assert entry.detail["warnings"] == [w.message for w in result.warnings]


def english_archivist():
    """The desk in English (the profile's language decides), so the tests read its wording."""
    user = archivist()
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_the_desk_shows_every_repair_after_an_import():
    staff = Client()
    staff.force_login(english_archivist())
    collection = CollectionFactory()
    vtt = ZERO_LENGTH.replace("00:00:31.000 --> 00:00:40.000", "00:00:31.000 -->")
    upload = SimpleUploadedFile("export.xml", ohms_xml(vtt=vtt))
    response = staff.post(reverse("oral_history:import"),
                          {"file": upload, "collection": collection.pk}, follow=True)  # fmt: skip
    page = response.content.decode()
    interview = Interview.objects.get()
    assert response.redirect_chain[-1][0] == reverse("oral_history:desk-interview",
                                                     args=[interview.pk])  # fmt: skip
    assert 'id="import-repairs"' in page
    for fragment in ("Line 6: the cue ended as it started", "Line 9: the cue had no end time"):
        assert fragment in page
    assert "2 faults in the file were mended" in page
    # A file with nothing to mend shows no such section.
    clean = SimpleUploadedFile("clean.xml", ohms_xml(accession="OH2", vtt=CLEAN_VTT))
    response = staff.post(reverse("oral_history:import"),
                          {"file": clean, "collection": collection.pk}, follow=True)  # fmt: skip
    assert 'id="import-repairs"' not in response.content.decode()


CLEAN_VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>fine\n"


# --- Faults without one meaning are refused; nothing is stored ----------------------------------

HOSTILE = {
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ROOT><record id="1" dt="2020-01-01"><version>5.4</version><title>&x;</title></record></ROOT>""",
    "entity expansion": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<ROOT><record id="1" dt="2020-01-01"><version>5.4</version><title>&c;</title></record></ROOT>""",
    "dtd after mended whitespace": b"""
<?xml version="1.0"?>
<!DOCTYPE ROOT [<!ELEMENT ROOT ANY>]>
<ROOT><record id="1" dt="2020-01-01"><version>5.4</version><title>t</title></record></ROOT>""",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_xml_is_refused_and_nothing_is_stored(case):
    with pytest.raises(ohms.OHMSError) as error:
        _import(HOSTILE[case])
    assert error.value.code == "dtd"
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<ROOT><record>", "not_xml"),
        (b"<html><body>hi</body></html>", "not_ohms"),
        (b'<ROOT><record id="1"><version>5.4</version></record></ROOT>', "no_title"),
        (ohms_xml(points=point("abc", "t")), "bad_time"),
        (ohms_xml(points=point("1", "t", links=[("javascript:alert(1)", "x")])), "bad_link"),
        (ohms_xml(points=point("1", "t", gps="91, 10")), "bad_gps"),
        (ohms_xml(transcript="a b", sync="x:|1(1)"), "bad_sync"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_with_a_reason_and_nothing_is_stored(data, code):
    with pytest.raises(ohms.OHMSError) as error:
        _import(data)
    assert error.value.code == code
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("vtt", "code"),
    [
        pytest.param("WEBVTT\n\n00:00:xx.000 --> 00:00:30.000\na\n", "bad_timing",
                     id="timestamp-not-a-time"),
        pytest.param("WEBVTT\n\n00:61:00.000 --> 01:02:00.000\na\n", "bad_timing",
                     id="minute-61"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> later\na\n", "bad_timing",
                     id="end-not-a-time"),
        pytest.param("WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nx\n", "ends_before_start",
                     id="ends-before-it-starts"),
        pytest.param("WEBVTT\n\n00:10:00.000 --> 00:10:05.000\na\n\n00:01:00.000 --> "
                     "00:01:05.000\nb\n", "out_of_order", id="far-out-of-order"),
        pytest.param("WEBVTT\n\n01:00:00.000 --> 01:00:05.000\na\n\n00:00:54.000 --> "
                     "00:00:59.000\nb\n", "out_of_order", id="hour-dropped"),
        pytest.param("Interviewer: Where were you born?\nNarrator: In Shenyang.\n", "no_header",
                     id="plain-text-not-webvtt"),
        pytest.param("1\n00:00:01,000 --> 00:00:02,000\nsubrip\n", "no_header", id="srt"),
        pytest.param("WEBVTT\n\nNOTE nothing but a note\n", "no_cues", id="no-cues"),
    ],
)  # fmt: skip
def test_transcripts_without_one_meaning_are_refused_and_nothing_is_stored(vtt, code):
    with pytest.raises(ohms.OHMSError) as error:
        _import(ohms_xml(vtt=vtt))
    assert error.value.code == code
    assert not Interview.objects.exists()


def test_refusals_name_the_reason():
    data = ohms_xml(vtt="WEBVTT\n\n00:01.000 --> 00:00.500\nx\n")
    with pytest.raises(ValidationError, match="Line 3: the cue ends before it starts"):
        _import(data)


def test_plain_transcript_is_cut_at_the_sync_minute_marks():
    vtt = ohms._sync_to_vtt("A: one two three\nB: four five\nA: six seven eight", "1:|2(1)|3(1)", 0)
    cues = services.parse_transcript(vtt)
    assert [(c.start, c.text) for c in cues] == [
        (0, "A: one two three"),
        (60, "B: four five"),
        (120, "A: six seven eight"),
    ]


# --- Conformance: the shared real-world samples (skipped where ../shared is absent) -------------


def _shared(name: str) -> ohms.ImportResult:
    return _import(shared_fixture("ohms", name).read_bytes())


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_fixture("ohms", "ohms.xsd"))))


def test_shared_record_with_index_points_and_hyperlinks():
    interview = _shared("index_hyperlinks_example.xml").interview
    assert interview.accession_number == "OH0037"
    points = list(interview.segments.order_by("start"))
    assert [p.start for p in points] == [1, 3473]
    assert "Teflon" in points[1].keywords
    assert len(points[1].hyperlinks) == 3


def test_shared_webvtt_sample_imports_with_its_open_end_mended():
    result = _shared("small-sample-vtt-ohms.xml")
    assert _codes(result) == ["open_end"]
    cues = _cues(result.interview)
    assert cues[0][0] == 3603.0 and cues[-1][1] > cues[-1][0]


@pytest.mark.parametrize("name", ["empty_ohms.xml", "various_gaps.xml"])
def test_other_shared_samples_import_without_warnings(name):
    assert _shared(name).warnings == ()


def test_export_validates_against_the_ohms_schema():
    interview = InterviewFactory(title="纺织厂的往事", keywords=["纺织厂", "劳动模范"])
    with_content(interview, recording=False)
    services.add_redaction(interview=interview, start=24, end=32, reason="隐私", user=archivist())
    schema = _schema()
    for public in (False, True):
        document = etree.fromstring(ohms.export_record(interview, public=public))
        assert schema.validate(document), schema.error_log


def test_the_desk_lists_a_long_run_of_repairs_only_in_part(monkeypatch):
    monkeypatch.setattr(ohms, "AUDITED_WARNINGS", 1)
    staff = Client()
    staff.force_login(english_archivist())
    vtt = ZERO_LENGTH.replace("00:00:31.000 --> 00:00:40.000", "00:00:31.000 -->")
    upload = SimpleUploadedFile("export.xml", ohms_xml(vtt=vtt))
    response = staff.post(reverse("oral_history:import"),
                          {"file": upload, "collection": CollectionFactory().pk},
                          follow=True)  # fmt: skip
    page = response.content.decode()
    assert "Line 6: the cue ended as it started" in page
    assert "Line 9: the cue had no end time" not in page
    assert "1 more repair is not listed here." in page
    entry = AuditEntry.objects.get(action="ohms_imported")
    assert entry.detail["repairs"] == 2 and len(entry.detail["warnings"]) == 1
