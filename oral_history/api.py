"""辽海往事 in the public API: interviews anyone (or this reader) may see, with the parts the
caller may hear or read. Every decision is the archive's own (selectors); a record the caller
may not see is a 404, whether it exists or not."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.pagination import Cursor, OldestCreated
from core.api.permissions import has_perm

from . import selectors, services
from .models import AccessRequest, Interview, Transcript
from .serializers import (
    AccessDecisionSerializer,
    AccessRequestSerializer,
    InterviewDetailSerializer,
    InterviewSerializer,
    NewAccessRequestSerializer,
    StaffAccessRequestSerializer,
    _link,
)

TAG = "archive"


class ByNumber(Cursor):
    ordering = ("accession_number", "pk")


@extend_schema(tags=[TAG])
class InterviewList(ETagMixin, generics.ListAPIView):
    """Interviews in the archive that the caller may see."""

    permission_classes = [AllowAny]
    serializer_class = InterviewSerializer
    pagination_class = ByNumber

    def get_queryset(self):
        return selectors.listing(selectors.visible_interviews(self.request.user)).select_related(
            "collection"
        )


@extend_schema(tags=[TAG])
class InterviewDetail(ETagMixin, generics.RetrieveAPIView):
    """One interview: its record, the index segments, and links to the recordings and the
    transcript the caller may hear or read."""

    permission_classes = [AllowAny]
    serializer_class = InterviewDetailSerializer

    def get_object(self):
        user = self.request.user
        interview = selectors.interview_for(user, self.kwargs["pk"])
        if interview is None:
            raise Http404
        interview.shown_segments = list(selectors.shown_segments(user, interview))
        interview.playable_links = [
            _link("oral_history:media", interview.pk, item.pk)
            for item in selectors.playable_media(user, interview)
        ]
        transcript = Transcript.objects.filter(interview=interview).first()
        interview.transcript_link = (
            _link("oral_history:transcript-vtt", interview.pk)
            if transcript and selectors.part_available(user, interview, transcript)
            else None
        )
        return interview


@extend_schema(tags=["archive"])
class MyAccessRequests(generics.ListCreateAPIView):
    """Your requests to listen to restricted interviews; POST asks for one (refused with
    ``not_requestable``, ``already_requested`` or ``purpose_required``)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AccessRequestSerializer

    def get_queryset(self):
        return AccessRequest.objects.filter(reader=self.request.user).select_related("interview")

    @extend_schema(request=NewAccessRequestSerializer, responses={201: AccessRequestSerializer})
    def post(self, request, *args, **kwargs):
        sent = NewAccessRequestSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        interview = Interview.objects.filter(pk=sent.validated_data["interview"]).first()
        if interview is None or not selectors.record_visible(request.user, interview):
            raise Http404
        made = services.request_access(
            interview=interview, reader=request.user, purpose=sent.validated_data["purpose"]
        )
        return Response(AccessRequestSerializer(made).data, status=status.HTTP_201_CREATED)


ARCHIVE_DESK = has_perm("oral_history.manage_access")


@extend_schema(tags=["staff"])
class PendingAccessRequests(generics.ListAPIView):
    """Requests waiting for an archivist, oldest first."""

    permission_classes = [ARCHIVE_DESK]
    serializer_class = StaffAccessRequestSerializer
    pagination_class = OldestCreated

    def get_queryset(self):
        return selectors.pending_requests()


@extend_schema(
    tags=["staff"], request=AccessDecisionSerializer, responses=StaffAccessRequestSerializer
)
class DecideAccessRequest(APIView):
    """Grant (for some days), decline (with a reason the reader is sent) or revoke."""

    permission_classes = [ARCHIVE_DESK]

    def post(self, request, pk: int):
        sent = AccessDecisionSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        get_object_or_404(AccessRequest, pk=pk)
        if data["decision"] == "grant":
            done = services.grant_access(
                request_id=pk, user=request.user, days=data["days"], note=data["note"]
            )
        elif data["decision"] == "decline":
            done = services.decline_access(request_id=pk, user=request.user, note=data["note"])
        else:
            done = services.revoke_access(request_id=pk, user=request.user, note=data["note"])
        return Response(StaffAccessRequestSerializer(done).data)
