"""Permissions for staff endpoints: the same Django permissions (roles) as the site's desks.

Staff without a second factor never reach a view: the site's MFA middleware sends them to set
one up, for the API as for pages.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission


def has_perm(codename: str) -> type[BasePermission]:
    """A permission class for one Django permission (``app_label.codename``)."""

    class HasPerm(BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perm(codename))

    HasPerm.__name__ = HasPerm.__qualname__ = f"HasPerm[{codename}]"
    return HasPerm
