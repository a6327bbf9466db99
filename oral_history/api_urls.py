"""The archive's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("interviews/", api.InterviewList.as_view(), name="interviews"),
    path("interviews/<int:pk>/", api.InterviewDetail.as_view(), name="interview"),
    path("me/access-requests/", api.MyAccessRequests.as_view(), name="my-access-requests"),
    path("staff/access-requests/", api.PendingAccessRequests.as_view(), name="access-requests"),
    path(
        "staff/access-requests/<int:pk>/decision/",
        api.DecideAccessRequest.as_view(),
        name="decide-access",
    ),
]
