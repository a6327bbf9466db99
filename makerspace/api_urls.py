"""The maker space's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("me/print-jobs/", api.MyPrintJobs.as_view(), name="my-print-jobs"),
    path("staff/print-farm/", api.Farm.as_view(), name="print-farm"),
]
