"""Reads about stored files, including who may read them."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User

from . import access
from .models import Derivative, StoredFile, Visibility


def can_read(*, user: User | AnonymousUser, stored_file: StoredFile) -> bool:
    if stored_file.visibility == Visibility.PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if stored_file.owner_id is not None and stored_file.owner_id == user.pk:
        return True
    return user.has_perm("media.read_private_storedfile") or access.granted_by_policy(
        user, stored_file
    )


def files_of(*, owner: User) -> QuerySet[StoredFile]:
    return StoredFile.objects.filter(owner=owner).order_by("-created_at")


def access_copy(*, asset_id) -> Derivative | None:
    """The playable copy the pipeline made of an audio or video asset (None until it exists)."""
    return (
        Derivative.objects.filter(asset_id=asset_id, role__in=("audio", "video"))
        .select_related("file")
        .first()
    )
