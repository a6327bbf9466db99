"""Admin menu items shown only to the staff who may open them (Wagtail shows every registered
item to everyone with admin access; the page behind it would then refuse them)."""

from wagtail.admin.menu import MenuItem


class PermissionMenuItem(MenuItem):
    """A menu item shown only to those holding ``permission``."""

    def __init__(self, *args, permission: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request) -> bool:
        return request.user.has_perm(self.permission)
