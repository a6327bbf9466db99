from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as accounts_views
from cms import views as cms_views
from core import metrics as core_metrics
from core import sitemaps as core_sitemaps
from core import views as core_views
from core.api import views as api_views
from media import views as media_views
from oral_history.sitemaps import InterviewSitemap

SITEMAPS = {"pages": core_sitemaps.SiteURLPageSitemap, "memories": InterviewSitemap}

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_metrics.view, name="metrics"),
    # Staff sign in through allauth, which asks for the second factor; Wagtail's own login form
    # checks the password alone, so it must never be reachable.
    path("admin/login/", accounts_views.admin_login, name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's checks, then a redirect to the user-content origin (never served from here).
    re_path(r"^documents/(\d+)/(.*)$", media_views.document, name="wagtaildocs_serve"),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include(("config.api_v1", "api"), namespace="v1")),
    re_path(r"^api/", api_views.not_found),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # Sign-in for apps: allauth's headless API (its own OpenAPI document at _allauth/openapi.json).
    path("_allauth/openapi.json", api_views.sign_in_schema, name="sign-in-schema"),
    # The same document (JSON is YAML) where allauth would serve its YAML rendering.
    path("_allauth/openapi.yaml", api_views.sign_in_schema),
    path("_allauth/", include("allauth.headless.urls")),
    path("files/", include("media.urls")),
    path("works/", include("ugc.urls")),
    path("booking/", include("booking.urls")),
    path("memories/", include("oral_history.urls")),
    path("learning/", include("courses.urls")),
    path("makerspace/", include("makerspace.urls")),
    path("sitemap.xml", core_sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("search/", cms_views.search, name="search"),
    path("", include("core.urls")),
    path("", include("core.insight.urls")),
]

# Wagtail's page serving catches every remaining path, so it goes last.
urlpatterns.append(path("", include(wagtail_urls)))
