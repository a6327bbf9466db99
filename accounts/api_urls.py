from django.urls import path

from . import api

urlpatterns = [
    path("me/profile/", api.Profile.as_view(), name="profile"),
    path("me/notifications/", api.Notifications.as_view(), name="notifications"),
    path("me/notifications/read/", api.MarkNotificationsRead.as_view(), name="notifications-read"),
]
