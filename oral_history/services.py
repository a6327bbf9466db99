"""Writes for the archive: transcripts, the search index, access decisions, withdrawals.

Every change to who may see what is recorded in ``AuditEntry`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from accounts.models import User
from core import textsearch
from core.insight import services as insight
from core.tasks import enqueue
from media import webvtt

from . import selectors
from .models import (
    AccessLevel,
    AccessRequest,
    AuditEntry,
    Consent,
    Cue,
    IndexSegment,
    Interview,
    InterviewMedia,
    Passage,
    Redaction,
    TakedownRequest,
    Transcript,
)

# A transcript passage gathers cues until it spans about this many seconds.
PASSAGE_SECONDS = 60
MAX_TRANSCRIPT_BYTES = 4 * 1024 * 1024
_VOICE = re.compile(r"^\s*<v(?:\.[\w.-]+)?\s+([^>]+)>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class TranscriptError(ValidationError):
    pass


def audit(*, interview: Interview, actor: User | None, action: str, **detail) -> None:
    AuditEntry.objects.create(interview=interview, actor=actor, action=action, detail=detail)


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


# --- Transcripts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedCue:
    start: float
    end: float
    speaker: str
    text: str


def parse_transcript(data: bytes | str) -> list[ParsedCue]:
    """Check a WebVTT transcript and split each cue into speaker (voice tag) and plain text."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(_("The transcript is larger than 4 MB."))
    try:
        cues = webvtt.parse(raw, max_bytes=MAX_TRANSCRIPT_BYTES)
    except webvtt.WebVTTError as error:
        raise TranscriptError(str(error)) from error
    parsed = []
    for cue in cues:
        voice = _VOICE.match(cue.text)
        speaker = voice.group(1).strip() if voice else ""
        body = cue.text[voice.end() :] if voice else cue.text
        body = strip_tags(_BREAK.sub("\n", body)).replace("&amp;", "&").strip()
        parsed.append(ParsedCue(cue.start, cue.end, speaker[:120], body))
    return parsed


def save_transcript(
    *,
    interview: Interview,
    vtt: bytes | str,
    user: User | None,
    access_level: str | None = None,
    embargo_until: dt.date | None = None,
) -> Transcript:
    """Replace the interview's transcript; nothing changes if the file is refused."""
    cues = parse_transcript(vtt)
    text = vtt.decode("utf-8-sig") if isinstance(vtt, bytes) else vtt
    with transaction.atomic():
        transcript, _created = Transcript.objects.select_for_update().get_or_create(
            interview=interview, defaults={"vtt": text, "updated_by": user}
        )
        transcript.vtt = text
        transcript.updated_by = user
        if access_level is not None:
            transcript.access_level = access_level
            transcript.embargo_until = embargo_until
        transcript.save()
        transcript.cues.all().delete()
        Cue.objects.bulk_create(
            Cue(transcript=transcript, position=n, start=c.start, end=c.end, speaker=c.speaker,
                text=c.text)
            for n, c in enumerate(cues)
        )  # fmt: skip
        audit(interview=interview, actor=user, action="transcript_saved", cues=len(cues))
        reindex(interview=interview)
    return transcript


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "→")


def render_vtt(cues: list[selectors.ShownCue]) -> str:
    """WebVTT for the given cues (the public version has redacted cues as a marker)."""
    lines = ["WEBVTT", ""]
    for cue in cues:
        lines.append(f"{webvtt.timestamp(cue.start)} --> {webvtt.timestamp(cue.end)}")
        if cue.redacted:
            lines.append(_vtt_escape(_("[redacted]")))
        elif cue.speaker:
            lines.append(f"<v {_vtt_escape(cue.speaker)}>{_vtt_escape(cue.text)}")
        else:
            lines.append(_vtt_escape(cue.text))
        lines.append("")
    return "\n".join(lines)


# --- Search index -----------------------------------------------------------------------------


