"""Readers' works in the public API: the published gallery for everyone; for the reader, their
own works (create one from a finished tus upload, edit, submit for review, withdraw, delete).

Files arrive by tus at ``/files/uploads/`` (the standard for resumable uploads; apps send their
``X-Session-Token`` there too); ``POST /api/v1/me/works/`` turns a finished upload into a work.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.conditional import ETagMixin
from core.api.pagination import LeastRecentlyUpdated, NewestCreated, NewestPublished
from core.api.permissions import has_perm
from media.sniff import MediaKind

from . import selectors, services
from .models import Licence, Work
from .serializers import (
    ModerationSerializer,
    MyWorkSerializer,
    NewWorkSerializer,
    WorkFieldsSerializer,
    WorkSerializer,
)

TAG = "works"


@extend_schema(
    tags=[TAG],
    parameters=[
        OpenApiParameter("kind", enum=MediaKind.values, required=False),
        OpenApiParameter("licence", enum=Licence.values, required=False),
        OpenApiParameter("tag", str, required=False),
    ],
)
class Gallery(ETagMixin, generics.ListAPIView):
    """Published works, newest first."""

    permission_classes = [AllowAny]
    serializer_class = WorkSerializer
    pagination_class = NewestPublished

    def get_queryset(self):
        params = self.request.query_params
        kind = params.get("kind", "")
        licence = params.get("licence", "")
        return selectors.gallery(
            kind=kind if kind in MediaKind.values else "",
            licence=licence if licence in Licence.values else "",
            tag=params.get("tag", "")[:50],
        )


@extend_schema(tags=[TAG])
class PublishedWork(ETagMixin, generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = WorkSerializer

    def get_queryset(self):
        return selectors.gallery()


def _own(request, pk) -> Work:
    work = selectors.works_of(owner=request.user).filter(pk=pk).first()
    if work is None:
        raise Http404
    return work


@extend_schema(tags=[TAG])
class MyWorks(generics.ListCreateAPIView):
    """Your works in every state, newest first; POST makes a (private) work of a finished
    upload. Refused with ``upload_missing`` or ``upload_used``."""

    permission_classes = [IsAuthenticated]
    serializer_class = MyWorkSerializer
    pagination_class = NewestCreated

    def get_queryset(self):
        return selectors.works_of(owner=self.request.user)

    @extend_schema(request=NewWorkSerializer, responses={201: MyWorkSerializer})
    def post(self, request, *args, **kwargs):
        sent = NewWorkSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        work = services.create_work(
            user=request.user,
            upload_id=data["upload"],
            title=data["title"],
            description=data.get("description", ""),
            licence=data["licence"],
            language=data["language"],
            tags=data.get("tags"),
        )
        return Response(
            MyWorkSerializer(_own(request, work.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=[TAG])
class MyWork(APIView):
    """One of your works: read, change what is written about it, or delete it with its files."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MyWorkSerializer)
    def get(self, request, pk):
        return Response(MyWorkSerializer(_own(request, pk)).data)

    @extend_schema(request=WorkFieldsSerializer, responses=MyWorkSerializer)
    def patch(self, request, pk):
        work = _own(request, pk)
        sent = WorkFieldsSerializer(data=request.data, partial=True)
        sent.is_valid(raise_exception=True)
        services.update_work(work=work, user=request.user, **sent.validated_data)
        return Response(MyWorkSerializer(_own(request, pk)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        services.delete_work(work=_own(request, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG], request=None, responses=MyWorkSerializer)
class SubmitWork(APIView):
    """Ask for the work to be published. Refused with ``processing`` (not ready yet),
    ``captions_required`` (a video or audio needs captions) or ``state``."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        services.submit_for_review(work=_own(request, pk), user=request.user)
        return Response(MyWorkSerializer(_own(request, pk)).data)


@extend_schema(tags=[TAG], request=None, responses=MyWorkSerializer)
class WithdrawWork(APIView):
    """Take the work back (from review, or from the gallery); it becomes private."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk):
        services.withdraw(work=_own(request, pk), user=request.user)
        return Response(MyWorkSerializer(_own(request, pk)).data)


# --- Staff: moderation (the same permission as the moderation desk) --------------------------

MODERATION = has_perm("ugc.moderate_work")


@extend_schema(tags=["staff"])
class ModerationQueue(generics.ListAPIView):
    """Works waiting for review, oldest first."""

    permission_classes = [MODERATION]
    serializer_class = MyWorkSerializer
    pagination_class = LeastRecentlyUpdated

    def get_queryset(self):
        return selectors.moderation_queue()


@extend_schema(tags=["staff"], request=ModerationSerializer, responses=MyWorkSerializer)
class Moderate(APIView):
    """Approve, reject or take down a work, or dismiss the reports about it. Refused with
    ``reason_required`` or ``state``."""

    permission_classes = [MODERATION]

    def post(self, request, pk):
        sent = ModerationSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        action, reason = sent.validated_data["action"], sent.validated_data["reason"]
        work = get_object_or_404(Work, pk=pk)
        services.moderate(work=work, moderator=request.user, action=action, reason=reason)
        return Response(MyWorkSerializer(selectors.visible_work(user=request.user, pk=pk)).data)
