"""What every page type of the site shares: serving a page in few queries.

Wagtail finds a page one level at a time (a query for each part of the address and another for
its type) and then looks for view restrictions on all its ancestors (two more). A lesson five
levels down cost ten queries before its own content. Here the whole address is one query, and
restrictions are looked for only when the library has set any (kept, core.kept).
"""

from __future__ import annotations

import hashlib

from django.http import Http404
from wagtail.models import Page, PageViewRestriction
from wagtail.url_routing import RouteResult

from . import kept


def _any_view_restrictions() -> bool:
    return kept.kept("wagtail:any-view-restrictions", PageViewRestriction.objects.exists)


class QuickServe:
    """Mixed into every page type, before ``Page``."""

    def get_view_restrictions(self):
        if not _any_view_restrictions():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def _walk(root: Page, path_components: list[str]) -> tuple[str, object]:
    """("page", the live page at the address), ("routes", depth) when a page on the way routes
    on its own, or ("missing", None)."""
    prefixes = [
        root.url_path + "/".join(path_components[: depth + 1]) + "/"
        for depth in range(len(path_components))
    ]
    found = {
        page.url_path: page
        for page in Page.objects.filter(
            url_path__in=prefixes, path__startswith=root.path, depth__gt=root.depth
        )
    }
    parent: Page = root
    for depth, prefix in enumerate(prefixes):
        page = found.get(prefix)
        if page is None or page.depth != root.depth + depth + 1:
            return "missing", None
        page._cached_parent_obj = parent
        specific_class = page.specific_class
        if depth < len(prefixes) - 1 and specific_class and specific_class.route is not Page.route:
            return "routes", (depth, page)
        parent = page
    target = parent.specific
    target._cached_parent_obj = parent._cached_parent_obj
    if not target.live:
        return "missing", None
    return "page", target


def route_in_one_query(root: Page, request, path_components: list[str]) -> RouteResult:
    """The page at ``path_components`` below ``root``, as ``Page.route`` finds it level by
    level, with the pages on the way read in one query and the last one's type in another; the
    page found is kept (core.kept) until a page changes, so a signed-in reader's page starts
    without a query for its own page.

    Page types that route on their own (``route`` overridden) are honoured: from the first such
    page on, Wagtail's own routing continues.
    """
    address = "/".join(path_components)
    key = f"wagtail:route:{root.pk}:{hashlib.sha256(address.encode()).hexdigest()}"
    # Unknown addresses are not kept (anyone can make up many), nor pages that route on their
    # own, which Wagtail's routing continues below.
    kind, found = kept.kept(
        key,
        lambda: _walk(root, path_components),
        seconds=3600,
        keep=lambda walked: walked[0] == "page",
    )
    if kind == "missing":
        raise Http404
    if kind == "routes":
        depth, page = found
        specific = page.specific
        specific._cached_parent_obj = page._cached_parent_obj
        return specific.route(request, path_components[depth + 1 :])
    return found.route(request, [])


class KeptSiteMiddleware:
    """The Wagtail site for the request's host, with its home page, from a kept copy.

    Wagtail looks the site up, then its root page and that page's type, on every request: three
    queries before routing starts. The copy is dropped when a site or the home page changes.
    """

    SKIPPED = (
        "/api/",
        "/static/",
        "/files/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/csrf/",
        "/__bench/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(self.SKIPPED):
            request._wagtail_site = site_for(request)
        return self.get_response(request)


def site_for(request):
    from django.http.request import split_domain_port
    from wagtail.models import Site

    hostname = split_domain_port(request._get_raw_host())[0]
    port = request.get_port()

    def read():
        # Wagtail's lookup joins every page to the sites; what it depends on is the sites and
        # the one home page, named here so that publishing another page keeps this copy.
        with kept.unrecorded():
            site = Site._find_for_request(request)
            if site is not None:
                site.root_page = site.root_page.specific
        kept.depends_on("wagtailcore_site")
        if site is not None:
            root = site.root_page
            kept.depends_on(f"wagtailcore_page#{root.pk}", f"{root._meta.db_table}#{root.pk}")
        return site

    return kept.kept(f"wagtail:site:{hostname}:{port}", read, seconds=3600)