def chunk_cues(cues: list[selectors.ShownCue]) -> list[list[selectors.ShownCue]]:
    """Consecutive shown cues grouped into stretches of about PASSAGE_SECONDS each (redacted
    cues left out): the transcript passages search finds and quotes."""
    chunks: list[list[selectors.ShownCue]] = []
    for cue in cues:
        if cue.redacted:
            continue
        if chunks and cue.end - chunks[-1][0].start <= PASSAGE_SECONDS:
            chunks[-1].append(cue)
        else:
            chunks.append([cue])
    return chunks


def index_passages(interview: Interview) -> list[Passage]:
    """The passages that make the interview findable (public transcript only)."""
    people = " ".join(n.public_name for n in interview.narrators.all())
    places = " ".join(p.name for p in interview.places.all())
    subjects = " ".join(s.name for s in interview.subjects.all())
    extra = " ".join([*interview.keywords, people, places, subjects, interview.language])
    passages = [
        Passage(
            interview=interview,
            kind=Passage.Kind.RECORD,
            part_level=AccessLevel.OPEN,
            text=interview.summary or interview.title,
            search=textsearch.weighted_vector(
                (interview.title, "A"), (extra, "B"), (interview.summary, "B")
            ),
        )
    ]
    redactions = selectors.redactions_of(interview)
    for segment in IndexSegment.objects.filter(interview=interview):
        partial = segment.partial_transcript
        if selectors.starts_redacted(segment.start, redactions):
            partial = ""
        keywords = " ".join([*segment.keywords, *segment.subjects])
        passages.append(
            Passage(
                interview=interview,
                kind=Passage.Kind.SEGMENT,
                part_level=segment.access_level,
                part_embargo_until=segment.embargo_until,
                start=segment.start,
                text=" ".join(t for t in (segment.title, segment.synopsis, partial) if t),
                search=textsearch.weighted_vector(
                    (segment.title, "A"), (keywords, "B"), (segment.synopsis, "B"), (partial, "C")
                ),
            )
        )
    transcript = Transcript.objects.filter(interview=interview).first()
    if transcript is not None:
        shown = selectors.transcript_cues(transcript, public=True, redactions=redactions)
        for chunk in chunk_cues(shown):
            text = "\n".join(c.text for c in chunk)
            passages.append(
                Passage(
                    interview=interview,
                    kind=Passage.Kind.TRANSCRIPT,
                    part_level=transcript.access_level,
                    part_embargo_until=transcript.embargo_until,
                    start=chunk[0].start,
                    cues=[[c.start, c.text] for c in chunk],
                    text=text,
                    search=textsearch.weighted_vector((text, "D")),
                )
            )
    return passages


def reindex(*, interview: Interview) -> int:
    with transaction.atomic():
        Passage.objects.filter(interview=interview).delete()
        made = Passage.objects.bulk_create(index_passages(interview))
    return len(made)


def announce(*, interview: Interview) -> None:
    """Once saved, a published interview is announced to the readers who follow one of its
    subjects (the task tells each reader once, and nobody while the record is not public)."""
    from .tasks import announce_interview

    if interview.published:
        enqueue(announce_interview, interview.pk)


def tell_subject_followers(*, interview_id: int) -> int:
    from django.contrib.auth.models import AnonymousUser
    from django.urls import reverse

    from core.interests import tell_followers
    from core.models import InterestTopic

    interview = Interview.objects.filter(pk=interview_id).first()
    if interview is None or not selectors.record_visible(AnonymousUser(), interview):
        return 0
    return tell_followers(
        topic=InterestTopic.ARCHIVE_SUBJECT,
        keys=[str(pk) for pk in interview.subjects.values_list("pk", flat=True)],
        item=f"oral_history.interview:{interview.pk}",
        title=interview.title,
        url=reverse("oral_history:interview", args=[interview.pk]),
    )


# --- Redactions and the redacted access copy --------------------------------------------------


