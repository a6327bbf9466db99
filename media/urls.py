from django.urls import path

from . import views

app_name = "media"

urlpatterns = [
    path("<uuid:file_id>/", views.stream_file, name="stream"),
    path("<uuid:file_id>/download/", views.download_link, name="download"),
]
