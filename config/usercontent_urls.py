"""The user-content origin's own urlconf (``core.usercontent.UserContentMiddleware`` routes the
``USERCONTENT_URL`` host here). Nothing of the site answers on that host, and none of these
routes answers on the site's host."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

from courses.h5p import views as h5p_views
from media import views as media_views

urlpatterns = [
    path("f/<str:token>/<str:name>", media_views.usercontent_file, name="usercontent-file"),
    path("h5p/player/<str:token>/", h5p_views.usercontent_player, name="usercontent-h5p-player"),
    path(
        "h5p/content/<str:token>/<path:path>",
        h5p_views.usercontent_content_file,
        name="usercontent-h5p-content",
    ),
    path(
        "h5p/libraries/<str:folder>/<path:path>",
        h5p_views.usercontent_library_file,
        name="usercontent-h5p-library",
    ),
    path("static/<path:path>", h5p_views.usercontent_static, name="usercontent-static"),
]

if not settings.S3_ENDPOINT_URL:
    # `make run` keeps public files on local disk; Wagtail images link to them under /media/.
    urlpatterns.append(path("media/<path:path>", media_views.usercontent_public_media))


def _not_found(request, exception=None):
    return HttpResponse("Not found", status=404, content_type="text/plain; charset=utf-8")


def _server_error(request):
    return HttpResponse("Server error", status=500, content_type="text/plain; charset=utf-8")


handler404 = _not_found
handler500 = _server_error
