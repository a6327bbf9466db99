from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oral_history import selectors as memories

from . import selectors


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    results = list(selectors.search_pages(query=query))
    # Interviews come from the archive's own Chinese-aware index, with its access rules.
    interviews = memories.search(request.user, query, limit=5) if query.strip() else []
    context = {"query": query, "results": results, "interviews": interviews}
    # htmx asks for the results only, as the reader types.
    template = "cms/search_results.html" if request.htmx else "cms/search.html"
    return render(request, template, context)
