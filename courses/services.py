"""Progress, completion and rewards. Everything a browser reports arrives as an event with its
own id and is recorded once; the server decides what counts:

* **viewed**: the lesson page was opened by the learner (an event, not a page load);
* **time spent**: measured by the server's clock, never taken from the browser. Every event
  after a lesson is opened (heartbeats every 15 seconds while the page is visible and the
  learner active, one more as the page is left, media reports, quiz answers) counts the time
  since the learner's previous event on any lesson, at most 30 seconds: a tab left open counts
  half a minute, not hours, and two tabs open at once count the wall-clock time once. Opening
  (or coming back to) a page starts a new stretch and counts nothing by itself;
* **watched**: ranges really played, clamped to the media's duration as measured by our
  pipeline, and never more new seconds than wall-clock time allows (at double speed);
* **scores**: quizzes are marked here; the answers never leave the server.

A completed course awards points, a badge and a certificate once each (unique constraints).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.insight import services as insight

from . import selectors
from .models import (
    Assertion,
    Certificate,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    PointsEntry,
    ProgressEvent,
    QuizAttempt,
    Subscription,
    Topic,
)

HEARTBEAT_MAX_SECONDS = 30
WATCHED_FRACTION = 0.9
MAX_PLAYBACK_RATE = 2.0
EVENT_KINDS = {"view", "heartbeat", "media", "manual", "position"}


class LearningError(ValidationError):
    pass


# --- Enrolment -------------------------------------------------------------------------------


def missing_prerequisites(*, user: User, course: CoursePage) -> list[CoursePage]:
    done = set(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    # ParentalManyToMany gives an in-memory list while a page is being edited; ask the table.
    wanted = [c.pk for c in course.prerequisites.all()]
    return [c for c in CoursePage.objects.live().filter(pk__in=wanted) if c.pk not in done]


def enrol(*, user: User, course: CoursePage) -> Enrolment:
    """Enrol once; refused, naming the courses to finish first, if prerequisites are missing."""
    existing = Enrolment.objects.filter(user=user, course=course).first()
    if existing:
        return existing
    missing = missing_prerequisites(user=user, course=course)
    if missing:
        raise LearningError(
            _("Finish these courses first: %(courses)s")
            % {"courses": "、".join(c.title for c in missing)},
            code="prerequisites_missing",
        )
    with transaction.atomic():
        enrolment, created = Enrolment.objects.get_or_create(user=user, course=course)
        if created:
            insight.record("course.enrolled", user=user, subject=course)
    return enrolment


def subscribe(*, user: User, path=None, topic=None) -> Subscription:
    subscription, _created = Subscription.objects.get_or_create(user=user, path=path, topic=topic)
    return subscription


def unsubscribe(*, user: User, path=None, topic=None) -> None:
    Subscription.objects.filter(user=user, path=path, topic=topic).delete()


@transaction.atomic
def set_followed_topics(*, user: User, topic_ids: list[int]) -> None:
    """Make ``topic_ids`` exactly the topics the reader follows (paths are left as they are)."""
    wanted = set(topic_ids)
    Subscription.objects.filter(user=user, topic__isnull=False).exclude(
        topic_id__in=wanted
    ).delete()
    for topic in Topic.objects.filter(pk__in=wanted):
        subscribe(user=user, topic=topic)


# --- Events ----------------------------------------------------------------------------------


def _merge(ranges: list[list[float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _covered(ranges: list[list[float]]) -> float:
    return sum(end - start for start, end in ranges)


def _merged_gain(before: list[list[float]], new: list[list[float]]) -> tuple[list, float]:
    merged_before = _merge(before)
    merged = _merge(merged_before + new)
    return merged, _covered(merged) - _covered(merged_before)


def _progress_for(user: User, lesson: LessonPage) -> LessonProgress:
    progress, _created = LessonProgress.objects.get_or_create(user=user, lesson=lesson)
    return LessonProgress.objects.select_for_update().get(pk=progress.pk)


def _clean_ranges(data: dict, duration: float) -> list[list[float]]:
    ranges = data.get("ranges")
    if not isinstance(ranges, list) or len(ranges) > 50:
        raise LearningError(_("The progress report is not valid."))
    clean = []
    for item in ranges:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise LearningError(_("The progress report is not valid."))
        try:
            start, end = float(item[0]), float(item[1])
        except (TypeError, ValueError) as error:
            raise LearningError(_("The progress report is not valid.")) from error
        start, end = max(0.0, start), min(duration, end)
        if end > start:
            clean.append([start, end])
    return clean


@dataclass
class ProgressState:
    lesson_completed: bool
    course_completed: bool
    watched_percent: float
    time_spent_seconds: int


def record_event(
    *, user: User, lesson: LessonPage, event_id: str, kind: str, data: dict | None = None
) -> ProgressState:
    """Apply one event from the browser, once. A repeated id changes nothing."""
    if kind not in EVENT_KINDS:
        raise LearningError(_("The progress report is not valid."), code="progress_invalid")
    try:
        event_uuid = uuid.UUID(str(event_id))
    except ValueError as error:
        raise LearningError(
            _("The progress report is not valid."), code="progress_invalid"
        ) from error
    data = data if isinstance(data, dict) else {}
    course = lesson.course
    enrol(user=user, course=course)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProgressEvent.objects.create(
                    id=event_uuid, user=user, lesson=lesson, kind=kind, data=data
                )
        except IntegrityError:
            duplicate = True
        else:
            duplicate = False
        progress = _progress_for(user, lesson)
        if not duplicate:
            _apply(progress, lesson, kind, data, now)
            if kind == "view":
                insight.record("lesson.viewed", user=user, subject=lesson, at=now)
        Enrolment.objects.filter(user=user, course=course).update(
            last_lesson=lesson, last_activity_at=now
        )
        course_done = _complete_if_due(progress, lesson, now)
    return ProgressState(
        lesson_completed=progress.completed_at is not None,
        course_completed=course_done,
        watched_percent=progress.watched_percent,
        time_spent_seconds=progress.time_spent_seconds,
    )


def _apply(progress: LessonProgress, lesson: LessonPage, kind: str, data: dict, now) -> None:
    _count_time(progress, now, opening=kind == "view")
    if kind == "view" and progress.viewed_at is None:
        progress.viewed_at = now
    elif kind == "media":
        duration = selectors.media_duration(lesson)
        if duration <= 0:
            raise LearningError(_("This lesson has no video or audio."), code="no_media")
        progress.media_duration = duration
        added, gained = _merged_gain(progress.watched, _clean_ranges(data, duration))
        # Wall-clock plausibility: no more new seconds than could have played since the last
        # media report (or since the lesson was opened).
        since = progress.last_media_at or progress.viewed_at or now
        allowed = MAX_PLAYBACK_RATE * max(0.0, (now - since).total_seconds()) + 10
        if gained <= allowed:
            progress.watched = added
            progress.last_media_at = now
        if isinstance(data.get("position"), int | float):
            progress.position = max(0.0, min(duration, float(data["position"])))
    elif kind == "position" and isinstance(data.get("position"), int | float):
        progress.position = max(0.0, float(data["position"]))
    elif (
        kind == "manual"
        and lesson.criterion == LessonPage.Criterion.MANUAL
        and progress.completed_at is None
    ):
        _mark_completed(progress, lesson, now)
    progress.save()


def _mark_completed(progress: LessonProgress, lesson: LessonPage, now) -> None:
    """The lesson's one completion (the caller saves ``progress``), in the activity record."""
    progress.completed_at = now
    insight.record(
        "lesson.completed",
        user=progress.user,
        subject=lesson,
        value=progress.time_spent_seconds,
        at=now,
    )


