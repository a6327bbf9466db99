"""Writes to accounts. Keyword-only, validated, transactional."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import roles
from .models import User

PROFILE_FIELDS = (
    "display_name",
    "library_card_number",
    "audience_group",
    "district",
    "language",
    "large_text",
    "high_contrast",
    "reduce_motion",
    "captions_by_default",
)


def assign_role(*, user: User, role: str) -> None:
    if role not in roles.ALL_ROLES:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": role})
    user.groups.add(Group.objects.get(name=role))
    if role in roles.STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def apply_signup_profile(
    *, user: User, display_name: str, audience_group: str, language: str
) -> User:
    """Complete a fresh sign-up: profile fields from the form, and the reader role."""
    user.display_name = display_name.strip()
    user.audience_group = audience_group
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "audience_group", "language"])
    assign_role(user=user, role=roles.READER)
    return user


def update_profile(*, user: User, **changes: object) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    return user


@transaction.atomic
def create_account(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    audience_group: str = "",
    verified: bool = True,
) -> User:
    """An account made by staff or the demo loader, with its email address already verified."""
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, audience_group=audience_group
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    assign_role(user=user, role=role)
    return user


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Remove what identifies the reader; keep the row so that aggregate statistics survive.

    Later apps attach learning records, bookings and works to users; those rows keep their
    counts but no longer lead to a person. The audience group is kept for the same statistics.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.deleted_at is not None:
        return
    old_email = locked.email
    EmailAddress.objects.filter(user=locked).delete()
    Authenticator.objects.filter(user=locked).delete()
    for log_model in (AccessAttempt, AccessLog, AccessFailureLog):
        log_model.objects.filter(username__iexact=old_email).delete()
    locked.groups.clear()
    locked.user_permissions.clear()
    locked.email = f"deleted-{locked.pk}@deleted.invalid"
    locked.display_name = ""
    locked.first_name = ""
    locked.last_name = ""
    locked.library_card_number = ""
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    # An unusable password also changes the session hash, which signs out every other session.
    locked.set_unusable_password()
    locked.deleted_at = timezone.now()
    locked.save()
    from wagtail.users.models import UserProfile

    from core.insight.services import forget

    # The activity record keeps counts, not the person (PIPL: deletion on request).
    forget(user_id=locked.pk)
    profile = UserProfile.objects.filter(user=locked).first()
    if profile is not None:
        if profile.avatar:
            profile.avatar.delete(save=False)
        profile.delete()
