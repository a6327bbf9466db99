import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import GenericUUIDTaggedItemBase, TaggedItemBase

from media.models import MediaAsset
from media.sniff import MediaKind


class Licence(models.TextChoices):
    CC_BY = "cc-by", _("CC BY 4.0 (attribution)")
    CC_BY_SA = "cc-by-sa", _("CC BY-SA 4.0 (attribution, share alike)")
    CC_BY_NC = "cc-by-nc", _("CC BY-NC 4.0 (attribution, non-commercial)")
    CC_BY_NC_SA = "cc-by-nc-sa", _("CC BY-NC-SA 4.0 (attribution, non-commercial, share alike)")
    CC_BY_ND = "cc-by-nd", _("CC BY-ND 4.0 (attribution, no derivatives)")
    CC_BY_NC_ND = "cc-by-nc-nd", _("CC BY-NC-ND 4.0 (attribution, non-commercial, no derivatives)")
    CC0 = "cc0", _("CC0 (public domain dedication)")
    ALL_RIGHTS_RESERVED = "arr", _("All rights reserved")


#: The language a work is in (what the gallery can filter by), not the site's own languages.
WORK_LANGUAGES = [("zh-hans", "中文"), ("en", "English"), ("other", _("Other"))]


class WorkState(models.TextChoices):
    PRIVATE = "private", _("Private")
    PENDING_REVIEW = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    TAKEN_DOWN = "taken_down", _("Taken down")


class Collection(models.Model):
    """用户专辑: a reader's own grouping of their works."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="ugc_collection_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class TaggedWork(GenericUUIDTaggedItemBase, TaggedItemBase):
    """Tags on works, whose ids are UUIDs (taggit's default through model wants integers)."""

    class Meta:
        verbose_name = _("tagged work")
        verbose_name_plural = _("tagged works")


class Work(models.Model):
    """Something a reader made and uploaded: a video, a podcast, photos, a document, a model.

    It is private until its owner submits it; a moderator publishes it (or says why not).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="works"
    )
    asset = models.OneToOneField(MediaAsset, on_delete=models.PROTECT, related_name="work")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    kind = models.CharField(_("kind"), max_length=10, db_index=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=WORK_LANGUAGES,
        default="zh-hans",
    )
    licence = models.CharField(
        _("licence"), max_length=12, choices=Licence.choices, default=Licence.ALL_RIGHTS_RESERVED
    )
    collection = models.ForeignKey(
        Collection,
        verbose_name=_("collection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="works",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=WorkState.choices, default=WorkState.PRIVATE
    )
    moderation_note = models.TextField(_("reason given by the moderator"), blank=True)
    captions = models.OneToOneField(
        "media.StoredFile",
        verbose_name=_("captions (WebVTT)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captioned_work",
    )
    tags = TaggableManager(verbose_name=_("tags"), blank=True, through=TaggedWork)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work")
        verbose_name_plural = _("works")
        permissions = [("moderate_work", _("Can moderate readers' works"))]
        indexes = [models.Index(fields=["state", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return str(MediaKind(self.kind).label) if self.kind in MediaKind.values else self.kind


class ModerationAction(models.Model):
    """Every decision about a work: who, when, what and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted for review")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        TAKE_DOWN = "take_down", _("Taken down")
        WITHDRAW = "withdraw", _("Withdrawn by the owner")
        DISMISS = "dismiss", _("Reports dismissed, kept published")

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="moderation_actions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.work_id}"


class Report(models.Model):
    """A reader's report that a published work breaks the rules."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # One open report per reader and work: repeating it adds nothing.
            models.UniqueConstraint(
                fields=["work", "reporter"],
                condition=models.Q(resolved_at__isnull=True),
                name="ugc_report_one_open_per_reader",
            )
        ]

    def __str__(self) -> str:
        return f"report on {self.work_id}"


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        constraints = [
            models.UniqueConstraint(fields=["user", "work"], name="ugc_favourite_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.work_id}"


class Comment(models.Model):
    """A reader's comment on a published work: plain text, shown at once, hidden by moderators
    when it breaks the rules (the text is kept for the record)."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(_("comment"), max_length=2000)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return self.body[:40]
