"""The activity record: partitions, roll-ups, retention and forgetting, on real PostgreSQL."""

import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.tests.factories import UserFactory
from core.insight import partitions, services
from core.insight.models import (
    HOURLY_LEVELS,
    LEVELS,
    ActivityEvent,
    DailyRollup,
    HourlyRollup,
    MonthlyRollup,
    RollupState,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SHANGHAI)


def partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM insight_activityevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def test_an_event_carries_a_pseudonym_group_and_district_not_the_email(db):
    reader = UserFactory(audience_group="senior", district="hunnan")
    event = services.record("course.enrolled", user=reader, subject=("courses.coursepage", 7))
    row = ActivityEvent.objects.get(pk=event.pk)
    assert row.actor == services.pseudonym(reader.pk)
    assert len(row.actor) == 64 and str(reader.pk) != row.actor
    assert (row.audience, row.district, row.person_id) == ("senior", "hunnan", reader.pk)
    assert (row.subject_type, row.subject_id) == ("courses.coursepage", "7")


@override_settings(INSIGHT_PSEUDONYM_KEY="another-key")
def test_the_pseudonym_is_keyed(db):
    assert services.pseudonym(5) != services.hmac.new(b"", b"5", "sha256").hexdigest()
    with override_settings(INSIGHT_PSEUDONYM_KEY="a-third-key"):
        other = services.pseudonym(5)
    assert services.pseudonym(5) != other


def test_an_unknown_kind_is_a_programming_error(db):
    with pytest.raises(ValueError, match="unknown activity kind"):
        services.record("course.enroled")
    assert not ActivityEvent.objects.exists()


def test_visitors_are_recorded_without_a_pseudonym(db):
    from django.contrib.auth.models import AnonymousUser

    event = services.record("site.searched", user=AnonymousUser(), term="  剪纸   Paper ")
    row = ActivityEvent.objects.get(pk=event.pk)
    assert (row.actor, row.person_id, row.term) == ("", None, "剪纸 paper")


def test_events_land_in_their_months_partition_and_late_months_collect_waiting_rows(db):
    partitions.ensure_months(around=at(2026, 12, 15), ahead=0)
    december = services.record("page.viewed", at=at(2026, 12, 31, 23, 59))
    # 2031 has no partition yet: the default partition takes it, nothing fails.
    future = services.record("page.viewed", at=at(2031, 3, 1, 0, 0))
    assert partition_of(december.pk) == "insight_activityevent_y2026m12"
    assert partition_of(future.pk) == "insight_activityevent_default"
    assert partitions.ensure_month(at(2031, 3, 9)) is True
    assert partition_of(future.pk) == "insight_activityevent_y2031m03"
    assert partitions.ensure_month(at(2031, 3, 9)) is False
    # The boundary is the library's midnight, not UTC's.
    january = services.record("page.viewed", at=at(2027, 1, 1, 0, 0))
    partitions.ensure_month(at(2027, 1, 1))
    assert partition_of(january.pk) == "insight_activityevent_y2027m01"


def test_a_refusal_is_recorded_only_when_the_outer_transaction_commits(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_refusal("booking.refused", outcome="full")
    assert ActivityEvent.objects.filter(kind="booking.refused", outcome="full").count() == 1


# --- Roll-ups --------------------------------------------------------------------------------

KINDS = ["page.viewed", "booking.created", "print.finished"]
event_strategy = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "minute": st.integers(min_value=0, max_value=3 * 60 - 1),
        "audience": st.sampled_from(["", "senior", "child"]),
        "district": st.sampled_from(["", "hunnan"]),
        "subject": st.sampled_from([None, 1, 2]),
        "outcome": st.sampled_from(["", "done", "failed"]),
        "term": st.sampled_from(["", "剪纸", "3d"]),
        "value": st.one_of(st.none(), st.floats(min_value=0, max_value=1000)),
    }
)