def _request_redacted_copies(interview: Interview) -> None:
    from .tasks import make_redacted_copy

    ranges = [[start, end] for start, end in selectors.redactions_of(interview)]
    for item in InterviewMedia.objects.select_for_update().filter(interview=interview):
        if item.redacted_for == ranges and item.redacted_copy_status in (
            InterviewMedia.CopyStatus.READY,
            InterviewMedia.CopyStatus.PENDING,
        ):
            continue
        item.redacted_for = ranges
        item.redacted_copy_status = (
            InterviewMedia.CopyStatus.PENDING if ranges else InterviewMedia.CopyStatus.NONE
        )
        item.save(update_fields=["redacted_for", "redacted_copy_status"])
        if ranges:
            enqueue(make_redacted_copy, str(item.pk))


def add_redaction(
    *, interview: Interview, start: float, end: float, reason: str, user: User
) -> Redaction:
    _require(user, "oral_history.view_restricted_interview")
    if not 0 <= start < end:
        raise ValidationError(_("A redacted range must end after it starts."))
    if interview.duration_seconds and start >= interview.duration_seconds:
        raise ValidationError(_("The range starts after the end of the recording."))
    with transaction.atomic():
        redaction = Redaction.objects.create(
            interview=interview, start=start, end=end, reason=reason
        )
        audit(interview=interview, actor=user, action="redaction_added", start=start, end=end,
              reason=reason)  # fmt: skip
        _request_redacted_copies(interview)
        reindex(interview=interview)
    return redaction


def remove_redaction(*, redaction: Redaction, user: User) -> None:
    _require(user, "oral_history.view_restricted_interview")
    interview = redaction.interview
    with transaction.atomic():
        audit(interview=interview, actor=user, action="redaction_removed",
              start=redaction.start, end=redaction.end)  # fmt: skip
        redaction.delete()
        _request_redacted_copies(interview)
        reindex(interview=interview)


def attach_recording(
    *, interview: Interview, asset, title: str = "", user: User | None = None
) -> InterviewMedia:
    with transaction.atomic():
        item = InterviewMedia.objects.create(
            interview=interview,
            asset=asset,
            title=title,
            position=InterviewMedia.objects.filter(interview=interview).count(),
        )
        audit(interview=interview, actor=user, action="recording_added", media=str(item.pk))
        _request_redacted_copies(interview)
    return item


# --- Access ----------------------------------------------------------------------------------


def _apply_level(target, *, level: str, embargo_until: dt.date | None, user: User) -> None:
    """Set an access level on an interview or one of its parts (an embargo needs its date)."""
    _require(user, "oral_history.manage_access")
    if level == AccessLevel.EMBARGO and embargo_until is None:
        raise ValidationError(_("An embargo needs an end date."))
    target.access_level = level
    target.embargo_until = embargo_until if level == AccessLevel.EMBARGO else None


def set_access(
    *,
    interview: Interview,
    level: str,
    embargo_until: dt.date | None,
    user: User,
    reason: str,
) -> Interview:
    before = (interview.access_level, interview.embargo_until)
    _apply_level(interview, level=level, embargo_until=embargo_until, user=user)
    with transaction.atomic():
        interview.save(update_fields=["access_level", "embargo_until", "updated_at"])
        audit(interview=interview, actor=user, action="access_changed",
              before=[before[0], str(before[1] or "")],
              after=[level, str(interview.embargo_until or "")], reason=reason)  # fmt: skip
    return interview


def set_part_access(
    *,
    part: InterviewMedia | Transcript | IndexSegment,
    level: str,
    embargo_until: dt.date | None,
    user: User,
    reason: str,
):
    """The access level of one recording, the transcript or one segment, audited."""
    _apply_level(part, level=level, embargo_until=embargo_until, user=user)
    with transaction.atomic():
        part.save(update_fields=["access_level", "embargo_until"])
        audit(interview=part.interview, actor=user, action="part_access_changed",
              part=f"{part._meta.model_name}:{part.pk}", after=level,
              until=str(part.embargo_until or ""), reason=reason)  # fmt: skip
        reindex(interview=part.interview)
    return part


