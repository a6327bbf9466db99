"""Reads for the archive, and the one place that decides who may see what.

Every path that shows archive content (pages, media and transcript URLs, search, OAI-PMH, IIIF,
the JSON API, the sitemap) asks these functions, so a restriction cannot be forgotten on one
of them:

* an interview's **record** (metadata) is visible when it is published, not withdrawn and not
  restricted;
* a **part** (a recording, the transcript, an index segment) is available when the record is
  visible and both the interview's level and the part's own level allow it: open; on request
  with a grant that has not expired; embargo once the date has passed; restricted never.

Staff with ``oral_history.view_restricted_interview`` see everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import User
from core import textsearch
from media.selectors import access_copy

from .models import (
    AccessLevel,
    AccessRequest,
    Cue,
    IndexSegment,
    Interview,
    InterviewMedia,
    Narrator,
    Passage,
    Redaction,
    Transcript,
)

Viewer = User | AnonymousUser


def is_archive_staff(user: Viewer) -> bool:
    return bool(user.is_authenticated and user.has_perm("oral_history.view_restricted_interview"))


def granted_interview_ids(user: Viewer) -> set[int]:
    """Interviews this reader holds an unexpired grant for."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_oh_grants", None)
    if cached is None:
        cached = set(
            AccessRequest.objects.filter(
                reader=user,
                status=AccessRequest.Status.GRANTED,
                granted_until__gt=timezone.now(),
            ).values_list("interview_id", flat=True)
        )
        user._oh_grants = cached
    return cached


def _today() -> dt.date:
    return timezone.localdate()


def level_allows(level: str, embargo_until: dt.date | None, *, granted: bool) -> bool:
    if level == AccessLevel.OPEN:
        return True
    if level == AccessLevel.REQUEST:
        return granted
    if level == AccessLevel.EMBARGO:
        return embargo_until is not None and embargo_until <= _today()
    return False


def _level_q(level: str, embargo_until: str, granted: set[int]) -> Q:
    """The database form of ``level_allows`` for the given level and embargo fields
    (of a passage, whose interview is ``interview_id``)."""
    return (
        Q(**{level: AccessLevel.OPEN})
        | Q(**{level: AccessLevel.REQUEST, "interview_id__in": granted})
        | Q(**{level: AccessLevel.EMBARGO, f"{embargo_until}__lte": _today()})
    )


def _visible_q(prefix: str = "") -> Q:
    """The database form of ``record_visible`` for non-staff."""
    return Q(**{f"{prefix}published": True, f"{prefix}withdrawn_at__isnull": True}) & ~Q(
        **{f"{prefix}access_level": AccessLevel.RESTRICTED}
    )


def record_visible(user: Viewer, interview: Interview) -> bool:
    if is_archive_staff(user):
        return True
    return (
        interview.published
        and interview.withdrawn_at is None
        and interview.access_level != AccessLevel.RESTRICTED
    )


def part_available(user: Viewer, interview: Interview, part: Any = None) -> bool:
    """May ``user`` play, read or download ``part`` (a recording, the transcript, a segment)?"""
    if is_archive_staff(user):
        return True
    if not record_visible(user, interview):
        return False
    granted = interview.pk in granted_interview_ids(user)
    if not level_allows(interview.access_level, interview.embargo_until, granted=granted):
        return False
    return part is None or level_allows(part.access_level, part.embargo_until, granted=granted)


def visible_interviews(user: Viewer) -> QuerySet[Interview]:
    interviews = Interview.objects.all()
    if is_archive_staff(user):
        return interviews
    return interviews.filter(_visible_q())


def playable_by_anyone(queryset: QuerySet[Interview]) -> QuerySet[Interview]:
    """Of ``queryset``, the interviews whose recordings every visitor may hear today (open,
    or with their embargo over): what the home page can feature without a locked door."""
    return queryset.filter(
        Q(access_level=AccessLevel.OPEN)
        | Q(access_level=AccessLevel.EMBARGO, embargo_until__lte=_today())
    )


def listing(queryset: QuerySet[Interview]) -> QuerySet[Interview]:
    """What a list of interviews shows, in a fixed number of queries however long the list."""
    return queryset.select_related("collection", "series").prefetch_related(
        "narrators", "places", "subjects"
    )


