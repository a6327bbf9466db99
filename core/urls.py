from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("preferences/display/", views.display_preferences, name="display-preferences"),
    path("notifications/", views.notifications, name="notifications"),
    path("preferences/language/", views.set_language, name="set-language"),
    path("csrf/", views.csrf_token, name="csrf-token"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