def request_access(*, interview: Interview, reader: User, purpose: str) -> AccessRequest:
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError(
            _("Please say what you will use the interview for."), code="purpose_required"
        )
    if not selectors.record_visible(reader, interview) or interview.access_level not in (
        AccessLevel.REQUEST,
        AccessLevel.OPEN,
    ):
        raise ValidationError(
            _("Access to this interview cannot be requested."), code="not_requestable"
        )
    try:
        with transaction.atomic():
            request = AccessRequest.objects.create(
                interview=interview, reader=reader, purpose=purpose[:2000]
            )
            audit(interview=interview, actor=reader, action="access_requested",
                  request=request.pk)  # fmt: skip
            insight.record("access.requested", user=reader, subject=interview)
    except IntegrityError as error:
        raise ValidationError(
            _("You have already asked for access to this interview."), code="already_requested"
        ) from error
    return request


def _decide(request_id: int, user: User) -> AccessRequest:
    _require(user, "oral_history.manage_access")
    return AccessRequest.objects.select_for_update().select_related("interview").get(pk=request_id)


def grant_access(*, request_id: int, user: User, days: int, note: str = "") -> AccessRequest:
    if not 1 <= days <= 366:
        raise ValidationError(_("A grant lasts between 1 and 366 days."), code="days")
    with transaction.atomic():
        request = _decide(request_id, user)
        if request.status != AccessRequest.Status.PENDING:
            raise ValidationError(_("This request has already been decided."), code="state")
        request.status = AccessRequest.Status.GRANTED
        request.granted_until = timezone.now() + dt.timedelta(days=days)
        request.decided_by, request.decided_at, request.decision_note = user, timezone.now(), note
        request.save()
        audit(interview=request.interview, actor=user, action="access_granted",
              request=request.pk, until=request.granted_until.isoformat())  # fmt: skip
        _log_decision(request)
        _notify_reader(request)
    return request


def decline_access(*, request_id: int, user: User, note: str) -> AccessRequest:
    if not note.strip():
        raise ValidationError(_("Please give the reader a reason."), code="reason_required")
    with transaction.atomic():
        request = _decide(request_id, user)
        if request.status != AccessRequest.Status.PENDING:
            raise ValidationError(_("This request has already been decided."), code="state")
        request.status = AccessRequest.Status.DECLINED
        request.decided_by, request.decided_at, request.decision_note = user, timezone.now(), note
        request.save()
        audit(interview=request.interview, actor=user, action="access_declined",
              request=request.pk, note=note)  # fmt: skip
        _log_decision(request)
        _notify_reader(request)
    return request


def _log_decision(request: AccessRequest) -> None:
    """The decision and the hours the reader waited for it, in the activity record."""
    waited = (request.decided_at - request.created_at).total_seconds() / 3600
    insight.record(
        "access.decided",
        user=request.reader,
        subject=request.interview,
        outcome=request.status,
        value=waited,
    )


# Longest listening one report may claim when the recording's length is not known.
PLAY_REPORT_MAX_SECONDS = 3 * 3600
# Listening claimed for one recording by one listener within this window is capped at the
# recording's length: a replayed or forged report cannot inflate the statistics.
PLAY_WINDOW_SECONDS = 6 * 3600


