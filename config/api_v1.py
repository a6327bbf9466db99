"""``/api/v1/``: every app's endpoints, the OpenAPI schema and its documentation.

A v2 would be ``config/api_v2.py`` mounted at ``/api/v2/`` with its own namespace; shared code
tells the two apart by ``request.version`` (DRF's NamespaceVersioning).
"""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from core.api.views import not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="v1:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="v1:schema"), name="redoc"),
    path("", include("booking.api_urls")),
    path("", include("makerspace.api_urls")),
    path("", include("oral_history.api_urls")),
    path("", include("cms.api_urls")),
    path("", include("courses.api_urls")),
    path("", include("ugc.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("core.insight.api_urls")),
    # Anything else under /api/v1/ (a mistyped id, an unknown path) is a problem document too.
    re_path(r"", not_found),
]
