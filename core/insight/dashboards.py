"""The staff dashboards: what each one shows, read from the roll-ups (and, for search words and
reasons, which the roll-ups do not keep, from the raw events of the period).

A dashboard is a list of ``Table``s for a ``Filters``; the page draws each table as a chart and
as the table itself (the accessible form of the chart), and the CSV and XLSX downloads write
exactly the same tables. Each dashboard belongs to the role that runs that part of the library.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import HOURLY_LEVELS, LEVELS, DailyRollup, HourlyRollup, MonthlyRollup


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    location: str = ""
    audience: str = ""
    district: str = ""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # The column drawn as the chart's bars (None: no chart, e.g. a heat map shown as a grid).
    chart_column: int | None = 1
    heat: bool = False

    def chart_rows(self) -> list[tuple[str, float]]:
        if self.chart_column is None:
            return []
        return [(str(row[0]), float(row[self.chart_column] or 0)) for row in self.rows[:20]]


@dataclass(frozen=True)
class Dashboard:
    code: str
    title: str
    permission: str
    build: Callable[[Filters], list[Table]]


# --- Reading ----------------------------------------------------------------------------------


def _bounds(filters: Filters) -> tuple[dt.datetime, dt.datetime]:
    """The period as moments: from the start of its first library day to the end of its last."""
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(filters.start, dt.time(), tzinfo=zone),
        dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    )


FILTERED = ("location", "audience", "district")


def _narrowed(rows: QuerySet, filters: Filters) -> QuerySet:
    for name in FILTERED:
        if getattr(filters, name):
            rows = rows.filter(**{name: getattr(filters, name)})
    return rows


def _spans(filters: Filters, level: str) -> list[QuerySet]:
    """The roll-up rows of ``level`` that make up the period: whole months from the monthly
    roll-up, the days before the first and after the last whole month from the daily one."""
    first = filters.start if filters.start.day == 1 else _next_month(filters.start)
    # The day after the last whole month: the end's own month is whole if the period ends on
    # its last day.
    last_of_month = (filters.end + dt.timedelta(days=1)).day == 1
    after = _next_month(filters.end) if last_of_month else filters.end.replace(day=1)
    days, months = (
        DailyRollup.objects.filter(level=level),
        MonthlyRollup.objects.filter(level=level),
    )
    if first >= after:  # no whole month inside
        return [days.filter(day__gte=filters.start, day__lte=filters.end)]
    return [
        months.filter(month__gte=first, month__lt=after),
        days.filter(day__gte=filters.start, day__lt=first),
        days.filter(day__gte=after, day__lte=filters.end),
    ]


def _level(filters: Filters, needed: Iterable[str], levels: dict = LEVELS) -> str:
    """The smallest level of a roll-up (``LEVELS`` or ``HOURLY_LEVELS``) that keeps every
    dimension grouped or filtered by."""
    wanted = {"kind", *needed, *(name for name in FILTERED if getattr(filters, name))}
    fitting = [level for level, kept in levels.items() if wanted <= set(kept)]
    return min(fitting, key=lambda level: len(levels[level]))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def summed(filters: Filters, kinds: Iterable[str], by: Iterable[str], **where: str) -> list[dict]:
    """Events, values and quantities over the period, grouped by the dimensions ``by``."""
    by = list(by)
    merged: dict[tuple, dict] = {}
    for rows in _spans(filters, _level(filters, [*by, *where])):
        rows = _narrowed(rows.filter(kind__in=list(kinds), **where), filters)
        for row in rows.values(*by).annotate(
            events=Sum("events"), value=Sum("value_sum"), quantity=Sum("quantity_sum")
        ):
            key = tuple(row[name] for name in by)
            if key in merged:
                for total in ("events", "value", "quantity"):
                    merged[key][total] += row[total]
            else:
                merged[key] = row
    return list(merged.values())


def totals(filters: Filters, kinds: Iterable[str]) -> dict[tuple[str, str], dict]:
    """{(kind, outcome): {"events", "value", "quantity"}} over the period."""
    return {
        (row["kind"], row["outcome"]): row for row in summed(filters, kinds, ("kind", "outcome"))
    }


def _count(found: dict, kind: str, outcome: str | None = None, key: str = "events") -> float:
    return sum(row[key] or 0 for (k, o), row in found.items() if k == kind and outcome in (None, o))


def by_subject(filters: Filters, kinds: Iterable[str]) -> dict[tuple[str, str], dict]:
    """{(subject_type, subject_id): {(kind, outcome): {...}}} over the period."""
    grouped: dict[tuple[str, str], dict] = defaultdict(dict)
    for row in summed(filters, kinds, ("subject_type", "subject_id", "kind", "outcome")):
        grouped[(row["subject_type"], row["subject_id"])][(row["kind"], row["outcome"])] = row
    return grouped


def labels(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Names for subjects, one query per kind of subject; a deleted one keeps its id."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id in keys:
        if subject_type and subject_id:
            wanted[subject_type].add(subject_id)
    names = {}
    for subject_type, ids in wanted.items():
        try:
            model = apps.get_model(subject_type)
        except (LookupError, ValueError):
            continue
        pk = model._meta.pk
        valid = []
        for raw in ids:
            try:
                valid.append(pk.to_python(raw))
            except Exception:  # noqa: S112 - an id the model cannot read has no name
                continue
        for obj in model._default_manager.filter(pk__in=valid):
            names[(subject_type, str(obj.pk))] = str(obj)
    return names


def _name(names: dict, key: tuple[str, str]) -> str:
    return names.get(key) or (f"#{key[1]}" if key[1] else "—")


def _number(value: float) -> float | int:
    """A whole number as one (15, not 15.0): counts summed from float columns."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _rate(part: float, whole: float) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _mean_hours(found: dict, kind: str, outcome: str | None = None) -> float:
    events = _count(found, kind, outcome)
    return round(_count(found, kind, outcome, "value") / events, 1) if events else 0.0


