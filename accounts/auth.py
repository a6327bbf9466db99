from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from core.kept import kept


def login_identifier(request: HttpRequest, credentials: dict | None) -> str:
    """What django-axes counts failures against: the email typed into the login form."""
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or credentials.get("login")
        or request.POST.get("login", "")
    )
    return str(value).strip().lower()


class KeptPermissionsBackend(ModelBackend):
    """Django's permissions, read once and kept until the reader's groups, their own
    permissions or a group's permissions change (core.kept names those rows).

    Every signed-in page asks what the reader may do (the staff desks in the menu), which costs
    Django two queries each time. A role given or taken away drops the copy at the same write,
    so the next request sees it; the superuser and active flags are part of the key.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            key = f"permissions:{user_obj.pk}:{int(user_obj.is_superuser)}"
            user_obj._perm_cache = kept(key, lambda: self._read_all(user_obj), seconds=3600)
        return user_obj._perm_cache

    def _read_all(self, user_obj) -> set[str]:
        return {*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj)}
