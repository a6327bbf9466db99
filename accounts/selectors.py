"""Reads about accounts."""

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from .models import User


def has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def role_names(*, user: User) -> list[str]:
    """The user's roles in the reader's language (a group that is not a role keeps its name)."""
    from .roles import ROLE_LABELS

    names = user.groups.values_list("name", flat=True)
    return sorted(str(ROLE_LABELS.get(name, name)) for name in names)


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True, deleted_at__isnull=True)
