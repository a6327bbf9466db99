from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_css")
def admin_css() -> str:
    """CJK-friendly font stack in the admin, matching the public site."""
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))
