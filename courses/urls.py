from django.urls import include, path

from . import views

app_name = "courses"

urlpatterns = [
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("courses/<int:course_id>/end/", views.course_end, name="course-end"),
    path("lessons/<int:lesson_id>/quiz/<str:block_id>/", views.submit_quiz, name="quiz"),
    path("subscriptions/", views.subscribe, name="subscribe"),
    path("record/", views.record, name="record"),
    path("record.csv", views.record_csv, name="record-csv"),
    path("record/xapi.json", views.record_xapi, name="record-xapi"),
    path("badges/issuer.json", views.badge_issuer, name="badge-issuer"),
    path("badges/<slug:slug>.json", views.badge_class, name="badge-class"),
    path("badges/<slug:slug>.png", views.badge_image, name="badge-image"),
    path("badges/assertions/<uuid:pk>.json", views.badge_assertion, name="badge-assertion"),
    path("badges/assertions/<uuid:pk>.png", views.badge_baked, name="badge-baked"),
    path("certificates/<str:code>.pdf", views.certificate_pdf, name="certificate-pdf"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate-verify"),
    path("media/<int:media_id>/", views.media_stream, name="media"),
    path("media/<int:media_id>/captions.vtt", views.media_captions, name="captions"),
    path("search/", views.search, name="search"),
    path("h5p/", include("courses.h5p.urls")),
]
