"""The reader's own account in the public API: profile and display preferences, and their
notifications. Signing in, signing up, passwords, e-mail, TOTP and account deletion are
allauth's headless API (``/_allauth/app/v1/``), with the same rules as the site's forms."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import Notification
from core.services import mark_notifications_read

from . import services
from .models import User

TAG = "me"


class ProfileSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(read_only=True)
    public_name = serializers.CharField(read_only=True, help_text="How others see you.")

    class Meta:
        model = User
        fields = ["email", "public_name", *services.PROFILE_FIELDS]


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "message", "url", "created_at", "read"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=100,
        required=False,
        help_text="The notifications to mark read; without it, all of them.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


@extend_schema(tags=[TAG])
class Profile(APIView):
    """Your profile and display preferences (large text, high contrast, language...)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer)
    def patch(self, request):
        sent = ProfileSerializer(request.user, data=request.data, partial=True)
        sent.is_valid(raise_exception=True)
        try:
            user = services.update_profile(user=request.user, **sent.validated_data)
        except DjangoValidationError as error:
            # The model's own checks (a library card number someone else has...) as field errors.
            raise ValidationError(error.message_dict) from error
        return Response(ProfileSerializer(user).data)


@extend_schema(tags=[TAG])
class Notifications(generics.ListAPIView):
    """Your notifications, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)


@extend_schema(tags=[TAG], request=MarkReadSerializer, responses=MarkedSerializer)
class MarkNotificationsRead(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        sent = MarkReadSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        ids = sent.validated_data.get("ids")
        with transaction.atomic():
            if ids is None:
                marked = mark_notifications_read(user=request.user)
            else:
                marked = Notification.objects.filter(
                    user=request.user, pk__in=ids, read_at__isnull=True
                ).update(read_at=timezone.now())
        return Response({"marked": marked}, status=status.HTTP_200_OK)
