"""Sitemaps that name the public site whatever Host header the crawler sent.

Django builds sitemap addresses from the request (or django.contrib.sites) and Wagtail from its
Site record; both were wrong on a site started on another port (every ``<loc>`` was
``http://localhost/``). Here every address comes from ``settings.SITE_URL``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.contrib.sitemaps import Sitemap as PageSitemap

from .siteurl import absolute, site_url


class SiteURLSitemap(Sitemap):
    """A Django sitemap whose locations are on the public base URL."""

    def get_protocol(self, protocol=None):
        return urlsplit(site_url()).scheme

    def get_domain(self, site=None):
        return urlsplit(site_url()).netloc


class SiteURLPageSitemap(PageSitemap):
    """Wagtail's page sitemap, with each page's address moved onto the public base URL."""

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        for info in urls:
            parts = urlsplit(info["location"])
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            info["location"] = absolute(path)
        return urls


def index(request: HttpRequest, *, sitemaps: dict) -> TemplateResponse:
    """The sitemap index, listing each section (and its further pages) on the public base URL."""
    items = []
    for section, sitemap in sitemaps.items():
        instance = sitemap() if callable(sitemap) else sitemap
        if isinstance(instance, PageSitemap):
            instance.request = request
        url = absolute(
            reverse("django.contrib.sitemaps.views.sitemap", kwargs={"section": section})
        )
        items.append(SitemapIndexItem(url, None))
        items.extend(
            SitemapIndexItem(f"{url}?p={number}", None)
            for number in range(2, instance.paginator.num_pages + 1)
        )
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )
