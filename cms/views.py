from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import selectors
from core.insight import services as insight
from core.models import SearchKind


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 4 else 1


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Site search over every kind (core.selectors.site_search), grouped, with a kind filter.

    The filter and the pages are plain links, so all of it works without JavaScript; htmx only
    refreshes the results as the reader types (the partial also updates the status line)."""
    results = selectors.site_search(
        user=request.user,
        query=request.GET.get("q", ""),
        kind=request.GET.get("kind", ""),
        page=_page_number(request.GET.get("page", "")),
    )
    if results.query and request.GET.get("page", "") in ("", "1"):
        insight.record_soon(
            "site.searched",
            user=request.user,
            term=results.query,
            outcome="found" if results.total else "none",
        )
    filters = [(value, label, results.counts.get(value, 0)) for value, label in SearchKind.choices]
    context = {"results": results, "query": results.query, "filters": filters}
    template = "cms/search_results.html" if request.htmx else "cms/search.html"
    return render(request, template, context)
