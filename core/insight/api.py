"""为你推荐 in the public API, for the library's app and mini-program: the same suggestions and
reasons as the site's page, for the signed-in reader or for a visitor's chosen audience group."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AudienceGroup

from . import recommendations


class SuggestionSerializer(serializers.Serializer):
    section = serializers.ChoiceField(
        choices=["course", "event", "interview"], help_text="What kind of thing it is."
    )
    title = serializers.CharField()
    url = serializers.CharField(help_text="The page on the site, absolute path.")
    reason = serializers.CharField(help_text="Why it is suggested, in the request's language.")
    detail = serializers.CharField(help_text="An event's time and place; empty otherwise.")


SECTION_NAMES = {
    recommendations.COURSE: "course",
    recommendations.EVENT: "event",
    recommendations.INTERVIEW: "interview",
}


@extend_schema(
    tags=["me"],
    parameters=[
        OpenApiParameter(
            "audience",
            enum=list(AudienceGroup.values),
            required=False,
            description="A visitor's audience group (a signed-in reader's own is used instead).",
        )
    ],
    responses=SuggestionSerializer(many=True),
)
class Recommendations(APIView):
    """Suggested courses, events and interviews, each with its reason (为你推荐)."""

    permission_classes = [AllowAny]

    def get(self, request):
        audience = request.query_params.get("audience", "")
        if audience and audience not in AudienceGroup.values:
            raise ValidationError({"audience": [_unknown_group()]})
        sections = recommendations.for_reader(request.user, audience=audience)
        items = [
            {
                "section": SECTION_NAMES[section],
                "title": item.title,
                "url": item.url,
                "reason": item.reason,
                "detail": item.detail,
            }
            for section, found in sections.items()
            for item in found
        ]
        return Response(SuggestionSerializer(items, many=True).data)


def _unknown_group() -> str:
    from django.utils.translation import gettext as _

    return _("Choose one of the audience groups.")