def interview_for(user: Viewer, pk: int) -> Interview | None:
    """The interview if ``user`` may see its record; None answers 404 whether it exists or not."""
    interview = listing(Interview.objects.filter(pk=pk)).first()
    if interview is None or not record_visible(user, interview):
        return None
    return interview


def redactions_of(interview) -> list[tuple[float, float]]:
    """Redacted ranges of an interview (or interview id)."""
    return list(Redaction.objects.filter(interview=interview).values_list("start", "end"))


def starts_redacted(seconds: float, ranges: list[tuple[float, float]]) -> bool:
    """Does a segment starting at ``seconds`` start inside a redacted range? Its partial
    transcript is then withheld from the public."""
    return any(start <= seconds < end for start, end in ranges)


def _overlaps(start: float, end: float, ranges: list[tuple[float, float]]) -> bool:
    return any(start < r_end and end > r_start for r_start, r_end in ranges)


@dataclass(frozen=True)
class ShownCue:
    start: float
    end: float
    speaker: str
    text: str
    redacted: bool = False


def transcript_cues(
    transcript: Transcript, *, public: bool, redactions: list[tuple[float, float]] | None = None
) -> list[ShownCue]:
    """The cues to show. The public version replaces every cue touching a redacted range."""
    ranges: list[tuple[float, float]] = []
    if public:
        ranges = redactions if redactions is not None else redactions_of(transcript.interview_id)
    shown = []
    for cue in Cue.objects.filter(transcript=transcript).only("start", "end", "speaker", "text"):
        if public and _overlaps(cue.start, cue.end, ranges):
            shown.append(ShownCue(cue.start, cue.end, "", "", redacted=True))
        else:
            shown.append(ShownCue(cue.start, cue.end, cue.speaker, cue.text))
    return shown


def shown_segments(user: Viewer, interview: Interview) -> list[IndexSegment]:
    """Index segments ``user`` may see; for the public, partial transcripts that start inside a
    redacted range are blanked."""
    segments = list(IndexSegment.objects.filter(interview=interview))
    if is_archive_staff(user):
        return segments
    ranges = redactions_of(interview)
    shown = []
    for segment in segments:
        if not part_available(user, interview, segment):
            continue
        if starts_redacted(segment.start, ranges):
            segment.partial_transcript = ""
        shown.append(segment)
    return shown


def playable_media(user: Viewer, interview: Interview) -> list[InterviewMedia]:
    return [
        item
        for item in InterviewMedia.objects.filter(interview=interview).select_related("asset")
        if part_available(user, interview, item)
    ]


def access_file(item: InterviewMedia, *, staff: bool):
    """The stored file to play: the redacted copy when there are redactions (the master's
    access copy otherwise); for staff the unredacted access copy. None while a copy is made."""
    if item.redacted_for and not staff:
        if item.redacted_copy_status != InterviewMedia.CopyStatus.READY:
            return None
        return item.redacted_copy
    copy = access_copy(asset_id=item.asset_id)
    return copy.file if copy else None


def pending_requests() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(status=AccessRequest.Status.PENDING).select_related(
        "interview", "reader"
    )


def narrators_with_visible(user: Viewer) -> QuerySet[Narrator]:
    visible = visible_interviews(user)
    return (
        Narrator.objects.filter(interviews__in=visible)
        .annotate(n=Count("interviews", distinct=True))
        .order_by("name")
    )