class RollupEqualsDirectCount(TestCase):
    """Hours, days and months equal a direct count of the raw events, also when events arrive
    after their hour was counted or leave it (a dimension that disappears from an hour must
    disappear from its day and month too)."""

    start = at(2026, 11, 30, 23, 0)  # three hours across a library midnight and month end

    def _write(self, drawn: list[dict]) -> list[ActivityEvent]:
        return ActivityEvent.objects.bulk_create(
            ActivityEvent(
                occurred_at=self.start + dt.timedelta(minutes=e["minute"]),
                kind=e["kind"],
                audience=e["audience"],
                district=e["district"],
                subject_type="x.y" if e["subject"] else "",
                subject_id=str(e["subject"] or ""),
                outcome=e["outcome"],
                term=e["term"],
                value=e["value"],
            )
            for e in drawn
        )

    def _assert_counts_equal(self, drawn: list[dict]) -> None:
        """Every level of every roll-up equals a direct count of the events, with the
        dimensions the level does not keep left empty."""
        names = ("kind", "audience", "district", "subject_id", "outcome", "term")

        def dims(row, kept) -> tuple:
            return tuple(getattr(row, n) if n in kept else "" for n in names)

        def grain(moment: dt.datetime, table: str):
            return {
                "hour": moment.replace(minute=0),
                "day": moment.date(),
                "month": moment.date().replace(day=1),
            }[table]

        tables = {"hour": (HourlyRollup, HOURLY_LEVELS), "day": (DailyRollup, LEVELS)}
        tables["month"] = (MonthlyRollup, LEVELS)
        for table, (model, levels) in tables.items():
            for level, kept in levels.items():
                expected: Counter = Counter()
                values: dict[tuple, float] = defaultdict(float)
                for e in drawn:
                    moment = self.start + dt.timedelta(minutes=e["minute"])
                    event = dict(e, subject_id=str(e["subject"] or ""))
                    key = (grain(moment, table), *(event[n] if n in kept else "" for n in names))
                    expected[key] += 1
                    values[key] += e["value"] or 0
                rows = {}
                for row in model.objects.filter(level=level):
                    moment = getattr(row, table)
                    at_ = moment.astimezone(SHANGHAI) if table == "hour" else moment
                    rows[(at_, *dims(row, kept))] = row
                assert Counter({k: r.events for k, r in rows.items()}) == expected, (table, level)
                for key, total in values.items():
                    assert rows[key].value_sum == pytest.approx(total), (table, level, key)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(event_strategy, max_size=30),
        st.lists(event_strategy, max_size=15),
        st.lists(st.booleans(), max_size=30),
    )
    def test_hourly_daily_and_monthly_rollups_equal_a_direct_count(self, first, later, gone):
        partitions.ensure_months(around=self.start, back=0, ahead=1)
        written = self._write(first)
        hours = [self.start + dt.timedelta(hours=n) for n in range(3)]
        for hour in hours:
            services.roll_up_hour(hour)
        self._assert_counts_equal(first)
        # Later events arrive and some leave; each hour is counted again, twice.
        self._write(later)
        leaving = [e.pk for e, go in zip(written, gone, strict=False) if go]
        ActivityEvent.objects.filter(pk__in=leaving).delete()
        kept = [e for e, go in zip(first, [*gone, *[False] * len(first)], strict=False) if not go]
        for _run in range(2):
            for hour in hours:
                services.roll_up_hour(hour)
            self._assert_counts_equal(kept + later)
        # The three hours as one range give the same numbers.
        services.roll_up_range(self.start, self.start + dt.timedelta(hours=3))
        self._assert_counts_equal(kept + later)


def test_closed_hours_are_rolled_up_once_with_a_watermark(db):
    partitions.ensure_months(around=at(2026, 12, 2), ahead=0)
    for minute in (5, 65, 125):
        services.record("page.viewed", at=at(2026, 12, 2, 9, 0) + dt.timedelta(minutes=minute))
    # At 11:05 the 10:00 hour is still in its grace period: only 9:00 is closed.
    assert services.roll_up_closed_hours(now=at(2026, 12, 2, 11, 5)) == 1
    assert services.rolled_until() == at(2026, 12, 2, 10, 0)
    assert services.roll_up_closed_hours(now=at(2026, 12, 2, 11, 5)) == 0
    assert services.roll_up_closed_hours(now=at(2026, 12, 2, 12, 10)) == 2
    assert sum(HourlyRollup.objects.filter(level="full").values_list("events", flat=True)) == 3
    assert DailyRollup.objects.get(level="full").events == 3


def test_a_long_outage_is_caught_up_a_week_at_a_time(db):
    partitions.ensure_months(around=at(2026, 10, 2), ahead=2)
    services.record("page.viewed", at=at(2026, 10, 1, 0, 30))
    now = at(2026, 11, 1)
    assert services.roll_up_closed_hours(now=now) == services.MAX_HOURS_PER_RUN
    assert services.roll_up_closed_hours(now=now) == services.MAX_HOURS_PER_RUN


# --- Retention and forgetting ------------------------------------------------------------------


