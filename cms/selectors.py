"""Reads for site pages."""

from django.db.models import QuerySet
from wagtail.models import Page
from wagtail.search.backends import get_search_backend


def search_pages(*, query: str, limit: int = 50):
    """Live, public pages matching ``query``; an empty query finds nothing."""
    query = query.strip()
    if not query:
        return Page.objects.none()
    pages: QuerySet[Page] = Page.objects.live().public().specific()
    return get_search_backend().search(query, pages)[:limit]
