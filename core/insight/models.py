"""The activity record and its roll-ups.

``ActivityEvent`` is append-only and partitioned by month in PostgreSQL (see the migration and
``partitions.py``): a month past retention is dropped as one table, not deleted row by row. Its
primary key in the database is (id, occurred_at), as PostgreSQL requires of a partitioned table;
Django addresses rows by ``id`` alone, which the identity sequence keeps unique.

Events are pseudonymous for analysis: ``actor`` is a keyed hash of the user id, with the
audience group and district kept beside it. ``person_id`` is the link back to the person, kept
only while the reader's own year in review and data export need it (INSIGHT_PERSON_MONTHS).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

# What the roll-ups count by. ``term`` is empty except for searches (their words) and ended
# prints (the reason), so it adds rows only where a dashboard lists words.
DIMENSIONS = (
    "kind",
    "audience",
    "district",
    "location",
    "subject_type",
    "subject_id",
    "outcome",
    "term",
)


class ActivityEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.CharField(_("pseudonym"), max_length=64, blank=True, default="")
    person_id = models.BigIntegerField(_("person"), null=True, blank=True)
    audience = models.CharField(_("audience group"), max_length=20, blank=True, default="")
    district = models.CharField(_("district"), max_length=20, blank=True, default="")
    location = models.CharField(_("location"), max_length=60, blank=True, default="")
    subject_type = models.CharField(_("subject type"), max_length=40, blank=True, default="")
    # Text: subjects have integer or UUID keys.
    subject_id = models.CharField(_("subject"), max_length=40, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=40, blank=True, default="")
    value = models.FloatField(_("value"), null=True, blank=True)
    quantity = models.FloatField(_("quantity"), null=True, blank=True)
    term = models.CharField(_("search words"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")
        permissions = [("view_statistics", _("Can see every statistics dashboard"))]
        indexes = [
            models.Index(fields=["kind", "occurred_at"], name="insight_event_kind_at"),
            models.Index(
                fields=["person_id", "occurred_at"],
                name="insight_event_person_at",
                condition=models.Q(person_id__isnull=False),
            ),
            models.Index(
                fields=["actor"], name="insight_event_actor", condition=~models.Q(actor="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


# The dimensions each level of a roll-up keeps (the others hold ""). A dashboard reads the
# smallest level that has what it groups and filters by: counts per subject need no audience,
# district or location, and counts per group need no subject, so neither reads rows that are
# split by the other (with every dimension, a busy year's roll-up is nearly as long as its
# events).
# Between two levels of the same size, the first listed is read (group totals are the shorter).
LEVELS = {
    "full": DIMENSIONS,
    "group": ("kind", "audience", "district", "location", "outcome"),
    "subject": ("kind", "subject_type", "subject_id", "outcome", "term"),
}
# The hourly roll-up's small level: what the weekday × hour heat map reads.
HOURLY_LEVELS = {"full": DIMENSIONS, "time": ("kind", "location", "outcome")}


class _Rollup(models.Model):
    level = models.CharField(_("level"), max_length=8, default="full")
    kind = models.CharField(_("kind"), max_length=40)
    audience = models.CharField(_("audience group"), max_length=20, blank=True, default="")
    district = models.CharField(_("district"), max_length=20, blank=True, default="")
    location = models.CharField(_("location"), max_length=60, blank=True, default="")
    subject_type = models.CharField(_("subject type"), max_length=40, blank=True, default="")
    subject_id = models.CharField(_("subject"), max_length=40, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=40, blank=True, default="")
    term = models.CharField(_("search words"), max_length=100, blank=True, default="")
    events = models.PositiveIntegerField(_("events"))
    value_sum = models.FloatField(_("sum of values"), default=0)
    quantity_sum = models.FloatField(_("sum of quantities"), default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind}: {self.events}"


class HourlyRollup(_Rollup):
    """Counts per hour and dimension, computed from the raw events of that hour."""

    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("hourly roll-up")
        verbose_name_plural = _("hourly roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "level", *DIMENSIONS], name="insight_hourly_unique"
            )
        ]
        indexes = [
            models.Index(fields=["level", "kind", "hour"], name="insight_hourly_kind_hour"),
            # The heat map of one audience group reads the full level through this.
            models.Index(
                fields=["kind", "audience", "hour"],
                name="insight_hourly_audience",
                condition=models.Q(level="full"),
            ),
        ]


class DailyRollup(_Rollup):
    """Counts per library day (Asia/Shanghai) and dimension, summed from the hourly roll-up."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily roll-up")
        verbose_name_plural = _("daily roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "level", *DIMENSIONS], name="insight_daily_unique"
            )
        ]
        indexes = [
            models.Index(fields=["level", "kind", "day"], name="insight_daily_kind_day"),
            # A dashboard filtered by group or place reads the full level through these.
            models.Index(
                fields=["kind", "audience", "day"],
                name="insight_daily_audience",
                condition=models.Q(level="full"),
            ),
            models.Index(
                fields=["kind", "location", "day"],
                name="insight_daily_location",
                condition=models.Q(level="full"),
            ),
        ]