def _count_time(progress: LessonProgress, now, *, opening: bool = False) -> None:
    """Add the time since the learner's previous event (on any lesson, by the server's clock),
    at most ``HEARTBEAT_MAX_SECONDS``; an opening event only starts a new stretch.

    ``last_heartbeat_at`` holds the time of the learner's last event on this lesson."""
    last = LessonProgress.objects.filter(user_id=progress.user_id).aggregate(
        last=Max("last_heartbeat_at")
    )["last"]
    if last is not None and progress.last_heartbeat_at is not None and not opening:
        elapsed = max(0.0, (now - last).total_seconds())
        progress.time_spent_seconds += int(min(HEARTBEAT_MAX_SECONDS, elapsed))
    progress.last_heartbeat_at = now


def _lesson_due(progress: LessonProgress, lesson: LessonPage) -> bool:
    criterion = lesson.criterion
    if criterion == LessonPage.Criterion.VIEWED:
        return progress.viewed_at is not None
    if criterion == LessonPage.Criterion.WATCHED:
        return bool(progress.media_duration) and (
            progress.watched_seconds >= WATCHED_FRACTION * progress.media_duration
        )
    if criterion == LessonPage.Criterion.SCORE:
        server_only = lesson.course.score_source == CoursePage.ScoreSource.SERVER
        score = progress.best_server_score if server_only else progress.best_score
        return score is not None and score >= lesson.threshold
    return progress.completed_at is not None  # manual


