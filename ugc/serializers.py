"""Readers' works in the public API. Titles and tags are plain text; the description is the
sanitised HTML the site shows (``core.sanitize``), never what was sent."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.siteurl import absolute

from .models import WORK_LANGUAGES, Licence, Work, WorkState
from .services import MODERATION_ACTIONS


class WorkSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="owner.public_name", read_only=True)
    url = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Work
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "licence",
            "language",
            "author",
            "tags",
            "published_at",
            "url",
        ]

    def get_url(self, work) -> str:
        return absolute(reverse("ugc:work", args=[work.pk]))

    def get_tags(self, work) -> list[str]:
        return [tag.name for tag in work.tags.all()]  # prefetched by the selector


class MyWorkSerializer(WorkSerializer):
    processing = serializers.CharField(source="asset.status", read_only=True)
    has_captions = serializers.SerializerMethodField()

    class Meta(WorkSerializer.Meta):
        fields = [
            *WorkSerializer.Meta.fields,
            "state",
            "moderation_note",
            "processing",
            "has_captions",
            "created_at",
        ]

    def get_has_captions(self, work) -> bool:
        return work.captions_id is not None


class WorkFieldsSerializer(serializers.Serializer):
    """What a reader writes about their work (checked again by ``ugc.services``)."""

    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    licence = serializers.ChoiceField(Licence.choices, default=Licence.ALL_RIGHTS_RESERVED)
    language = serializers.ChoiceField(WORK_LANGUAGES, default="zh-hans")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=10, required=False
    )


class NewWorkSerializer(WorkFieldsSerializer):
    upload = serializers.UUIDField(
        help_text="The id of a finished tus upload: the last segment of the Location that "
        "POST /files/uploads/ answered (not the Upload-Complete value of the last PATCH)."
    )


class WorkStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(WorkState.choices)


class ModerationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(MODERATION_ACTIONS)
    reason = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed to reject or take down; the reader is sent it.",
    )
