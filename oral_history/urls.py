from django.urls import path

from . import views

app_name = "oral_history"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("i/<int:pk>/", views.interview_detail, name="interview"),
    path("i/<int:pk>/media/<uuid:media_id>/", views.media_stream, name="media"),
    path("i/<int:pk>/media/<uuid:media_id>/played", views.played, name="played"),
    path("i/<int:pk>/transcript.vtt", views.transcript_vtt, name="transcript-vtt"),
    path("i/<int:pk>/manifest.json", views.manifest, name="manifest"),
    path("i/<int:pk>/ohms.xml", views.ohms_export, name="ohms"),
    path("i/<int:pk>/request/", views.request_access, name="request-access"),
    path("i/<int:pk>/withdrawal/", views.takedown, name="takedown"),
    path("narrators/", views.narrators, name="narrators"),
    path("narrators/<int:pk>/", views.narrator_detail, name="narrator"),
    path("collections/<slug:slug>/", views.collection_detail, name="collection"),
    path("subjects/", views.subjects, name="subjects"),
    path("subjects/<str:slug>/", views.subject_detail, name="subject"),
    path("places/", views.places, name="places"),
    path("timeline/", views.timeline, name="timeline"),
    path("oai", views.oai_pmh, name="oai"),
    path("desk/", views.desk, name="desk"),
    path("desk/import/", views.import_ohms, name="import"),
    path("desk/i/<int:pk>/", views.desk_interview, name="desk-interview"),
    path("desk/consent/<int:consent_id>/form/", views.consent_form, name="consent-form"),
    path("desk/requests/<int:request_id>/", views.decide_request, name="decide-request"),
    path("desk/takedowns/<int:takedown_id>/", views.resolve_takedown, name="resolve-takedown"),
]
