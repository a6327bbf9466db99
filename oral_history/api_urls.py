"""The archive's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("interviews/", api.InterviewList.as_view(), name="interviews"),
    path("interviews/<int:pk>/", api.InterviewDetail.as_view(), name="interview"),
]
