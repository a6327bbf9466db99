from django.urls import path

from . import views

urlpatterns = [
    path("libraries/<str:folder>/<path:path>", views.library_file, name="h5p-library-file"),
    path(
        "content/<uuid:content_id>/state/<str:data_type>/<int:sub_content_id>",
        views.state,
        name="h5p-state",
    ),
    path("content/<uuid:content_id>/<path:path>", views.content_file, name="h5p-content-file"),
    path("play/<uuid:content_id>/", views.player, name="h5p-player"),
    path("statements/", views.statements, name="h5p-statements"),
    path("statements/export.json", views.export_statements, name="h5p-export"),
]
