"""辽海往事 in the public API: interviews anyone (or this reader) may see, with the parts the
caller may hear or read. Every decision is the archive's own (selectors); a record the caller
may not see is a 404, whether it exists or not."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from core.api.conditional import ETagMixin
from core.api.pagination import Cursor

from . import selectors
from .models import Transcript
from .serializers import InterviewDetailSerializer, InterviewSerializer, _link

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
