"""The maker space's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("equipment/", api.EquipmentList.as_view(), name="equipment"),
    path("me/print-jobs/", api.MyPrintJobs.as_view(), name="my-print-jobs"),
    path("me/print-jobs/new/", api.SubmitPrintJob.as_view(), name="submit-print-job"),
    path("me/print-jobs/<uuid:pk>/", api.MyPrintJob.as_view(), name="my-print-job"),
    path("me/print-jobs/<uuid:pk>/confirm/", api.ConfirmPrintJob.as_view(), name="confirm-print"),
    path("me/print-jobs/<uuid:pk>/cancel/", api.CancelPrintJob.as_view(), name="cancel-print"),
    path("staff/print-jobs/<uuid:pk>/review/", api.ReviewPrintJob.as_view(), name="review-print"),
    path("staff/print-jobs/<uuid:pk>/move/", api.MovePrintJob.as_view(), name="move-print"),
    path("staff/print-jobs/<uuid:pk>/pin/", api.PinPrintJob.as_view(), name="pin-print"),
    path("staff/print-farm/pause/", api.PauseQueue.as_view(), name="pause-queue"),
    path("staff/printers/<int:pk>/cleared/", api.ClearPrinter.as_view(), name="printer-cleared"),
    path("staff/print-farm/", api.Farm.as_view(), name="print-farm"),
]
