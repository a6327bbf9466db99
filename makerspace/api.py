"""The maker space in the public API: a maker's own print jobs, and for technicians the farm's
live state (the dashboard and the studio computer can poll it)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.permissions import has_perm

from . import selectors
from .serializers import FarmSerializer, PrintJobSerializer

TAG = "makerspace"


@extend_schema(tags=[TAG])
class MyPrintJobs(ETagMixin, generics.ListAPIView):
    """Your print jobs, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = PrintJobSerializer

    def get_queryset(self):
        return selectors.jobs_of(self.request.user).select_related("printer__equipment")


@extend_schema(tags=[TAG], responses=FarmSerializer)
class Farm(ETagMixin, APIView):
    """Every printer's state and job, the queue's length and whether it is paused."""

    permission_classes = [has_perm("makerspace.run_print_farm")]

    def get(self, request):
        data = {
            "printers": selectors.farm(),
            "queued": selectors.queue().count(),
            "paused": selectors.queue_paused(),
        }
        return Response(FarmSerializer(data).data)
