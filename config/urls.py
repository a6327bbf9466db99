from django.conf import settings
from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap as PageSitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms import views as cms_views
from core import views as core_views
from oral_history.sitemaps import InterviewSitemap

SITEMAPS = {"pages": PageSitemap, "memories": InterviewSitemap}

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("files/", include("media.urls")),
    path("works/", include("ugc.urls")),
    path("booking/", include("booking.urls")),
    path("memories/", include("oral_history.urls")),
    path("learning/", include("courses.urls")),
    path("makerspace/", include("makerspace.urls")),
    path("sitemap.xml", sitemap_index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("search/", cms_views.search, name="search"),
    path("", include("core.urls")),
]

if not settings.S3_ENDPOINT_URL:
    # On the embedded default public uploads sit on local disk; MinIO serves them in production.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# Wagtail's page serving catches every remaining path, so it goes last.
urlpatterns.append(path("", include(wagtail_urls)))
