"""Reads about accounts."""

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from .models import User


def has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def role_names(*, user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True, deleted_at__isnull=True)
