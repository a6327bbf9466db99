"""What the API shows of the archive: an interview's public record and, for the detail, the
parts this caller may hear or read (the archive's own access rules decide, in selectors)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.siteurl import absolute

from .models import AccessLevel, AccessRequest, Interview


def _link(name: str, *args) -> str:
    return absolute(reverse(name, args=args))


class InterviewSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="interview_date", allow_null=True)
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    narrators = serializers.SerializerMethodField()
    places = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    subjects = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    access_level = serializers.ChoiceField(choices=AccessLevel.choices)
    url = serializers.SerializerMethodField()
    manifest = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = [
            "id",
            "accession_number",
            "title",
            "date",
            "collection",
            "narrators",
            "places",
            "subjects",
            "access_level",
            "url",
            "manifest",
        ]
        read_only_fields = fields

    def get_narrators(self, interview: Interview) -> list[str]:
        # The public name: an anonymised narrator's label, never the real name.
        return [narrator.public_name for narrator in interview.narrators.all()]

    def get_url(self, interview: Interview) -> str:
        return _link("oral_history:interview", interview.pk)

    def get_manifest(self, interview: Interview) -> str:
        """The IIIF Presentation 3 manifest, for IIIF viewers."""
        return _link("oral_history:manifest", interview.pk)


class SegmentSerializer(serializers.Serializer):
    start = serializers.FloatField()
    title = serializers.CharField()
    synopsis = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    partial_transcript = serializers.CharField()


class InterviewDetailSerializer(InterviewSerializer):
    segments = SegmentSerializer(many=True, source="shown_segments")
    media = serializers.ListField(child=serializers.URLField(), source="playable_links")
    transcript = serializers.SerializerMethodField()

    class Meta(InterviewSerializer.Meta):
        fields = [*InterviewSerializer.Meta.fields, "summary", "segments", "media", "transcript"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_transcript(self, interview: Interview) -> str | None:
        """The WebVTT transcript, when this caller may read it."""
        return interview.transcript_link


class AccessRequestSerializer(serializers.ModelSerializer):
    interview_title = serializers.CharField(source="interview.title", read_only=True)

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "interview",
            "interview_title",
            "purpose",
            "status",
            "granted_until",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class NewAccessRequestSerializer(serializers.Serializer):
    interview = serializers.IntegerField(min_value=1)
    purpose = serializers.CharField(max_length=2000, help_text="What you will use it for.")


class StaffAccessRequestSerializer(AccessRequestSerializer):
    reader = serializers.CharField(source="reader.get_short_name", read_only=True)

    class Meta(AccessRequestSerializer.Meta):
        fields = [*AccessRequestSerializer.Meta.fields, "reader"]
        read_only_fields = fields


class AccessDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(["grant", "decline", "revoke"])
    days = serializers.IntegerField(min_value=1, max_value=366, default=30)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
