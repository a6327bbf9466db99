"""Demo activity: a month of what forty made-up readers did with the demo courses, events and
interviews, so the dashboards have numbers and 为你推荐 has pairs to follow.

The readers exist only as pseudonyms in the activity record (no accounts), so their events are
told apart and replaced on every run. The demo reader (王秀兰) completed the first course, so
her page shows suggestions that follow on from it.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from . import recommendations, services
from .models import ActivityEvent
from .services import HOUR

SEED_LAST = True
# Made-up readers' ids in the pseudonym (no account has a negative id).
FIRST_ID = -1000
READERS = 40
GROUPS = ["senior", "senior", "senior", "adult", "job_seeker", "child", "migrant_worker", ""]


def seed() -> list[str]:
    from accounts.models import User
    from booking.models import Event
    from courses.models import CoursePage, Enrolment, LessonProgress
    from courses.selectors import lessons_of
    from oral_history import selectors as archive

    courses = list(CoursePage.objects.live().public().order_by("path")[:4])
    interviews = list(
        archive.playable_by_anyone(archive.visible_interviews(AnonymousUser())).order_by("pk")[:3]
    )
    events = list(Event.objects.filter(is_cancelled=False).order_by("series_id", "starts_at"))
    series_events = [e for e in events if e.series_id][:1]
    one_off = [e for e in events if not e.series_id and "亲子" not in e.title][:3]
    family = [e for e in events if not e.series_id and "亲子" in e.title]
    if not courses:
        return ["no demo courses: nothing to do"]

    actors = [services.pseudonym(FIRST_ID - n) for n in range(READERS)]
    ActivityEvent.objects.filter(actor__in=actors).delete()
    now = timezone.now()
    chance = random.Random(20261202)  # noqa: S311 - demo figures, the same on every run
    written = []
    lessons = {course.pk: list(lessons_of(course)) for course in courses}
    for n, actor in enumerate(actors):
        group = GROUPS[n % len(GROUPS)]
        # Habits by group, so that each group's favourites differ: seniors learn the phone
        # course, go on to the next, join the weekly class and listen to the archive; children
        # take the last course and the family workshop; the others the second course and a talk.
        if group == "senior":
            first, then = courses[0], courses[min(1, len(courses) - 1)]
        elif group == "child":
            first, then = courses[-1], None
        else:
            first, then = courses[min(1, len(courses) - 1)], None
        taken = [("course.enrolled", first)]
        done = n % 3 != 0
        # Lessons in order; a third stop before the end, at different lessons (the funnel).
        course_lessons = lessons[first.pk]
        reached = (
            course_lessons if done else course_lessons[: 1 + n % max(1, len(course_lessons) - 1)]
        )
        for lesson in reached:
            taken += [("lesson.viewed", lesson), ("lesson.completed", lesson)]
        if done:
            taken.append(("course.completed", first))
        if then is not None and then != first and done:
            taken.append(("course.enrolled", then))
        if group == "senior":
            taken += [("interview.played", item) for item in interviews[: 1 + n % 2]]
            if series_events:
                taken.append(("booking.created", series_events[0]))
        elif group == "child" and family:
            taken.append(("booking.created", family[0]))
        elif one_off:
            taken.append(("booking.created", one_off[n % len(one_off)]))
        for kind, subject in taken:
            event = services.event_for(
                kind, subject=subject, at=now - dt.timedelta(hours=chance.randint(2, 24 * 28))
            )
            event.actor, event.audience = actor, group
            if kind == "interview.played":
                event.value, event.quantity = float(chance.randint(60, 900)), 1.0
            written.append(event)
    ActivityEvent.objects.bulk_create(written)

    reader = User.objects.filter(email="reader@demo.liaotu.cn").first()
    if reader is not None:
        finished = now - dt.timedelta(days=3)
        _enrolment, created = Enrolment.objects.update_or_create(
            user=reader, course=courses[0], defaults={"completed_at": finished}
        )
        # Her lessons are done too, so the course page agrees with "completed".
        for lesson in lessons[courses[0].pk]:
            LessonProgress.objects.update_or_create(
                user=reader,
                lesson=lesson,
                defaults={"viewed_at": finished, "completed_at": finished},
            )
        if created:  # her activity shows the course too (her year in review counts it)
            services.record("course.enrolled", user=reader, subject=courses[0], at=finished)
            services.record("course.completed", user=reader, subject=courses[0], at=finished)
    written_too = _makers_and_works()
    services.roll_up_range(now - dt.timedelta(days=29), services.floor_hour(now) + HOUR)
    found = recommendations.compute(now=now)
    reviews = _year_so_far(now)
    return [
        f"{len(written)} activity events of {READERS} made-up readers",
        f"{written_too} events of the demo print jobs and readers' works",
        f"{found['pairs']} item pairs and {found['popular']} popular items for 为你推荐",
        f"{reviews} years in review of this year so far, shown from today",
    ]


def _hours(start, end) -> float | None:
    return (end - start).total_seconds() / 3600 if start and end else None


def _makers_and_works() -> int:
    """The activity of the demo print jobs and works, which their demos make as rows: the
    maker-space and works dashboards then show them (replaced on every run)."""
    from makerspace.models import PrintJob
    from ugc.models import Work

    jobs = list(PrintJob.objects.select_related("owner"))
    works = list(Work.objects.select_related("owner"))
    owners = {job.owner_id for job in jobs} | {work.owner_id for work in works}
    kinds = ["print.submitted", "print.decided", "print.started", "print.finished"]
    kinds += ["work.uploaded", "work.moderated"]
    ActivityEvent.objects.filter(kind__in=kinds, person_id__in=owners).delete()
    made = []

    def add(kind: str, user, at, **fields) -> None:
        if at is not None:
            made.append(services.event_for(kind, user=user, at=at, **fields))

    for job in jobs:
        sent = job.submitted_at or job.created_at
        add("print.submitted", job.owner, sent, subject=job)
        if job.status == "rejected":
            add("print.decided", job.owner, job.updated_at, subject=job, outcome="rejected")
        if job.approved_at:
            waited = _hours(sent, job.approved_at)
            add(
                "print.decided",
                job.owner,
                job.approved_at,
                subject=job,
                outcome="approved",
                value=waited,
            )
        printer = ("makerspace.printer", job.printer_id) if job.printer_id else job
        if job.started_at:
            waited = _hours(job.approved_at, job.started_at)
            add("print.started", job.owner, job.started_at, subject=printer, value=waited)
        if job.finished_at and job.status in ("done", "collected", "failed", "cancelled"):
            add(
                "print.finished",
                job.owner,
                job.finished_at,
                subject=printer,
                outcome="done" if job.status == "collected" else job.status,
                value=_hours(job.started_at, job.finished_at),
                quantity=float(job.filament_g) if job.filament_g is not None else None,
                term=job.reason,
            )
    decisions = {"published": "approve", "rejected": "reject", "taken_down": "take_down"}
    for work in works:
        add("work.uploaded", work.owner, work.created_at, subject=work, outcome=work.kind)
        if work.state in decisions:
            decided = work.published_at or work.updated_at
            add(
                "work.moderated",
                work.owner,
                decided,
                subject=work,
                outcome=decisions[work.state],
                value=_hours(work.created_at, decided),
            )
    ActivityEvent.objects.bulk_create(made)
    return len(made)


def _year_so_far(now: dt.datetime) -> int:
    """The demo shows this year so far as the year in review, so the page and its card can be
    seen at once; a library sets the past year and its day in the admin instead."""
    from wagtail.models import Site

    from . import review
    from .models import YearReviewSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return 0
    chosen = YearReviewSettings.for_site(site)
    today = timezone.localdate()
    chosen.year, chosen.opens_on = today.year, today
    chosen.save()
    return review.generate_all(year=today.year)
