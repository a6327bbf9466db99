from django.urls import path

from . import api

urlpatterns = [
    path("recommendations/", api.Recommendations.as_view(), name="recommendations"),
]
