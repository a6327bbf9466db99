"""Learning in the public API: paths, courses and lessons for everyone; for the signed-in learner
enrolment, progress events, quiz answers (marked on the server), badges and certificates.

The lesson page's own script reports progress here too (one implementation of the rules).
H5P's xAPI statements and state keep their own endpoints and H5P's shapes (``courses.h5p``).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.pagination import ByTitle, Cursor, NewestIssued

from . import selectors, services
from .models import (
    Assertion,
    Certificate,
    CoursePage,
    Enrolment,
    LearningPathPage,
    LessonPage,
    PathCourse,
)
from .serializers import (
    AnswersSerializer,
    BadgeSerializer,
    CertificateSerializer,
    CourseDetailSerializer,
    CourseSerializer,
    EnrolmentSerializer,
    LessonSerializer,
    PathSerializer,
    ProgressAcceptedSerializer,
    ProgressReportSerializer,
    QuizResultSerializer,
)

TAG = "learning"


def _public(model):
    return model.objects.live().public()


class _Paths:
    permission_classes = [AllowAny]
    serializer_class = PathSerializer

    def get_queryset(self):
        courses = PathCourse.objects.select_related("course").order_by("sort_order")
        return _public(LearningPathPage).prefetch_related(Prefetch("path_courses", courses))


@extend_schema(tags=[TAG])
class PathList(_Paths, ETagMixin, generics.ListAPIView):
    """Learning paths (a series of courses for an audience)."""

    pagination_class = ByTitle


@extend_schema(tags=[TAG])
class PathDetail(_Paths, ETagMixin, generics.RetrieveAPIView):
    pass


class _Courses:
    permission_classes = [AllowAny]

    def get_queryset(self):
        return _public(CoursePage).prefetch_related("prerequisites")


@extend_schema(tags=[TAG])
class CourseList(_Courses, ETagMixin, generics.ListAPIView):
    serializer_class = CourseSerializer
    pagination_class = ByTitle


@extend_schema(tags=[TAG])
class CourseDetail(_Courses, ETagMixin, generics.RetrieveAPIView):
    """A course with its lessons in reading order."""

    serializer_class = CourseDetailSerializer


@extend_schema(tags=[TAG])
class LessonDetail(ETagMixin, generics.RetrieveAPIView):
    """A lesson: its videos and audio with captions and transcript, and its quizzes' questions
    (answer them with the quiz operation; the right answers are never sent)."""

    permission_classes = [AllowAny]
    serializer_class = LessonSerializer

    def get_queryset(self):
        return _public(LessonPage)


@extend_schema(tags=[TAG], request=None, responses={201: EnrolmentSerializer})
class Enrol(APIView):
    """Enrol in a course (again is harmless). Refused with ``prerequisites_missing``."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int):
        course = get_object_or_404(_public(CoursePage), pk=pk)
        enrolment = services.enrol(user=request.user, course=course)
        return Response(_enrolments(request.user, [enrolment])[0], status=status.HTTP_201_CREATED)


def _enrolments(user, enrolments: list[Enrolment]) -> list[dict]:
    progress = selectors.courses_progress(user=user, courses=[e.course for e in enrolments])
    rows = []
    for enrolment in enrolments:
        mine = progress[enrolment.course_id]
        rows.append(
            {
                "course": enrolment.course,
                "enrolled_at": enrolment.enrolled_at,
                "completed_at": enrolment.completed_at,
                "last_lesson_id": enrolment.last_lesson_id,
                "lessons_done": mine.done,
                "lessons_total": mine.total,
                "percent": mine.percent,
            }
        )
    return EnrolmentSerializer(rows, many=True).data


@extend_schema(tags=[TAG], responses=EnrolmentSerializer(many=True))
class MyCourses(generics.ListAPIView):
    """Your courses with your progress, the latest enrolment first."""

    permission_classes = [IsAuthenticated]
    pagination_class = Cursor

    def get_queryset(self):
        return Enrolment.objects.filter(user=self.request.user).select_related("course")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(_enrolments(request.user, page))


@extend_schema(
    tags=[TAG], request=ProgressReportSerializer, responses={200: ProgressAcceptedSerializer}
)
class Progress(APIView):
    """Report what the learner did (opened, watched, was active, marked done). Each event has
    its own id; a resent event counts once, so an app may retry freely. Time is counted by the
    server's clock and watched ranges are checked against real time. A refused event stops the
    report (422 with its ``code``); ``accepted`` in the problem lists the events before it."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        sent = ProgressReportSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        events = sent.validated_data["events"]
        lessons = _public(LessonPage).in_bulk({event["lesson"] for event in events})
        accepted: list[str] = []
        states: dict[str, dict] = {}
        for event in events:
            lesson = lessons.get(event["lesson"])
            if lesson is None:
                # A lesson unpublished meanwhile: nothing to record, and nothing to resend.
                accepted.append(event["id"])
                continue
            try:
                state = services.record_event(
                    user=request.user,
                    lesson=lesson,
                    event_id=event["id"],
                    kind=event["kind"],
                    data=event.get("data"),
                )
            except services.LearningError as error:
                error.accepted = accepted  # shown in the problem document
                raise
            accepted.append(event["id"])
            states[str(lesson.pk)] = {
                "lesson_completed": state.lesson_completed,
                "course_completed": state.course_completed,
                "watched_percent": round(state.watched_percent, 1),
            }
        return Response({"accepted": accepted, "lessons": states})


@extend_schema(tags=[TAG], request=AnswersSerializer, responses={200: QuizResultSerializer})
class AnswerQuiz(APIView):
    """Answer a lesson's quiz; it is marked on the server and the best score counts."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int, quiz: str):
        lesson = get_object_or_404(_public(LessonPage), pk=pk)
        if selectors.quiz_block(lesson, quiz) is None:
            raise Http404
        sent = AnswersSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        result = services.submit_quiz(
            user=request.user, lesson=lesson, block_id=quiz, answers=sent.validated_data["answers"]
        )
        return Response(
            QuizResultSerializer(
                {
                    "correct": result.correct,
                    "total": result.total,
                    "percent": round(result.percent, 1),
                    "passed": result.passed,
                    "lesson_completed": result.lesson_completed,
                    "questions": result.questions,
                }
            ).data
        )


@extend_schema(tags=[TAG])
class MyBadges(generics.ListAPIView):
    """Your badges (Open Badges 2.0: each links to its hosted assertion and baked image)."""

    permission_classes = [IsAuthenticated]
    serializer_class = BadgeSerializer
    pagination_class = NewestIssued

    def get_queryset(self):
        return Assertion.objects.filter(user=self.request.user).select_related("badge")


@extend_schema(tags=[TAG])
class MyCertificates(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CertificateSerializer
    pagination_class = NewestIssued

    def get_queryset(self):
        return Certificate.objects.filter(user=self.request.user)