# --- The dashboards ---------------------------------------------------------------------------

COUNT = pgettext_lazy("statistics column", "Number")
RATE = pgettext_lazy("statistics column", "Share (%)")

REFUSALS = {
    "full": _("Event full"),
    "conflict": _("Time already booked"),
    "already_booked": _("Already booked"),
    "quota": _("Booking limit reached"),
    "suspended": _("Reader suspended"),
    "audience": _("Not for this audience"),
    "notice": _("Too short notice"),
    "window": _("Too far ahead"),
    "closed": _("Library closed"),
}

BOOKING_KINDS = [
    "booking.created",
    "booking.checked_in",
    "booking.no_show",
    "booking.cancelled",
    "booking.declined",
    "booking.refused",
    "waitlist.joined",
    "waitlist.offered",
]


def bookings(filters: Filters) -> list[Table]:
    found = totals(filters, BOOKING_KINDS)
    taken = _count(found, "booking.created")
    outcomes = [
        (_("Places and bookings taken"), taken),
        (_("Checked in"), _count(found, "booking.checked_in")),
        (_("Not attended (no-show)"), _count(found, "booking.no_show")),
        (_("Cancelled in time"), _count(found, "booking.cancelled", "in_time")),
        (_("Cancelled late (less than a day before)"), _count(found, "booking.cancelled", "late")),
        (
            _("Offers from the waiting list turned down"),
            _count(found, "booking.cancelled", "offer_declined"),
        ),
        (_("Requests declined by staff"), _count(found, "booking.declined")),
    ]
    tables = [
        Table(
            str(_("Outcomes")),
            [str(_("Outcome")), str(COUNT), str(RATE)],
            [[str(label), int(n), _rate(n, taken)] for label, n in outcomes],
        )
    ]
    refused = sorted(
        ((o, row["events"]) for (k, o), row in found.items() if k == "booking.refused"),
        key=lambda item: -item[1],
    )
    tables.append(
        Table(
            str(_("Demand turned away")),
            [str(_("Reason")), str(COUNT)],
            [[str(REFUSALS.get(code, code)), int(n)] for code, n in refused]
            + [
                [str(_("Joined a waiting list")), int(_count(found, "waitlist.joined"))],
                [str(_("Offered a freed place")), int(_count(found, "waitlist.offered"))],
            ],
        )
    )
    subjects = by_subject(filters, BOOKING_KINDS)
    names = labels(subjects)
    rows = []
    for key, kinds in subjects.items():
        places = sum(r["events"] for (k, _o), r in kinds.items() if k == "booking.created")
        no_show = sum(r["events"] for (k, _o), r in kinds.items() if k == "booking.no_show")
        full = sum(
            r["events"] for (k, o), r in kinds.items() if k == "booking.refused" and o == "full"
        )
        hours = sum(r["value"] or 0 for (k, _o), r in kinds.items() if k == "booking.created")
        rows.append(
            [
                _name(names, key),
                int(places),
                round(hours, 1),
                int(no_show),
                _rate(no_show, places),
                int(full),
            ]
        )
    rows.sort(key=lambda row: -row[1])
    tables.append(
        Table(
            str(_("By room, resource or event")),
            [
                str(_("Room, resource or event")),
                str(_("Bookings")),
                str(_("Hours booked")),
                str(_("No-shows")),
                str(_("No-show rate (%)")),
                str(_("Turned away: full")),
            ],
            rows[:50],
        )
    )
    tables.append(_heat(filters))
    return tables


WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _heat(filters: Filters) -> Table:
    """Attended bookings by weekday × hour: check-ins happen when the booking starts."""
    from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

    zone = timezone.get_current_timezone()
    start, end = _bounds(filters)
    level = _level(filters, [], HOURLY_LEVELS)
    rows = _narrowed(
        HourlyRollup.objects.filter(
            level=level, kind="booking.checked_in", hour__gte=start, hour__lt=end
        ),
        filters,
    )
    grid = defaultdict(int)
    for row in (
        rows.annotate(
            weekday=ExtractIsoWeekDay("hour", tzinfo=zone), at=ExtractHour("hour", tzinfo=zone)
        )
        .values("weekday", "at")
        .annotate(n=Sum("events"))
    ):
        grid[(row["weekday"], row["at"])] = row["n"]
    hours = range(8, 22)
    return Table(
        str(_("Check-ins by weekday and hour")),
        [str(_("Weekday")), *[f"{h:02d}:00" for h in hours]],
        [[str(WEEKDAYS[d - 1]), *[grid[(d, h)] for h in hours]] for d in range(1, 8)],
        chart_column=None,
        heat=True,
    )


LEARNING_KINDS = [
    "course.enrolled",
    "lesson.viewed",
    "lesson.completed",
    "course.completed",
    "badge.issued",
    "certificate.issued",
]