def record_play(
    *, interview: Interview, item: InterviewMedia, user, listener: str, seconds: object
) -> float:
    """A player's report of seconds listened to ``item`` (from the page's script: hostile).

    Returns the seconds counted. The first report of a listener for a recording within the
    window counts as a play; later ones only add listening time, up to the recording's length.
    """
    from django.core.cache import cache

    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValidationError(_("The listening report is not valid."), code="play_invalid")
    if not 0 < seconds <= PLAY_REPORT_MAX_SECONDS:
        raise ValidationError(_("The listening report is not valid."), code="play_invalid")
    allowance = float(interview.duration_seconds or PLAY_REPORT_MAX_SECONDS)
    key = f"oral-history:played:{listener}:{item.pk}"
    used = cache.get(key)
    counted = min(float(seconds), allowance - (used or 0.0))
    if counted <= 0:
        return 0.0
    cache.set(key, (used or 0.0) + counted, PLAY_WINDOW_SECONDS)
    insight.record(
        "interview.played",
        user=user,
        subject=interview,
        value=counted,
        quantity=0 if used is not None else 1,
    )
    return counted


def record_search(*, user, query: str, found: int) -> None:
    """A search of the archive; one that found nothing is marked, for the archivists."""
    insight.record_soon(
        "archive.searched", user=user, term=query, outcome="found" if found else "none"
    )


def revoke_access(*, request_id: int, user: User, note: str) -> AccessRequest:
    with transaction.atomic():
        request = _decide(request_id, user)
        if request.status != AccessRequest.Status.GRANTED:
            raise ValidationError(_("Only a granted request can be revoked."), code="state")
        request.status = AccessRequest.Status.REVOKED
        request.decision_note = note
        request.save(update_fields=["status", "decision_note"])
        audit(interview=request.interview, actor=user, action="access_revoked",
              request=request.pk, note=note)  # fmt: skip
    return request


def _notify_reader(request: AccessRequest) -> None:
    from django.urls import reverse
    from django.utils import translation

    from core.services import notify

    with translation.override(request.reader.language or "zh-hans"):
        if request.status == AccessRequest.Status.GRANTED:
            message = _("Access granted until %(until)s: %(title)s") % {
                "until": timezone.localtime(request.granted_until).strftime("%Y-%m-%d"),
                "title": request.interview.title,
            }
        else:
            message = _("Access declined: %(title)s (%(note)s)") % {
                "title": request.interview.title,
                "note": request.decision_note,
            }
    notify(
        user=request.reader,
        message=message,
        url=reverse("oral_history:interview", args=[request.interview_id]),
    )


# --- Withdrawal and takedown -----------------------------------------------------------------


def submit_takedown(
    *, interview: Interview, requester_name: str, relationship: str, contact: str, reason: str
) -> TakedownRequest:
    with transaction.atomic():
        request = TakedownRequest.objects.create(
            interview=interview,
            requester_name=requester_name.strip()[:120],
            relationship=relationship.strip()[:120],
            contact=contact.strip()[:200],
            reason=reason.strip(),
        )
        audit(interview=interview, actor=None, action="takedown_received", request=request.pk)
    return request


def _resolve_takedown(takedown_id: int, *, user: User, resolution: str, status: str):
    """Lock an open withdrawal request and mark it resolved (inside the caller's transaction)."""
    request = TakedownRequest.objects.select_for_update().get(pk=takedown_id)
    if request.status in (TakedownRequest.Status.WITHDRAWN, TakedownRequest.Status.DECLINED):
        raise ValidationError(_("This request has already been resolved."))
    request.status = status
    request.resolution, request.resolved_at = resolution, timezone.now()
    request.save()
    return request


def _check_resolution(user: User, resolution: str) -> None:
    _require(user, "oral_history.manage_access")
    if not resolution.strip():
        raise ValidationError(_("Please record how the request was resolved."))


def withdraw(*, takedown_id: int, user: User, resolution: str) -> Interview:
    """Take the interview out of every public path; the record stays for the archive, and
    OAI-PMH reports it as deleted."""
    _check_resolution(user, resolution)
    with transaction.atomic():
        request = _resolve_takedown(takedown_id, user=user, resolution=resolution,
                                    status=TakedownRequest.Status.WITHDRAWN)  # fmt: skip
        interview = Interview.objects.select_for_update().get(pk=request.interview_id)
        interview.withdrawn_at = timezone.now()
        interview.withdrawal_reason = resolution
        interview.save(update_fields=["withdrawn_at", "withdrawal_reason", "updated_at"])
        audit(interview=interview, actor=user, action="withdrawn", request=request.pk,
              resolution=resolution)  # fmt: skip
    return interview


