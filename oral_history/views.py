"""Pages of 辽海往事 and the archive desk. Every view asks ``selectors`` who may see what; a
record or part the user may not see answers 404, whether it exists or not.

IIIF manifests, the recordings they paint and the WebVTT transcript may be loaded by IIIF
viewers on other sites: an answer carries ``Access-Control-Allow-Origin: *`` only when it is
exactly what an anonymous visitor would get (a public part, not a staff or granted copy), and a
CORS preflight is answered as for an anonymous visitor. Links handed out name ``SITE_URL``."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.siteurl import absolute
from core.views import error_text
from media import usercontent

from . import citations, iiif, oai, ohms, selectors, services
from .forms import (
    AccessForm,
    AccessRequestForm,
    ConsentForm,
    GrantForm,
    NoteForm,
    OHMSImportForm,
    RecordingForm,
    RedactionForm,
    TakedownForm,
    TranscriptForm,
)
from .models import (
    AccessLevel,
    AccessRequest,
    Collection,
    Consent,
    Interview,
    InterviewMedia,
    Narrator,
    Redaction,
    Subject,
    TakedownRequest,
    Transcript,
)
from .templatetags.oral_history_tags import timecode

desk_required = permission_required("oral_history.view_restricted_interview", raise_exception=True)
decide_required = permission_required("oral_history.manage_access", raise_exception=True)


def _interview_or_404(request: HttpRequest, pk: int) -> Interview:
    interview = selectors.interview_for(request.user, pk)
    if interview is None:
        raise Http404
    return interview


def _link(name: str, *args) -> str:
    return absolute(reverse(name, args=args))


# --- Sharing with IIIF viewers elsewhere (CORS) ----------------------------------------------

_READ_ONLY = require_http_methods(["GET", "HEAD", "OPTIONS"])


def _public_interview(pk: int) -> Interview | None:
    return selectors.interview_for(AnonymousUser(), pk)


def _shared(response: HttpResponse) -> HttpResponse:
    """Any site may read this answer; only ever called for what the public may get anyway."""
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _preflight(public: bool) -> HttpResponse:
    """The answer to a CORS preflight. Browsers send it without cookies, so it is given as to
    an anonymous visitor: a 404 for anything not public, as a GET would get."""
    if not public:
        raise Http404
    response = _shared(HttpResponse(status=204))
    response["Allow"] = response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Range"  # players seek with byte ranges
    response["Access-Control-Max-Age"] = "86400"
    return response


def index(request: HttpRequest) -> HttpResponse:
    interviews = selectors.listing(selectors.visible_interviews(request.user))
    return render(
        request,
        "oral_history/index.html",
        {
            "recent": interviews.order_by("-created_at")[:6],
            "collections": Collection.objects.all(),
            "subjects": _subjects_with_interviews(request)[:SUBJECTS_ON_INDEX],
            "subjects_total": _subjects_with_interviews(request).count(),
        },
    )


# The archive's front page shows the subjects with the most interviews; all are on their page.
SUBJECTS_ON_INDEX = 30
SUBJECTS_PER_PAGE = 60


def _subjects_with_interviews(request: HttpRequest):
    visible = selectors.visible_interviews(request.user)
    return (
        Subject.objects.filter(interview__in=visible)
        .annotate(interviews=Count("interview", filter=Q(interview__in=visible), distinct=True))
        .order_by("-interviews", "name", "pk")
    )


def subjects(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        _subjects_with_interviews(request).order_by("name", "pk"), SUBJECTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "oral_history/subjects.html", {"page": page})


# Latin letters and spaces only: what someone types in pinyin or as initials (zhinengshouji, znsj).
PINYIN = re.compile(r"[A-Za-z][A-Za-z ]{0,59}")


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    per_page = 20
    hits = selectors.search(request.user, query, limit=per_page + 1, offset=(page - 1) * per_page)
    if query and page == 1:
        services.record_search(user=request.user, query=query, found=len(hits))
    by_pinyin = []
    if not hits and page == 1 and PINYIN.fullmatch(query):
        # The archive's own index holds the words people said, without pinyin (homophones
        # would flood it); typed pinyin or initials still find interviews by their titles
        # and keywords through the site search, which indexes those with pinyin.
        from core.models import SearchKind
        from core.selectors import site_search

        found = site_search(user=request.user, query=query, kind=SearchKind.ARCHIVE)
        by_pinyin = [hit for group in found.groups for hit in group.hits]
    return render(
        request,
        "oral_history/search.html",
        {
            "query": query,
            "hits": hits[:per_page],
            "page": page,
            "has_next": len(hits) > per_page,
            "by_pinyin": by_pinyin,
        },
    )


def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _interview_or_404(request, pk)
    user = request.user
    staff = selectors.is_archive_staff(user)
    transcript = Transcript.objects.filter(interview=interview).first()
    transcript_open = bool(transcript and selectors.part_available(user, interview, transcript))
    cues = selectors.transcript_cues(transcript, public=not staff) if transcript_open else []
    media = selectors.playable_media(user, interview)
    players = [(item, selectors.access_file(item, staff=staff)) for item in media]
    url = _link("oral_history:interview", interview.pk)
    pending = (
        user.is_authenticated
        and AccessRequest.objects.filter(
            interview=interview, reader=user, status=AccessRequest.Status.PENDING
        ).exists()
    )
    try:
        start_at = max(0.0, float(request.GET.get("t", "0")))
    except ValueError:
        start_at = 0.0
    parts_open = selectors.part_available(user, interview)
    return render(
        request,
        "oral_history/interview.html",
        {
            "interview": interview,
            "parts_open": parts_open,
            "players": players,
            "transcript": transcript if transcript_open else None,
            "has_hidden_transcript": bool(transcript) and not transcript_open,
            "cues": cues,
            "segments": selectors.shown_segments(user, interview),
            "citations": citations.for_page(interview, url, language=get_language()),
            "can_request": interview.access_level == AccessLevel.REQUEST and not parts_open,
            "pending": pending,
            "request_form": AccessRequestForm(),
            "staff": staff,
            "start_at": start_at,
            "manifest_available": bool(media),
        },
    )


def _public_media(interview: Interview | None, media_id) -> bool:
    """Would an anonymous visitor be sent this recording's public copy?"""
    if interview is None:
        return False
    item = InterviewMedia.objects.filter(pk=media_id, interview=interview).first()
    return bool(
        item
        and selectors.part_available(AnonymousUser(), interview, item)
        and selectors.access_file(item, staff=False) is not None
    )