def _complete_if_due(progress: LessonProgress, lesson: LessonPage, now) -> bool:
    """Complete the lesson when its criterion is met, then the course when its rule is."""
    if progress.completed_at is None and _lesson_due(progress, lesson):
        _mark_completed(progress, lesson, now)
        progress.save(update_fields=["completed_at"])
    if progress.completed_at is None:
        return False
    return complete_course_if_due(user=progress.user, course=lesson.course)


def complete_course_if_due(*, user: User, course: CoursePage) -> bool:
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(user=user, course=course)
        if enrolment.completed_at is not None:
            return True
        if not selectors.course_rule_met(user=user, course=course):
            return False
        enrolment.completed_at = timezone.now()
        enrolment.save(update_fields=["completed_at"])
        insight.record("course.completed", user=user, subject=course)
        _reward(user=user, course=course)
    return True


def _reward(*, user: User, course: CoursePage) -> None:
    from django.urls import reverse
    from django.utils import translation

    from core.services import notify

    if course.points:
        PointsEntry.objects.get_or_create(
            user=user, reason=f"course:{course.pk}", defaults={"points": course.points}
        )
    if course.badge_id:
        issue_badge(user=user, badge=course.badge, course=course)
    if course.certificate:
        issue_certificate(user=user, course=course)
    with translation.override(user.language or "zh-hans"):
        message = _("Congratulations! You completed “%(course)s”.") % {"course": course.title}
    notify(user=user, message=message, url=reverse("courses:record"))


# --- Quizzes ---------------------------------------------------------------------------------


@dataclass
class QuizResult:
    correct: int
    total: int
    questions: list[dict]  # [{"correct": bool, "explanation": str}]
    lesson_completed: bool
    passed: bool = False  # reached the lesson's pass mark (score lessons only)

    @property
    def percent(self) -> float:
        return 100 * self.correct / self.total if self.total else 0


def submit_quiz(
    *, user: User, lesson: LessonPage, block_id: str, answers: dict[str, list[int]]
) -> QuizResult:
    """Mark a quiz on the server. ``answers`` maps question number → chosen choice numbers."""
    quiz = selectors.quiz_block(lesson, block_id)
    if quiz is None:
        raise LearningError(_("This quiz does not exist."), code="quiz_missing")
    enrol(user=user, course=lesson.course)
    questions = quiz["questions"]
    if not any(answers.get(str(number)) for number in range(len(questions))):
        # Nothing chosen is a slip of the finger, not an attempt: it is neither marked nor kept.
        raise LearningError(_("Choose an answer first."), code="quiz_empty")
    marked, correct = [], 0
    for number, question in enumerate(questions):
        chosen = answers.get(str(number), [])
        if not isinstance(chosen, list) or not all(isinstance(c, int) for c in chosen):
            raise LearningError(_("The answers are not valid."), code="answers_invalid")
        right = {i for i, choice in enumerate(question["choices"]) if choice["correct"]}
        ok = set(chosen) == right
        correct += ok
        marked.append({"correct": ok, "explanation": question.get("explanation", "")})
    with transaction.atomic():
        QuizAttempt.objects.create(
            user=user,
            lesson=lesson,
            block_id=block_id,
            answers=answers,
            correct=correct,
            total=len(questions),
        )
        progress = _keep_best_score(user, lesson, 100 * correct / len(questions), server=True)
        # Answering is time on the lesson like any other event.
        _count_time(progress, timezone.now())
        progress.save(update_fields=["time_spent_seconds", "last_heartbeat_at"])
    return QuizResult(
        correct,
        len(questions),
        marked,
        progress.completed_at is not None,
        passed=selectors.passes(lesson, 100 * correct / len(questions)),
    )


