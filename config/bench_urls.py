"""The site's addresses plus one trivial view, the yardstick of bench/throughput.py: it goes
through the same middleware as every page and does nothing else."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from .urls import urlpatterns as site_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    # Its path is never kept (core.pagecache.NEVER_KEPT): the yardstick is Django's own cost.
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bench/trivial", trivial), *site_urlpatterns]
