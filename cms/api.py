"""Site search in the public API: every kind at once (the best hits of each, with counts), or
one kind a page at a time. The same index and ranking as the search page (core.selectors).

Results are ranked, so they are paged by number (``page``) rather than by cursor: a cursor
needs a stable sort key, and a relevance rank is not one."""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import selectors
from core.api.conditional import ETagMixin
from core.models import SearchKind

TAG = "search"
_TAGS = re.compile(r"<[^>]+>")


class HitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SearchKind.choices)
    type_label = serializers.CharField()
    title = serializers.CharField(help_text="Plain text.")
    title_html = serializers.CharField(help_text="HTML: escaped text with <mark> around hits.")
    snippet_html = serializers.CharField(help_text="HTML: escaped text with <mark> around hits.")
    url = serializers.CharField()


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    kind = serializers.CharField(allow_blank=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = HitSerializer(many=True)


def _page(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 4 else 1


@extend_schema(
    tags=[TAG],
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Chinese, pinyin or initials"),
        OpenApiParameter("kind", enum=SearchKind.values, required=False),
        OpenApiParameter("page", OpenApiTypes.INT, required=False),
    ],
    responses=SearchSerializer,
)
class Search(ETagMixin, APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        found = selectors.site_search(
            user=request.user,
            query=request.query_params.get("q", ""),
            kind=request.query_params.get("kind", ""),
            page=_page(request.query_params.get("page", "")),
        )
        hits = [
            {
                "kind": hit.kind,
                "type_label": hit.type_label,
                "title": _TAGS.sub("", str(hit.title)),
                "title_html": str(hit.title),
                "snippet_html": str(hit.snippet),
                "url": hit.url,
            }
            for group in found.groups
            for hit in group.hits
        ]
        data = {
            "query": found.query,
            "kind": found.kind,
            "counts": found.counts,
            "page": found.page,
            "pages": found.pages,
            "results": hits,
        }
        return Response(SearchSerializer(data).data)