def _keep_best_score(
    user: User, lesson: LessonPage, score: float, *, server: bool
) -> LessonProgress:
    """Keep the learner's best score (percent) and complete the lesson if it is now due.

    ``server`` says our server marked it (a quiz); H5P scores come from the browser.
    """
    with transaction.atomic():
        progress = _progress_for(user, lesson)
        changed = []
        if progress.best_score is None or score > progress.best_score:
            progress.best_score = score
            changed.append("best_score")
        if server and (progress.best_server_score is None or score > progress.best_server_score):
            progress.best_server_score = score
            changed.append("best_server_score")
        if changed:
            progress.save(update_fields=changed)
        _complete_if_due(progress, lesson, timezone.now())
    return progress


def record_score(*, user: User, lesson: LessonPage, scaled: float) -> LessonProgress:
    """A score from elsewhere (H5P): scaled 0..1 against the lesson's threshold."""
    if not 0 <= scaled <= 1:
        raise LearningError(_("The score is not valid."))
    enrol(user=user, course=lesson.course)
    with transaction.atomic():
        progress = _keep_best_score(user, lesson, 100 * scaled, server=False)
        _count_time(progress, timezone.now())  # an answer in the activity is time on the lesson
        progress.save(update_fields=["time_spent_seconds", "last_heartbeat_at"])
    return progress


# --- Badges and certificates ----------------------------------------------------------------


def recipient_identity(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def issue_badge(*, user: User, badge, course: CoursePage | None) -> Assertion:
    salt = secrets.token_hex(8)
    with transaction.atomic():
        assertion, created = Assertion.objects.get_or_create(
            badge=badge,
            user=user,
            course=course,
            defaults={"salt": salt, "identity": recipient_identity(user.email, salt)},
        )
        if created:
            insight.record("badge.issued", user=user, subject=badge)
    return assertion


def revoke_badge(*, assertion: Assertion, user: User, reason: str) -> Assertion:
    if not user.has_perm("courses.change_assertion"):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Please give a reason."))
    assertion.revoked_at = timezone.now()
    assertion.revocation_reason = reason.strip()[:200]
    assertion.save(update_fields=["revoked_at", "revocation_reason"])
    return assertion


_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def issue_certificate(*, user: User, course: CoursePage) -> Certificate:
    existing = Certificate.objects.filter(user=user, course=course).first()
    if existing:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    code=code,
                    user=user,
                    course=course,
                    learner_name=user.display_name or user.email.split("@")[0],
                    course_title=course.title,
                    issued_on=timezone.localdate(),
                )
                insight.record("certificate.issued", user=user, subject=course)
                return certificate
        except IntegrityError:
            existing = Certificate.objects.filter(user=user, course=course).first()
            if existing:
                return existing
    raise RuntimeError("could not draw a unique certificate code")


def points_of(user: User) -> int:
    from django.db.models import Sum

    return PointsEntry.objects.filter(user=user).aggregate(total=Sum("points"))["total"] or 0


def check_learning_media(*, upload=None, captions=None):
    """The format of a lesson video or audio (by content) and valid WebVTT captions, or a
    ValidationError saying what is wrong."""
    from media import webvtt
    from media.services import identify_upload

    fmt = identify_upload(upload, kinds={"audio", "video"}) if upload is not None else None
    if captions is not None:
        data = captions.read()
        captions.seek(0)
        try:
            webvtt.parse(data)
        except webvtt.WebVTTError as error:
            raise ValidationError(str(error)) from error
    return fmt


def attach_learning_media(*, media, upload=None, captions=None):
    """Store a lesson's video or audio and its WebVTT captions (checked again, by content)."""
    from django.core.files.base import ContentFile

    from media.pipeline import create_asset
    from media.services import store_file

    fmt = check_learning_media(upload=upload, captions=captions)
    if upload is not None:
        stored = store_file(content=upload, original_name=upload.name, content_type=fmt.mime,
                            prefix="learning/media")  # fmt: skip
        media.asset = create_asset(original=stored, kind=fmt.kind, fmt=fmt.name)
    if captions is not None:
        media.captions = store_file(
            content=ContentFile(captions.read()), original_name="captions.vtt",
            content_type="text/vtt", prefix="learning/captions",
        )  # fmt: skip
    return media
