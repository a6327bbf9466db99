from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("for-you/", views.for_you, name="for-you"),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/<uuid:pk>/download", views.download_export, name="download-export"),
    path("accounts/my-year/", views.my_year, name="my-year"),
    path("accounts/following/", views.following, name="following"),
    path("accounts/my-year/card.png", views.my_year_card, name="my-year-card"),
    path("year/<str:token>.png", views.shared_card, name="shared-card"),
]
