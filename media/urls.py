from django.urls import path

from . import api, views

app_name = "media"

urlpatterns = [
    path("uploads/", api.upload_collection, name="uploads"),
    path("uploads/<uuid:upload_id>/", api.upload_resource, name="upload"),
    path("<uuid:file_id>/", views.stream_file, name="stream"),
    path("<uuid:file_id>/download/", views.download_link, name="download"),
]
