from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServiceHeartbeat(models.Model):
    """Last time a background process proved it was alive (the worker, via a beat task).

    /healthz reports the age of the worker's heartbeat, so an operator can tell a stalled worker
    from an idle one.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    seen_at = models.DateTimeField(_("seen at"))
    hostname = models.CharField(_("host name"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("service heartbeat")
        verbose_name_plural = _("service heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """A message for one reader, shown on their notifications page (besides any e-mail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message


class InterestTopic(models.TextChoices):
    """What a reader may follow here (learning paths and topics are followed in courses)."""

    EVENT_KIND = "event_kind", _("A kind of event")
    ARCHIVE_SUBJECT = "archive_subject", _("A subject of Liaohai Memories")


class Interest(models.Model):
    """A reader asked to be told when something new is published under a kind of event or an
    archive subject (实时推送最新展览、讲座通知): a site notification and an e-mail, once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=InterestTopic.choices)
    # An event kind's code, or an archive subject's id.
    key = models.CharField(_("key"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic", "key"], name="core_one_interest")
        ]
        indexes = [models.Index(fields=["topic", "key"], name="core_interest_topic_key")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}:{self.key}"


class InterestNotice(models.Model):
    """One row per reader and new thing they were told about: the database makes "once" true
    however many topics they follow it under and however often the task runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # "app_label.model:id" of what was announced (an event series counts as one thing).
    item = models.CharField(_("item"), max_length=80)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest notice")
        verbose_name_plural = _("interest notices")
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="core_interest_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.item}"


class SearchKind(models.TextChoices):
    """The groups of site search, in the order the results page shows them."""

    PAGE = "page", pgettext_lazy("search kind", "Pages")
    LEARNING = "learning", _("Learning")
    BOOKING = "booking", _("Events and bookable resources")
    EQUIPMENT = "equipment", _("Maker-space equipment")
    WORK = "work", _("Readers' works")
    ARCHIVE = "archive", _("Liaohai Memories")


class SearchEntry(models.Model):
    """One thing a visitor may find with the search box, whatever app it comes from.

    One table for every kind, so that one indexed query gives the groups, their counts and the
    best hits of each (``core.selectors.site_search``). Rows exist only for what an anonymous
    visitor may see: ``core.search`` writes a row when its source becomes visible and deletes it
    when it stops being so; ``hidden_after`` hides what goes out of date by itself (an event
    that has started) without a job to remove it.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=SearchKind.choices)
    # "app_label.model_name" of the source row, and its primary key as text (works have UUIDs).
    source = models.CharField(_("source"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"), blank=True)
    url = models.CharField(_("address"), max_length=500)
    hidden_after = models.DateTimeField(_("hidden after"), null=True, blank=True)
    vector = SearchVectorField()
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(fields=["source", "object_id"], name="core_search_one_entry")
        ]
        indexes = [
            GinIndex(fields=["vector"], name="core_search_vector"),
            models.Index(fields=["kind"], name="core_search_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