@require_POST
def played(request: HttpRequest, pk: int, media_id) -> HttpResponse:
    """The player's listening report: {"seconds": n}. Counted for the library's statistics and
    the listener's year in review; anything else is refused with a message."""
    from core import jsonbody

    interview = _interview_or_404(request, pk)
    item = get_object_or_404(InterviewMedia, pk=media_id, interview=interview)
    if not selectors.part_available(request.user, interview, item):
        raise Http404
    try:
        body = jsonbody.read_json(request, max_bytes=1024)
        counted = services.record_play(
            interview=interview,
            item=item,
            user=request.user,
            listener=_listener(request),
            seconds=body.get("seconds"),
        )
    except ValidationError as error:
        return JsonResponse({"detail": error.messages[0]}, status=422)
    return JsonResponse({"counted": counted})


def _listener(request: HttpRequest) -> str:
    """Who is listening, for the cap on reports: the reader, else the browser's session."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"s{request.session.session_key}"


@_READ_ONLY
def media_stream(request: HttpRequest, pk: int, media_id) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(_public_media(_public_interview(pk), media_id))
    interview = _interview_or_404(request, pk)
    item = get_object_or_404(InterviewMedia.objects.select_related("asset"), pk=media_id,
                             interview=interview)  # fmt: skip
    if not selectors.part_available(request.user, interview, item):
        raise Http404
    staff = selectors.is_archive_staff(request.user)
    stored = selectors.access_file(item, staff=staff)
    if stored is None:
        raise Http404
    # The access or redacted copy is our own transcode: playable inline, from user content.
    response = usercontent.redirect_to_file(stored, source=usercontent.Source.DERIVATIVE)
    if not staff and selectors.part_available(AnonymousUser(), interview, item):
        # A viewer elsewhere follows this redirect in CORS mode; the public copy only.
        _shared(response)
    return response


def _public_transcript(interview: Interview | None) -> bool:
    transcript = Transcript.objects.filter(interview=interview).first() if interview else None
    return bool(transcript and selectors.part_available(AnonymousUser(), interview, transcript))


@_READ_ONLY
def transcript_vtt(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(_public_transcript(_public_interview(pk)))
    interview = _interview_or_404(request, pk)
    transcript = Transcript.objects.filter(interview=interview).first()
    if transcript is None or not selectors.part_available(request.user, interview, transcript):
        raise Http404
    staff = selectors.is_archive_staff(request.user)
    body = services.render_vtt(selectors.transcript_cues(transcript, public=not staff))
    response = HttpResponse(body, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    if not staff and selectors.part_available(AnonymousUser(), interview, transcript):
        _shared(response)  # the redacted public version, the same for everyone
    return response


@_READ_ONLY
def manifest(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "OPTIONS":
        public = _public_interview(pk)
        return _preflight(bool(public and iiif.manifest_parts(AnonymousUser(), public)[0]))
    interview = _interview_or_404(request, pk)
    parts = iiif.manifest_parts(request.user, interview)
    items, transcript = parts
    if not items:
        raise Http404
    response = JsonResponse(
        iiif.manifest(interview, items, transcript=transcript),
        json_dumps_params={"ensure_ascii": False},
        content_type='application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"',
    )
    anonymous = AnonymousUser()
    if selectors.record_visible(anonymous, interview) and (
        iiif.manifest_parts(anonymous, interview) == parts
    ):
        # The very manifest the public gets: IIIF viewers elsewhere may read it.
        _shared(response)
    return response


@desk_required
def ohms_export(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _interview_or_404(request, pk)
    public = request.GET.get("version") == "public"
    response = HttpResponse(
        ohms.export_record(interview, public=public), content_type="application/xml"
    )
    response["Content-Disposition"] = f'attachment; filename="{interview.accession_number}.xml"'
    return response


@login_required
@require_POST
def request_access(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _interview_or_404(request, pk)
    form = AccessRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_access(
                interview=interview, reader=request.user, purpose=form.cleaned_data["purpose"]
            )
            messages.success(request, _("Your request has been sent to the archivists."))
        except ValidationError as error:
            messages.error(request, error_text(error))
    else:
        messages.error(request, _("Please say what you will use the interview for."))
    return redirect("oral_history:interview", pk=interview.pk)


def takedown(request: HttpRequest, pk: int) -> HttpResponse:
    interview = _interview_or_404(request, pk)
    form = TakedownForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.submit_takedown(interview=interview, **form.cleaned_data)
        messages.success(
            request, _("We have received your request and will contact you within 5 working days.")
        )
        return redirect("oral_history:interview", pk=interview.pk)
    return render(request, "oral_history/takedown.html", {"interview": interview, "form": form})


def narrators(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "oral_history/narrators.html",
        {"narrators": selectors.narrators_with_visible(request.user)},
    )


def narrator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interviews = selectors.listing(
        selectors.visible_interviews(request.user).filter(narrators__pk=pk)
    )
    narrator = get_object_or_404(Narrator, pk=pk)
    if not interviews:
        raise Http404
    return render(
        request,
        "oral_history/narrator.html",
        {"narrator": narrator, "interviews": interviews},
    )


def _browse(
    request: HttpRequest, title: str, interviews, intro: str = "", *, followable: bool = False
) -> HttpResponse:
    page = Paginator(selectors.listing(interviews), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "oral_history/browse.html",
        {"title": title, "page": page, "intro": intro, "followable": followable},
    )


def collection_detail(request: HttpRequest, slug: str) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug)
    interviews = selectors.visible_interviews(request.user).filter(collection=collection)
    return _browse(request, collection.name, interviews, collection.description)


def subject_detail(request: HttpRequest, slug: str) -> HttpResponse:
    subject = get_object_or_404(Subject, slug=slug)
    interviews = selectors.visible_interviews(request.user).filter(subjects=subject)
    return _browse(request, subject.name, interviews, followable=True)


def _place_name(place: selectors.MapPlace) -> str:
    """What a marker and the list call a place: its name and how many interviews it has."""
    count = len({entry["interview"] for entry in place.entries})
    return ngettext("%(place)s: %(count)d interview", "%(place)s: %(count)d interviews", count) % {
        "place": place.name,
        "count": count,
    }


def _place_entry(entry: dict) -> dict:
    url = reverse("oral_history:interview", args=[entry["interview"]])
    if entry["t"] is None:
        return {"url": url, "text": entry["title"]}
    moment = timecode(entry["t"])
    return {
        "url": f"{url}?t={int(entry['t'])}#player",
        "text": _("%(title)s, from %(time)s") % {"title": entry["title"], "time": moment},
    }


def places(request: HttpRequest) -> HttpResponse:
    """The map (drawn by map.js on an offline outline of Liaoning, tiles only if configured)
    and the same places as a list, which works without JavaScript and for screen readers."""
    places = [
        {
            "name": place.name,
            "label": _place_name(place),
            "lat": place.lat,
            "lng": place.lng,
            "entries": [_place_entry(entry) for entry in place.entries],
        }
        for place in selectors.map_places(request.user)
    ]
    return render(
        request,
        "oral_history/places.html",
        {
            "places": places,
            "tile_url": settings.ORAL_HISTORY_TILE_URL,
            "tile_attribution": settings.ORAL_HISTORY_TILE_ATTRIBUTION,
        },
    )


def timeline(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "oral_history/timeline.html",
        {"decades": selectors.interviews_by_year(request.user)},
    )


@csrf_exempt  # OAI-PMH allows POST from harvesters, which carry no CSRF token; it only reads.
@never_cache  # each answer carries its own time and resumption tokens that expire
def oai_pmh(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    return oai.Provider(request).respond()


# --- The archive desk -------------------------------------------------------------------------


@desk_required
def desk(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "oral_history/desk.html",
        {
            "requests": selectors.pending_requests(),
            "takedowns": TakedownRequest.objects.exclude(
                status__in=[TakedownRequest.Status.WITHDRAWN, TakedownRequest.Status.DECLINED]
            ).select_related("interview"),
            "interviews": Interview.objects.order_by("-updated_at")[:30],
            "import_form": OHMSImportForm(),
            "grant_form": GrantForm(),
            "note_form": NoteForm(),
        },
    )


@decide_required
@require_POST
def decide_request(request: HttpRequest, request_id: int) -> HttpResponse:
    get_object_or_404(AccessRequest, pk=request_id)
    try:
        if request.POST.get("action") == "grant":
            form = GrantForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Enter a number of days between 1 and 366."))
            services.grant_access(request_id=request_id, user=request.user,
                                  days=form.cleaned_data["days"],
                                  note=form.cleaned_data["note"])  # fmt: skip
            messages.success(request, _("Access granted."))
        elif request.POST.get("action") == "revoke":
            services.revoke_access(request_id=request_id, user=request.user,
                                   note=request.POST.get("note", ""))  # fmt: skip
            messages.success(request, _("Access revoked."))
        else:
            services.decline_access(request_id=request_id, user=request.user,
                                    note=request.POST.get("note", ""))  # fmt: skip
            messages.success(request, _("Request declined."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("oral_history:desk")


@decide_required
@require_POST
def resolve_takedown(request: HttpRequest, takedown_id: int) -> HttpResponse:
    get_object_or_404(TakedownRequest, pk=takedown_id)
    resolution = request.POST.get("note", "")
    try:
        if request.POST.get("action") == "withdraw":
            services.withdraw(takedown_id=takedown_id, user=request.user, resolution=resolution)
            messages.success(request, _("The interview has been withdrawn from public view."))
        else:
            services.decline_takedown(
                takedown_id=takedown_id, user=request.user, resolution=resolution
            )
            messages.success(request, _("The request has been declined."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("oral_history:desk")


@desk_required
@require_POST
def import_ohms(request: HttpRequest) -> HttpResponse:
    form = OHMSImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an OHMS XML file and a collection."))
        return redirect("oral_history:desk")
    try:
        result = ohms.import_record(
            data=form.cleaned_data["file"].read(),
            collection=form.cleaned_data["collection"],
            user=request.user,
        )
    except ValidationError as error:
        messages.error(
            request, _("The OHMS file was not imported: %(why)s") % {"why": error_text(error)}
        )
        return redirect("oral_history:desk")
    messages.success(request, _("Imported “%(title)s”.") % {"title": result.interview.title})
    if result.warnings:
        count = len(result.warnings)
        messages.warning(
            request,
            ngettext(
                "%(count)d fault in the file was mended; check it under “Repairs made at the "
                "last OHMS import”.",
                "%(count)d faults in the file were mended; check them under “Repairs made at "
                "the last OHMS import”.",
                count,
            )
            % {"count": count},
        )
    return redirect("oral_history:desk-interview", pk=result.interview.pk)


@desk_required
def desk_interview(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_object_or_404(Interview, pk=pk)
    transcript = Transcript.objects.filter(interview=interview).first()
    consent_form = ConsentForm(interview=interview)
    transcript_form = TranscriptForm(
        initial={
            "vtt": transcript.vtt if transcript else "",
            "access_level": transcript.access_level if transcript else AccessLevel.OPEN,
            "embargo_until": transcript.embargo_until if transcript else None,
        }
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "transcript":
                transcript_form = TranscriptForm(request.POST, request.FILES)
                if transcript_form.is_valid():
                    data = transcript_form.cleaned_data
                    services.save_transcript(
                        interview=interview, vtt=data["source"], user=request.user,
                        access_level=data["access_level"], embargo_until=data["embargo_until"],
                    )  # fmt: skip
                    messages.success(request, _("Transcript saved."))
                    return redirect("oral_history:desk-interview", pk=pk)
            elif action == "redact":
                form = RedactionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Enter a start, an end and a reason."))
                services.add_redaction(interview=interview, user=request.user, **form.cleaned_data)
                messages.success(request, _("Range redacted; a new public copy is being made."))
                return redirect("oral_history:desk-interview", pk=pk)
            elif action == "unredact":
                redaction = get_object_or_404(
                    Redaction, pk=request.POST.get("redaction"), interview=interview
                )
                services.remove_redaction(redaction=redaction, user=request.user)
                messages.success(request, _("Redaction removed."))
                return redirect("oral_history:desk-interview", pk=pk)
            elif action == "recording":
                form = RecordingForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise ValidationError(_("Choose a recording to upload."))
                services.upload_recording(interview=interview, user=request.user,
                                          upload=form.cleaned_data["file"],
                                          title=form.cleaned_data["title"])  # fmt: skip
                messages.success(request, _("Recording uploaded; the access copy is being made."))
                return redirect("oral_history:desk-interview", pk=pk)
            elif action == "consent":
                consent_form = ConsentForm(request.POST, request.FILES, interview=interview)
                if consent_form.is_valid():
                    data = dict(consent_form.cleaned_data)
                    services.record_consent(interview=interview, user=request.user, **data)
                    messages.success(request, _("Consent recorded."))
                    return redirect("oral_history:desk-interview", pk=pk)
            elif action == "media_access":
                item = get_object_or_404(InterviewMedia, pk=request.POST.get("media"),
                                         interview=interview)  # fmt: skip
                form = AccessForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose a level and give a reason."))
                services.set_part_access(
                    part=item, level=form.cleaned_data["access_level"],
                    embargo_until=form.cleaned_data["embargo_until"], user=request.user,
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
                messages.success(request, _("Access level changed."))
                return redirect("oral_history:desk-interview", pk=pk)
            elif action == "access":
                form = AccessForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose a level and give a reason."))
                services.set_access(
                    interview=interview, level=form.cleaned_data["access_level"],
                    embargo_until=form.cleaned_data["embargo_until"], user=request.user,
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
                messages.success(request, _("Access level changed."))
                return redirect("oral_history:desk-interview", pk=pk)
        except ValidationError as error:
            messages.error(request, error_text(error))
    return render(
        request,
        "oral_history/desk_interview.html",
        {
            "interview": interview,
            "transcript_form": transcript_form,
            "redaction_form": RedactionForm(),
            "recording_form": RecordingForm(),
            "consent_form": consent_form,
            "access_form": AccessForm(
                initial={
                    "access_level": interview.access_level,
                    "embargo_until": interview.embargo_until,
                }
            ),
            "redactions": interview.redactions.all(),
            "levels": AccessLevel.choices,
            "media": interview.media.select_related("asset"),
            "consents": interview.consents.select_related("narrator", "scanned_form"),
            "requests": interview.access_requests.select_related("reader"),
            "audit": interview.audit.select_related("actor")[:50],
            **_last_import(interview),
        },
    )


def _last_import(interview: Interview) -> dict:
    """The repairs the last OHMS import made, for the desk to show until the next import."""
    entry = interview.audit.filter(action="ohms_imported").first()
    listed = list(entry.detail.get("warnings", [])) if entry else []
    total = int(entry.detail.get("repairs", len(listed))) if entry else 0
    return {"last_import": entry, "import_repairs": listed,
            "unlisted_repairs": max(0, total - len(listed))}  # fmt: skip


@desk_required
def consent_form(request: HttpRequest, consent_id: int) -> HttpResponse:
    """The scanned consent form: archive staff only, never a public URL; a short-lived
    attachment from the user-content origin (a scan may be a PDF with scripts in it)."""
    consent = get_object_or_404(Consent.objects.select_related("scanned_form"), pk=consent_id)
    stored = consent.scanned_form
    if stored is None:
        raise Http404
    return usercontent.redirect_to_file(
        stored, source=usercontent.Source.ORIGINAL, force_attachment=True
    )
