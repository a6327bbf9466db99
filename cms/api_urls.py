"""Site search's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [path("search/", api.Search.as_view(), name="search")]