@override_settings(INSIGHT_RAW_MONTHS=3, INSIGHT_PERSON_MONTHS=2)
def test_retention_drops_exactly_the_months_past_it_and_keeps_the_counts(db):
    reader = UserFactory()
    now = at(2026, 12, 2, 12)
    partitions.ensure_months(around=now, back=5, ahead=0)
    for month in (7, 8, 9, 10, 11, 12):
        services.record("page.viewed", user=reader, at=at(2026, month, 1, 0, 0))
    services.record("page.viewed", user=reader, at=at(2026, 9, 30, 23, 59))
    services.roll_up_closed_hours(now=at(2026, 7, 1, 2))  # July's first hour only
    RollupState.objects.filter(id=1).update(rolled_until=at(2026, 12, 2, 11))
    for hour in ActivityEvent.objects.values_list("occurred_at", flat=True):
        services.roll_up_hour(hour)
    before = sum(DailyRollup.objects.filter(level="full").values_list("events", flat=True))
    report = services.maintain(now=now)
    # Three months of raw events: October, November, December.
    assert report["dropped"] == [
        "insight_activityevent_y2026m07",
        "insight_activityevent_y2026m08",
        "insight_activityevent_y2026m09",
    ]
    kept = sorted(
        e.astimezone(SHANGHAI) for e in ActivityEvent.objects.values_list("occurred_at", flat=True)
    )
    assert kept == [at(2026, 10, 1), at(2026, 11, 1), at(2026, 12, 1)]
    full = DailyRollup.objects.filter(level="full")
    assert sum(full.values_list("events", flat=True)) == before == 7
    # The link to the person is kept for two months: November and December.
    assert sorted(
        e.astimezone(SHANGHAI).month
        for e in ActivityEvent.objects.filter(person_id=reader.pk).values_list(
            "occurred_at", flat=True
        )
    ) == [11, 12]
    assert "insight_activityevent_y2027m02" in partitions.existing()


@override_settings(INSIGHT_RAW_MONTHS=1)
def test_retention_never_drops_what_was_not_rolled_up(db):
    partitions.ensure_months(around=at(2026, 12, 2), back=3, ahead=0)
    services.record("page.viewed", at=at(2026, 9, 10))
    assert services.maintain(now=at(2026, 12, 2))["dropped"] == []
    assert ActivityEvent.objects.count() == 1


def test_forgetting_a_reader_removes_their_events_and_keeps_the_counts(db):
    reader, other = UserFactory(audience_group="senior"), UserFactory()
    partitions.ensure_months(around=at(2026, 12, 2), ahead=0)
    services.record("course.enrolled", user=reader, at=at(2026, 12, 2, 9, 10))
    services.record("course.enrolled", user=other, at=at(2026, 12, 2, 9, 20))
    services.roll_up_closed_hours(now=at(2026, 12, 2, 10, 30))
    # This hour is not rolled up yet.
    services.record("lesson.viewed", user=reader, at=at(2026, 12, 2, 10, 40), term="x")
    services.forget(user_id=reader.pk)
    rows = list(ActivityEvent.objects.order_by("occurred_at"))
    assert [(r.kind, r.person_id) for r in rows] == [
        ("course.enrolled", other.pk),
        ("lesson.viewed", None),
    ]
    assert (rows[1].actor, rows[1].audience, rows[1].term) == ("", "", "")
    assert not ActivityEvent.objects.filter(actor=services.pseudonym(reader.pk)).exists()
    services.roll_up_closed_hours(now=at(2026, 12, 2, 12, 0))
    totals = Counter()
    for row in DailyRollup.objects.filter(level="full"):
        totals[row.kind] += row.events
    assert totals == {
        "course.enrolled": 2,
        "lesson.viewed": 1,
    }


def test_deleting_an_account_forgets_its_activity_its_years_and_its_copies(db, s3_endpoint):
    from accounts.services import delete_account
    from core.insight.models import DataExport, YearReview
    from media.models import StoredFile

    reader = UserFactory()
    services.record("course.enrolled", user=reader)
    YearReview.objects.create(user=reader, year=2025, figures={"courses_completed": 1})
    copy = services.request_export(user=reader)
    services.build_export(export_id=copy.pk)
    delete_account(user=reader)
    assert not YearReview.objects.filter(user=reader).exists()
    assert not DataExport.objects.filter(user=reader).exists()
    assert not StoredFile.objects.filter(owner=reader, key__startswith="exports/").exists()
    assert not ActivityEvent.objects.filter(person_id=reader.pk).exists()
    assert not ActivityEvent.objects.filter(actor=services.pseudonym(reader.pk)).exists()
