"""Reads for learning: lessons of a course, progress, the learning record, statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, Q, QuerySet

from accounts.models import AudienceGroup, User
from core.kept import kept
from core.prepared import Prepared

from .models import (
    Assertion,
    Certificate,
    CoursePage,
    Enrolment,
    LearningPathPage,
    LessonPage,
    LessonProgress,
    PathCourse,
    PointsEntry,
    QuizAttempt,
    Subscription,
)


def lessons_of(course: CoursePage) -> QuerySet[LessonPage]:
    """Live lessons in reading order (the page tree's path order: module, then lesson)."""
    return LessonPage.objects.live().descendant_of(course).order_by("path")


@dataclass(frozen=True)
class PageLink:
    """A page in a list: enough to show and link it, nothing that must be read again."""

    pk: int
    title: str
    url: str
    estimated_minutes: int = 0
    required: bool = True


@dataclass(frozen=True)
class CourseOutline:
    """What a course page shows every reader alike: its modules and lessons, the courses to
    take first and its topics."""

    modules: list[tuple[str, list[PageLink]]]
    prerequisites: list[PageLink]
    topics: list[tuple[int, str]]
    badge_name: str = ""

    @property
    def lessons(self) -> list[PageLink]:
        return [lesson for _title, lessons in self.modules for lesson in lessons]


def _outline(course: CoursePage) -> CourseOutline:
    from .models import ModulePage

    lessons = list(
        lessons_of(course).only("id", "path", "url_path", "title", "estimated_minutes", "required")
    )
    modules = [
        (
            module.title,
            [
                PageLink(le.pk, le.title, le.get_url(), le.estimated_minutes, le.required)
                for le in lessons
                if le.path.startswith(module.path)
            ],
        )
        for module in ModulePage.objects.live()
        .child_of(course)
        .order_by("path")
        .only("id", "path", "title")
    ]
    # ParentalManyToMany gives an in-memory list while a page is being edited; ask the table.
    wanted = [c.pk for c in course.prerequisites.all()]
    prerequisites = [
        PageLink(c.pk, c.title, c.get_url())
        for c in CoursePage.objects.live().filter(pk__in=wanted).only("id", "title", "url_path")
    ]
    topics = [(topic.pk, topic.name) for topic in course.topics.all()]
    badge_name = course.badge.name if course.badge_id else ""
    return CourseOutline(modules, prerequisites, topics, badge_name)


def course_outline(course: CoursePage, *, preview: bool = False) -> CourseOutline:
    """The course's outline, kept until a page or topic it shows changes (core.kept): a course
    page then spends its queries on the reader's own progress only. A preview shows the draft."""
    if preview:
        return _outline(course)
    return kept(f"courses:outline:{course.pk}", lambda: _outline(course), seconds=3600)


@dataclass(frozen=True)
class LearnerState:
    """What a course page needs of the reader: lessons done, enrolments (course → completed
    at, or None) and topics followed."""

    lessons_done: frozenset[int]
    enrolments: dict[int, object]
    topics_followed: frozenset[int]


def _learner_query(*, user_id: int):
    from django.db.models import CharField, DateTimeField, Value
    from django.db.models.functions import Cast

    def part(queryset, kind: str, key: str, at):
        return (
            queryset.order_by()
            .annotate(
                row_kind=Value(kind, output_field=CharField()),
                row_key=Cast(key, output_field=models.BigIntegerField()),
                row_at=Cast(at, output_field=DateTimeField()),
            )
            .values_list("row_kind", "row_key", "row_at")
        )

    return part(
        LessonProgress.objects.filter(user=user_id, completed_at__isnull=False),
        "done", "lesson_id", "completed_at",
    ).union(
        part(Enrolment.objects.filter(user=user_id), "enrolled", "course_id", "completed_at"),
        part(Subscription.objects.filter(user=user_id, topic__isnull=False),
             "topic", "topic_id", Value(None, output_field=DateTimeField())),
        all=True,
    )  # fmt: skip


# On every course page a signed-in reader opens: one statement, composed once (core.prepared).
_LEARNER = Prepared(_learner_query, user_id=int)


def learner_state(user: User) -> LearnerState:
    """The reader's learning state in one query, whatever the size of their record."""
    done, enrolments, topics = set(), {}, set()
    for kind, key, at in _LEARNER.rows(user_id=user.pk):
        if kind == "done":
            done.add(key)
        elif kind == "enrolled":
            enrolments[key] = at
        else:
            topics.add(key)
    return LearnerState(frozenset(done), enrolments, frozenset(topics))


def media_duration(lesson: LessonPage) -> float:
    """Seconds of the lesson's first video or audio, as measured by our pipeline."""
    from .models import LearningMedia

    for block in lesson.body:
        if block.block_type == "media":
            media = block.value["media"]
            if isinstance(media, LearningMedia) and media.asset_id:
                return float(media.asset.probe.get("duration") or 0)
    return 0.0


def quiz_block(lesson: LessonPage, block_id: str):
    for block in lesson.body:
        if block.block_type == "quiz" and block.id == block_id:
            return block.value
    return None


def passes(lesson: LessonPage, percent: float) -> bool:
    """Whether a quiz score (percent) reaches the lesson's pass mark."""
    return percent >= lesson.threshold


def pass_mark_questions(lesson: LessonPage, total: int) -> int:
    """How many of ``total`` questions must be right to reach the pass mark."""
    return min(total, math.ceil(lesson.threshold * total / 100 - 1e-9))


def last_quiz_attempts(*, user: User, lesson: LessonPage) -> dict[str, QuizAttempt]:
    """The learner's latest attempt at each quiz of the lesson, by block id."""
    if not user.is_authenticated:
        return {}
    latest: dict[str, QuizAttempt] = {}
    for attempt in QuizAttempt.objects.filter(user=user, lesson=lesson).order_by("created_at"):
        latest[attempt.block_id] = attempt
    return latest


def course_rule_met(*, user: User, course: CoursePage) -> bool:
    lessons = list(lessons_of(course).only("pk", "required"))
    if not lessons:
        return False
    done = set(
        LessonProgress.objects.filter(
            user=user, lesson__in=lessons, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    if course.completion_rule == CoursePage.Rule.PERCENTAGE:
        return 100 * len(done) / len(lessons) >= course.completion_percentage
    required = [lesson for lesson in lessons if lesson.required] or lessons
    return all(lesson.pk in done for lesson in required)


@dataclass
class CourseProgress:
    done: int
    total: int
    completed: bool

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def courses_progress(*, user: User, courses: list[CoursePage]) -> dict[int, CourseProgress]:
    """Progress in each course, in three queries however many courses there are."""
    if not courses:
        return {}
    in_any = Q()
    for course in courses:
        in_any |= Q(path__startswith=course.path, depth__gt=course.depth)
    lessons = list(LessonPage.objects.live().filter(in_any).values_list("pk", "path"))
    done: set[int] = set()
    completed: set[int] = set()
    if user.is_authenticated:
        done = set(
            LessonProgress.objects.filter(
                user=user, lesson__in=[pk for pk, _path in lessons], completed_at__isnull=False
            ).values_list("lesson_id", flat=True)
        )
        completed = set(
            Enrolment.objects.filter(
                user=user, course__in=courses, completed_at__isnull=False
            ).values_list("course_id", flat=True)
        )
    result = {}
    for course in courses:
        mine = [pk for pk, path in lessons if path.startswith(course.path)]
        result[course.pk] = CourseProgress(
            sum(1 for pk in mine if pk in done), len(mine), course.pk in completed
        )
    return result


def progress_by_lesson(*, user: User, lessons) -> dict[int, LessonProgress]:
    if not user.is_authenticated:
        return {}
    return {p.lesson_id: p for p in LessonProgress.objects.filter(user=user, lesson__in=lessons)}


def path_progress_of(*, user: User, courses: list[CoursePage]) -> CourseProgress:
    """A path's progress: its courses the reader completed, of all (one query)."""
    done = 0
    if user.is_authenticated and courses:
        done = Enrolment.objects.filter(
            user=user, course__in=courses, completed_at__isnull=False
        ).count()
    return CourseProgress(done, len(courses), bool(courses) and done == len(courses))


@dataclass(frozen=True)
class Resume:
    """A course in progress and the lesson to continue with (a page with what its address
    needs): the first one not done, as on the course page."""

    course_title: str
    last_lesson: LessonPage


def _continue_query(*, user_id: int):
    from django.db.models import Exists, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    # Where the reader stopped: the first live lesson of the course, in reading order, that
    # they have not completed (the course page's "continue where you stopped"); the last lesson
    # they opened when every lesson is done but the course is not yet.
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), user=OuterRef(OuterRef("user_id")), completed_at__isnull=False
    )
    ahead = (
        LessonPage.objects.live()
        .filter(path__startswith=OuterRef("course__path"))
        .exclude(Exists(done))
        .order_by("path")
    )
    return (
        Enrolment.objects.filter(user=user_id, completed_at__isnull=True, last_lesson__isnull=False)
        .annotate(
            resume_id=Coalesce(
                Subquery(ahead.values("pk")[:1]),
                "last_lesson_id",
                output_field=models.BigIntegerField(),
            ),
            resume_title=Coalesce(Subquery(ahead.values("title")[:1]), "last_lesson__title"),
            resume_url_path=Coalesce(
                Subquery(ahead.values("url_path")[:1]), "last_lesson__url_path"
            ),
        )
        .order_by("-last_activity_at")
        .values_list("course__title", "resume_id", "resume_title", "resume_url_path")[:3]
    )


# On every signed-in home page: composed once per process (core.prepared).
_CONTINUE = Prepared(_continue_query, user_id=int)


def continue_learning(user: User) -> list[Resume]:
    """Courses in progress, the most recent first, with the lesson to resume."""
    if not user.is_authenticated:
        return []
    return [
        Resume(course_title, LessonPage(id=pk, page_ptr_id=pk, title=title, url_path=url_path))
        for course_title, pk, title, url_path in _CONTINUE.rows(user_id=user.pk)
    ]


def recommended_paths(user: User) -> QuerySet[LearningPathPage]:
    paths = LearningPathPage.objects.live().order_by("title")
    group = getattr(user, "audience_group", "") if user.is_authenticated else ""
    if group:
        return paths.filter(audiences__contains=[group])
    return paths.none()


def paths_by_audience() -> dict[str, list[LearningPathPage]]:
    grouped: dict[str, list[LearningPathPage]] = {}
    for path in LearningPathPage.objects.live().order_by("stage", "title"):
        for audience in path.audiences:
            grouped.setdefault(audience, []).append(path)
    labels = dict(AudienceGroup.choices)
    return {labels[key]: grouped[key] for key in AudienceGroup.values if key in grouped}


def subscriptions_of(user: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).select_related("path", "topic")


@dataclass
class LearningRecord:
    enrolments: list[Enrolment]
    lessons: list[LessonProgress]
    quizzes: list[QuizAttempt]
    badges: list[Assertion]
    certificates: list[Certificate]
    points: int
    time_spent_seconds: int


def record_of(user: User) -> LearningRecord:
    from .services import points_of

    lessons = list(
        LessonProgress.objects.filter(user=user).select_related("lesson").order_by("-id")
    )
    return LearningRecord(
        enrolments=list(
            Enrolment.objects.filter(user=user).select_related("course").order_by("-enrolled_at")
        ),
        lessons=lessons,
        quizzes=list(
            QuizAttempt.objects.filter(user=user).select_related("lesson").order_by("-created_at")
        ),
        badges=list(
            Assertion.objects.filter(user=user)
            .select_related("badge", "course")
            .order_by("-issued_on")
        ),
        certificates=list(Certificate.objects.filter(user=user).order_by("-issued_on")),
        points=points_of(user),
        time_spent_seconds=sum(p.time_spent_seconds for p in lessons),
    )


@dataclass
class CourseStats:
    course: CoursePage
    enrolled: int
    completed: int
    by_audience: list[tuple[str, int, int]]  # (label, enrolled, completed)
    drop_off: list[tuple[LessonPage, int]]  # lesson, learners who stopped before finishing it

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


def course_stats() -> list[CourseStats]:
    """Per course: enrolments, completions, by audience group, and where learners stop: for
    each learner who has not finished, the first required lesson they have not completed."""
    stats = []
    labels = dict(AudienceGroup.choices)
    for course in CoursePage.objects.live().order_by("title"):
        enrolments = Enrolment.objects.filter(course=course)
        totals = enrolments.aggregate(
            enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False))
        )
        groups = (
            enrolments.values("user__audience_group")
            .annotate(
                enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False))
            )
            .order_by("user__audience_group")
        )
        lessons = list(lessons_of(course).filter(required=True))
        unfinished = list(
            enrolments.filter(completed_at__isnull=True).values_list("user_id", flat=True)
        )
        done: dict[int, set[int]] = {}
        for user_id, lesson_id in LessonProgress.objects.filter(
            user_id__in=unfinished, lesson__in=lessons, completed_at__isnull=False
        ).values_list("user_id", "lesson_id"):
            done.setdefault(user_id, set()).add(lesson_id)
        stops: dict[int, int] = {}
        for user_id in unfinished:
            for lesson in lessons:
                if lesson.pk not in done.get(user_id, set()):
                    stops[lesson.pk] = stops.get(lesson.pk, 0) + 1
                    break
        stats.append(
            CourseStats(
                course=course,
                enrolled=totals["enrolled"],
                completed=totals["completed"],
                by_audience=[
                    (labels.get(g["user__audience_group"], "—"), g["enrolled"], g["completed"])
                    for g in groups
                ],
                drop_off=[(lesson, stops.get(lesson.pk, 0)) for lesson in lessons],
            )
        )
    return stats