def learning(filters: Filters) -> list[Table]:
    found = totals(filters, LEARNING_KINDS)
    summary = [
        (_("Enrolments"), _count(found, "course.enrolled")),
        (_("Lessons opened"), _count(found, "lesson.viewed")),
        (_("Lessons completed"), _count(found, "lesson.completed")),
        (_("Courses completed"), _count(found, "course.completed")),
        (_("Badges awarded"), _count(found, "badge.issued")),
        (_("Certificates issued"), _count(found, "certificate.issued")),
        (
            _("Hours spent on completed lessons"),
            round(_count(found, "lesson.completed", key="value") / 3600, 1),
        ),
    ]
    tables = [
        Table(
            str(_("Summary")),
            [str(_("Measure")), str(COUNT)],
            [[str(label), _number(n)] for label, n in summary],
            # Counts, hours and rates side by side: one bar scale would mislead.
            chart_column=None,
        )
    ]
    subjects = by_subject(filters, LEARNING_KINDS)
    names = labels(subjects)
    courses, lessons = [], []
    counts = {}
    for key, kinds in subjects.items():
        count = {
            k: sum(r["events"] for (kk, _o), r in kinds.items() if kk == k) for k in LEARNING_KINDS
        }
        counts[key] = count
        if key[0] == "courses.coursepage":
            enrolled, done = count["course.enrolled"], count["course.completed"]
            courses.append(([_name(names, key), enrolled, done, _rate(done, enrolled)], key[1]))
        elif key[0] == "courses.lessonpage":
            lessons.append(
                [
                    _name(names, key),
                    count["lesson.viewed"],
                    count["lesson.completed"],
                    _rate(count["lesson.completed"], count["lesson.viewed"]),
                ]
            )
    courses.sort(key=lambda item: -item[0][1])
    lessons.sort(key=lambda row: -row[1])
    funnels = _funnels(courses[:FUNNELS], counts)
    by_path = _by_path(counts)
    courses = [row for row, _course_id in courses]
    tables.append(
        Table(
            str(_("By course")),
            [
                str(_("Course")),
                str(_("Enrolled")),
                str(_("Completed")),
                str(_("Completion rate (%)")),
            ],
            courses[:50],
        )
    )
    tables.append(
        Table(
            str(_("Lessons: opened and completed")),
            [
                str(_("Lesson")),
                str(_("Opened")),
                str(_("Completed")),
                str(_("Completed of opened (%)")),
            ],
            lessons[:50],
        )
    )
    tables.append(
        Table(
            str(_("By learning path")),
            [
                str(_("Learning path")),
                str(_("Enrolled")),
                str(_("Completed")),
                str(_("Completion rate (%)")),
            ],
            by_path,
        )
    )
    tables.extend(funnels)
    audience_field = apps.get_model("accounts", "User")._meta.get_field("audience_group")
    audience_names = dict(audience_field.choices)
    by_audience = defaultdict(lambda: [0, 0])
    for row in summed(filters, ["course.enrolled", "course.completed"], ("audience", "kind")):
        by_audience[row["audience"]][0 if row["kind"] == "course.enrolled" else 1] += row["events"]
    tables.append(
        Table(
            str(_("By audience group")),
            [str(_("Audience group")), str(_("Enrolled")), str(_("Completed"))],
            [
                [str(audience_names.get(code, _("Not given"))), *counts]
                for code, counts in sorted(by_audience.items(), key=lambda item: -item[1][0])
            ],
        )
    )
    return tables


