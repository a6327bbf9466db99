"""Shapes of learning in the public API. Read-only views of pages and records: every change goes
through ``courses.services`` (enrol, progress events, quiz marking on the server)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AudienceGroup
from core.siteurl import absolute

from .models import Assertion, Certificate, CoursePage, LearningPathPage, LessonPage, Stage
from .services import EVENT_KINDS


class CourseSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class PathSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    audiences = serializers.ListField(child=serializers.ChoiceField(AudienceGroup.choices))
    stage = serializers.ChoiceField(Stage.choices)
    courses = serializers.SerializerMethodField()

    class Meta:
        model = LearningPathPage
        fields = [
            "id",
            "title",
            "url",
            "introduction",
            "stage",
            "audiences",
            "estimated_hours",
            "courses",
        ]

    def get_url(self, path) -> str:
        return absolute(path.url)

    @extend_schema_field(CourseSummarySerializer(many=True))
    def get_courses(self, path) -> list[dict]:
        # path_courses and their courses are prefetched by the view (two queries per page).
        return [
            {"id": item.course_id, "title": item.course.title} for item in path.path_courses.all()
        ]


class CourseSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    prerequisites = serializers.SerializerMethodField()

    class Meta:
        model = CoursePage
        fields = [
            "id",
            "title",
            "url",
            "introduction",
            "estimated_hours",
            "points",
            "certificate",
            "prerequisites",
        ]

    def get_url(self, course) -> str:
        return absolute(course.url)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_prerequisites(self, course) -> list[int]:
        return [prerequisite.pk for prerequisite in course.prerequisites.all()]


class LessonSummarySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = LessonPage
        fields = ["id", "title", "url", "criterion", "required", "estimated_minutes"]

    def get_url(self, lesson) -> str:
        return absolute(lesson.url)


class CourseDetailSerializer(CourseSerializer):
    lessons = serializers.SerializerMethodField()

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "lessons"]

    @extend_schema_field(LessonSummarySerializer(many=True))
    def get_lessons(self, course) -> list[dict]:
        from .selectors import lessons_of

        return LessonSummarySerializer(lessons_of(course), many=True).data


class MediaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    stream_url = serializers.URLField(help_text="The video or audio (supports Range requests).")
    captions_url = serializers.URLField(allow_null=True, help_text="WebVTT captions, if any.")
    transcript = serializers.CharField(allow_blank=True)


class QuestionSerializer(serializers.Serializer):
    prompt = serializers.CharField()
    kind = serializers.ChoiceField(["single", "multiple", "true_false"])
    choices = serializers.ListField(
        child=serializers.CharField(), help_text="Answer by the choices' positions (from 0)."
    )


class QuizSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The quiz's id within the lesson.")
    title = serializers.CharField()
    questions = QuestionSerializer(many=True)


class LessonSerializer(LessonSummarySerializer):
    course = serializers.IntegerField(source="course.pk")
    media = serializers.SerializerMethodField()
    quizzes = serializers.SerializerMethodField()

    class Meta(LessonSummarySerializer.Meta):
        fields = [
            *LessonSummarySerializer.Meta.fields,
            "course",
            "summary",
            "threshold",
            "media",
            "quizzes",
        ]

    @extend_schema_field(MediaSerializer(many=True))
    def get_media(self, lesson) -> list[dict]:
        found = []
        for block in lesson.body:
            media = block.value["media"] if block.block_type == "media" else None
            if media is None:
                continue
            captions = reverse("courses:captions", args=[media.pk]) if media.captions_id else None
            found.append(
                {
                    "id": media.pk,
                    "title": media.title,
                    "stream_url": absolute(reverse("courses:media", args=[media.pk])),
                    "captions_url": absolute(captions) if captions else None,
                    "transcript": media.transcript,
                }
            )
        return found

    @extend_schema_field(QuizSerializer(many=True))
    def get_quizzes(self, lesson) -> list[dict]:
        """The questions and their choices, never which choices are right (marked on the
        server when answered)."""
        return [
            {
                "id": block.id,
                "title": block.value["title"],
                "questions": [
                    {
                        "prompt": question["prompt"],
                        "kind": question["kind"],
                        "choices": [choice["text"] for choice in question["choices"]],
                    }
                    for question in block.value["questions"]
                ],
            }
            for block in lesson.body
            if block.block_type == "quiz"
        ]


class EnrolmentSerializer(serializers.Serializer):
    course = CourseSummarySerializer()
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_lesson = serializers.IntegerField(source="last_lesson_id", allow_null=True)
    lessons_done = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ProgressEventSerializer(serializers.Serializer):
    id = serializers.CharField(
        max_length=64, help_text="A UUID the app makes once per event; a resent id counts once."
    )
    lesson = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(sorted(EVENT_KINDS))
    data = serializers.DictField(
        required=False,
        help_text="media: {ranges: [[from, to], ...], position}; position: {position}.",
    )


class ProgressReportSerializer(serializers.Serializer):
    events = ProgressEventSerializer(many=True, min_length=1, max_length=50)


class LessonStateSerializer(serializers.Serializer):
    lesson_completed = serializers.BooleanField()
    course_completed = serializers.BooleanField()
    watched_percent = serializers.FloatField()


class ProgressAcceptedSerializer(serializers.Serializer):
    accepted = serializers.ListField(child=serializers.CharField())
    lessons = serializers.DictField(child=LessonStateSerializer(), help_text="By lesson id.")


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=7), max_length=8
        ),
        help_text='Question position → chosen choices\' positions, e.g. {"0": [1], "1": [0, 2]}.',
    )

    def validate_answers(self, value: dict) -> dict:
        if len(value) > 100 or not all(key.isdigit() and len(key) <= 3 for key in value):
            raise serializers.ValidationError(
                "Use the questions' positions as keys.", code="answers_invalid"
            )
        return value


class MarkedQuestionSerializer(serializers.Serializer):
    correct = serializers.BooleanField()
    explanation = serializers.CharField(allow_blank=True)


class QuizResultSerializer(serializers.Serializer):
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()
    passed = serializers.BooleanField()
    lesson_completed = serializers.BooleanField()
    questions = MarkedQuestionSerializer(many=True)


class BadgeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="badge.name")
    description = serializers.CharField(source="badge.description")
    course = serializers.IntegerField(source="course_id", allow_null=True)
    revoked = serializers.SerializerMethodField()
    assertion_url = serializers.SerializerMethodField(help_text="Open Badges 2.0 assertion.")
    image_url = serializers.SerializerMethodField(help_text="The badge PNG, baked.")

    class Meta:
        model = Assertion
        fields = [
            "id",
            "name",
            "description",
            "course",
            "issued_on",
            "revoked",
            "assertion_url",
            "image_url",
        ]

    def get_revoked(self, assertion) -> bool:
        return assertion.revoked_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_assertion_url(self, assertion) -> str:
        return absolute(reverse("courses:badge-assertion", args=[assertion.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, assertion) -> str:
        return absolute(reverse("courses:badge-baked", args=[assertion.pk]))


class CertificateSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id")
    revoked = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField(help_text="Anyone can check it there.")

    class Meta:
        model = Certificate
        fields = [
            "code",
            "course",
            "course_title",
            "learner_name",
            "issued_on",
            "revoked",
            "pdf_url",
            "verify_url",
        ]

    def get_revoked(self, certificate) -> bool:
        return certificate.revoked_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, certificate) -> str:
        return absolute(reverse("courses:certificate-pdf", args=[certificate.code]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_verify_url(self, certificate) -> str:
        return absolute(reverse("courses:certificate-verify", args=[certificate.code]))