@dataclass
class CourseEnd:
    """What the end of a course shows: the learner's progress, time and rewards in it, and
    what to learn next (courses that build on it, then the next course of its paths)."""

    course: CoursePage
    progress: CourseProgress | None = None
    time_spent_seconds: int = 0
    remaining: list[LessonPage] = field(default_factory=list)
    points: int = 0
    assertion: Assertion | None = None
    certificate: Certificate | None = None
    next_courses: list[CoursePage] = field(default_factory=list)


def next_courses(course: CoursePage) -> list[CoursePage]:
    """Live courses that name this one as a prerequisite, then the course after it in each
    learning path that holds it, each once."""
    found: list[CoursePage] = list(
        CoursePage.objects.live().filter(prerequisites=course).order_by("title")
    )
    for item in PathCourse.objects.filter(course=course).select_related("path"):
        if not item.path.live:
            continue
        following = (
            PathCourse.objects.filter(path=item.path, sort_order__gt=item.sort_order)
            .order_by("sort_order")
            .values_list("course_id", flat=True)
            .first()
        )
        page = CoursePage.objects.live().filter(pk=following).first() if following else None
        if page is not None:
            found.append(page)
    unique: dict[int, CoursePage] = {}
    for page in found:
        if page.pk != course.pk:
            unique.setdefault(page.pk, page)
    return list(unique.values())


def course_end(*, user: User, course: CoursePage) -> CourseEnd:
    end = CourseEnd(course=course, next_courses=next_courses(course))
    if not user.is_authenticated:
        return end
    lessons = list(lessons_of(course))
    progress = progress_by_lesson(user=user, lessons=lessons)
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    completed = bool(enrolment and enrolment.completed_at)
    done = [pk for pk, item in progress.items() if item.completed_at]
    end.progress = CourseProgress(len(done), len(lessons), completed)
    end.time_spent_seconds = sum(item.time_spent_seconds for item in progress.values())
    required = [lesson for lesson in lessons if lesson.required] or lessons
    end.remaining = [] if completed else [le for le in required if le.pk not in done]
    if completed:
        entry = PointsEntry.objects.filter(user=user, reason=f"course:{course.pk}").first()
        end.points = entry.points if entry else 0
        end.assertion = (
            Assertion.objects.filter(user=user, course=course, revoked_at__isnull=True)
            .select_related("badge")
            .first()
        )
        end.certificate = Certificate.objects.filter(
            user=user, course=course, revoked_at__isnull=True
        ).first()
    return end