class MonthlyRollup(_Rollup):
    """Counts per library month and dimension, summed from the daily roll-up: a dashboard over a
    year reads twelve months of these and the days at its ends, not 365 days of rows."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))

    class Meta:
        verbose_name = _("monthly roll-up")
        verbose_name_plural = _("monthly roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "level", *DIMENSIONS], name="insight_monthly_unique"
            )
        ]
        indexes = [
            models.Index(fields=["level", "kind", "month"], name="insight_monthly_kind_month"),
            models.Index(
                fields=["kind", "audience", "month"],
                name="insight_monthly_audience",
                condition=models.Q(level="full"),
            ),
            models.Index(
                fields=["kind", "location", "month"],
                name="insight_monthly_location",
                condition=models.Q(level="full"),
            ),
        ]


class RollupState(models.Model):
    """One row: every hour before ``rolled_until`` has been rolled up. Raw events before it may
    be dropped (retention) or deleted (a reader's account deletion) without changing counts."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rolled_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="insight_state_one")]

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until}"


class DataExport(models.Model):
    """A reader's copy of everything the platform holds about them (PIPL art. 45), prepared by
    a task as a ZIP of JSON and their original files, downloadable by them for a week."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reader"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="pending")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # The ZIP, in private storage.
    file = models.ForeignKey(
        "media.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]
        constraints = [
            # One export in preparation per reader: asking again while it runs changes nothing.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="insight_one_pending_export",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.requested_at:%Y-%m-%d}"


class YearReview(models.Model):
    """A reader's year at the library (我的年度报告): figures computed from their own activity,
    in batches by a task once the year is over; shown from the day the library chooses."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reader"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    figures = models.JSONField(_("figures"), default=dict)
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    # Set only while the reader shares their card: the public image's unguessable address.
    share_token = models.CharField(_("share token"), max_length=43, blank=True, default="")

    class Meta:
        verbose_name = _("year in review")
        verbose_name_plural = _("years in review")
        constraints = [
            models.UniqueConstraint(fields=["user", "year"], name="insight_one_review_a_year"),
            models.UniqueConstraint(
                fields=["share_token"],
                condition=~models.Q(share_token=""),
                name="insight_share_token_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.year}"


@register_setting(icon="date")
class YearReviewSettings(BaseSiteSetting):
    """When readers see their year in review: the librarians choose the year and the day."""

    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("The year readers look back on, e.g. 2026.")
    )
    opens_on = models.DateField(
        _("shown from"),
        null=True,
        blank=True,
        help_text=_("From this day readers find their year in review; empty keeps it hidden."),
    )

    class Meta:
        verbose_name = _("year in review")


class ItemPair(models.Model):
    """Readers who took up one thing also took up another (为你推荐): how many readers did both,
    and how alike the two are (the count over the geometric mean of each one's readers).
    Recomputed as a whole by a beat task from the activity record; only pairs shared by at
    least INSIGHT_RECOMMEND_MIN_READERS readers are kept, so a pair never points at one person.
    """

    item_type = models.CharField(_("item type"), max_length=40)
    item_id = models.CharField(_("item"), max_length=40)
    other_type = models.CharField(_("other item type"), max_length=40)
    other_id = models.CharField(_("other item"), max_length=40)
    readers = models.PositiveIntegerField(_("readers"))
    score = models.FloatField(_("similarity"))

    class Meta:
        verbose_name = _("item pair")
        verbose_name_plural = _("item pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["item_type", "item_id", "other_type", "other_id"],
                name="insight_one_item_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_type}:{self.item_id} ~ {self.other_type}:{self.other_id}"


class PopularItem(models.Model):
    """How many readers of an audience group ("" for everyone) took something up lately: what
    a visitor who has no history yet is shown first."""

    audience = models.CharField(_("audience group"), max_length=20, blank=True, default="")
    item_type = models.CharField(_("item type"), max_length=40)
    item_id = models.CharField(_("item"), max_length=40)
    readers = models.PositiveIntegerField(_("readers"))

    class Meta:
        verbose_name = _("popular item")
        verbose_name_plural = _("popular items")
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "item_type", "item_id"], name="insight_one_popular_item"
            )
        ]
        indexes = [models.Index(fields=["audience", "-readers"], name="insight_popular_rank")]

    def __str__(self) -> str:
        return f"{self.audience or '*'} {self.item_type}:{self.item_id} {self.readers}"
