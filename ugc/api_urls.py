from django.urls import path

from . import api

urlpatterns = [
    path("works/", api.Gallery.as_view(), name="works"),
    path("works/<uuid:pk>/", api.PublishedWork.as_view(), name="work"),
    path("me/works/", api.MyWorks.as_view(), name="my-works"),
    path("me/works/<uuid:pk>/", api.MyWork.as_view(), name="my-work"),
    path("me/works/<uuid:pk>/submit/", api.SubmitWork.as_view(), name="submit-work"),
    path("me/works/<uuid:pk>/withdraw/", api.WithdrawWork.as_view(), name="withdraw-work"),
    path("staff/moderation/", api.ModerationQueue.as_view(), name="moderation"),
    path("staff/works/<uuid:pk>/moderation/", api.Moderate.as_view(), name="moderate"),
]
