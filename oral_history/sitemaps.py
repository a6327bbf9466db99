"""Sitemap entries for interviews: only records the public may see."""

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from core.sitemaps import SiteURLSitemap

from . import selectors
from .models import Interview


class InterviewSitemap(SiteURLSitemap):
    changefreq = "monthly"

    def items(self):
        return selectors.visible_interviews(AnonymousUser()).order_by("pk")

    def location(self, item: Interview) -> str:
        return reverse("oral_history:interview", args=[item.pk])

    def lastmod(self, item: Interview):
        return item.updated_at
