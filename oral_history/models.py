"""辽海往事 Liaohai Memories: interviews, narrators, transcripts, index, consent and access.

Records are plain Django models edited by archivists (Wagtail snippets and the archive desk)
rather than pages: an interview is structured data that is harvested (OAI-PMH), exported (OHMS,
IIIF) and access-controlled part by part, which the page tree does not model.

Access is decided per interview and again per part (each media file, the transcript, each index
segment); a part is available only when both levels allow it. See ``selectors.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AccessLevel(models.TextChoices):
    OPEN = "open", _("Open")
    REQUEST = "request", _("On request")
    RESTRICTED = "restricted", _("Restricted (staff only)")
    EMBARGO = "embargo", _("Closed until the embargo date")


class AccessControlled(models.Model):
    access_level = models.CharField(
        _("access level"), max_length=12, choices=AccessLevel.choices, default=AccessLevel.OPEN
    )
    embargo_until = models.DateField(
        _("embargo until"),
        null=True,
        blank=True,
        help_text=_("For the embargo level: hidden until this date (inclusive of the day after)."),
    )

    class Meta:
        abstract = True


class Collection(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Also the OAI-PMH set."))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    collection = models.ForeignKey(
        Collection, verbose_name=_("collection"), on_delete=models.PROTECT, related_name="series"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["collection", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "slug"], name="oh_series_unique_slug")
        ]

    def __str__(self) -> str:
        return f"{self.collection} / {self.name}"


class Subject(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="oh_place_coordinates",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Narrator(models.Model):
    name = models.CharField(_("name"), max_length=120)
    anonymised = models.BooleanField(
        _("anonymised"),
        default=False,
        help_text=_("Show the label instead of the name everywhere outside the archive desk."),
    )
    label = models.CharField(_("anonymised label"), max_length=120, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    hometown = models.CharField(_("hometown"), max_length=120, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    biography = models.TextField(_("biography"), blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("narrator")
        verbose_name_plural = _("narrators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return (self.label or _("Anonymous narrator")) if self.anonymised else self.name


class Interview(AccessControlled):
    accession_number = models.CharField(_("accession number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    interview_date = models.DateField(_("interview date"), null=True, blank=True)
    interview_end_date = models.DateField(
        _("last interview date"),
        null=True,
        blank=True,
        help_text=_("For interviews held over several days."),
    )
    duration_seconds = models.PositiveIntegerField(_("duration in seconds"), default=0)
    places = models.ManyToManyField(Place, verbose_name=_("places"), blank=True)
    language = models.CharField(
        _("language or dialect"), max_length=80, blank=True, help_text=_("e.g. 普通话, 东北方言")
    )
    summary = models.TextField(_("summary"), blank=True)
    subjects = models.ManyToManyField(Subject, verbose_name=_("subjects"), blank=True)
    keywords = ArrayField(
        models.CharField(max_length=80), verbose_name=_("keywords"), default=list, blank=True
    )
    collection = models.ForeignKey(
        Collection,
        verbose_name=_("collection"),
        on_delete=models.PROTECT,
        related_name="interviews",
    )
    series = models.ForeignKey(
        Series, verbose_name=_("series"), null=True, blank=True, on_delete=models.SET_NULL
    )
    interviewers = ArrayField(
        models.CharField(max_length=120), verbose_name=_("interviewers"), default=list, blank=True
    )
    narrators = models.ManyToManyField(
        Narrator, verbose_name=_("narrators"), related_name="interviews", blank=True
    )
    recording_details = models.TextField(_("recording details"), blank=True)
    rights_statement = models.TextField(_("rights statement"), blank=True)
    year_from = models.PositiveSmallIntegerField(_("years discussed: from"), null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(_("years discussed: to"), null=True, blank=True)
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Drafts are seen only at the archive desk.")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-interview_date", "accession_number"]
        permissions = [
            ("view_restricted_interview", _("Can see restricted interviews, masters and consent")),
            ("manage_access", _("Can decide access and takedown requests")),
        ]
        indexes = [models.Index(fields=["published", "access_level"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(access_level="embargo") | Q(embargo_until__isnull=False),
                name="oh_interview_embargo_has_date",
            ),
            models.CheckConstraint(
                condition=Q(year_from__isnull=True)
                | Q(year_to__isnull=True)
                | Q(year_from__lte=F("year_to")),
                name="oh_interview_years_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accession_number} {self.title}"


class InterviewMedia(AccessControlled):
    """A recording of the interview. The master (the asset's original) is always private; the
    public plays the access copy, with redacted ranges silenced when there are any."""

    class CopyStatus(models.TextChoices):
        NONE = "none", _("Not needed")
        PENDING = "pending", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    interview = models.ForeignKey(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="media"
    )
    asset = models.ForeignKey(
        "media.MediaAsset", verbose_name=_("recording"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    redacted_copy = models.ForeignKey(
        "media.StoredFile",
        verbose_name=_("redacted access copy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    redacted_copy_status = models.CharField(
        _("redacted copy"), max_length=10, choices=CopyStatus.choices, default=CopyStatus.NONE
    )
    # The redaction ranges the current copy was made for; a change makes a new copy.
    redacted_for = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["interview", "position"]

    def __str__(self) -> str:
        return self.title or str(self.asset)


class Transcript(AccessControlled):
    interview = models.OneToOneField(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="transcript"
    )
    vtt = models.TextField(_("WebVTT source"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("transcript")
        verbose_name_plural = _("transcripts")

    def __str__(self) -> str:
        return str(self.interview)


class Cue(models.Model):
    """One cue of a transcript, parsed from its WebVTT: what the player and search read."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="cues")
    position = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    speaker = models.CharField(max_length=120, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["transcript", "position"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "position"], name="oh_cue_position"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="oh_cue_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start:.1f} {self.speaker}"


class IndexSegment(AccessControlled):
    """An OHMS-style index point: where a topic starts, and what is said there."""

    interview = models.ForeignKey(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="segments"
    )
    start = models.FloatField(_("start (seconds)"))
    title = models.CharField(_("title"), max_length=300)
    synopsis = models.TextField(_("synopsis"), blank=True)
    keywords = ArrayField(
        models.CharField(max_length=200), verbose_name=_("keywords"), default=list, blank=True
    )
    subjects = ArrayField(
        models.CharField(max_length=200), verbose_name=_("subjects"), default=list, blank=True
    )
    partial_transcript = models.TextField(_("partial transcript"), blank=True)
    # [{"lat": 41.8, "lng": 123.4, "zoom": 12, "text": "沈阳"}]
    gps_points = models.JSONField(_("GPS points"), default=list, blank=True)
    # [{"url": "https://…", "text": "…"}]
    hyperlinks = models.JSONField(_("hyperlinks"), default=list, blank=True)

    class Meta:
        verbose_name = _("index segment")
        verbose_name_plural = _("index segments")
        ordering = ["interview", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="oh_segment_start_gte_0")
        ]

    def __str__(self) -> str:
        return self.title


class Redaction(models.Model):
    """A time range cut from the public access copy and from the public transcript."""

    interview = models.ForeignKey(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="redactions"
    )
    start = models.FloatField(_("start (seconds)"))
    end = models.FloatField(_("end (seconds)"))
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("redacted range")
        verbose_name_plural = _("redacted ranges")
        ordering = ["interview", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=F("start")), name="oh_redaction_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start:.0f}–{self.end:.0f}"


class Consent(models.Model):
    class Scope(models.TextChoices):
        ARCHIVE = "archive", _("Preservation in the archive")
        READING_ROOM = "reading_room", _("Use in the reading room")
        ONLINE = "online", _("Publication online")
        RESEARCH = "research", _("Research and quotation")
        BROADCAST = "broadcast", _("Broadcast and exhibitions")

    interview = models.ForeignKey(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="consents"
    )
    narrator = models.ForeignKey(
        Narrator, verbose_name=_("narrator"), null=True, blank=True, on_delete=models.SET_NULL
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    scope = ArrayField(
        models.CharField(max_length=20, choices=Scope.choices),
        verbose_name=_("scope of use"),
        default=list,
        blank=True,
    )
    scanned_form = models.ForeignKey(
        "media.StoredFile",
        verbose_name=_("scanned form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verbal_consent_at = models.FloatField(
        _("verbal consent at (seconds into the recording)"), null=True, blank=True
    )
    minor = models.BooleanField(_("narrator is a minor"), default=False)
    guardian_name = models.CharField(_("guardian"), max_length=120, blank=True)
    guardian_relationship = models.CharField(
        _("guardian's relationship"), max_length=60, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = [
            models.CheckConstraint(
                condition=Q(minor=False) | ~Q(guardian_name=""), name="oh_consent_minor_guardian"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interview.accession_number} {self.signed_on or ''}"


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        GRANTED = "granted", _("Granted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="access_requests"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oral_history_requests"
    )
    purpose = models.TextField(_("purpose"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    granted_until = models.DateTimeField(_("granted until"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note to the reader"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "reader"],
                condition=Q(status="pending"),
                name="oh_one_pending_request",
            ),
            models.CheckConstraint(
                condition=~Q(status="granted") | Q(granted_until__isnull=False),
                name="oh_grant_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader} → {self.interview.accession_number} [{self.status}]"


class TakedownRequest(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REVIEWING = "reviewing", _("Under review")
        WITHDRAWN = "withdrawn", _("Interview withdrawn")
        DECLINED = "declined", _("Declined")

    interview = models.ForeignKey(
        Interview, on_delete=models.PROTECT, related_name="takedown_requests"
    )
    requester_name = models.CharField(_("your name"), max_length=120)
    relationship = models.CharField(
        _("relationship to the narrator"), max_length=120, help_text=_("e.g. 本人, 子女")
    )
    contact = models.CharField(_("phone or email"), max_length=200)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal request")
        verbose_name_plural = _("withdrawal requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.interview.accession_number} {self.requester_name} [{self.status}]"


class AuditEntry(models.Model):
    """Who changed access, consent or availability of an interview, when and why."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Passage(models.Model):
    """A searchable piece of an interview: its record, one index segment, or a stretch of about
    a minute of the public transcript. Each carries the access level of its part, so search
    filters by the searcher's rights at query time (embargoes end without re-indexing)."""

    class Kind(models.TextChoices):
        RECORD = "record", _("Record")
        SEGMENT = "segment", _("Index")
        TRANSCRIPT = "transcript", _("Transcript")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="passages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    part_level = models.CharField(max_length=12, choices=AccessLevel.choices)
    part_embargo_until = models.DateField(null=True, blank=True)
    start = models.FloatField(null=True, blank=True)
    # For transcript passages: [[start, "text"], …] so a hit can name its exact cue time.
    cues = models.JSONField(default=list, blank=True)
    text = models.TextField()
    search = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["search"], name="oh_passage_search")]

    def __str__(self) -> str:
        return f"{self.interview_id} {self.kind} {self.start}"