def interviews_by_year(user: Viewer) -> dict[int, list[Interview]]:
    """Decades of the years discussed → interviews covering any year of that decade."""
    decades: dict[int, list[Interview]] = {}
    for interview in visible_interviews(user).exclude(year_from__isnull=True).order_by("year_from"):
        last = interview.year_to or interview.year_from
        for decade in range(interview.year_from // 10 * 10, last // 10 * 10 + 1, 10):
            decades.setdefault(decade, []).append(interview)
    return dict(sorted(decades.items()))


def map_points(user: Viewer) -> list[dict]:
    """Interview places and the GPS points of index segments the user may see."""
    points = []
    for interview in listing(visible_interviews(user)):
        for place in interview.places.all():
            points.append(
                {
                    "lat": float(place.latitude),
                    "lng": float(place.longitude),
                    "label": place.name,
                    "title": interview.title,
                    "interview": interview.pk,
                    "t": None,
                }
            )
    staff = is_archive_staff(user)
    segments = IndexSegment.objects.filter(interview__in=visible_interviews(user)).exclude(
        gps_points=[]
    )
    for segment in segments.select_related("interview"):
        if not staff and not part_available(user, segment.interview, segment):
            continue
        for point in segment.gps_points:
            points.append(
                {
                    "lat": point["lat"],
                    "lng": point["lng"],
                    "label": point.get("text") or segment.title,
                    "title": segment.interview.title,
                    "interview": segment.interview_id,
                    "t": segment.start,
                }
            )
    return points


@dataclass
class MapPlace:
    """One place on the map with every interview moment recorded there, so the map shows one
    named marker per place (not a stack of markers on the same spot) and the list beside it
    reads the same."""

    name: str
    lat: float
    lng: float
    entries: list[dict]  # {"interview", "title", "t"} in listing order


def map_places(user: Viewer) -> list[MapPlace]:
    """``map_points`` grouped by place name and position, in name order."""
    places: dict[tuple[str, float, float], MapPlace] = {}
    for point in map_points(user):
        lat, lng = round(float(point["lat"]), 5), round(float(point["lng"]), 5)
        key = (point["label"], lat, lng)
        if key not in places:
            places[key] = MapPlace(name=point["label"], lat=lat, lng=lng, entries=[])
        places[key].entries.append(
            {"interview": point["interview"], "title": point["title"], "t": point["t"]}
        )
    return sorted(places.values(), key=lambda place: (place.name, place.lat, place.lng))


@dataclass
class Hit:
    interview: Interview
    score: float
    snippets: list[tuple[str, float | None, SafeString]]  # (kind, seconds, html)


def _passage_filter(user: Viewer) -> Q:
    """Passages the user may find: visible record; for index and transcript passages also the
    interview's and the part's level."""
    if is_archive_staff(user):
        return Q()
    granted = granted_interview_ids(user)
    parts = _level_q("interview__access_level", "interview__embargo_until", granted) & _level_q(
        "part_level", "part_embargo_until", granted
    )
    return _visible_q("interview__") & (Q(kind=Passage.Kind.RECORD) | parts)


def search(user: Viewer, query: str, *, limit: int = 20, offset: int = 0) -> list[Hit]:
    """Interviews matching ``query``, best first, each with up to three highlighted snippets
    that carry the time to start playback at."""
    tsquery = textsearch.search_query(query)
    if tsquery is None:
        return []
    from django.contrib.postgres.search import SearchRank

    passages = Passage.objects.filter(_passage_filter(user)).filter(search=tsquery)
    # F(): a bare field name would make Django rebuild the vector from text, unsegmented.
    ranked = (
        passages.values("interview_id")
        .annotate(
            score=Sum(SearchRank(F("search"), tsquery, cover_density=True)),
        )
        .order_by("-score", "interview_id")[offset : offset + limit]
    )
    rows = list(ranked)
    if not rows:
        return []
    ids = [row["interview_id"] for row in rows]
    interviews = {i.pk: i for i in listing(Interview.objects.filter(pk__in=ids))}
    best = (
        passages.filter(interview_id__in=ids)
        .annotate(rank=SearchRank(F("search"), tsquery, cover_density=True))
        .order_by("interview_id", "-rank")
        .only("interview_id", "kind", "start", "cues", "text")
    )
    snippets: dict[int, list] = {}
    for passage in best:
        found = snippets.setdefault(passage.interview_id, [])
        if len(found) < 3:
            found.append(_snippet(passage, query))
    return [
        Hit(interviews[row["interview_id"]], row["score"], snippets.get(row["interview_id"], []))
        for row in rows
    ]


def _snippet(passage: Passage, query: str) -> tuple[str, float | None, SafeString]:
    if passage.kind == Passage.Kind.TRANSCRIPT:
        for start, text in passage.cues:
            if textsearch.matches(text, query):
                return passage.kind, start, textsearch.highlight(text, query)
    return passage.kind, passage.start, textsearch.highlight(passage.text, query)


def interviews_for_harvest() -> QuerySet[Interview]:
    """OAI-PMH: every published, non-restricted record, withdrawn ones as deleted records."""
    return (
        Interview.objects.filter(published=True)
        .exclude(access_level=AccessLevel.RESTRICTED)
        .select_related("collection")
        .prefetch_related("narrators", "subjects", "places")
        .order_by("updated_at", "pk")
    )