def decline_takedown(*, takedown_id: int, user: User, resolution: str) -> TakedownRequest:
    _check_resolution(user, resolution)
    with transaction.atomic():
        request = _resolve_takedown(takedown_id, user=user, resolution=resolution,
                                    status=TakedownRequest.Status.DECLINED)  # fmt: skip
        audit(interview=request.interview, actor=user, action="takedown_declined",
              request=request.pk, resolution=resolution)  # fmt: skip
    return request


# --- Files: recordings and scanned consent forms ----------------------------------------------


def upload_recording(*, interview: Interview, upload, title: str, user: User) -> InterviewMedia:
    """Store a master recording privately, have the media pipeline make the access copy."""
    from media.pipeline import create_asset
    from media.services import identify_upload, store_file

    _require(user, "oral_history.view_restricted_interview")
    fmt = identify_upload(upload, kinds={"audio", "video"})
    with transaction.atomic():
        stored = store_file(content=upload, original_name=upload.name, content_type=fmt.mime,
                            prefix="oral-history/masters")  # fmt: skip
        asset = create_asset(original=stored, kind=fmt.kind, fmt=fmt.name)
        return attach_recording(interview=interview, asset=asset, title=title, user=user)


def _flattened_scan(upload, fmt) -> tuple[bytes, str, str]:
    """A consent scan as staff will open it: an image re-encoded without metadata, a PDF
    rendered page by page into a new picture-only PDF; any other document is refused.

    Archive staff open these files; a scan must never carry a script, an /OpenAction or the
    GPS position of the phone that took it.
    """
    import tempfile
    from pathlib import Path

    from media.processing import ProcessingError, flatten_image, flatten_pdf

    if fmt.kind != "image" and fmt.name != "pdf":
        raise ValidationError(
            _("Please scan the consent form as a PDF or a picture (JPEG or PNG)."),
            code="consent_scan_type",
        )
    stem = Path(upload.name or "consent").stem[:80] or "consent"
    with tempfile.TemporaryDirectory() as workdir:
        source = Path(workdir) / "scan"
        with source.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            if fmt.kind == "image":
                data, mime = flatten_image(source)
                return data, mime, f"{stem}.{'jpg' if mime == 'image/jpeg' else 'png'}"
            return flatten_pdf(source), "application/pdf", f"{stem}.pdf"
        except ProcessingError as error:
            raise ValidationError(str(error), code="consent_scan_unreadable") from error


def record_consent(*, interview: Interview, user: User, scanned_form=None, **fields) -> Consent:
    """A consent and release record; the scanned form (PDF or image) is stored privately."""
    from media.services import identify_upload, store_file

    _require(user, "oral_history.view_restricted_interview")
    if fields.get("minor") and not (fields.get("guardian_name") or "").strip():
        raise ValidationError(_("A minor's consent needs the guardian's name."))
    with transaction.atomic():
        stored = None
        if scanned_form is not None:
            fmt = identify_upload(scanned_form, kinds={"document", "image"},
                                  max_bytes=50 * 1024 * 1024)  # fmt: skip
            data, mime, name = _flattened_scan(scanned_form, fmt)
            stored = store_file(content=ContentFile(data, name=name), original_name=name,
                                content_type=mime, prefix="oral-history/consent")  # fmt: skip
        consent = Consent.objects.create(interview=interview, scanned_form=stored, **fields)
        audit(interview=interview, actor=user, action="consent_recorded", consent=consent.pk,
              scope=consent.scope)  # fmt: skip
    return consent
