from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/<uuid:pk>/download", views.download_export, name="download-export"),
]
