"""The maker space in the public API: a maker's own print jobs, and for technicians the farm's
live state (the dashboard and the studio computer can poll it)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.pagination import ByName
from core.api.permissions import has_perm

from . import selectors, services
from .models import Printer, PrintJob
from .serializers import (
    EquipmentSerializer,
    FarmSerializer,
    MoveJobSerializer,
    NewPrintJobSerializer,
    PauseSerializer,
    PinSerializer,
    PrintJobSerializer,
    ReviewSerializer,
)

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
        return _farm()


def _farm() -> Response:
    data = {
        "printers": selectors.farm(),
        "queued": selectors.queue().count(),
        "paused": selectors.queue_paused(),
    }
    return Response(FarmSerializer(data).data)


@extend_schema(tags=[TAG])
class EquipmentList(ETagMixin, generics.ListAPIView):
    """The maker space's equipment, and the resource to book each one as."""

    permission_classes = [AllowAny]
    serializer_class = EquipmentSerializer
    pagination_class = ByName

    def get_queryset(self):
        return selectors.equipment_list()


def _own(request, pk) -> PrintJob:
    job = selectors.jobs_of(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@extend_schema(tags=[TAG])
class SubmitPrintJob(APIView):
    """Send a model or G-code to print (multipart/form-data). A model is sliced by a task; then
    the job waits for you to confirm its estimate. Refused with ``not_certified``,
    ``quota_jobs``, ``file_type``, ``too_large``, ``too_big``, ``no_printer``..."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": NewPrintJobSerializer}, responses={201: PrintJobSerializer}
    )
    def post(self, request):
        sent = NewPrintJobSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        kept = services.keep_upload(owner=request.user, upload=data["file"])
        job = services.submit_job(
            owner=request.user,
            source=kept,
            request=services.JobRequest.of(data),
        )
        return Response(PrintJobSerializer(_own(request, job.pk)).data, status=201)


@extend_schema(tags=[TAG], responses=PrintJobSerializer)
class MyPrintJob(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk):
        return Response(PrintJobSerializer(_own(request, pk)).data)


@extend_schema(tags=[TAG], request=None, responses=PrintJobSerializer)
class ConfirmPrintJob(APIView):
    """Accept the estimate: the job goes to the technicians (``quota_hours`` if over)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        services.confirm_job(job=_own(request, pk), user=request.user)
        return Response(PrintJobSerializer(_own(request, pk)).data)


@extend_schema(tags=[TAG], request=None, responses=PrintJobSerializer)
class CancelPrintJob(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        services.cancel_job(job=_own(request, pk), user=request.user)
        return Response(PrintJobSerializer(_own(request, pk)).data)


# --- Staff: the print farm (technicians) -----------------------------------------------------

FARM = has_perm("makerspace.run_print_farm")


def _job(pk) -> PrintJob:
    return get_object_or_404(PrintJob.objects.select_related("printer__equipment"), pk=pk)


@extend_schema(tags=["staff"], request=ReviewSerializer, responses=PrintJobSerializer)
class ReviewPrintJob(APIView):
    """Approve a submitted job into the queue (optionally with a priority), or reject it with
    a reason the maker is sent."""

    permission_classes = [FARM]

    def post(self, request, pk):
        sent = ReviewSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        if data["decision"] == "approve":
            done = services.approve_job(
                job=_job(pk), by=request.user, priority=data.get("priority")
            )
        else:
            done = services.reject_job(job=_job(pk), by=request.user, reason=data["reason"])
        return Response(PrintJobSerializer(done).data)


@extend_schema(tags=["staff"], request=MoveJobSerializer, responses=PrintJobSerializer)
class MovePrintJob(APIView):
    permission_classes = [FARM]

    def post(self, request, pk):
        sent = MoveJobSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.move_job(
            job=_job(pk), by=request.user, up=sent.validated_data["direction"] == "up"
        )
        return Response(PrintJobSerializer(done).data)


@extend_schema(tags=["staff"], request=PinSerializer, responses=PrintJobSerializer)
class PinPrintJob(APIView):
    """Keep a queued job for one printer (or let any suitable printer take it)."""

    permission_classes = [FARM]

    def post(self, request, pk):
        sent = PinSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        printer_id = sent.validated_data["printer"]
        printer = get_object_or_404(Printer, pk=printer_id) if printer_id else None
        done = services.pin_job(job=_job(pk), printer=printer, by=request.user)
        return Response(PrintJobSerializer(done).data)


@extend_schema(tags=["staff"], request=PauseSerializer, responses=FarmSerializer)
class PauseQueue(APIView):
    """Pause the queue (no new prints start) or resume it."""

    permission_classes = [FARM]

    def post(self, request):
        sent = PauseSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        services.set_queue_paused(by=request.user, **sent.validated_data)
        return _farm()


@extend_schema(tags=["staff"], request=None, responses=FarmSerializer)
class ClearPrinter(APIView):
    """The plate was taken off and the printer is ready for the next job."""

    permission_classes = [FARM]

    def post(self, request, pk: int):
        services.mark_cleared(printer=get_object_or_404(Printer, pk=pk), by=request.user)
        return _farm()
