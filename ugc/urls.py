from django.urls import path

from . import views

app_name = "ugc"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("new/", views.new_work, name="new"),
    path("mine/", views.my_works, name="mine"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("people/<int:user_id>/", views.profile, name="profile"),
    path("collections/<int:collection_id>/", views.collection_detail, name="collection"),
    path("<uuid:pk>/", views.work_detail, name="work"),
    path("<uuid:pk>/status/", views.work_status, name="status"),
    path("<uuid:pk>/edit/", views.edit_work, name="edit"),
    path("<uuid:pk>/delete/", views.delete_work, name="delete"),
    path("<uuid:pk>/submit/", views.submit_work, name="submit"),
    path("<uuid:pk>/withdraw/", views.withdraw_work, name="withdraw"),
    path("<uuid:pk>/report/", views.report_work, name="report"),
    path("<uuid:pk>/moderate/", views.moderate, name="moderate"),
    path("<uuid:pk>/favourite/", views.favourite, name="favourite"),
    path("<uuid:pk>/captions/", views.upload_captions, name="captions"),
    path("<uuid:pk>/comments/", views.comment, name="comment"),
    path("comments/<int:comment_id>/hide/", views.hide_comment, name="hide-comment"),
    path("comments/<int:comment_id>/delete/", views.delete_comment, name="delete-comment"),
]
