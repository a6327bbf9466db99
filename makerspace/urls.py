from django.urls import path

from . import views

app_name = "makerspace"

urlpatterns = [
    path("", views.index, name="index"),
    path("equipment/<str:slug>/", views.equipment_detail, name="equipment"),
    path("me/", views.maker_page, name="me"),
    path("print/", views.submit, name="submit"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job"),
    path("jobs/<uuid:pk>/confirm/", views.job_confirm, name="job-confirm"),
    path("jobs/<uuid:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("studio/<uuid:pk>/", views.studio_job_detail, name="studio-job"),
    # Technicians
    path("farm/", views.farm, name="farm"),
    path("farm/jobs/<uuid:pk>/review/", views.review, name="review"),
    path("farm/jobs/<uuid:pk>/move/", views.move, name="move"),
    path("farm/jobs/<uuid:pk>/pin/", views.pin, name="pin"),
    path("farm/jobs/<uuid:pk>/requeue/", views.requeue, name="requeue"),
    path("farm/jobs/<uuid:pk>/collected/", views.collected, name="collected"),
    path("farm/printers/<int:pk>/cleared/", views.printer_cleared, name="printer-cleared"),
    path("farm/printers/<int:pk>/status/", views.printer_status, name="printer-status"),
    path("farm/queue/", views.queue_pause, name="queue-pause"),
    path("farm/trainings/<str:slug>/", views.training_roster, name="training-roster"),
    path("farm/studio/", views.studio_desk, name="studio-desk"),
    # JSON
]
