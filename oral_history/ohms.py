"""OHMS XML (Oral History Metadata Synchronizer, schema 5.4) import and export.

Import reads the record metadata, the index points and the transcript: the WebVTT transcript
when there is one, otherwise the plain transcript cut at the minute marks of ``<sync>``.
XML is parsed with defusedxml: a DTD, entity declarations or external references are refused
before anything is read, and an import writes everything or nothing.

Real exports carry small faults (a zero-length or open last cue, overlapping cues, stray blank
lines). Where a fault has one obvious meaning the import mends it with ``webvtt.repair`` and
names every mend in ``ImportResult.warnings`` so the archivist can check it; where it has not
(a timing that is not a time, cues far out of order, no WebVTT at all) the file is refused.
The desk's own transcript editor stays strict.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from media import webvtt

from . import selectors, services
from .models import Collection, IndexSegment, Interview, Narrator, Subject

NS = "https://www.weareavp.com/nunncenter/ohms"
MAX_BYTES = 8 * 1024 * 1024
# The audit trail keeps this many repair messages of one import (and the count of all of them).
AUDITED_WARNINGS = 500


class OHMSError(ValidationError):
    pass


@dataclass(frozen=True)
class ImportWarning:
    """A fault in the file that the import mended: ``code`` for programs, ``message`` for
    the archivist (it names the line of the WebVTT transcript where there is one)."""

    code: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    interview: Interview
    created: bool
    warnings: tuple[ImportWarning, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else ""


@dataclass
class Point:
    start: float
    title: str
    synopsis: str = ""
    partial_transcript: str = ""
    keywords: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    gps_points: list[dict] = field(default_factory=list)
    hyperlinks: list[dict] = field(default_factory=list)


@dataclass
class Record:
    record_id: str
    title: str
    accession: str
    date: dt.date | None
    duration: int
    interviewees: list[str]
    interviewers: list[str]
    subjects: list[str]
    keywords: list[str]
    language: str
    description: str
    rights: str
    points: list[Point]
    vtt: str
    warnings: tuple[ImportWarning, ...] = ()


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;；]", value) if part.strip()]


def _duration(value: str) -> int:
    match = re.fullmatch(r"(\d+):([0-5]?\d):([0-5]?\d)", value.strip())
    if not match:
        return 0
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _gps(group) -> dict | None:
    raw = _text(group, "gps")
    if not raw:
        return None
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", raw)
    if not match:
        raise OHMSError(
            _("A GPS point is not “latitude, longitude”: %(value)s") % {"value": raw},
            code="bad_gps",
        )
    lat, lng = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise OHMSError(
            _("A GPS point is out of range: %(value)s") % {"value": raw}, code="bad_gps"
        )
    zoom = _text(group, "gps_zoom")
    return {"lat": lat, "lng": lng, "zoom": int(zoom) if zoom.isdigit() else None,
            "text": _text(group, "gps_text")}  # fmt: skip


def _point(element) -> Point:
    time = _text(element, "time")
    if not time.isdigit():
        raise OHMSError(
            _("An index point has no valid time: %(value)s") % {"value": time}, code="bad_time"
        )
    links = []
    for group in _children(element, "hyperlinks"):
        url = _text(group, "hyperlink")
        if url:
            if not re.match(r"^https?://", url):
                raise OHMSError(
                    _("A hyperlink is not an http(s) address: %(url)s") % {"url": url},
                    code="bad_link",
                )
            links.append({"url": url, "text": _text(group, "hyperlink_text") or url})
    gps = [point for group in _children(element, "gpspoints") if (point := _gps(group))]
    return Point(
        start=float(time),
        title=_text(element, "title") or _("Untitled segment"),
        synopsis=_text(element, "synopsis"),
        partial_transcript=_text(element, "partial_transcript"),
        keywords=_split(_text(element, "keywords")),
        subjects=_split(_text(element, "subjects")),
        gps_points=gps,
        hyperlinks=links,
    )


def _sync_to_vtt(transcript: str, sync: str, duration: int) -> str:
    """Cut a plain transcript at the ``<sync>`` minute marks: ``interval:|line(word)|…``."""
    lines = transcript.replace("\r\n", "\n").split("\n")
    header, _sep, marks = sync.partition(":")
    try:
        interval = int(header) * 60
        positions = [
            (int(m.group(1)), int(m.group(2))) for m in re.finditer(r"(\d+)\((\d+)\)", marks)
        ]
    except ValueError as error:
        raise OHMSError(_("The <sync> element is not valid."), code="bad_sync") from error
    if interval <= 0:
        raise OHMSError(_("The <sync> element is not valid."), code="bad_sync")
    words: list[tuple[int, str]] = []  # (line number, word), 1-based lines
    for number, line in enumerate(lines, start=1):
        words.extend((number, word) for word in line.split())
    cut_at = [0]
    for line, word in positions:
        index = next((i for i, (n, _w) in enumerate(words) if n == line), None)
        if index is not None:
            cut_at.append(min(len(words), index + max(0, word - 1)))
    cut_at.append(len(words))
    cues = ["WEBVTT", ""]
    for n in range(len(cut_at) - 1):
        chunk = " ".join(w for _l, w in words[cut_at[n] : cut_at[n + 1]]).strip()
        if not chunk:
            continue
        start = n * interval
        end = (n + 1) * interval if n + 1 < len(cut_at) - 1 else max(duration, start + interval)
        cues += [f"{webvtt.timestamp(start)} --> {webvtt.timestamp(end)}", chunk, ""]
    return "\n".join(cues)


_XML_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?[ \t\r\n]+(?=<\?xml[ \t\r\n])")


def _webvtt(raw: str) -> tuple[str, list[ImportWarning]]:
    """The ``<vtt_transcript>`` mended into strict WebVTT, and what was mended."""
    try:
        repaired = webvtt.repair(raw)
    except webvtt.WebVTTError as error:
        raise OHMSError(
            _("The WebVTT transcript is not valid: %(error)s") % {"error": error}, code=error.code
        ) from error
    warnings = [
        ImportWarning(fix.code, _("WebVTT transcript: %(repair)s") % {"repair": fix.message})
        for fix in repaired.repairs
    ]
    return repaired.text, warnings


def parse(data: bytes) -> Record:
    if len(data) > MAX_BYTES:
        raise OHMSError(_("The OHMS file is larger than 8 MB."), code="too_large")
    warnings: list[ImportWarning] = []
    if stray := _XML_DECLARATION.match(data):
        # The XML declaration must come first; exports sometimes start with a blank line.
        data = data[stray.end() :]
        warnings.append(
            ImportWarning("xml_leading_whitespace",
                          _("Blank space before the XML declaration was removed."))
        )  # fmt: skip
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise OHMSError(
            _("The file declares a DTD or entities, which are not allowed."), code="dtd"
        ) from error
    except ET.ParseError as error:
        raise OHMSError(
            _("The file is not well-formed XML: %(error)s") % {"error": error}, code="not_xml"
        ) from error
    records = _children(root, "record") if _local(root.tag) == "ROOT" else []
    if not records:
        raise OHMSError(_("This is not an OHMS file: no <ROOT><record>."), code="not_ohms")
    record = records[0]
    title = _text(record, "title")
    if not title:
        raise OHMSError(_("The OHMS record has no title."), code="no_title")
    date_value = next((d.get("value", "") for d in _children(record, "date")), "")
    try:
        date = dt.date.fromisoformat(date_value) if date_value else None
    except ValueError:
        date = None
    duration = _duration(_text(record, "duration"))
    raw_vtt = next((e.text or "" for e in _children(record, "vtt_transcript")), "")
    vtt = ""
    if raw_vtt.strip():
        vtt, mended = _webvtt(raw_vtt)
        warnings += mended
    transcript, sync = _text(record, "transcript"), _text(record, "sync")
    if not vtt and transcript and sync:
        vtt = _sync_to_vtt(transcript, sync, duration)
    index = _children(record, "index")
    points = [_point(p) for p in _children(index[0], "point")] if index else []

    def many(name: str) -> list[str]:
        return [t for e in _children(record, name) if (t := (e.text or "").strip())]

    return Record(
        record_id=record.get("id", ""),
        title=title[:300],
        accession=_text(record, "accession") or f"OHMS-{record.get('id', '0')}",
        date=date,
        duration=duration,
        interviewees=many("interviewee"),
        interviewers=many("interviewer"),
        subjects=many("subject"),
        keywords=many("keyword"),
        language=_text(record, "language")[:80],
        description=_text(record, "description"),
        rights=_text(record, "rights"),
        points=points,
        vtt=vtt,
        warnings=tuple(warnings),
    )


def import_record(*, data: bytes, collection: Collection, user: User | None) -> ImportResult:
    """Create or update (by accession number) an interview from an OHMS file; all or nothing.
    The result lists every fault that was mended on the way in."""
    record = parse(data)
    if record.vtt:
        services.parse_transcript(record.vtt)  # refuse a bad transcript before writing anything
    with transaction.atomic():
        interview, created = Interview.objects.select_for_update().get_or_create(
            accession_number=record.accession[:40],
            defaults={"title": record.title, "collection": collection},
        )
        interview.title = record.title
        interview.interview_date = record.date or interview.interview_date
        interview.duration_seconds = record.duration or interview.duration_seconds
        interview.language = record.language or interview.language
        interview.summary = record.description or interview.summary
        interview.rights_statement = record.rights or interview.rights_statement
        interview.keywords = record.keywords or interview.keywords
        interview.interviewers = record.interviewers or interview.interviewers
        interview.save()
        for name in record.interviewees:
            narrator = Narrator.objects.filter(name=name).first() or Narrator.objects.create(
                name=name
            )
            interview.narrators.add(narrator)
        for name in record.subjects:
            subject = Subject.objects.filter(name=name).first() or Subject.objects.create(
                name=name[:120], slug=slugify(name, allow_unicode=True)[:50] or f"s-{name}"
            )
            interview.subjects.add(subject)
        interview.segments.all().delete()
        IndexSegment.objects.bulk_create(
            IndexSegment(interview=interview, start=p.start, title=p.title[:300],
                         synopsis=p.synopsis, partial_transcript=p.partial_transcript,
                         keywords=[k[:200] for k in p.keywords],
                         subjects=[s[:200] for s in p.subjects],
                         gps_points=p.gps_points, hyperlinks=p.hyperlinks)
            for p in record.points
        )  # fmt: skip
        listed = [warning.message for warning in record.warnings[:AUDITED_WARNINGS]]
        services.audit(interview=interview, actor=user, action="ohms_imported",
                       created=created, points=len(record.points),
                       repairs=len(record.warnings), warnings=listed)  # fmt: skip
        if record.vtt:
            services.save_transcript(interview=interview, vtt=record.vtt, user=user)
        else:
            services.reindex(interview=interview)
    return ImportResult(interview, created, record.warnings)


def _add(parent, name: str, text: str = "", **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{name}", attrs)
    element.text = text
    return element


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _plain_and_sync(cues: list[selectors.ShownCue]) -> tuple[str, str]:
    """The transcript as lines ("SPEAKER: text") and the minute marks into it."""
    lines, marks, minute = [], [], 1
    for cue in cues:
        text = _("[redacted]") if cue.redacted else cue.text.replace("\n", " ")
        line = f"{cue.speaker}: {text}" if cue.speaker else text
        while cue.start >= minute * 60:
            marks.append(f"{len(lines) + 1}(1)")
            minute += 1
        lines.append(line)
    return "\n".join(lines), "1:|" + "|".join(marks)


def export_record(interview: Interview, *, public: bool) -> bytes:
    """OHMS 5.4 XML for the interview; ``public`` gives the redacted transcript."""
    root = ET.Element(f"{{{NS}}}ROOT")
    record = _add(root, "record", id=str(interview.pk),
                  dt=timezone.localdate().isoformat())  # fmt: skip
    _add(record, "version", "5.4")
    _add(record, "date", value=interview.interview_date.isoformat() if interview.interview_date
         else "", format="yyyy-mm-dd")  # fmt: skip
    _add(record, "title", interview.title)
    _add(record, "accession", interview.accession_number)
    _add(record, "duration", _hms(interview.duration_seconds))
    _add(record, "collection_id", interview.collection.slug)
    _add(record, "collection_name", interview.collection.name)
    _add(record, "series_id", interview.series.slug if interview.series else "")
    _add(record, "series_name", interview.series.name if interview.series else "")
    _add(record, "repository", _("Liaoning Provincial Library"))
    for subject in interview.subjects.all():
        _add(record, "subject", subject.name)
    for keyword in interview.keywords:
        _add(record, "keyword", keyword)
    for narrator in interview.narrators.all():
        _add(record, "interviewee", narrator.public_name if public else narrator.name)
    for name in interview.interviewers:
        _add(record, "interviewer", name)
    transcript = getattr(interview, "transcript", None)
    cues = selectors.transcript_cues(transcript, public=public) if transcript else []
    plain, sync = _plain_and_sync(cues)
    _add(record, "sync", sync if cues else "")
    item = interview.media.select_related("asset").first()
    clip = item.asset.kind if item and item.asset.kind in ("audio", "video") else "audio"
    mediafile = _add(record, "mediafile")
    _add(mediafile, "host", "Other")
    _add(mediafile, "clip_format", clip)
    _add(record, "language", interview.language)
    index = _add(record, "index")
    segments = list(interview.segments.all())
    if public:
        redactions = selectors.redactions_of(interview)
        segments = [s for s in segments if s.access_level == "open"]
        for segment in segments:
            if selectors.starts_redacted(segment.start, redactions):
                segment.partial_transcript = ""
    for segment in segments:
        point = _add(index, "point")
        _add(point, "time", str(int(segment.start)))
        _add(point, "title", segment.title)
        _add(point, "partial_transcript", segment.partial_transcript)
        _add(point, "synopsis", segment.synopsis)
        _add(point, "keywords", ";".join(segment.keywords))
        _add(point, "subjects", ";".join(segment.subjects))
        for gps in segment.gps_points:
            group = _add(point, "gpspoints")
            _add(group, "gps", f"{gps['lat']}, {gps['lng']}")
            _add(group, "gps_zoom", str(gps.get("zoom") or ""))
            _add(group, "gps_text", gps.get("text", ""))
        for link in segment.hyperlinks:
            group = _add(point, "hyperlinks")
            _add(group, "hyperlink", link["url"])
            _add(group, "hyperlink_text", link.get("text", ""))
    _add(record, "type", _("Oral history"))
    _add(record, "description", interview.summary)
    _add(record, "transcript", plain)
    if cues:
        _add(record, "vtt_transcript", services.render_vtt(cues))
    _add(record, "rights", interview.rights_statement)
    _add(record, "fmt", clip)
    _add(record, "userestrict", "0" if interview.access_level == "open" else "1")
    # Registered just before serialising: ElementTree's prefix map is shared by the whole process,
    # and the OAI-PMH provider registers its own default namespace.
    ET.register_namespace("", NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