def _by_path(counts: dict) -> list[list]:
    """Enrolments in and completions of each live path's courses (a course on two paths counts
    on both: each path's row says how its own courses went)."""
    from courses.models import PathCourse

    totals: dict[int, list] = {}
    for link in PathCourse.objects.filter(path__live=True).select_related("path"):
        row = totals.setdefault(link.path_id, [link.path.title, 0, 0])
        count = counts.get(("courses.coursepage", str(link.course_id)), {})
        row[1] += count.get("course.enrolled", 0)
        row[2] += count.get("course.completed", 0)
    rows = [
        [title, enrolled, done, _rate(done, enrolled)] for title, enrolled, done in totals.values()
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


# The most enrolled courses get a funnel table each.
FUNNELS = 3


def _funnels(top: list[tuple[list, str]], counts: dict) -> list[Table]:
    """How far each course's learners got: its live lessons in reading order, each with how
    often it was opened and completed, and completions as a share of the period's enrolments.
    ``top`` holds the "by course" rows (name, enrolled, …) with their course ids."""
    from courses.models import CoursePage
    from courses.selectors import lessons_of

    found = CoursePage.objects.in_bulk([int(pk) for _row, pk in top if pk.isdigit()])
    tables = []
    for row, course_id in top:
        course = found.get(int(course_id)) if course_id.isdigit() else None
        if course is not None:
            tables.append(_funnel(row[0], row[1], lessons_of(course), counts))
    return tables


def _funnel(title: str, enrolled: float, lessons, counts: dict) -> Table:
    rows = []
    for lesson in lessons:
        count = counts.get(("courses.lessonpage", str(lesson.pk)), {})
        done = count.get("lesson.completed", 0)
        rows.append([lesson.title, count.get("lesson.viewed", 0), done, _rate(done, enrolled)])
    return Table(
        str(_("Funnel through “%(course)s”") % {"course": title}),
        [
            str(_("Lesson, in order")),
            str(_("Opened")),
            str(_("Completed")),
            str(_("Completed, of those enrolled (%)")),
        ],
        rows,
        chart_column=3,
    )


MAKER_KINDS = [
    "print.submitted",
    "print.decided",
    "print.started",
    "print.finished",
    "studio.processed",
]
PRINT_OUTCOMES = {"done": _("Printed"), "failed": _("Failed"), "cancelled": _("Cancelled")}


def makerspace(filters: Filters) -> list[Table]:
    found = totals(filters, MAKER_KINDS)
    finished = _count(found, "print.finished")
    summary = [
        (_("Prints submitted"), _count(found, "print.submitted")),
        (_("Approved"), _count(found, "print.decided", "approved")),
        (_("Rejected"), _count(found, "print.decided", "rejected")),
        (_("Mean hours from submission to decision"), _mean_hours(found, "print.decided")),
        (_("Prints started"), _count(found, "print.started")),
        (_("Mean hours from approval to print start"), _mean_hours(found, "print.started")),
        *[(label, _count(found, "print.finished", code)) for code, label in PRINT_OUTCOMES.items()],
        (
            _("Success rate of prints that ended (%)"),
            _rate(_count(found, "print.finished", "done"), finished),
        ),
        (_("Hours printed"), round(_count(found, "print.finished", key="value"), 1)),
        (_("Filament used (g)"), round(_count(found, "print.finished", key="quantity"), 1)),
        (_("Studio recordings processed"), _count(found, "studio.processed", "done")),
        (_("Studio recordings failed"), _count(found, "studio.processed", "failed")),
    ]
    tables = [
        Table(
            str(_("Summary")),
            [str(_("Measure")), str(COUNT)],
            [[str(label), _number(n)] for label, n in summary],
            # Counts, hours and rates side by side: one bar scale would mislead.
            chart_column=None,
        )
    ]
    subjects = by_subject(filters, ["print.finished"])
    names = labels(subjects)
    rows = []
    for key, kinds in subjects.items():
        if key[0] != "makerspace.printer":
            continue
        per = {
            code: sum(r["events"] for (_k, o), r in kinds.items() if o == code)
            for code in PRINT_OUTCOMES
        }
        hours = sum(r["value"] or 0 for r in kinds.values())
        grams = sum(r["quantity"] or 0 for r in kinds.values())
        total = sum(per.values())
        rows.append(
            [
                _name(names, key),
                *per.values(),
                _rate(per["done"], total),
                round(hours, 1),
                round(grams, 1),
            ]
        )
    rows.sort(key=lambda row: -row[1])
    tables.append(
        Table(
            str(_("By printer")),
            [
                str(_("Printer")),
                *[str(label) for label in PRINT_OUTCOMES.values()],
                str(_("Success rate (%)")),
                str(_("Hours printed")),
                str(_("Filament used (g)")),
            ],
            rows,
        )
    )
    reasons = _top_terms(
        row
        for row in summed(filters, ["print.finished"], ("outcome", "term"))
        if row["outcome"] != "done"
    )
    tables.append(
        Table(
            str(_("Reasons prints failed or were cancelled")),
            [str(_("Reason")), str(COUNT)],
            reasons,
        )
    )
    return tables


ARCHIVE_KINDS = ["interview.played", "archive.searched", "access.requested", "access.decided"]


def archive(filters: Filters) -> list[Table]:
    found = totals(filters, ARCHIVE_KINDS)
    summary = [
        (_("Plays"), _count(found, "interview.played", key="quantity")),
        (_("Hours listened"), round(_count(found, "interview.played", key="value") / 3600, 1)),
        (_("Searches"), _count(found, "archive.searched")),
        (_("Searches that found nothing"), _count(found, "archive.searched", "none")),
        (_("Access requests"), _count(found, "access.requested")),
        (_("Granted"), _count(found, "access.decided", "granted")),
        (_("Declined"), _count(found, "access.decided", "declined")),
        (_("Mean hours to a decision"), _mean_hours(found, "access.decided")),
    ]
    tables = [
        Table(
            str(_("Summary")),
            [str(_("Measure")), str(COUNT)],
            [[str(label), _number(n)] for label, n in summary],
            # Counts, hours and rates side by side: one bar scale would mislead.
            chart_column=None,
        )
    ]
    subjects = by_subject(filters, ["interview.played"])
    names = labels(subjects)
    rows = [
        [
            _name(names, key),
            int(sum(r["quantity"] or 0 for r in kinds.values())),
            round(sum(r["value"] or 0 for r in kinds.values()) / 60, 1),
        ]
        for key, kinds in subjects.items()
    ]
    rows.sort(key=lambda row: (-row[1], -row[2]))
    tables.append(
        Table(
            str(_("Interviews played")),
            [str(_("Interview")), str(_("Plays")), str(_("Minutes listened"))],
            rows[:50],
        )
    )
    tables.extend(_searches(filters, "archive.searched"))
    return tables


def _searches(filters: Filters, kind: str) -> list[Table]:
    found = summed(filters, [kind], ("outcome", "term"))
    return [
        Table(str(_("Top searches")), [str(_("Words")), str(COUNT)], _top_terms(found)),
        Table(
            str(_("Searches that found nothing")),
            [str(_("Words")), str(COUNT)],
            _top_terms(row for row in found if row["outcome"] == "none"),
        ),
    ]


def _top_terms(rows: Iterable[dict], limit: int = 20) -> list[list]:
    """The most frequent words of the rows (most first, then alphabetically)."""
    counted: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["term"]:
            counted[row["term"]] += row["events"]
    return [[term, n] for term, n in sorted(counted.items(), key=lambda t: (-t[1], t[0]))[:limit]]


WORK_KINDS = ["work.uploaded", "work.moderated", "work.reported", "work.viewed"]


def works(filters: Filters) -> list[Table]:
    found = totals(filters, WORK_KINDS)
    summary = [
        (_("Works uploaded"), _count(found, "work.uploaded")),
        (_("Approved"), _count(found, "work.moderated", "approve")),
        (_("Rejected"), _count(found, "work.moderated", "reject")),
        (_("Taken down"), _count(found, "work.moderated", "take_down")),
        (
            _("Mean hours from submission to decision"),
            _mean_hours(found, "work.moderated", "approve"),
        ),
        (_("Reports"), _count(found, "work.reported")),
        (_("Views of published works"), _count(found, "work.viewed")),
    ]
    tables = [
        Table(
            str(_("Summary")),
            [str(_("Measure")), str(COUNT)],
            [[str(label), _number(n)] for label, n in summary],
            # Counts, hours and rates side by side: one bar scale would mislead.
            chart_column=None,
        )
    ]
    kinds = sorted(
        ((o, row["events"]) for (k, o), row in found.items() if k == "work.uploaded"),
        key=lambda item: -item[1],
    )
    tables.append(
        Table(
            str(_("Uploads by kind")),
            [str(_("Kind")), str(COUNT)],
            [[o or "—", int(n)] for o, n in kinds],
        )
    )
    subjects = by_subject(filters, ["work.viewed"])
    names = labels(subjects)
    rows = sorted(
        (
            [_name(names, key), int(sum(r["events"] for r in k.values()))]
            for key, k in subjects.items()
        ),
        key=lambda row: -row[1],
    )
    tables.append(Table(str(_("Most viewed works")), [str(_("Work")), str(_("Views"))], rows[:30]))
    return tables


def site(filters: Filters) -> list[Table]:
    subjects = by_subject(filters, ["page.viewed"])
    names = labels(subjects)
    rows = sorted(
        (
            [_name(names, key), int(sum(r["events"] for r in k.values()))]
            for key, k in subjects.items()
        ),
        key=lambda row: -row[1],
    )
    return [
        Table(str(_("Most visited pages")), [str(_("Page")), str(_("Views"))], rows[:30]),
        *_searches(filters, "site.searched"),
    ]


DASHBOARDS = {
    d.code: d
    for d in (
        Dashboard("bookings", _("Bookings and events"), "booking.manage_bookings", bookings),
        Dashboard("learning", _("Learning"), "courses.view_stats", learning),
        Dashboard("makerspace", _("Maker space"), "makerspace.run_print_farm", makerspace),
        Dashboard("archive", _("Liaohai Memories archive"), "oral_history.manage_access", archive),
        Dashboard("works", _("Readers' works"), "ugc.moderate_work", works),
        Dashboard("site", _("Website"), "insight.view_statistics", site),
    )
}


def allowed(user, dashboard: Dashboard) -> bool:
    return user.has_perm(dashboard.permission) or user.has_perm("insight.view_statistics")
